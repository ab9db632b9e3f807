/* MixUp and CutMix on samples. Beta(32, 32) against its mean 1/2, its
 * variance 1/260 and its exact distribution function (Kolmogorov-Smirnov
 * over 20000 draws); MixUp's every byte against the formula, at r replayed
 * from the same draws, and its labels concatenated. CutMix on hand-made
 * cases: which of the other image's boxes come along (a tenth of their
 * area inside, in float32; a hundredth when the image has polygons, unless
 * it has no instances), clipped to the area with their polygons and
 * keypoints; the pixels of the area and only those; nothing done when no
 * box qualifies; and its draws: areas that touch the image's boxes are
 * never used, none left means nothing changes after 9 draws. */
#include "core/random.h"
#include "data/mixup.h"
#include "tap.h"

#define W 100
#define H 80

/* A W x H sample of one colour, polygons of seg_points (the box's corners
 * when 4), one keypoint (the box's centre, visible) per box. */
static void make(struct ul_sample *s, unsigned char colour, int seg_points, const float (*boxes)[4], int n, int first_class)
{
	ul_sample_init(s, seg_points, 1, 3);
	s->img = (struct ul_image){ W, H, malloc((size_t)W * H * 3) };
	memset(s->img.rgb, colour, (size_t)W * H * 3);
	ul_sample_reserve(s, n);
	for (int i = 0; i < n; i++) {
		const float *b = boxes[i];
		s->cls[i] = first_class + i;
		memcpy(s->boxes + 4 * i, b, 4 * sizeof *b);
		if (seg_points)
			memcpy(s->segments + 8 * i, (float[]){ b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3] }, 8 * sizeof(float));
		memcpy(s->keypoints + 3 * i, (float[]){ (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, 2 }, 3 * sizeof(float));
	}
	s->n = n;
}

/* Beta(32, 32)'s distribution function: for integer shapes, the chance
 * that at least 32 of 63 uniforms fall below x. */
static double beta_cdf(double x)
{
	double sum = 0, choose = 1;  /* C(63, k) */
	for (int k = 0; k <= 63; k++) {
		if (k >= 32)
			sum += choose * pow(x, k) * pow(1 - x, 63 - k);
		choose = choose * (63 - k) / (k + 1);
	}
	return sum;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void beta(void)
{
	enum { DRAWS = 20000 };
	double *r = malloc(sizeof *r * DRAWS), mean = 0, var = 0;
	uint64_t rng = 3, copy = rng;
	ul_mixup_ratio(&rng);
	for (int i = 0; i < 64; i++)
		ul_random_unit(&copy);
	ok(rng == copy, "one Beta(32, 32) draw takes 64 draws");
	for (int i = 0; i < DRAWS; i++)
		mean += r[i] = ul_mixup_ratio(&rng);
	mean /= DRAWS;
	for (int i = 0; i < DRAWS; i++)
		var += (r[i] - mean) * (r[i] - mean);
	var /= DRAWS - 1;
	/* standard errors: sqrt(var / n) = 0.00044 for the mean, var sqrt(2 / n) = 0.000038 for the variance */
	ok(fabs(mean - 0.5) < 5 * 0.00044, "Beta(32, 32): mean %.5f over %d draws (0.5)", mean, DRAWS);
	ok(fabs(var - 1.0 / 260) < 5 * 0.000038, "variance %.6f (1/260 = %.6f)", var, 1.0 / 260);
	qsort(r, DRAWS, sizeof *r, by_value);
	double d = 0;
	for (int i = 0; i < DRAWS; i++) {
		double f = beta_cdf(r[i]);
		d = fmax(d, fmax(fabs(f - (double)i / DRAWS), fabs(f - (double)(i + 1) / DRAWS)));
	}
	/* the 1% critical value: 1.63 / sqrt(n) */
	ok(d < 1.63 / sqrt(DRAWS), "Kolmogorov-Smirnov distance to Beta(32, 32): %.4f (under %.4f)", d, 1.63 / sqrt(DRAWS));
	ok(r[0] > 0 && r[DRAWS - 1] < 1, "every ratio strictly inside (0, 1): %.3f to %.3f", r[0], r[DRAWS - 1]);
	free(r);
}

static void mixup(void)
{
	const float boxes_a[1][4] = { { 1, 2, 30, 40 } }, boxes_b[2][4] = { { 50, 5, 60, 25 }, { -5, 70, 20, 90 } };
	struct ul_sample a, b;
	make(&a, 0, 0, boxes_a, 1, 0);
	make(&b, 0, 0, boxes_b, 2, 7);
	for (size_t i = 0; i < (size_t)W * H * 3; i++)
		a.img.rgb[i] = (unsigned char)(i * 37 % 256), b.img.rgb[i] = (unsigned char)(255 - i * 11 % 256);
	a.img.rgb[0] = b.img.rgb[0] = 255;
	unsigned char *before = malloc((size_t)W * H * 3);
	memcpy(before, a.img.rgb, (size_t)W * H * 3);
	uint64_t rng = 17, copy = rng;
	double r = ul_mixup_ratio(&copy);
	int rc = ul_mixup(&a, &b, &rng);
	size_t differ = 0, rounding_differs = 0;
	for (size_t i = 0; i < (size_t)W * H * 3; i++) {
		double mixed = before[i] * r + b.img.rgb[i] * (1 - r);
		differ += a.img.rgb[i] != (unsigned char)mixed;
		rounding_differs += (unsigned char)mixed != (unsigned char)nearbyint(mixed);
	}
	ok(rc == 0 && rng == copy && differ == 0, "MixUp r = %.4f: every byte is int(a r + b (1 - r)) (%zu differ)", r, differ);
	ok(rounding_differs > 1000, "truncated, not rounded: %zu of the %d bytes would differ if rounded", rounding_differs, W * H * 3);
	ok(a.n == 3 && a.cls[0] == 0 && a.cls[1] == 7 && a.cls[2] == 8 && a.boxes[4] == 50 && a.boxes[8] == -5 && a.boxes[11] == 90,
	   "labels: a's, then b's as they were (not clipped)");

	struct ul_sample c;
	make(&c, 0, 0, boxes_a, 1, 0);
	memcpy(c.img.rgb, before, (size_t)W * H * 3);
	rng = 17;
	ul_mixup(&c, &b, &rng);
	ok(!memcmp(c.img.rgb, a.img.rgb, (size_t)W * H * 3), "the same seed, the same mix");
	free(before);
	ul_sample_free(&a);
	ul_sample_free(&b);
	ul_sample_free(&c);
}

/* How many pixels of a are b's colour, and whether they are exactly the area. */
static bool pasted_exactly(const struct ul_sample *a, unsigned char colour, const int area[4])
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			bool inside = x >= area[0] && x < area[2] && y >= area[1] && y < area[3];
			const unsigned char *p = a->img.rgb + ((size_t)y * W + x) * 3;
			if ((p[0] == colour && p[1] == colour && p[2] == colour) != inside)
				return false;
		}
	return true;
}

static bool box_is(const struct ul_sample *s, int i, float x1, float y1, float x2, float y2)
{
	const float *b = s->boxes + 4 * i;
	return b[0] == x1 && b[1] == y1 && b[2] == x2 && b[3] == y2;
}

static void cutmix_cases(void)
{
	const float boxes_a[1][4] = { { 10, 10, 30, 30 } };
	/* against the area (40, 10, 90, 60): inside; a quarter in (50 of 280 px, clipped); 25 of 675 px in (3.7%);
	 * outside; exactly a tenth in (10 of 100 px: 0.1 in float32, 0.0999999999 in double) */
	const float boxes_b[5][4] = { { 50, 20, 70, 40 }, { 85, 50, 99, 70 }, { 0, 0, 45, 15 }, { 95, 70, 100, 80 },
				      { 31, 20, 41, 30 } };
	const int area[4] = { 40, 10, 90, 60 };
	struct ul_sample a, b;
	make(&a, 10, 0, boxes_a, 1, 0);
	make(&b, 200, 0, boxes_b, 5, 10);
	int rc = ul_cutmix_at(&a, &b, area);
	ok(rc == 1 && pasted_exactly(&a, 200, area), "CutMix: the area's pixels are b's, every other pixel a's");
	ok(a.n == 4 && a.cls[0] == 0 && a.cls[1] == 10 && a.cls[2] == 11 && a.cls[3] == 14, "boxes with a tenth of their area in come along: b's 0, 1, 4");
	ok(box_is(&a, 1, 50, 20, 70, 40) && box_is(&a, 2, 85, 50, 90, 60) && box_is(&a, 3, 40, 20, 41, 30), "clipped to the area");
	const float *k = a.keypoints + 3 * 2;
	ok(a.keypoints[3 * 1 + 2] == 2 && k[0] == 90 && k[1] == 60 && k[2] == 0,
	   "a keypoint outside the area is clamped to its edge and hidden (%g %g %g)", k[0], k[1], k[2]);
	ul_sample_free(&a);

	/* with polygons on a, a hundredth is enough: b's box 2 comes along too, its polygon clipped */
	struct ul_sample p, q;
	make(&p, 10, 4, boxes_a, 1, 0);
	make(&q, 200, 4, boxes_b, 5, 10);
	ok(ul_cutmix_at(&p, &q, area) == 1 && p.n == 5 && p.cls[3] == 12 && box_is(&p, 3, 40, 10, 45, 15) &&
	   p.segments[8 * 3] == 40 && p.segments[8 * 3 + 1] == 10 && p.segments[8 * 3 + 4] == 45 && p.segments[8 * 3 + 5] == 15,
	   "a with polygons: a hundredth of a box inside is enough (3.7%% comes along, clipped polygon and all)");
	ul_sample_free(&p);
	make(&p, 10, 4, boxes_a, 0, 0);
	ok(ul_cutmix_at(&p, &q, area) == 1 && p.n == 3, "a with room for polygons but no instance: a tenth again, as Ultralytics counts them");
	ul_sample_free(&p);

	const int corner[4] = { 0, 60, 20, 80 };
	make(&a, 10, 0, boxes_a, 1, 0);
	ok(ul_cutmix_at(&a, &b, corner) == 0 && a.n == 1 && a.img.rgb[(size_t)(70 * W + 5) * 3] == 10,
	   "no box of b in the area: nothing changes");
	ul_sample_free(&a);
	ul_sample_free(&b);
	ul_sample_free(&q);
}

static bool same_sample(const struct ul_sample *x, const struct ul_sample *y)
{
	return x->n == y->n && !memcmp(x->img.rgb, y->img.rgb, (size_t)W * H * 3) &&
	       (x->n == 0 || (!memcmp(x->boxes, y->boxes, sizeof(float) * 4 * (size_t)x->n) &&
			      !memcmp(x->cls, y->cls, sizeof(int) * (size_t)x->n)));
}

static void cutmix_draws(void)
{
	/* b's boxes tile the image, so any area of some size takes one along */
	float grid[20][4];
	for (int i = 0; i < 20; i++)
		grid[i][0] = (float)(i % 5 * 20), grid[i][1] = (float)(i / 5 * 20), grid[i][2] = grid[i][0] + 20, grid[i][3] = grid[i][1] + 20;
	struct ul_sample b;
	make(&b, 200, 0, grid, 20, 100);

	int mixed = 0, replayed = 0, tries = 200, bad_bounds = 0;
	uint64_t rng = 41;
	for (int t = 0; t < tries; t++) {
		struct ul_sample a, by_hand;
		make(&a, 10, 0, NULL, 0, 0);
		make(&by_hand, 10, 0, NULL, 0, 0);
		uint64_t copy = rng;
		int areas[3][4];
		ul_cutmix_areas(&copy, W, H, areas);
		for (int k = 0; k < 3; k++)
			bad_bounds += !(areas[k][0] >= 0 && areas[k][0] <= areas[k][2] && areas[k][2] <= W && areas[k][1] >= 0 &&
					areas[k][1] <= areas[k][3] && areas[k][3] <= H);
		int pick = (int)(ul_random_unit(&copy) * 3);
		int rc = ul_cutmix(&a, &b, &rng), hand = ul_cutmix_at(&by_hand, &b, areas[pick]);
		mixed += rc == 1;
		replayed += rc == hand && rng == copy && same_sample(&a, &by_hand);
		ul_sample_free(&a);
		ul_sample_free(&by_hand);
	}
	ok(replayed == tries && bad_bounds == 0,
	   "no boxes in a: 9 draws of areas, all three free, one picked by a 10th draw (%d of %d replayed; %d mixed)", replayed, tries, mixed);

	/* a's box covers the image: every area of some size touches it */
	const float whole[1][4] = { { 0, 0, W, H } };
	int untouched = 0, nine = 0, tried = 0;
	rng = 43;
	for (int t = 0; t < tries; t++) {
		uint64_t copy = rng;
		int areas[3][4];
		ul_cutmix_areas(&copy, W, H, areas);
		bool all_sized = true;
		for (int k = 0; k < 3; k++)
			all_sized = all_sized && areas[k][2] > areas[k][0] && areas[k][3] > areas[k][1];
		if (!all_sized) {
			ul_random_unit(&rng);  /* move on */
			continue;
		}
		struct ul_sample a;
		make(&a, 10, 0, whole, 1, 0);
		tried++;
		untouched += ul_cutmix(&a, &b, &rng) == 0 && a.n == 1 && a.img.rgb[0] == 10;
		nine += rng == copy;
		ul_sample_free(&a);
	}
	ok(tried > 100 && untouched == tried && nine == tried,
	   "every area touches a's boxes: nothing changes, 9 draws taken (%d of %d)", untouched, tried);
	ul_sample_free(&b);
}

int main(void)
{
	beta();
	mixup();
	cutmix_cases();
	cutmix_draws();
	return done_testing();
}
