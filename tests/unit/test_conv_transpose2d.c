/* ConvTranspose2d against the direct definition, and its gradients against
 * finite differences: k = 2 s = 2 as Proto26 uses it, overlapping blocks
 * (k > s), gaps (s > k), 1x1 and a batch. Tolerance: relative 1e-4 for the
 * forward pass (float GEMM against a double sum), 2e-3 for gradients (float
 * central differences). */
#include <math.h>

#include "nn/conv_transpose2d.h"
#include "numeric.h"
#include "tap.h"

/* PyTorch's definition, summed in double: input pixel (iy, ix) reaches
 * output (iy s + ky, ix s + kx) through weight[c][o][ky][kx]. */
static double direct(const struct ul_conv_transpose2d *c, const float *x, const float *w, const float *bias, int b,
		     int oy, int ox, int o)
{
	double sum = bias ? bias[o] : 0;
	for (int ky = 0; ky < c->k; ky++)
		for (int kx = 0; kx < c->k; kx++) {
			int ty = oy - ky, tx = ox - kx;
			if (ty < 0 || tx < 0 || ty % c->stride || tx % c->stride)
				continue;
			int iy = ty / c->stride, ix = tx / c->stride;
			if (iy >= c->h || ix >= c->w)
				continue;
			for (int ci = 0; ci < c->c_in; ci++)
				sum += (double)x[(((size_t)b * c->h + iy) * c->w + ix) * c->c_in + ci] *
				       w[(((size_t)ci * c->c_out + o) * c->k + ky) * c->k + kx];
		}
	return sum;
}

/* L = sum(y * r), the loss of the gradient checks. */
struct probe {
	const struct ul_conv_transpose2d *c;
	float *x, *w, *bias, *y, *ws;
	const float *r;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_conv_transpose2d_forward(p->c, p->x, p->w, p->bias, p->y, p->ws);
	const struct ul_conv_transpose2d *c = p->c;
	return dot(p->y, p->r, (size_t)c->n * ul_conv_transpose2d_out_h(c) * ul_conv_transpose2d_out_w(c) * c->c_out);
}

/* Worst relative difference of y from the definition. */
static double forward_error(const struct ul_conv_transpose2d *c, const float *x, const float *w, const float *bias,
			    const float *y)
{
	int oh = ul_conv_transpose2d_out_h(c), ow = ul_conv_transpose2d_out_w(c);
	double worst = 0;
	for (int b = 0; b < c->n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int o = 0; o < c->c_out; o++) {
					double want = direct(c, x, w, bias, b, oy, ox, o);
					double got = y[(((size_t)b * oh + oy) * ow + ox) * c->c_out + o];
					worst = worse(worst, fabs(got - want) / fmax(1.0, fabs(want)));
				}
	return worst;
}

static void run(struct ul_conv_transpose2d c, const char *name)
{
	size_t nx = (size_t)c.n * c.h * c.w * c.c_in, nw = (size_t)c.c_in * c.c_out * c.k * c.k;
	size_t ny = (size_t)c.n * ul_conv_transpose2d_out_h(&c) * ul_conv_transpose2d_out_w(&c) * c.c_out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *bias = randoms((size_t)c.c_out, 0, 1), *r = randoms(ny, 0, 1);
	float *y = malloc(sizeof *y * ny), *ws = malloc(sizeof *ws * ul_conv_transpose2d_workspace(&c));
	float *dx = malloc(sizeof *dx * nx), *dw = calloc(nw, sizeof *dw), *db = calloc((size_t)c.c_out, sizeof *db);

	ul_conv_transpose2d_forward(&c, x, w, bias, y, ws);
	double worst = forward_error(&c, x, w, bias, y);
	ok(worst < 1e-4, "%s: forward matches the direct sum (worst %.2g)", name, worst);
	ul_conv_transpose2d_forward(&c, x, w, NULL, y, ws);
	worst = forward_error(&c, x, w, NULL, y);
	ok(worst < 1e-4, "%s: forward without bias matches (worst %.2g)", name, worst);

	/* dL/dy = r; NaN first: dx must be written, not added to */
	for (size_t i = 0; i < nx; i++)
		dx[i] = NAN;
	ul_conv_transpose2d_backward(&c, x, w, r, dx, dw, db, ws);
	struct probe pr = { &c, x, w, bias, y, ws, r };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, w, dw, nw) < 2e-3, "%s: dweight matches finite differences", name);
	ok(fd_worst(loss, &pr, bias, db, (size_t)c.c_out) < 2e-3, "%s: dbias matches finite differences",
	   name);

	/* gradients accumulate: a second backward doubles dweight and dbias */
	float first = dw[nw - 1], first_b = db[0];
	ul_conv_transpose2d_backward(&c, x, w, r, NULL, dw, db, ws);
	ok(fabsf(dw[nw - 1] - 2 * first) <= 1e-4f * fmaxf(1.0f, fabsf(first)) &&
	   fabsf(db[0] - 2 * first_b) <= 1e-4f * fmaxf(1.0f, fabsf(first_b)), "%s: dweight and dbias accumulate", name);
	free(x), free(w), free(bias), free(r), free(y), free(ws), free(dx), free(dw), free(db);
}

int main(void)
{
	run((struct ul_conv_transpose2d){ .n = 2, .h = 3, .w = 4, .c_in = 3, .c_out = 5, .k = 2, .stride = 2 }, "2x2 s2");
	run((struct ul_conv_transpose2d){ .n = 1, .h = 1, .w = 1, .c_in = 4, .c_out = 3, .k = 2, .stride = 2 }, "2x2 s2, 1x1 input");
	run((struct ul_conv_transpose2d){ .n = 1, .h = 3, .w = 3, .c_in = 2, .c_out = 3, .k = 3, .stride = 2 }, "3x3 s2, overlap");
	run((struct ul_conv_transpose2d){ .n = 1, .h = 4, .w = 3, .c_in = 3, .c_out = 2, .k = 3, .stride = 1 }, "3x3 s1, overlap");
	run((struct ul_conv_transpose2d){ .n = 2, .h = 2, .w = 3, .c_in = 3, .c_out = 4, .k = 2, .stride = 3 }, "2x2 s3, gaps");
	run((struct ul_conv_transpose2d){ .n = 2, .h = 3, .w = 2, .c_in = 5, .c_out = 4, .k = 1, .stride = 1 }, "1x1");
	return done_testing();
}
