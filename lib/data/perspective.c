#include "data/perspective.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "data/letterbox.h"

/* OpenCV's remap fixed point: positions in 1/32 pixel (INTER_BITS 5), and
 * warpAffine's coordinates in 1/1024 before that (AB_BITS 10). */
#define INTER_BITS 5
#define INTER_ONE (1 << INTER_BITS)
#define AB_BITS 10
#define AB_ONE (1 << AB_BITS)

/* warpPerspective's tiles: BLOCK_SZ 32, so 16 rows by 1024 / 16 columns. Its
 * rows start at each tile's left edge, which the rounding can tell. */
#define TILE_PIXELS 1024
#define TILE_ROWS 16

static double uniform(double a, double b, double u)
{
	return a + (b - a) * u;
}

/* c = a b: each entry a fused multiply-add chain over k in order, as
 * OpenBLAS's sgemm rounds behind numpy's float32 matmul. */
static void matmul3(const float a[9], const float b[9], float c[9])
{
	float t[9];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			t[3 * i + j] = fmaf(a[3 * i + 2], b[6 + j], fmaf(a[3 * i + 1], b[3 + j], a[3 * i] * b[j]));
	memcpy(c, t, sizeof t);
}

void ul_perspective_warp(const struct ul_perspective *p, int in_w, int in_h, int out_w, int out_h,
			 const double u[UL_PERSPECTIVE_DRAWS], struct ul_warp *w)
{
	float C[9] = { 1, 0, (float)(-in_w / 2.0), 0, 1, (float)(-in_h / 2.0), 0, 0, 1 };
	float P[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, R[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	float S[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, T[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	P[6] = (float)uniform(-p->perspective, p->perspective, u[0]);
	P[7] = (float)uniform(-p->perspective, p->perspective, u[1]);
	double a = uniform(-p->degrees, p->degrees, u[2]) * (M_PI / 180);  /* getRotationMatrix2D's radians */
	double s = uniform(1 - p->scale, 1 + p->scale, u[3]);
	R[0] = R[4] = (float)(cos(a) * s);
	R[1] = (float)(sin(a) * s);
	R[3] = -R[1];
	S[1] = (float)tan(uniform(-p->shear, p->shear, u[4]) * M_PI / 180);
	S[3] = (float)tan(uniform(-p->shear, p->shear, u[5]) * M_PI / 180);
	T[2] = (float)(uniform(0.5 - p->translate, 0.5 + p->translate, u[6]) * out_w);
	T[5] = (float)(uniform(0.5 - p->translate, 0.5 + p->translate, u[7]) * out_h);
	matmul3(T, S, w->m);
	matmul3(w->m, R, w->m);
	matmul3(w->m, P, w->m);
	matmul3(w->m, C, w->m);
	w->projective = p->perspective != 0;
	w->scale = s;
	w->out_w = out_w, w->out_h = out_h;
}

/* cvRound: to nearest, ties to even; a value past int gives INT_MIN, as the
 * SSE2 conversion OpenCV rounds with does. */
static int cv_round(double v)
{
	double r = nearbyint(v);
	return r >= INT_MIN && r <= INT_MAX ? (int)r : INT_MIN;
}

static int saturate_short(long long v)
{
	return v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : (int)v;
}

/* One row of source positions in 1/32 pixel, as OpenCV hands them to remap. */
struct positions {
	long long *x, *y;
};

/* warpAffine: M inverted as OpenCV inverts it, then each position in
 * integers, x's part rounded once per column and y's once per row, both in
 * 1/1024 pixel, and cut to 1/32 with half of that added. Here and in the
 * perspective path every double product rounds on its own, as in OpenCV's
 * build: gcc in ISO C mode fuses none into a multiply-add. */
struct affine {
	double m[6];
	int *dx, *dy;  /* per column */
};

static void affine_plan(const float *m, int out_w, struct affine *a)
{
	double *im = a->m;
	for (int i = 0; i < 6; i++)
		im[i] = m[i];
	double d = im[0] * im[4] - im[1] * im[3];
	d = d != 0 ? 1. / d : 0;
	double a11 = im[4] * d, a22 = im[0] * d;
	im[0] = a11, im[1] *= -d, im[3] *= -d, im[4] = a22;
	double b1 = -im[0] * im[2] - im[1] * im[5], b2 = -im[3] * im[2] - im[4] * im[5];
	im[2] = b1, im[5] = b2;
	for (int x = 0; x < out_w; x++) {
		a->dx[x] = cv_round(im[0] * x * AB_ONE);
		a->dy[x] = cv_round(im[3] * x * AB_ONE);
	}
}

/* A row's start in 1/1024 pixel, half of 1/32 added: b y + c for x or y. */
static long long affine_start(double b, double c, int y)
{
	return cv_round((b * y + c) * AB_ONE) + AB_ONE / INTER_ONE / 2;
}

static void affine_row(const struct affine *a, int y, int out_w, struct positions *p)
{
	long long x0 = affine_start(a->m[1], a->m[2], y), y0 = affine_start(a->m[4], a->m[5], y);
	for (int x = 0; x < out_w; x++) {
		p->x[x] = (x0 + a->dx[x]) >> (AB_BITS - INTER_BITS);
		p->y[x] = (y0 + a->dy[x]) >> (AB_BITS - INTER_BITS);
	}
}

/* std::max(INT_MIN, std::min(INT_MAX, v)), the order of its comparisons kept. */
static double int_range(double v)
{
	v = v < INT_MAX ? v : INT_MAX;
	return INT_MIN < v ? v : INT_MIN;
}

/* warpPerspective: M inverted by cv::invert (a 3x3 in double, by its
 * cofactors), each position in double, from the left edge of its tile. */
static void perspective_plan(const float *m, double im[9])
{
	double a[9];
	for (int i = 0; i < 9; i++)
		a[i] = m[i];
	double d = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
		   a[2] * (a[3] * a[7] - a[4] * a[6]);
	if (d == 0) {
		memset(im, 0, 9 * sizeof *im);  /* cv::invert's answer for a singular matrix */
		return;
	}
	d = 1. / d;
	im[0] = (a[4] * a[8] - a[5] * a[7]) * d;
	im[1] = (a[2] * a[7] - a[1] * a[8]) * d;
	im[2] = (a[1] * a[5] - a[2] * a[4]) * d;
	im[3] = (a[5] * a[6] - a[3] * a[8]) * d;
	im[4] = (a[0] * a[8] - a[2] * a[6]) * d;
	im[5] = (a[2] * a[3] - a[0] * a[5]) * d;
	im[6] = (a[3] * a[7] - a[4] * a[6]) * d;
	im[7] = (a[1] * a[6] - a[0] * a[7]) * d;
	im[8] = (a[0] * a[4] - a[1] * a[3]) * d;
}

static void perspective_row(const double m[9], int y, int out_w, int out_h, struct positions *p)
{
	int rows = out_h < TILE_ROWS ? out_h : TILE_ROWS;
	int tile_w = TILE_PIXELS / rows < out_w ? TILE_PIXELS / rows : out_w;
	for (int left = 0; left < out_w; left += tile_w) {
		double x0 = m[0] * left + m[1] * y + m[2];
		double y0 = m[3] * left + m[4] * y + m[5];
		double w0 = m[6] * left + m[7] * y + m[8];
		for (int x = 0; x < tile_w && left + x < out_w; x++) {
			double w = w0 + m[6] * x;
			w = w != 0 ? INTER_ONE / w : 0;
			p->x[left + x] = cv_round(int_range((x0 + m[0] * x) * w));
			p->y[left + x] = cv_round(int_range((y0 + m[3] * x) * w));
		}
	}
}

/* remap's bilinear step for one pixel at (px, py) in 1/32 pixel: the four
 * pixels around it, those outside the image the border grey, weighted by
 * products of the 1/32 fractions and rounded off. OpenCV holds the weights
 * in 1/32768 and rounds (32 S + 16384) >> 15, which is (S + 512) >> 10 over
 * these 1/1024 weights; its table's first entry, 32767 0 0 1 to fit a
 * short, gives what 32768 0 0 0 would. */
static void sample_pixel(const struct ul_image *src, long long px, long long py, unsigned char *out)
{
	static const unsigned char grey[3] = { UL_LETTERBOX_PAD, UL_LETTERBOX_PAD, UL_LETTERBOX_PAD };
	int sx = saturate_short(px >> INTER_BITS), sy = saturate_short(py >> INTER_BITS);
	int fx = (int)(px & (INTER_ONE - 1)), fy = (int)(py & (INTER_ONE - 1));
	int w00 = (INTER_ONE - fx) * (INTER_ONE - fy), w01 = fx * (INTER_ONE - fy);
	int w10 = (INTER_ONE - fx) * fy, w11 = fx * fy;
	const unsigned char *tap[4];
	for (int k = 0; k < 4; k++) {
		int tx = sx + (k & 1), ty = sy + (k >> 1);
		tap[k] = tx >= 0 && tx < src->w && ty >= 0 && ty < src->h ? src->rgb + ((size_t)ty * src->w + tx) * 3 : grey;
	}
	for (int c = 0; c < 3; c++)
		out[c] = (unsigned char)((tap[0][c] * w00 + tap[1][c] * w01 + tap[2][c] * w10 + tap[3][c] * w11 +
					  INTER_ONE * INTER_ONE / 2) >> (2 * INTER_BITS));
}

static void sample_row(const struct ul_image *src, const struct positions *p, int out_w, unsigned char *out)
{
	size_t stride = (size_t)src->w * 3;
	for (int x = 0; x < out_w; x++, out += 3) {
		int sx = saturate_short(p->x[x] >> INTER_BITS), sy = saturate_short(p->y[x] >> INTER_BITS);
		if (!(sx >= 0 && sx + 1 < src->w && sy >= 0 && sy + 1 < src->h)) {
			sample_pixel(src, p->x[x], p->y[x], out);
			continue;
		}
		/* the four taps inside the image, as almost all are */
		int fx = (int)(p->x[x] & (INTER_ONE - 1)), fy = (int)(p->y[x] & (INTER_ONE - 1));
		int w00 = (INTER_ONE - fx) * (INTER_ONE - fy), w01 = fx * (INTER_ONE - fy);
		int w10 = (INTER_ONE - fx) * fy, w11 = fx * fy;
		const unsigned char *t = src->rgb + (size_t)sy * stride + (size_t)sx * 3;
		for (int c = 0; c < 3; c++)
			out[c] = (unsigned char)((t[c] * w00 + t[c + 3] * w01 + t[stride + c] * w10 + t[stride + c + 3] * w11 +
						  INTER_ONE * INTER_ONE / 2) >> (2 * INTER_BITS));
	}
}

/* Without rotation or shear (the defaults), every output row reads one
 * pair of source rows and every row the same columns. So the taps are
 * weighed across once per source row, for the columns whose taps are all
 * inside (a run, as the columns move one way), kept for the next output
 * row while it reads the same rows, and the sum regrouped as
 * (32 - fy) H(row) + fy H(row + 1): the same integers, added in another
 * order. The rest goes pixel by pixel. */
struct scaled {
	const struct ul_image *src;
	const long long *px;     /* the columns' positions, the same in every row */
	int lo, hi;              /* the run of columns with both taps inside */
	int *tap;                /* per column of the run: its left tap's byte in a row */
	unsigned char *fx;
	uint16_t *h[2];          /* weighed source rows, 3 (hi - lo) each */
	int row[2];              /* which source row each holds, or -1 */
};

static bool scaled_plan(struct scaled *k, const struct ul_image *src, const long long *px, int out_w)
{
	k->src = src, k->px = px, k->lo = out_w, k->hi = out_w;
	for (int x = 0; x < out_w; x++) {
		int sx = saturate_short(px[x] >> INTER_BITS);
		bool in = sx >= 0 && sx + 1 < src->w;
		if (in && k->lo == out_w)
			k->lo = x;
		if (!in && k->lo < out_w && k->hi == out_w)
			k->hi = x;
		if (in && k->hi < out_w)
			return false;  /* a second run: the map is not one of these */
	}
	int n = k->hi - k->lo;
	k->tap = malloc(sizeof *k->tap * (n + 1));
	k->fx = malloc(n + 1);
	k->h[0] = malloc(2 * sizeof **k->h * (3 * (size_t)n + 1));
	if (!k->tap || !k->fx || !k->h[0]) {
		free(k->tap), free(k->fx), free(k->h[0]);
		return false;
	}
	k->h[1] = k->h[0] + 3 * (size_t)n + 1;
	k->row[0] = k->row[1] = -1;
	for (int x = k->lo; x < k->hi; x++) {
		k->tap[x - k->lo] = 3 * saturate_short(px[x] >> INTER_BITS);
		k->fx[x - k->lo] = (unsigned char)(px[x] & (INTER_ONE - 1));
	}
	return true;
}

static void scaled_free(struct scaled *k)
{
	free(k->tap), free(k->fx), free(k->h[0]);
}

/* Source row r weighed across, from the cache when it holds it. */
static const uint16_t *weighed_row(struct scaled *k, int r, int keep)
{
	for (int i = 0; i < 2; i++)
		if (k->row[i] == r)
			return k->h[i];
	int slot = k->row[0] == keep ? 1 : 0;
	const unsigned char *t = k->src->rgb + (size_t)r * k->src->w * 3;
	uint16_t *h = k->h[slot];
	for (int x = 0; x < k->hi - k->lo; x++) {
		const unsigned char *p = t + k->tap[x];
		int b = k->fx[x], a = INTER_ONE - b;
		for (int c = 0; c < 3; c++)
			h[3 * x + c] = (uint16_t)(p[c] * a + p[c + 3] * b);
	}
	k->row[slot] = r;
	return h;
}

static void scaled_row(struct scaled *k, long long py, int out_w, unsigned char *out)
{
	int sy = saturate_short(py >> INTER_BITS), fy = (int)(py & (INTER_ONE - 1));
	int lo = k->lo, hi = k->hi;
	if (!(sy >= 0 && sy + 1 < k->src->h))
		lo = hi = out_w;
	for (int x = 0; x < out_w; x++)
		if (x < lo || x >= hi)
			sample_pixel(k->src, k->px[x], py, out + 3 * (size_t)x);
	if (lo == hi)
		return;
	const uint16_t *h0 = weighed_row(k, sy, sy + 1), *h1 = weighed_row(k, sy + 1, sy);
	unsigned a = INTER_ONE - fy, b = fy;
	unsigned char *o = out + 3 * (size_t)lo;
	for (int i = 0; i < 3 * (hi - lo); i++)
		o[i] = (unsigned char)((a * h0[i] + b * h1[i] + INTER_ONE * INTER_ONE / 2) >> (2 * INTER_BITS));
}

int ul_warp_image(const struct ul_image *src, const struct ul_warp *w, struct ul_image *dst)
{
	size_t n = (size_t)w->out_w;
	unsigned char *rgb = malloc(n * w->out_h * 3);
	long long *xy = malloc(2 * n * sizeof *xy);
	int *deltas = malloc(2 * n * sizeof *deltas);
	if (!rgb || !xy || !deltas) {
		free(rgb), free(xy), free(deltas);
		return -1;
	}
	struct positions p = { xy, xy + n };
	struct affine a = { .dx = deltas, .dy = deltas + n };
	double pm[9];
	struct scaled k;
	bool scaled = false;
	if (w->projective) {
		perspective_plan(w->m, pm);
	} else {
		affine_plan(w->m, w->out_w, &a);
		if (a.m[1] == 0 && a.m[3] == 0) {
			affine_row(&a, 0, w->out_w, &p);  /* x's part of a position is then the same in every row */
			scaled = scaled_plan(&k, src, p.x, w->out_w);
		}
	}
	for (int y = 0; y < w->out_h; y++) {
		unsigned char *row = rgb + (size_t)y * n * 3;
		if (w->projective) {
			perspective_row(pm, y, w->out_w, w->out_h, &p);
		} else if (scaled) {
			scaled_row(&k, affine_start(a.m[4], a.m[5], y) >> (AB_BITS - INTER_BITS), w->out_w, row);
			continue;
		} else {
			affine_row(&a, y, w->out_w, &p);
		}
		sample_row(src, &p, w->out_w, row);
	}
	if (scaled)
		scaled_free(&k);
	free(xy), free(deltas);
	*dst = (struct ul_image){ w->out_w, w->out_h, rgb };
	return 0;
}

/* (x, y, 1) through M as numpy's float32 row-times-M.T rounds it (matmul3's
 * chains), divided by its third coordinate when divide is set. */
static void map_point(const float m[9], bool divide, float *xy)
{
	float x = xy[0], y = xy[1];
	float px = fmaf(y, m[1], x * m[0]) + m[2], py = fmaf(y, m[4], x * m[3]) + m[5];
	if (divide) {
		float pw = fmaf(y, m[7], x * m[6]) + m[8];
		px /= pw, py /= pw;
	}
	xy[0] = px, xy[1] = py;
}

static void map_box(const float m[9], bool divide, float *box)
{
	float corner[4][2] = { { box[0], box[1] }, { box[2], box[3] }, { box[0], box[3] }, { box[2], box[1] } };
	for (int k = 0; k < 4; k++)
		map_point(m, divide, corner[k]);
	box[0] = box[2] = corner[0][0], box[1] = box[3] = corner[0][1];
	for (int k = 1; k < 4; k++) {
		box[0] = fminf(box[0], corner[k][0]), box[2] = fmaxf(box[2], corner[k][0]);
		box[1] = fminf(box[1], corner[k][1]), box[3] = fmaxf(box[3], corner[k][1]);
	}
}

/* cv2.pointPolygonTest(contour, p, measureDist=False) >= 0: inside or on an
 * edge, by OpenCV's crossing count with its float differences. */
static bool in_polygon(const float *xy, int n, float px, float py)
{
	int crossings = 0;
	const float *v = xy + 2 * (n - 1);
	for (int i = 0; i < n; i++) {
		const float *v0 = v;
		v = xy + 2 * i;
		if ((v0[1] <= py && v[1] <= py) || (v0[1] > py && v[1] > py) || (v0[0] < px && v[0] < px)) {
			if (py == v[1] && (px == v[0] || (py == v0[1] && ((v0[0] <= px && px <= v[0]) || (v[0] <= px && px <= v0[0])))))
				return true;
			continue;
		}
		double dist = (double)(py - v0[1]) * (v[0] - v0[0]) - (double)(px - v0[0]) * (v[1] - v0[1]);
		if (dist == 0)
			return true;
		crossings += (v[1] < v0[1] ? -dist : dist) > 0;
	}
	return crossings % 2 == 1;
}

/* The min and max of the points given it; all 0 until the first. */
struct extent {
	bool any;
	float box[4];
};

static void extend(struct extent *e, float x, float y)
{
	if (!e->any) {
		e->any = true;
		e->box[0] = e->box[2] = x, e->box[1] = e->box[3] = y;
		return;
	}
	e->box[0] = fminf(e->box[0], x), e->box[2] = fmaxf(e->box[2], x);
	e->box[1] = fminf(e->box[1], y), e->box[3] = fmaxf(e->box[3], y);
}

static bool inside(float x, float y, float w, float h)
{
	return x >= 0 && y >= 0 && x <= w && y <= h;
}

/* segment2box: the box of the polygon's part in the frame w x h. */
static void segment_box(const float *xy, int n, float w, float h, float box[4])
{
	struct extent all = { 0 }, seen = { 0 };
	for (int i = 0; i < n; i++)
		extend(&all, xy[2 * i], xy[2 * i + 1]);
	if (inside(all.box[0], all.box[1], w, h) && inside(all.box[2], all.box[3], w, h)) {
		memcpy(box, all.box, sizeof all.box);
		return;
	}
	const float side[4] = { 0, w, 0, h }, other_max[4] = { h, h, w, w };
	for (int i = 0; i < n; i++) {
		const float *a = xy + 2 * i, *b = xy + 2 * ((i + 1) % n);
		float delta[2] = { b[0] - a[0], b[1] - a[1] };
		if (inside(a[0], a[1], w, h))
			extend(&seen, a[0], a[1]);
		for (int k = 0; k < 4; k++) {
			int axis = k / 2;
			if (delta[axis] == 0)  /* t would be infinite or NaN, never in [0, 1] */
				continue;
			float t = (side[k] - a[axis]) / delta[axis];
			float cross[2] = { a[0] + t * delta[0], a[1] + t * delta[1] };
			float other = cross[1 - axis];
			if (t >= 0 && t <= 1 && other >= 0 && other <= other_max[k])
				extend(&seen, cross[0], cross[1]);
		}
	}
	const float corner[4][2] = { { 0, 0 }, { w, 0 }, { 0, h }, { w, h } };
	for (int k = 0; k < 4; k++)
		if (in_polygon(xy, n, corner[k][0], corner[k][1]))
			extend(&seen, corner[k][0], corner[k][1]);
	memcpy(box, seen.box, sizeof seen.box);
}

/* box_candidates(box1 = before scaled by s, box2 = after), in float32 as
 * numpy computes it. */
static bool candidate(const float before[4], float s, const float after[4], float area_thr)
{
	const float eps = 1e-16f;
	float w0 = before[2] * s - before[0] * s, h0 = before[3] * s - before[1] * s;
	float w = after[2] - after[0], h = after[3] - after[1];
	float ar = fmaxf(w / (h + eps), h / (w + eps));
	return w > 2 && h > 2 && w * h / (w0 * h0 + eps) > area_thr && ar < 100;
}

static bool identity(const float m[9])
{
	for (int i = 0; i < 9; i++)
		if (m[i] != (i % 4 == 0))
			return false;
	return true;
}

/* The instances through the map, then clipped to the frame. */
static void map_instances(struct ul_sample *s, const struct ul_warp *w)
{
	float fw = (float)w->out_w, fh = (float)w->out_h;
	size_t sp = 2 * (size_t)s->seg_points, kp = (size_t)s->kpt_count * s->kpt_dims;
	for (int i = 0; i < s->n; i++) {
		float *box = s->boxes + 4 * (size_t)i;
		map_box(w->m, w->projective, box);
		if (s->seg_points > 0) {
			float *xy = s->segments + sp * i;
			for (size_t k = 0; k < sp; k += 2)
				map_point(w->m, true, xy + k);
			segment_box(xy, s->seg_points, fw, fh, box);
			for (size_t k = 0; k < sp; k += 2)
				xy[k] = fminf(fmaxf(xy[k], box[0]), box[2]), xy[k + 1] = fminf(fmaxf(xy[k + 1], box[1]), box[3]);
		}
		for (size_t k = 0; k < kp; k += (size_t)s->kpt_dims)
			map_point(w->m, true, s->keypoints + kp * i + k);
	}
	ul_sample_clip(s, fw, fh);  /* also hides the keypoints outside, as apply_keypoints does */
}

int ul_perspective_apply(struct ul_sample *s, const struct ul_warp *w)
{
	size_t n = (size_t)s->n;
	float *before = malloc(4 * sizeof *before * (n + 1));  /* + 1: never malloc(0) */
	bool *keep = malloc(sizeof *keep * (n + 1));
	struct ul_image img = s->img;
	bool warp = w->out_w != s->img.w || w->out_h != s->img.h || !identity(w->m);
	if (!before || !keep || (warp && ul_warp_image(&s->img, w, &img))) {
		free(before), free(keep);
		return -1;
	}
	if (warp) {
		ul_image_free(&s->img);
		s->img = img;
	}
	if (n > 0) {
		memcpy(before, s->boxes, 4 * sizeof *before * n);
		map_instances(s, w);
		float area_thr = s->seg_points > 0 ? 0.01f : 0.10f;
		for (size_t i = 0; i < n; i++)
			keep[i] = candidate(before + 4 * i, (float)w->scale, s->boxes + 4 * i, area_thr);
		ul_sample_keep(s, keep);
	}
	free(before), free(keep);
	return 0;
}

int ul_random_perspective(struct ul_sample *s, const struct ul_perspective *p, int out_w, int out_h, uint64_t *rng)
{
	double u[UL_PERSPECTIVE_DRAWS];
	for (int i = 0; i < UL_PERSPECTIVE_DRAWS; i++)
		u[i] = ul_random_unit(rng);
	struct ul_warp w;
	ul_perspective_warp(p, s->img.w, s->img.h, out_w, out_h, u, &w);
	return ul_perspective_apply(s, &w);
}
