/* The CUDA linear layer against the CPU's, on the same random inputs: y,
 * dx, dweight and dbias, at the Classify head's size (1280 in, 1000 out),
 * RealNVP's small ones, a single row and odd sizes, with and without a
 * bias and dx. y and dx start as junk on the GPU, to show they are
 * overwritten; dweight and dbias start from the same non-zero values on
 * both sides, to show they are added to. Tolerance: GPU_FP32_TOLERANCE
 * (the gradients here sum over at most a few dozen rows). */
#include <stdbool.h>

#include "gpu.h"

/* A host copy of n floats; the caller frees it. */
static float *copy_of(const float *v, size_t n)
{
	float *p = malloc(sizeof *p * (n ? n : 1));
	memcpy(p, v, sizeof *p * n);
	return p;
}

/* One TAP line for output `what` of case `name`. */
static void compare(const char *name, const char *what, const float *device, const float *want, size_t n)
{
	char label[160];
	snprintf(label, sizeof label, "%s %s", name, what);
	gpu_compare("linear", label, device, want, n, GPU_FP32_TOLERANCE);
}

struct linear_case {
	const char *name;
	struct ul_linear l;
	bool bias, dx;
};

static void check_linear(const struct linear_case *t)
{
	const struct ul_linear *l = &t->l;
	size_t nx = (size_t)l->n * l->in, ny = (size_t)l->n * l->out, nw = (size_t)l->out * l->in, no = (size_t)l->out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 0.5f), *dy = randoms(ny, 0, 1);
	float *bias = t->bias ? randoms(no, 0, 1) : NULL, *dw = randoms(nw, 0, 1), *db = randoms(no, 0, 1);
	float *junk_y = randoms(ny, 7, 1), *junk_dx = randoms(nx, 7, 1);

	/* the CPU's answers */
	float *y = malloc(sizeof *y * ny), *dx = t->dx ? malloc(sizeof *dx * nx) : NULL;
	float *want_dw = copy_of(dw, nw), *want_db = copy_of(db, no);
	ul_cpu_backend.linear_forward(l, x, w, bias, y);
	ul_cpu_backend.linear_backward(l, x, w, dy, dx, want_dw, bias ? want_db : NULL);

	/* the GPU's, from the same inputs */
	float *gx = gpu_floats(x, nx), *gw = gpu_floats(w, nw), *gdy = gpu_floats(dy, ny);
	float *gb = bias ? gpu_floats(bias, no) : NULL, *gy = gpu_floats(junk_y, ny);
	float *gdx = t->dx ? gpu_floats(junk_dx, nx) : NULL, *gdw = gpu_floats(dw, nw), *gdb = gpu_floats(db, no);
	gpu->linear_forward(l, gx, gw, gb, gy);
	compare(t->name, "y", gy, y, ny);
	gpu->linear_backward(l, gx, gw, gdy, gdx, gdw, bias ? gdb : NULL);
	if (dx)
		compare(t->name, "dx", gdx, dx, nx);
	compare(t->name, "dweight", gdw, want_dw, nw);
	if (bias)
		compare(t->name, "dbias", gdb, want_db, no);

	float *device[] = { gx, gw, gdy, gb, gy, gdx, gdw, gdb };
	for (size_t i = 0; i < sizeof device / sizeof *device; i++)
		gpu->release(device[i]);
	float *host[] = { x, w, dy, bias, dw, db, junk_y, junk_dx, y, dx, want_dw, want_db };
	for (size_t i = 0; i < sizeof host / sizeof *host; i++)
		free(host[i]);
}

/* { n, in, out } */
static const struct linear_case linears[] = {
	{ "classify", { 8, 1280, 1000 }, true, true },
	{ "classify one row, no dx", { 1, 1280, 1000 }, true, false },
	{ "realnvp in", { 17, 2, 64 }, true, true },
	{ "realnvp out", { 17, 64, 2 }, true, true },
	{ "odd, no bias", { 33, 7, 5 }, false, true },
	{ "odd, no bias, no dx", { 5, 13, 11 }, false, false },
	/* a larger batch after smaller ones: the ones vector must grow */
	{ "batch 64", { 64, 96, 48 }, true, true },
};

int main(void)
{
	gpu_open();
	for (size_t i = 0; i < sizeof linears / sizeof *linears; i++)
		check_linear(&linears[i]);
	return done_testing();
}
