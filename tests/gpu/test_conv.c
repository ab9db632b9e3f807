/* The CUDA conv2d and conv_transpose2d against the CPU's, on the same
 * random inputs: y, dx, dweight and dbias, over the shapes YOLO26 runs (1x1;
 * 3x3 at stride 1 and 2, padding 0 and 1; the 3-channel stem; depthwise;
 * grouped; odd sizes; batches), with and without a bias and dx, and the
 * transposed conv at k = s = 2 (Proto26), with overlapping blocks (k > s),
 * with gaps (s > k) and 1x1. y and dx start as junk on the GPU, to show they
 * are overwritten; dweight and dbias start from the same non-zero values on
 * both sides, to show they are added to. Tolerance: GPU_FP32_TOLERANCE, and
 * LONG_SUM_TOLERANCE for gradients summed over many pixels (see there). */
#include <stdbool.h>

#include "gpu.h"

/* A weight or bias gradient sums one term per pixel of the batch, and
 * cuDNN sums in another order than OpenBLAS: float rounding grows with
 * the count of terms, so past LONG_SUM of them the two sides may part by
 * more than 1e-4 of the sum with neither wrong. */
#define LONG_SUM 1024
#define LONG_SUM_TOLERANCE 1e-3

static double sum_tolerance(size_t terms)
{
	return terms > LONG_SUM ? LONG_SUM_TOLERANCE : GPU_FP32_TOLERANCE;
}

/* A host copy of n floats; the caller frees it. */
static float *copy_of(const float *v, size_t n)
{
	float *p = malloc(sizeof *p * (n ? n : 1));
	memcpy(p, v, sizeof *p * n);
	return p;
}

/* One TAP line for output `what` of case `name`. */
static void compare(const char *op, const char *name, const char *what, const float *device, const float *want,
		    size_t n, double tolerance)
{
	char label[160];
	snprintf(label, sizeof label, "%s %s", name, what);
	gpu_compare(op, label, device, want, n, tolerance);
}

struct conv_case {
	const char *name;
	struct ul_conv2d c;
	bool bias, dx;
};

static void check_conv2d(const struct conv_case *t)
{
	const struct ul_conv2d *c = &t->c;
	size_t pixels = (size_t)c->n * ul_conv2d_out_h(c) * ul_conv2d_out_w(c), co = (size_t)c->c_out;
	size_t nx = (size_t)c->n * c->h * c->w * c->c_in, ny = pixels * co;
	size_t nw = co * (c->c_in / c->groups) * c->k * c->k, nws = ul_conv2d_workspace(c);
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 0.5f), *dy = randoms(ny, 0, 1);
	float *bias = t->bias ? randoms(co, 0, 1) : NULL, *dw = randoms(nw, 0, 1), *db = randoms(co, 0, 1);
	float *junk_y = randoms(ny, 7, 1), *junk_dx = randoms(nx, 7, 1);

	/* the CPU's answers */
	float *ws = malloc(sizeof *ws * (nws ? nws : 1)), *y = malloc(sizeof *y * ny);
	float *dx = t->dx ? malloc(sizeof *dx * nx) : NULL, *want_dw = copy_of(dw, nw), *want_db = copy_of(db, co);
	ul_cpu_backend.conv2d_forward(c, x, w, bias, y, ws);
	ul_cpu_backend.conv2d_backward(c, x, w, dy, dx, want_dw, bias ? want_db : NULL, ws);

	/* the GPU's, from the same inputs */
	float *gx = gpu_floats(x, nx), *gw = gpu_floats(w, nw), *gdy = gpu_floats(dy, ny), *gws = gpu_floats(NULL, nws);
	float *gb = bias ? gpu_floats(bias, co) : NULL, *gy = gpu_floats(junk_y, ny);
	float *gdx = t->dx ? gpu_floats(junk_dx, nx) : NULL, *gdw = gpu_floats(dw, nw), *gdb = gpu_floats(db, co);
	gpu->conv2d_forward(c, gx, gw, gb, gy, gws);
	compare("conv2d", t->name, "y", gy, y, ny, GPU_FP32_TOLERANCE);
	gpu->conv2d_backward(c, gx, gw, gdy, gdx, gdw, bias ? gdb : NULL, gws);
	if (dx)
		compare("conv2d", t->name, "dx", gdx, dx, nx, GPU_FP32_TOLERANCE);
	compare("conv2d", t->name, "dweight", gdw, want_dw, nw, sum_tolerance(pixels));
	if (bias)
		compare("conv2d", t->name, "dbias", gdb, want_db, co, sum_tolerance(pixels));

	float *device[] = { gx, gw, gdy, gws, gb, gy, gdx, gdw, gdb };
	for (size_t i = 0; i < sizeof device / sizeof *device; i++)
		gpu->release(device[i]);
	float *host[] = { x, w, dy, bias, dw, db, junk_y, junk_dx, ws, y, dx, want_dw, want_db };
	for (size_t i = 0; i < sizeof host / sizeof *host; i++)
		free(host[i]);
}

struct transpose_case {
	const char *name;
	struct ul_conv_transpose2d c;
	bool bias, dx;
};

static void check_conv_transpose2d(const struct transpose_case *t)
{
	const struct ul_conv_transpose2d *c = &t->c;
	size_t pixels_in = (size_t)c->n * c->h * c->w, co = (size_t)c->c_out;
	size_t pixels = (size_t)c->n * ul_conv_transpose2d_out_h(c) * ul_conv_transpose2d_out_w(c);
	size_t nx = pixels_in * c->c_in, ny = pixels * co, nw = (size_t)c->c_in * co * c->k * c->k;
	size_t nws = ul_conv_transpose2d_workspace(c);
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 0.5f), *dy = randoms(ny, 0, 1);
	float *bias = t->bias ? randoms(co, 0, 1) : NULL, *dw = randoms(nw, 0, 1), *db = randoms(co, 0, 1);
	float *junk_y = randoms(ny, 7, 1), *junk_dx = randoms(nx, 7, 1);

	float *ws = malloc(sizeof *ws * (nws ? nws : 1)), *y = malloc(sizeof *y * ny);
	float *dx = t->dx ? malloc(sizeof *dx * nx) : NULL, *want_dw = copy_of(dw, nw), *want_db = copy_of(db, co);
	ul_cpu_backend.conv_transpose2d_forward(c, x, w, bias, y, ws);
	ul_cpu_backend.conv_transpose2d_backward(c, x, w, dy, dx, want_dw, bias ? want_db : NULL, ws);

	float *gx = gpu_floats(x, nx), *gw = gpu_floats(w, nw), *gdy = gpu_floats(dy, ny), *gws = gpu_floats(NULL, nws);
	float *gb = bias ? gpu_floats(bias, co) : NULL, *gy = gpu_floats(junk_y, ny);
	float *gdx = t->dx ? gpu_floats(junk_dx, nx) : NULL, *gdw = gpu_floats(dw, nw), *gdb = gpu_floats(db, co);
	gpu->conv_transpose2d_forward(c, gx, gw, gb, gy, gws);
	compare("conv_transpose2d", t->name, "y", gy, y, ny, GPU_FP32_TOLERANCE);
	gpu->conv_transpose2d_backward(c, gx, gw, gdy, gdx, gdw, bias ? gdb : NULL, gws);
	if (dx)
		compare("conv_transpose2d", t->name, "dx", gdx, dx, nx, GPU_FP32_TOLERANCE);
	/* each weight's gradient sums over the input pixels, the bias's over the output's */
	compare("conv_transpose2d", t->name, "dweight", gdw, want_dw, nw, sum_tolerance(pixels_in));
	if (bias)
		compare("conv_transpose2d", t->name, "dbias", gdb, want_db, co, sum_tolerance(pixels));

	float *device[] = { gx, gw, gdy, gws, gb, gy, gdx, gdw, gdb };
	for (size_t i = 0; i < sizeof device / sizeof *device; i++)
		gpu->release(device[i]);
	float *host[] = { x, w, dy, bias, dw, db, junk_y, junk_dx, ws, y, dx, want_dw, want_db };
	for (size_t i = 0; i < sizeof host / sizeof *host; i++)
		free(host[i]);
}

/* { n, h, w, c_in, c_out, k, stride, pad, groups } */
static const struct conv_case convs[] = {
	{ "1x1", { 2, 10, 10, 16, 32, 1, 1, 0, 1 }, true, true },
	{ "1x1 odd, no bias, no dx", { 1, 7, 9, 8, 24, 1, 1, 0, 1 }, false, false },
	{ "1x1 batch 8", { 8, 20, 20, 64, 64, 1, 1, 0, 1 }, true, true },
	{ "3x3 s1 p1", { 2, 12, 12, 16, 16, 3, 1, 1, 1 }, false, true },
	{ "3x3 s1 p1 widening", { 2, 9, 11, 8, 24, 3, 1, 1, 1 }, true, true },
	{ "3x3 s1 p0 odd", { 3, 9, 7, 8, 12, 3, 1, 0, 1 }, true, true },
	{ "3x3 s2 p1 odd", { 2, 13, 11, 16, 32, 3, 2, 1, 1 }, true, true },
	{ "3x3 s2 p1 batch 4, no dx", { 4, 20, 20, 32, 64, 3, 2, 1, 1 }, false, false },
	{ "3x3 s2 p1 stem", { 2, 17, 17, 3, 16, 3, 2, 1, 1 }, false, false },
	{ "depthwise 3x3 s1 p1", { 2, 10, 10, 32, 32, 3, 1, 1, 32 }, false, true },
	{ "depthwise 3x3 s2 p1 odd, no dx", { 2, 11, 11, 24, 24, 3, 2, 1, 24 }, true, false },
	{ "depthwise 5x5 s1 p2", { 1, 9, 9, 16, 16, 5, 1, 2, 16 }, true, true },
	{ "grouped 3x3 s1 p1", { 2, 8, 8, 16, 32, 3, 1, 1, 4 }, true, true },
	{ "grouped 1x1", { 2, 6, 6, 32, 16, 1, 1, 0, 2 }, false, true },
};

/* { n, h, w, c_in, c_out, k, stride } */
static const struct transpose_case transposes[] = {
	{ "k2 s2", { 2, 8, 8, 32, 16, 2, 2 }, true, true },
	{ "k2 s2 odd, no bias, no dx", { 1, 5, 7, 8, 8, 2, 2 }, false, false },
	{ "k2 s2 batch 8", { 8, 16, 16, 64, 32, 2, 2 }, true, true },
	{ "k3 s2 overlapping", { 2, 6, 5, 8, 12, 3, 2 }, true, true },
	{ "k2 s3 gaps", { 2, 4, 4, 4, 6, 2, 3 }, true, true },
	{ "1x1", { 3, 6, 6, 16, 8, 1, 1 }, false, true },
};

int main(void)
{
	gpu_open();
	for (size_t i = 0; i < sizeof convs / sizeof *convs; i++)
		check_conv2d(&convs[i]);
	for (size_t i = 0; i < sizeof transposes / sizeof *transposes; i++)
		check_conv_transpose2d(&transposes[i]);
	return done_testing();
}
