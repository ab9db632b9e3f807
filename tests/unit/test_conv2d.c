/* Conv2d against a direct convolution, and its gradients against finite
 * differences, over kernel sizes, strides, padding, groups and depthwise;
 * on shapes big enough that every pass is cut into pieces for the thread
 * pool, against the gradients summed in double, and with the same bits as
 * on one thread, in a pass run inside a piece and in a pool of one.
 * Tolerance: relative 1e-4 for the forward pass (float GEMM against a
 * double sum), 2e-3 for gradients (float central differences). */
#include <math.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/parallel.h"
#include "nn/conv2d.h"
#include "numeric.h"
#include "tap.h"

/* The definition, summed in double. */
static double direct(const struct ul_conv2d *c, const float *x, const float *w, const float *bias, int b, int oy, int ox, int o)
{
	int cg = c->c_in / c->groups, og = c->c_out / c->groups, g = o / og;
	double sum = bias ? bias[o] : 0;
	for (int ci = 0; ci < cg; ci++)
		for (int ky = 0; ky < c->k; ky++)
			for (int kx = 0; kx < c->k; kx++) {
				int iy = oy * c->stride - c->pad + ky, ix = ox * c->stride - c->pad + kx;
				if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
					continue;
				sum += (double)x[(((size_t)b * c->h + iy) * c->w + ix) * c->c_in + g * cg + ci] *
				       w[(((size_t)o * cg + ci) * c->k + ky) * c->k + kx];
			}
	return sum;
}

/* L = sum(y * r), the loss of the gradient checks. */
struct probe {
	const struct ul_conv2d *c;
	float *x, *w, *bias, *y, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_conv2d_forward(p->c, p->x, p->w, p->bias, p->y, p->ws);
	return dot(p->y, p->r, p->ny);
}

static void run(struct ul_conv2d c, const char *name)
{
	int oh = ul_conv2d_out_h(&c), ow = ul_conv2d_out_w(&c);
	size_t nx = (size_t)c.n * c.h * c.w * c.c_in, nw = (size_t)c.c_out * (c.c_in / c.groups) * c.k * c.k;
	size_t ny = (size_t)c.n * oh * ow * c.c_out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *bias = randoms((size_t)c.c_out, 0, 1), *r = randoms(ny, 0, 1);
	float *y = malloc(sizeof *y * ny), *ws = malloc(sizeof *ws * ul_conv2d_workspace(&c));
	float *dx = malloc(sizeof *dx * nx), *dw = calloc(nw, sizeof *dw), *db = calloc((size_t)c.c_out, sizeof *db);

	ul_conv2d_forward(&c, x, w, bias, y, ws);
	double worst = 0;
	for (int b = 0; b < c.n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int o = 0; o < c.c_out; o++) {
					double want = direct(&c, x, w, bias, b, oy, ox, o);
					double got = y[(((size_t)b * oh + oy) * ow + ox) * c.c_out + o];
					worst = worse(worst, fabs(got - want) / fmax(1.0, fabs(want)));
				}
	ok(worst < 1e-4, "%s: forward matches the direct sum (worst %.2g)", name, worst);

	/* dL/dy = r */
	ul_conv2d_backward(&c, x, w, r, dx, dw, db, ws);
	struct probe pr = { &c, x, w, bias, y, ws, r, ny };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, w, dw, nw) < 2e-3, "%s: dweight matches finite differences", name);
	ok(fd_worst(loss, &pr, bias, db, (size_t)c.c_out) < 2e-3, "%s: dbias matches finite differences", name);

	/* gradients accumulate: a second backward doubles dweight */
	float first = dw[0];
	ul_conv2d_backward(&c, x, w, r, NULL, dw, db, ws);
	ok(fabsf(dw[0] - 2 * first) <= 1e-4f * fmaxf(1.0f, fabsf(first)), "%s: dweight accumulates", name);
	free(x), free(w), free(bias), free(r), free(y), free(ws), free(dx), free(dw), free(db);
}

/* Patches are built a block of rows at a time, never a whole batch's: a
 * batch of big images gives what each image alone gives, in a workspace
 * smaller than their patches. */
static void chunks(void)
{
	struct ul_conv2d one = { .n = 1, .h = 48, .w = 48, .c_in = 200, .c_out = 3, .k = 3, .stride = 1, .pad = 1, .groups = 1 };
	struct ul_conv2d three = one;
	three.n = 3;
	size_t nx = (size_t)one.h * one.w * one.c_in, ny = (size_t)one.h * one.w * one.c_out, nw = (size_t)3 * 200 * 9;
	float *x = randoms(3 * nx, 0, 1), *w = randoms(nw, 0, 1), *r = randoms(3 * ny, 0, 1);
	float *y3 = malloc(sizeof *y3 * 3 * ny), *dx3 = malloc(sizeof *dx3 * 3 * nx), *dw3 = calloc(nw, sizeof *dw3);
	float *y1 = malloc(sizeof *y1 * ny), *dx1 = malloc(sizeof *dx1 * nx), *dw1 = calloc(nw, sizeof *dw1);
	float *ws = malloc(sizeof *ws * ul_conv2d_workspace(&three));
	ul_conv2d_forward(&three, x, w, NULL, y3, ws);
	ul_conv2d_backward(&three, x, w, r, dx3, dw3, NULL, ws);
	double worst = 0;
	for (int b = 0; b < 3; b++) {
		ul_conv2d_forward(&one, x + b * nx, w, NULL, y1, ws);
		ul_conv2d_backward(&one, x + b * nx, w, r + b * ny, dx1, dw1, NULL, ws);
		for (size_t i = 0; i < ny; i++)
			worst = worse(worst, rel(y3[b * ny + i], y1[i]));
		for (size_t i = 0; i < nx; i++)
			worst = worse(worst, rel(dx3[b * nx + i], dx1[i]));
	}
	for (size_t i = 0; i < nw; i++)
		worst = worse(worst, rel(dw3[i], dw1[i]));
	ok(ul_conv2d_workspace(&three) < 3 * (size_t)one.h * one.w * 200 * 9, "three big images do not share one buffer");
	ok(worst < 1e-4, "a batch in chunks equals its images one by one (worst %.2g)", worst);
	free(x), free(w), free(r), free(y3), free(dx3), free(dw3), free(y1), free(dx1), free(dw1), free(ws);
}

/* dx and dweight by their definitions, in double, for dL/dy = r. */
static void direct_backward(const struct ul_conv2d *c, const float *x, const float *w, const float *r, double *dx,
			    double *dw)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, og = c->c_out / c->groups;
	for (int b = 0; b < c->n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int o = 0; o < c->c_out; o++) {
					double g = r[(((size_t)b * oh + oy) * ow + ox) * c->c_out + o];
					for (int ci = 0; ci < cg; ci++)
						for (int ky = 0; ky < c->k; ky++)
							for (int kx = 0; kx < c->k; kx++) {
								int iy = oy * c->stride - c->pad + ky, ix = ox * c->stride - c->pad + kx;
								if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
									continue;
								size_t xi = (((size_t)b * c->h + iy) * c->w + ix) * c->c_in + o / og * cg + ci;
								size_t wi = (((size_t)o * cg + ci) * c->k + ky) * c->k + kx;
								dw[wi] += g * x[xi];
								dx[xi] += g * w[wi];
							}
				}
}

struct serial {
	const struct ul_conv2d *c;
	const float *x, *w, *r;
	float *y, *dx, *dw, *ws;
};

static void serial_piece(void *ctx, int i)
{
	struct serial *s = ctx;
	if (i != 0)
		return;
	ul_conv2d_forward(s->c, s->x, s->w, NULL, s->y, s->ws);
	ul_conv2d_backward(s->c, s->x, s->w, s->r, s->dx, s->dw, NULL, s->ws);
}

static void pieces(struct ul_conv2d c, const char *name)
{
	int oh = ul_conv2d_out_h(&c), ow = ul_conv2d_out_w(&c);
	size_t nx = (size_t)c.n * c.h * c.w * c.c_in, nw = (size_t)c.c_out * (c.c_in / c.groups) * c.k * c.k;
	size_t ny = (size_t)c.n * oh * ow * c.c_out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *r = randoms(ny, 0, 1);
	float *y = malloc(sizeof *y * ny), *ws = malloc(sizeof *ws * ul_conv2d_workspace(&c));
	float *dx = malloc(sizeof *dx * nx), *dw = calloc(nw, sizeof *dw);
	ul_conv2d_forward(&c, x, w, NULL, y, ws);
	ul_conv2d_backward(&c, x, w, r, dx, dw, NULL, ws);

	double worst = 0;
	for (int b = 0; b < c.n; b++)
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int o = 0; o < c.c_out; o++)
					worst = worse(worst, rel(y[(((size_t)b * oh + oy) * ow + ox) * c.c_out + o],
								 direct(&c, x, w, NULL, b, oy, ox, o)));
	ok(worst < 1e-4, "%s: forward matches the direct sum (worst %.2g)", name, worst);
	double *want_dx = calloc(nx, sizeof *want_dx), *want_dw = calloc(nw, sizeof *want_dw);
	direct_backward(&c, x, w, r, want_dx, want_dw);
	double worst_dx = 0, worst_dw = 0;
	for (size_t i = 0; i < nx; i++)
		worst_dx = worse(worst_dx, rel(dx[i], want_dx[i]));
	for (size_t i = 0; i < nw; i++)
		worst_dw = worse(worst_dw, fabs(dw[i] - want_dw[i]) / fmax(1.0, fabs(want_dw[i])));
	ok(worst_dx < 1e-4 && worst_dw < 1e-4, "%s: dx and dweight match the sums in double (worst %.2g, %.2g)", name,
	   worst_dx, worst_dw);

	struct serial s = { &c, x, w, r, malloc(sizeof *y * ny), malloc(sizeof *dx * nx), calloc(nw, sizeof *dw), ws };
	ul_parallel_for(2, serial_piece, &s);
	ok(!memcmp(s.y, y, sizeof *y * ny) && !memcmp(s.dx, dx, sizeof *dx * nx) && !memcmp(s.dw, dw, sizeof *dw * nw),
	   "%s: the same bits with the pool as on one thread", name);
	free(x), free(w), free(r), free(y), free(ws), free(dx), free(dw), free(want_dx), free(want_dw);
	free(s.y), free(s.dx), free(s.dw);
}

/* Forward and backward of c on inputs drawn in order, the results one
 * after another in a buffer of floats (*n of them). */
static float *passes(struct ul_conv2d c, size_t *n)
{
	size_t nx = (size_t)c.n * c.h * c.w * c.c_in, nw = (size_t)c.c_out * (c.c_in / c.groups) * c.k * c.k;
	size_t ny = (size_t)c.n * ul_conv2d_out_h(&c) * ul_conv2d_out_w(&c) * c.c_out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *r = randoms(ny, 0, 1);
	float *out = calloc(ny + nx + nw, sizeof *out), *ws = malloc(sizeof *ws * ul_conv2d_workspace(&c));
	ul_conv2d_forward(&c, x, w, NULL, out, ws);
	ul_conv2d_backward(&c, x, w, r, out + ny, out + ny + nx, NULL, ws);
	free(x), free(w), free(r), free(ws);
	*n = ny + nx + nw;
	return out;
}

/* The same shapes in a child started before any pool exists, whose pool
 * then has one thread (UL_THREADS, read at its first use): the input
 * gradient's blocks of rows, shared out over other pieces, must give the
 * same bits. */
static void pool_of_one(void)
{
	static const struct ul_conv2d shapes[] = {
		{ .n = 3, .h = 20, .w = 64, .c_in = 64, .c_out = 8, .k = 3, .stride = 1, .pad = 1, .groups = 1 },
		{ .n = 3, .h = 40, .w = 64, .c_in = 64, .c_out = 8, .k = 3, .stride = 2, .pad = 1, .groups = 1 },
	};
	int fd[2];
	if (pipe(fd)) {
		ok(0, "a pipe for the child");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		setenv("UL_THREADS", "1", 1);
		for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
			size_t n;
			float *out = passes(shapes[k], &n);
			for (size_t off = 0; off < sizeof *out * n;) {
				ssize_t put = write(fd[1], (const char *)out + off, sizeof *out * n - off);
				if (put <= 0)
					_exit(1);
				off += (size_t)put;
			}
			free(out);
		}
		_exit(ul_parallel_threads() != 1);
	}
	close(fd[1]);
	for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
		size_t n, have = 0;
		float *out = passes(shapes[k], &n), *got = malloc(sizeof *got * n);
		ssize_t put;
		while (have < sizeof *got * n && (put = read(fd[0], (char *)got + have, sizeof *got * n - have)) > 0)
			have += (size_t)put;
		ok(have == sizeof *got * n && !memcmp(out, got, have), "3x3 s%d in blocks of rows: the same bits in a pool of %d and of one",
		   shapes[k].stride, ul_parallel_threads());
		free(out), free(got);
	}
	close(fd[0]);
	int status;
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's pool had one thread");
}

int main(void)
{
	pool_of_one();  /* first: its child must start before any pool */
	pieces((struct ul_conv2d){ .n = 3, .h = 21, .w = 19, .c_in = 8, .c_out = 16, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, "3x3 s1 in pieces");
	pieces((struct ul_conv2d){ .n = 3, .h = 30, .w = 31, .c_in = 8, .c_out = 12, .k = 3, .stride = 2, .pad = 1, .groups = 2 }, "3x3 s2, 2 groups, in pieces");
	pieces((struct ul_conv2d){ .n = 3, .h = 20, .w = 20, .c_in = 24, .c_out = 40, .k = 1, .stride = 1, .pad = 0, .groups = 1 }, "1x1 in pieces");
	pieces((struct ul_conv2d){ .n = 20, .h = 9, .w = 8, .c_in = 16, .c_out = 16, .k = 3, .stride = 1, .pad = 1, .groups = 16 }, "depthwise, 20 images in 16 pieces");
	/* rows wide enough that the input gradient gathers an image in blocks of rows */
	pieces((struct ul_conv2d){ .n = 2, .h = 20, .w = 64, .c_in = 64, .c_out = 8, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, "3x3 s1, wide rows");
	pieces((struct ul_conv2d){ .n = 2, .h = 40, .w = 64, .c_in = 64, .c_out = 8, .k = 3, .stride = 2, .pad = 1, .groups = 1 }, "3x3 s2, wide rows");
	chunks();
	run((struct ul_conv2d){ .n = 2, .h = 7, .w = 6, .c_in = 5, .c_out = 5, .k = 3, .stride = 2, .pad = 1, .groups = 5 }, "depthwise 3x3 s2, 2 images");
	run((struct ul_conv2d){ .n = 2, .h = 5, .w = 6, .c_in = 3, .c_out = 4, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, "3x3 s1");
	run((struct ul_conv2d){ .n = 1, .h = 7, .w = 7, .c_in = 4, .c_out = 6, .k = 3, .stride = 2, .pad = 1, .groups = 1 }, "3x3 s2");
	run((struct ul_conv2d){ .n = 2, .h = 4, .w = 3, .c_in = 5, .c_out = 3, .k = 1, .stride = 1, .pad = 0, .groups = 1 }, "1x1");
	run((struct ul_conv2d){ .n = 1, .h = 6, .w = 5, .c_in = 4, .c_out = 4, .k = 3, .stride = 1, .pad = 1, .groups = 4 }, "depthwise 3x3");
	run((struct ul_conv2d){ .n = 1, .h = 6, .w = 6, .c_in = 4, .c_out = 6, .k = 3, .stride = 2, .pad = 1, .groups = 2 }, "2 groups s2");
	run((struct ul_conv2d){ .n = 1, .h = 8, .w = 8, .c_in = 2, .c_out = 3, .k = 5, .stride = 1, .pad = 2, .groups = 1 }, "5x5");
	run((struct ul_conv2d){ .n = 1, .h = 3, .w = 3, .c_in = 2, .c_out = 2, .k = 3, .stride = 1, .pad = 0, .groups = 1 }, "no padding, 1x1 output");
	/* the direct loop of few output channels, and the transposed pass of
	 * a stride-1 conv with fewer outputs than inputs */
	run((struct ul_conv2d){ .n = 2, .h = 7, .w = 6, .c_in = 3, .c_out = 32, .k = 3, .stride = 2, .pad = 1, .groups = 1 }, "RGB stem 3x3 s2");
	run((struct ul_conv2d){ .n = 2, .h = 5, .w = 4, .c_in = 6, .c_out = 3, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, "3x3 s1, fewer outputs");
	run((struct ul_conv2d){ .n = 2, .h = 6, .w = 9, .c_in = 16, .c_out = 32, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, "3x3 s1, 16 to 32");
	pieces((struct ul_conv2d){ .n = 3, .h = 21, .w = 19, .c_in = 3, .c_out = 16, .k = 3, .stride = 2, .pad = 1, .groups = 1 }, "RGB stem in pieces");
	return done_testing();
}
