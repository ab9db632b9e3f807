/* Linear and the global average pool against their definitions summed in
 * double, and every gradient against finite differences.
 * Tolerance: relative 1e-4 for Linear's forward pass (float GEMM against a
 * double sum), 1e-5 for the pool's mean, 2e-3 for gradients (float central
 * differences). */
#include <math.h>

#include "nn/linear.h"
#include "numeric.h"
#include "tap.h"

/* The inputs of one op and L = sum(y * r) over its output. */
struct probe {
	const void *shape;
	float *x, *weight, *bias;
	const float *r;
	float *y;
	size_t ny;
	int pool;   /* the op: 1 the global pool, 0 Linear */
};

static double loss(void *ctx)
{
	const struct probe *pr = ctx;
	if (pr->pool)
		ul_global_avgpool_forward(pr->shape, pr->x, pr->y);
	else
		ul_linear_forward(pr->shape, pr->x, pr->weight, pr->bias, pr->y);
	return dot(pr->y, pr->r, pr->ny);
}

static void linear(struct ul_linear l, int with_bias, const char *name)
{
	size_t nx = (size_t)l.n * l.in, nw = (size_t)l.out * l.in, ny = (size_t)l.n * l.out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *bias = with_bias ? randoms((size_t)l.out, 0, 1) : NULL, *r = randoms(ny, 0, 1);
	float *y = malloc(sizeof *y * ny), *dx = malloc(sizeof *dx * nx), *dw = calloc(nw, sizeof *dw);
	float *db = with_bias ? calloc((size_t)l.out, sizeof *db) : NULL;

	ul_linear_forward(&l, x, w, bias, y);
	double worst = 0;
	for (int b = 0; b < l.n; b++)
		for (int o = 0; o < l.out; o++) {
			double want = bias ? bias[o] : 0;
			for (int i = 0; i < l.in; i++)
				want += (double)x[(size_t)b * l.in + i] * w[(size_t)o * l.in + i];
			worst = worse(worst, fabs(y[(size_t)b * l.out + o] - want) / fmax(1.0, fabs(want)));
		}
	ok(worst < 1e-4, "%s: forward matches the direct sum (worst %.2g)", name, worst);

	/* dL/dy = r; dx is overwritten, never added to */
	for (size_t i = 0; i < nx; i++)
		dx[i] = NAN;
	ul_linear_backward(&l, x, w, r, dx, dw, db);
	struct probe pr = { &l, x, w, bias, r, y, ny, 0 };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, w, dw, nw) < 2e-3, "%s: dweight matches finite differences", name);
	if (bias)
		ok(fd_worst(loss, &pr, bias, db, (size_t)l.out) < 2e-3, "%s: dbias matches finite differences", name);

	/* gradients accumulate: a second backward doubles dweight and dbias */
	float first_w = dw[nw - 1], first_b = bias ? db[0] : 0;
	ul_linear_backward(&l, x, w, r, NULL, dw, db);
	ok(fabsf(dw[nw - 1] - 2 * first_w) <= 1e-5f * fmaxf(1.0f, fabsf(first_w)) &&
	   (!bias || fabsf(db[0] - 2 * first_b) <= 1e-5f * fmaxf(1.0f, fabsf(first_b))),
	   "%s: dweight and dbias accumulate", name);
	free(x), free(w), free(bias), free(r), free(y), free(dx), free(dw), free(db);
}

static void avgpool(struct ul_global_avgpool p, const char *name)
{
	size_t pixels = (size_t)p.h * p.w, nx = p.n * pixels * p.c, ny = (size_t)p.n * p.c;
	float *x = randoms(nx, 0, 1), *r = randoms(ny, 0, 1), *y = malloc(sizeof *y * ny), *dx = malloc(sizeof *dx * nx);

	ul_global_avgpool_forward(&p, x, y);
	double worst = 0;
	for (int b = 0; b < p.n; b++)
		for (int ch = 0; ch < p.c; ch++) {
			double want = 0;
			for (size_t q = 0; q < pixels; q++)
				want += x[((size_t)b * pixels + q) * p.c + ch];
			want /= (double)pixels;
			worst = worse(worst, fabs(y[(size_t)b * p.c + ch] - want) / fmax(1.0, fabs(want)));
		}
	ok(worst < 1e-5, "%s: forward matches the mean (worst %.2g)", name, worst);

	for (size_t i = 0; i < nx; i++)
		dx[i] = NAN;
	ul_global_avgpool_backward(&p, r, dx);
	struct probe pr = { &p, x, NULL, NULL, r, y, ny, 1 };
	worst = fd_worst(loss, &pr, x, dx, nx);
	ok(worst < 2e-3, "%s: dx matches finite differences (worst %.2g)", name, worst);
	free(x), free(r), free(y), free(dx);
}

int main(void)
{
	linear((struct ul_linear){ .n = 4, .in = 5, .out = 3 }, 1, "4x5 -> 3");
	linear((struct ul_linear){ .n = 1, .in = 7, .out = 1 }, 1, "one row, one output");
	linear((struct ul_linear){ .n = 3, .in = 2, .out = 64 }, 1, "RealNVP's first layer");
	linear((struct ul_linear){ .n = 5, .in = 64, .out = 2 }, 1, "RealNVP's last layer");
	linear((struct ul_linear){ .n = 2, .in = 6, .out = 5 }, 0, "no bias");
	avgpool((struct ul_global_avgpool){ .n = 2, .h = 3, .w = 5, .c = 4 }, "pool 3x5, odd size");
	avgpool((struct ul_global_avgpool){ .n = 1, .h = 1, .w = 1, .c = 3 }, "pool 1x1, a copy");
	avgpool((struct ul_global_avgpool){ .n = 1, .h = 7, .w = 7, .c = 2 }, "pool 7x7");
	return done_testing();
}
