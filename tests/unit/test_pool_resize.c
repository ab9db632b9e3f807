/* MaxPool2d and nearest Upsample against their definitions, and their
 * gradients against finite differences.
 * Tolerance: forward passes are exact (they only select and copy floats);
 * gradients relative 1e-3 (float central differences of a loss that is
 * linear near the point). The maxpool inputs are distinct values at least
 * 0.05 apart, so a step of 3e-3 never changes which one wins; ties, -inf and
 * NaN get their own tests with hand-worked expectations. */
#include <math.h>
#include <stdint.h>

#include "nn/maxpool.h"
#include "nn/upsample.h"
#include "numeric.h"
#include "tap.h"

/* n values 0.05 apart, shuffled (Fisher-Yates): no two within 2 * eps. */
static float *distinct(size_t n)
{
	float *p = malloc(sizeof *p * n);
	for (size_t i = 0; i < n; i++)
		p[i] = 0.05f * ((float)i - (float)n / 2);
	for (size_t i = n; i > 1; i--) {
		size_t j = random_bits() % i;
		float t = p[i - 1];
		p[i - 1] = p[j], p[j] = t;
	}
	return p;
}

/* A loss L = sum(y * r) over some op, for the gradient checks. */
struct probe {
	double (*loss)(struct probe *);  /* the op under test, then dot() */
	const void *shape;
	float *x, *y, *r;
	int32_t *argmax;
	size_t ny;
};

static double probe_loss(void *ctx)
{
	struct probe *pr = ctx;
	return pr->loss(pr);
}

static double maxpool_loss(struct probe *pr)
{
	ul_maxpool_forward(pr->shape, pr->x, pr->y, pr->argmax);
	return dot(pr->y, pr->r, pr->ny);
}

static void maxpool(struct ul_maxpool p, const char *name)
{
	int oh = ul_maxpool_out_h(&p), ow = ul_maxpool_out_w(&p);
	size_t nx = (size_t)p.n * p.h * p.w * p.c, ny = (size_t)p.n * oh * ow * p.c;
	float *x = distinct(nx), *r = randoms(ny, 0, 1), *y = malloc(sizeof *y * ny), *y2 = malloc(sizeof *y2 * ny);
	float *dx = malloc(sizeof *dx * nx);
	int32_t *argmax = malloc(sizeof *argmax * ny);

	ul_maxpool_forward(&p, x, y, argmax);
	int wrong = 0;
	for (int b = 0; b < p.n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int ch = 0; ch < p.c; ch++) {
					/* the definition: the largest real pixel of the window */
					float want = -INFINITY;
					int want_at = -1;
					for (int iy = oy * p.stride - p.pad; iy < oy * p.stride - p.pad + p.k; iy++)
						for (int ix = ox * p.stride - p.pad; ix < ox * p.stride - p.pad + p.k; ix++) {
							if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w)
								continue;
							float v = x[(((size_t)b * p.h + iy) * p.w + ix) * p.c + ch];
							if (want_at < 0 || v > want)
								want = v, want_at = iy * p.w + ix;
						}
					size_t o = (((size_t)b * oh + oy) * ow + ox) * p.c + ch;
					wrong += y[o] != want || argmax[o] != want_at;
				}
	is_int(wrong, 0, "%s: forward and argmax match the definition", name);
	ul_maxpool_forward(&p, x, y2, NULL);
	ok(memcmp(y, y2, sizeof *y * ny) == 0, "%s: forward without argmax gives the same y", name);

	for (size_t i = 0; i < nx; i++)
		dx[i] = NAN;  /* overwritten, never added to */
	ul_maxpool_backward(&p, argmax, r, dx);
	struct probe pr = { maxpool_loss, &p, x, y, r, argmax, ny };
	double worst = fd_worst(probe_loss, &pr, pr.x, dx, nx);
	ok(worst < 1e-3, "%s: dx matches finite differences (worst %.2g)", name, worst);
	free(x), free(r), free(y), free(y2), free(dx), free(argmax);
}

/* Ties, all -inf and NaN, whose routing follows PyTorch's scan. */
static void maxpool_ties(void)
{
	/* all equal, k 3 s 1 p 1: each window's first real pixel wins, so
	 * output (oy, ox) routes to (max(oy - 1, 0), max(ox - 1, 0)) and a
	 * dy of ones gives row counts 2 1 1 0 times column counts 2 1 1 0 */
	struct ul_maxpool p = { .n = 1, .h = 4, .w = 4, .c = 2, .k = 3, .stride = 1, .pad = 1 };
	float x[32], y[32], dy[32], dx[32];
	int32_t argmax[32];
	for (int i = 0; i < 32; i++)
		x[i] = i % 2 ? -3.0f : 0.5f, dy[i] = 1.0f;
	ul_maxpool_forward(&p, x, y, argmax);
	ul_maxpool_backward(&p, argmax, dy, dx);
	static const float counts[4] = { 2, 1, 1, 0 };
	int wrong = 0;
	for (int oy = 0; oy < 4; oy++)
		for (int ox = 0; ox < 4; ox++)
			for (int ch = 0; ch < 2; ch++) {
				int o = (oy * 4 + ox) * 2 + ch;
				wrong += y[o] != x[ch] || argmax[o] != (oy > 0 ? oy - 1 : 0) * 4 + (ox > 0 ? ox - 1 : 0);
				wrong += dx[o] != counts[oy] * counts[ox];
			}
	is_int(wrong, 0, "tie: every window routes to its first pixel in scan order");

	/* one window with three equal maxima: the first, index 1, takes dy */
	struct ul_maxpool one = { .n = 1, .h = 3, .w = 3, .c = 1, .k = 3, .stride = 1, .pad = 0 };
	float x9[9] = { 0, 5, 5, 5, 1, 2, 3, 4, 5 }, dx9[9], g = 2.5f;
	ul_maxpool_forward(&one, x9, y, argmax);
	ul_maxpool_backward(&one, argmax, &g, dx9);
	ok(y[0] == 5 && argmax[0] == 1, "tie: the first of three maxima wins");
	wrong = 0;
	for (int i = 0; i < 9; i++)
		wrong += dx9[i] != (i == 1 ? g : 0.0f);
	is_int(wrong, 0, "tie: dy goes to the winner only, dx is zero elsewhere");

	/* all -inf: y is -inf and the gradient still lands on a real pixel,
	 * the window's first, as in PyTorch */
	struct ul_maxpool edge = { .n = 1, .h = 2, .w = 3, .c = 1, .k = 5, .stride = 1, .pad = 2 };
	float inf6[6];
	for (int i = 0; i < 6; i++)
		inf6[i] = -INFINITY;
	ul_maxpool_forward(&edge, inf6, y, argmax);
	wrong = 0;
	for (int i = 0; i < 6; i++)
		wrong += y[i] != -INFINITY || argmax[i] != 0;
	is_int(wrong, 0, "-inf input: y -inf, routed to the window's first real pixel");

	/* NaN wins over any number, the last NaN over an earlier one */
	struct ul_maxpool two = { .n = 1, .h = 2, .w = 2, .c = 1, .k = 2, .stride = 1, .pad = 0 };
	float xn[4] = { 1, NAN, 3, NAN };
	ul_maxpool_forward(&two, xn, y, argmax);
	ok(isnan(y[0]) && argmax[0] == 3, "NaN propagates, routed to the last NaN");
}

static double upsample_loss(struct probe *pr)
{
	ul_upsample_forward(pr->shape, pr->x, pr->y);
	return dot(pr->y, pr->r, pr->ny);
}

static void upsample(struct ul_upsample u, const char *name)
{
	int f = u.factor, oh = u.h * f, ow = u.w * f;
	size_t nx = (size_t)u.n * u.h * u.w * u.c, ny = (size_t)u.n * oh * ow * u.c;
	float *x = randoms(nx, 0, 1), *r = randoms(ny, 0, 1), *y = malloc(sizeof *y * ny), *dx = malloc(sizeof *dx * nx);

	ul_upsample_forward(&u, x, y);
	int wrong = 0;
	for (int b = 0; b < u.n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int ch = 0; ch < u.c; ch++)
					wrong += y[(((size_t)b * oh + oy) * ow + ox) * u.c + ch] !=
						 x[(((size_t)b * u.h + oy / f) * u.w + ox / f) * u.c + ch];
	is_int(wrong, 0, "%s: forward matches the definition", name);

	for (size_t i = 0; i < nx; i++)
		dx[i] = NAN;  /* overwritten, never added to */
	ul_upsample_backward(&u, r, dx);
	double worst = 0;
	for (int b = 0; b < u.n; b++)
		for (int iy = 0; iy < u.h; iy++)
			for (int ix = 0; ix < u.w; ix++)
				for (int ch = 0; ch < u.c; ch++) {
					double want = 0;
					for (int i = 0; i < f; i++)
						for (int j = 0; j < f; j++)
							want += r[(((size_t)b * oh + iy * f + i) * ow + ix * f + j) * u.c + ch];
					double got = dx[(((size_t)b * u.h + iy) * u.w + ix) * u.c + ch];
					worst = worse(worst, fabs(got - want) / fmax(1.0, fabs(want)));
				}
	ok(worst < 1e-6, "%s: dx is the sum over each block (worst %.2g)", name, worst);
	struct probe pr = { upsample_loss, &u, x, y, r, NULL, ny };
	worst = fd_worst(probe_loss, &pr, pr.x, dx, nx);
	ok(worst < 1e-3, "%s: dx matches finite differences (worst %.2g)", name, worst);
	free(x), free(r), free(y), free(dx);
}

int main(void)
{
	maxpool((struct ul_maxpool){ .n = 2, .h = 7, .w = 6, .c = 3, .k = 5, .stride = 1, .pad = 2 }, "SPPF k5 s1 p2");
	maxpool((struct ul_maxpool){ .n = 1, .h = 7, .w = 7, .c = 4, .k = 3, .stride = 2, .pad = 1 }, "k3 s2 p1, odd size");
	maxpool((struct ul_maxpool){ .n = 2, .h = 5, .w = 7, .c = 2, .k = 2, .stride = 2, .pad = 0 }, "k2 s2, odd size drops the edge");
	maxpool((struct ul_maxpool){ .n = 1, .h = 6, .w = 5, .c = 3, .k = 3, .stride = 1, .pad = 0 }, "k3 s1, no padding");
	maxpool((struct ul_maxpool){ .n = 1, .h = 2, .w = 3, .c = 2, .k = 5, .stride = 1, .pad = 2 }, "k5 p2 on 2x3, mostly padding");
	maxpool((struct ul_maxpool){ .n = 1, .h = 3, .w = 3, .c = 2, .k = 1, .stride = 1, .pad = 0 }, "k1, identity");
	maxpool_ties();
	upsample((struct ul_upsample){ .n = 2, .h = 3, .w = 5, .c = 3, .factor = 2 }, "x2, odd size");
	upsample((struct ul_upsample){ .n = 1, .h = 2, .w = 3, .c = 2, .factor = 4 }, "x4 (Proto26)");
	upsample((struct ul_upsample){ .n = 1, .h = 1, .w = 1, .c = 5, .factor = 3 }, "x3 from 1x1");
	upsample((struct ul_upsample){ .n = 1, .h = 4, .w = 3, .c = 1, .factor = 1 }, "x1, identity");
	return done_testing();
}
