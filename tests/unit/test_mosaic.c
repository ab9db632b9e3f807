/* Ultralytics' Mosaic of 4 on samples: four images of solid colours with
 * boxes of colours of their own (one class each), and a polygon (the box's
 * corners) and a keypoint (its centre) per box, mosaicked around hand-picked
 * and seeded centres. Each image must cover exactly the part of the canvas
 * that its inner corner at the centre gives it, as a pure copy; the rest is
 * 114; every box left is the tight box of its colour on the canvas, to the
 * pixel, in order, with its polygon and keypoint moved and clipped the same
 * way, and a box with no pixel left is gone. The layout arithmetic against
 * cases worked by hand, the centre's draws (order and range, every value
 * hit, counts near uniform) and the picks of the other images. Ultralytics'
 * buffer of the images loaded last, through a sequence of loads worked by
 * hand on Python's load_image, and its length. */
#include "core/random.h"
#include "data/mosaic.h"
#include "tap.h"

#define S 64
#define SIDE (2 * S)
#define PARTS 4
#define BOXES 6

/* Each box: which image, its pixels [x1, x2) x [y1, y2). */
static const struct { int part, x1, y1, x2, y2; } BOX[BOXES] = {
	{ 0, 2, 2, 10, 8 }, { 0, 30, 20, 50, 40 }, { 1, 5, 10, 45, 60 },
	{ 2, 10, 30, 40, 40 }, { 2, 0, 0, 64, 4 }, { 3, 0, 0, 30, 20 },
};
static const int W[PARTS] = { 64, 48, 64, 30 }, H[PARTS] = { 48, 64, 40, 20 };

static void background(int part, unsigned char c[3]) { c[0] = (unsigned char)(20 + 40 * part), c[1] = 0, c[2] = 200; }
static void box_colour(int k, unsigned char c[3]) { c[0] = 250, c[1] = (unsigned char)(30 * k), c[2] = 7; }

static void make_parts(struct ul_sample parts[PARTS])
{
	for (int i = 0; i < PARTS; i++) {
		struct ul_sample *p = &parts[i];
		ul_sample_init(p, 4, 1, 3);
		size_t n = (size_t)W[i] * H[i];
		p->img = (struct ul_image){ W[i], H[i], malloc(n * 3) };
		unsigned char c[3];
		background(i, c);
		for (size_t j = 0; j < n; j++)
			memcpy(p->img.rgb + 3 * j, c, 3);
		for (int k = 0; k < BOXES; k++) {
			if (BOX[k].part != i)
				continue;
			box_colour(k, c);
			for (int y = BOX[k].y1; y < BOX[k].y2; y++)
				for (int x = BOX[k].x1; x < BOX[k].x2; x++)
					memcpy(p->img.rgb + ((size_t)y * W[i] + x) * 3, c, 3);
			ul_sample_reserve(p, p->n + 1);
			float x1 = (float)BOX[k].x1, y1 = (float)BOX[k].y1, x2 = (float)BOX[k].x2, y2 = (float)BOX[k].y2;
			p->cls[p->n] = k;
			memcpy(p->boxes + 4 * p->n, (float[]){ x1, y1, x2, y2 }, 4 * sizeof(float));
			memcpy(p->segments + 8 * p->n, (float[]){ x1, y1, x2, y1, x2, y2, x1, y2 }, 8 * sizeof(float));
			memcpy(p->keypoints + 3 * p->n, (float[]){ (x1 + x2) / 2, (y1 + y2) / 2, 2 }, 3 * sizeof(float));
			p->n++;
		}
	}
}

/* Where image i's top-left pixel lands: its inner corner at the centre. */
static void origin(int i, int xc, int yc, int *ox, int *oy)
{
	*ox = i % 2 == 0 ? xc - W[i] : xc;
	*oy = i < 2 ? yc - H[i] : yc;
}

static float clampf(float v) { return v < 0 ? 0 : v > SIDE ? SIDE : v; }

/* Every check on the mosaic of the parts around (xc, yc); true when all pass. */
static bool check(const struct ul_sample *parts, const struct ul_sample *m, int xc, int yc, char *why, size_t len)
{
	*why = '\0';
	if (m->img.w != SIDE || m->img.h != SIDE) {
		snprintf(why, len, "canvas %dx%d", m->img.w, m->img.h);
		return false;
	}
	int tight[BOXES][4];
	for (int k = 0; k < BOXES; k++)
		tight[k][0] = tight[k][1] = SIDE, tight[k][2] = tight[k][3] = 0;
	for (int y = 0; y < SIDE; y++)
		for (int x = 0; x < SIDE; x++) {
			const unsigned char *got = m->img.rgb + ((size_t)y * SIDE + x) * 3;
			unsigned char want[3] = { 114, 114, 114 };
			for (int i = 0; i < PARTS; i++) {
				int ox, oy;
				origin(i, xc, yc, &ox, &oy);
				if (x >= ox && x < ox + W[i] && y >= oy && y < oy + H[i])
					memcpy(want, parts[i].img.rgb + ((size_t)(y - oy) * W[i] + x - ox) * 3, 3);
			}
			if (memcmp(got, want, 3)) {
				snprintf(why, len, "pixel (%d, %d) is %d %d %d, not %d %d %d", x, y, got[0], got[1], got[2], want[0], want[1], want[2]);
				return false;
			}
			for (int k = 0; k < BOXES; k++) {
				unsigned char c[3];
				box_colour(k, c);
				if (!memcmp(got, c, 3)) {
					tight[k][0] = x < tight[k][0] ? x : tight[k][0], tight[k][1] = y < tight[k][1] ? y : tight[k][1];
					tight[k][2] = x + 1 > tight[k][2] ? x + 1 : tight[k][2], tight[k][3] = y + 1 > tight[k][3] ? y + 1 : tight[k][3];
				}
			}
		}
	int j = 0;
	for (int k = 0; k < BOXES; k++) {
		bool seen = tight[k][2] > 0;
		if (!seen) {
			if (j < m->n && m->cls[j] == k) {
				snprintf(why, len, "box %d has no pixel left but stays", k);
				return false;
			}
			continue;
		}
		if (j >= m->n || m->cls[j] != k) {
			snprintf(why, len, "box %d is on the canvas but not in the labels (or out of order)", k);
			return false;
		}
		const float *b = m->boxes + 4 * j, *seg = m->segments + 8 * j, *kp = m->keypoints + 3 * j;
		for (int c = 0; c < 4; c++)
			if (b[c] != (float)tight[k][c]) {
				snprintf(why, len, "box %d is %g %g %g %g, its colour %d %d %d %d", k, b[0], b[1], b[2], b[3], tight[k][0],
					 tight[k][1], tight[k][2], tight[k][3]);
				return false;
			}
		const int corner[4][2] = { { 0, 1 }, { 2, 1 }, { 2, 3 }, { 0, 3 } };
		for (int p = 0; p < 4; p++)
			if (seg[2 * p] != b[corner[p][0]] || seg[2 * p + 1] != b[corner[p][1]]) {
				snprintf(why, len, "box %d: polygon corner %d is %g %g", k, p, seg[2 * p], seg[2 * p + 1]);
				return false;
			}
		int ox, oy;
		origin(BOX[k].part, xc, yc, &ox, &oy);
		float cx = (BOX[k].x1 + BOX[k].x2) / 2.0f + ox, cy = (BOX[k].y1 + BOX[k].y2) / 2.0f + oy;
		bool inside = cx >= 0 && cx <= SIDE && cy >= 0 && cy <= SIDE;
		if (kp[0] != clampf(cx) || kp[1] != clampf(cy) || kp[2] != (inside ? 2 : 0)) {
			snprintf(why, len, "box %d: keypoint %g %g %g", k, kp[0], kp[1], kp[2]);
			return false;
		}
		j++;
	}
	if (j != m->n) {
		snprintf(why, len, "%d labels, %d boxes on the canvas", m->n, j);
		return false;
	}
	return true;
}

static void mosaics(const struct ul_sample *parts)
{
	const struct ul_sample *p[PARTS] = { &parts[0], &parts[1], &parts[2], &parts[3] };
	static const int centres[][2] = { { 40, 90 }, { 32, 32 }, { 95, 95 }, { 64, 64 }, { 32, 95 }, { 95, 32 }, { 70, 44 } };
	char why[200];
	for (size_t c = 0; c < sizeof centres / sizeof *centres; c++) {
		struct ul_sample m;
		ul_sample_init(&m, 4, 1, 3);
		int xc = centres[c][0], yc = centres[c][1];
		bool good = ul_mosaic4_at(p, S, xc, yc, &m) == 0 && check(parts, &m, xc, yc, why, sizeof why);
		ok(good, "centre (%d, %d): every pixel a copy or 114, %d of %d boxes left, each its colour's tight box", xc, yc, m.n, BOXES);
		if (!good)
			printf("#   %s\n", why);
		if (c == 0) {
			/* (40, 90): box 0 falls off the left edge, box 3 is cut at the left and the bottom */
			ok(m.n == 5 && m.cls[0] == 1 && m.cls[2] == 3 && m.boxes[4 * 2] == 0 && m.boxes[4 * 2 + 3] == SIDE &&
			   m.boxes[4 * 2 + 2] == 16 && m.boxes[4 * 2 + 1] == 120,
			   "a box wholly off the canvas is dropped, a box across its edge clipped to (0, 120, 16, 128)");
			ok(m.keypoints[3 * 2 + 2] == 2 && m.keypoints[3 * 2 + 1] == 125,
			   "a keypoint still on the canvas stays visible");
		}
		if (c == 1) {
			/* (32, 32): box 3's centre lands at x = -7, its box still across the edge */
			ok(m.n == 5 && m.cls[2] == 3 && m.keypoints[3 * 2] == 0 && m.keypoints[3 * 2 + 2] == 0 && m.boxes[4 * 2 + 2] == 8,
			   "a keypoint off the canvas is clamped to it and hidden, its box kept");
		}
		ul_sample_free(&m);
	}

	uint64_t rng = 2026;
	int bad = 0, tried = 0;
	for (; tried < 40; tried++) {
		struct ul_sample m;
		ul_sample_init(&m, 4, 1, 3);
		uint64_t before = rng;
		int xc, yc;
		ul_mosaic_centre(&before, S, &xc, &yc);
		if (ul_mosaic4(p, S, &rng, &m) || rng != before || !check(parts, &m, xc, yc, why, sizeof why)) {
			if (!bad++)
				printf("#   centre (%d, %d): %s\n", xc, yc, why);
		}
		ul_sample_free(&m);
	}
	ok(bad == 0, "%d seeded centres: every pixel and box as above (%d bad)", tried, bad);

	struct ul_sample a, b;
	ul_sample_init(&a, 4, 1, 3);
	ul_sample_init(&b, 4, 1, 3);
	uint64_t r1 = 99, r2 = 99;
	ul_mosaic4(p, S, &r1, &a);
	ul_mosaic4(p, S, &r2, &b);
	ok(a.n == b.n && !memcmp(a.img.rgb, b.img.rgb, (size_t)SIDE * SIDE * 3) &&
	   !memcmp(a.boxes, b.boxes, sizeof(float) * 4 * (size_t)a.n), "the same seed makes the same mosaic");
	ul_sample_free(&a);
	ul_sample_free(&b);
}

static bool tile_is(const struct ul_mosaic_tile *t, int x1, int y1, int x2, int y2, int src_x, int src_y)
{
	return t->x1 == x1 && t->y1 == y1 && t->x2 == x2 && t->y2 == y2 && t->src_x == src_x && t->src_y == src_y;
}

static void layouts(void)
{
	struct ul_mosaic_tile t[4];
	ul_mosaic_layout(S, 40, 90, W, H, t);
	ok(tile_is(&t[0], 0, 42, 40, 90, 24, 0) && tile_is(&t[1], 40, 26, 88, 90, 0, 0) && tile_is(&t[2], 0, 90, 40, 128, 24, 0) &&
	   tile_is(&t[3], 40, 90, 70, 110, 0, 0),
	   "layout around (40, 90), worked by hand");
	const int w[4] = { 640, 500, 640, 427 }, h[4] = { 480, 640, 427, 640 };
	ul_mosaic_layout(640, 900, 350, w, h, t);
	ok(tile_is(&t[0], 260, 0, 900, 350, 0, 130) && tile_is(&t[1], 900, 0, 1280, 350, 0, 290) &&
	   tile_is(&t[2], 260, 350, 900, 777, 0, 0) && tile_is(&t[3], 900, 350, 1280, 990, 0, 0),
	   "layout of four photographs at 640 around (900, 350), worked by hand");
}

static void centres(void)
{
	enum { DRAWS = 20000, LO = S / 2, HI = 3 * S / 2 };
	int count[2][SIDE] = { { 0 } }, lo = SIDE, hi = 0;
	uint64_t rng = 5, copy = rng;
	int xc, yc;
	ul_mosaic_centre(&rng, S, &xc, &yc);
	double u0 = ul_random_unit(&copy), u1 = ul_random_unit(&copy);
	ok(rng == copy && yc == (int)(LO + (HI - LO) * u0) && xc == (int)(LO + (HI - LO) * u1),
	   "two draws, yc first: int(uniform(s/2, 3s/2)) each");
	for (int d = 0; d < DRAWS; d++) {
		ul_mosaic_centre(&rng, S, &xc, &yc);
		count[0][xc]++, count[1][yc]++;
		lo = xc < lo ? xc : lo, lo = yc < lo ? yc : lo;
		hi = xc > hi ? xc : hi, hi = yc > hi ? yc : hi;
	}
	int fewest = DRAWS, most = 0;
	for (int a = 0; a < 2; a++)
		for (int v = LO; v < HI; v++)
			fewest = count[a][v] < fewest ? count[a][v] : fewest, most = count[a][v] > most ? count[a][v] : most;
	/* 20000 draws over 64 values: 312.5 each, a standard deviation of 17.5 */
	ok(lo == LO && hi == HI - 1 && fewest > 312 - 5 * 18 && most < 312 + 5 * 18,
	   "%d centres at s = %d: xc and yc from %d to %d, each value %d to %d times", DRAWS, S, lo, hi, fewest, most);

	int picks[10] = { 0 }, others[3], outside = 0;
	rng = 11;
	for (int d = 0; d < 1000; d++) {
		ul_mosaic_pick(&rng, NULL, 10, others);
		for (int k = 0; k < 3; k++) {
			if (others[k] < 0 || others[k] >= 10)
				outside++;
			else
				picks[others[k]]++;
		}
	}
	int least = 3000;
	for (int v = 0; v < 10; v++)
		least = picks[v] < least ? picks[v] : least;
	ok(outside == 0 && least > 200, "the other images: 3000 picks of 10, each index at least %d times", least);
}

/* The list is exactly want[0..n). */
static bool list_is(const int *pool, int len, const int *want, int n)
{
	return pool && len == n && !memcmp(pool, want, sizeof *want * n);
}

static void buffers(void)
{
	ok(ul_mosaic_buffer_length(4, 1) == 4 && ul_mosaic_buffer_length(10, 1) == 8 &&
	   ul_mosaic_buffer_length(5000, 16) == 128 && ul_mosaic_buffer_length(5000, 200) == 1000,
	   "max_buffer_length: min(N, 8 batch, 1000)");

	/* 4 images, max 4: an image enters when not in the list; the oldest
	 * leaves once the list reaches 4, so it holds 3 after the first few */
	static const int loads[] = { 2, 0, 2, 1, 3, 2, 3, 0 };
	static const int want[][3] = { { 2 }, { 2, 0 }, { 2, 0 }, { 2, 0, 1 }, { 0, 1, 3 }, { 1, 3, 2 }, { 1, 3, 2 }, { 3, 2, 0 } };
	static const int lens[] = { 1, 2, 2, 3, 3, 3, 3, 3 };
	struct ul_mosaic_buffer b;
	ok(ul_mosaic_buffer_init(&b, 4, 1, true, 8) == 0 && b.max == 4, "a buffer of 4 images, max 4");
	const int *pool = NULL;
	int len = 0, matched = 0;
	for (int k = 0; k < 8; k++) {
		ul_mosaic_buffer_load(&b, loads[k], &pool, &len);
		matched += list_is(pool, len, want[k], lens[k]);
	}
	ok(matched == 8, "loads 2 0 2 1 3 2 3 0: [2] [2 0] [2 0] [2 0 1] [0 1 3] [1 3 2] [1 3 2] [3 2 0] (%d of 8)", matched);
	ul_mosaic_buffer_rewind(&b);
	ul_mosaic_buffer_load(&b, 2, &pool, &len);
	ok(b.head == 0 && list_is(pool, len, want[7], 3), "rewound: the same list at the log's start; 2, held, changes nothing");
	ul_mosaic_buffer_load(&b, 1, &pool, &len);
	ok(list_is(pool, len, (const int[]){ 2, 0, 1 }, 3), "1 enters, 3 leaves");

	uint64_t rng = 7;
	int others[3], from_list = 0;
	for (int d = 0; d < 300; d++) {
		ul_mosaic_pick(&rng, pool, len, others);
		for (int k = 0; k < 3; k++)
			from_list += others[k] == 2 || others[k] == 0 || others[k] == 1;
	}
	ok(from_list == 900, "picks come from the list only (%d of 900)", from_list);
	ul_mosaic_buffer_clear(&b);
	ul_mosaic_buffer_load(&b, 3, &pool, &len);
	ul_mosaic_pick(&rng, pool, len, others);
	ok(list_is(pool, len, (const int[]){ 3 }, 1) && others[0] == 3 && others[1] == 3 && others[2] == 3,
	   "cleared, the first load is the list's only image: a mosaic of it four times");
	ul_mosaic_buffer_free(&b);

	/* 2 images: the list keeps the last one loaded, never none */
	ok(ul_mosaic_buffer_init(&b, 2, 1, true, 4) == 0, "a buffer of 2 images");
	ul_mosaic_buffer_load(&b, 0, &pool, &len);
	ul_mosaic_buffer_load(&b, 1, &pool, &len);
	ok(list_is(pool, len, (const int[]){ 1 }, 1), "max 2: 0 then 1 leaves [1]");
	ul_mosaic_buffer_free(&b);

	ok(ul_mosaic_buffer_init(&b, 10, 1, false, 0) == 0, "cache=ram: no buffer");
	ul_mosaic_buffer_load(&b, 4, &pool, &len);
	ok(pool == NULL && len == 10, "every pick from the whole set of 10");
	ul_mosaic_buffer_free(&b);
}

int main(void)
{
	struct ul_sample parts[PARTS];
	make_parts(parts);
	layouts();
	mosaics(parts);
	centres();
	buffers();
	for (int i = 0; i < PARTS; i++)
		ul_sample_free(&parts[i]);
	return done_testing();
}
