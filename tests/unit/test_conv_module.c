/* Ultralytics' Conv (Conv2d, BatchNorm2d, SiLU) as one module: its forward
 * equals the ops in sequence, eval uses the running statistics, and every
 * gradient matches finite differences through the batch statistics.
 * Tolerance: 2e-3 relative for gradients, as for the ops. */
#include "nn/conv_module.h"
#include "numeric.h"
#include "tap.h"

struct probe {
	struct ul_conv_module *m;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_conv_module_forward(p->m, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

static void run(struct ul_conv2d conv, bool act, const char *name)
{
	struct ul_conv_module m = { .conv = conv, .act = act };
	size_t nx = (size_t)conv.n * conv.h * conv.w * conv.c_in, nw = (size_t)conv.c_out * (conv.c_in / conv.groups) * conv.k * conv.k;
	size_t ny = ul_conv_module_out(&m), c = (size_t)conv.c_out;
	float *x = randoms(nx, 0, 1), *w = randoms(nw, 0, 1), *gamma = randoms(c, 1, 0.5f), *beta = randoms(c, 0, 1);
	float *rm = randoms(c, 0, 0.1f), *rv = randoms(c, 1, 0.2f), *r = randoms(ny, 0, 1);
	float *dw = calloc(nw, sizeof *dw), *dg = calloc(c, sizeof *dg), *db = calloc(c, sizeof *db);
	m.weight = w, m.gamma = gamma, m.beta = beta, m.running_mean = rm, m.running_var = rv;
	m.dweight = dw, m.dgamma = dg, m.dbeta = db;
	float *y = malloc(sizeof *y * ny), *saved = malloc(sizeof *saved * ul_conv_module_saved(&m));
	float *ws = malloc(sizeof *ws * ul_conv_module_workspace(&m)), *dx = malloc(sizeof *dx * nx);

	/* the ops in sequence, with their own copies of the running statistics */
	float *z = malloc(sizeof *z * ny), *u = malloc(sizeof *u * ny), *mean = malloc(sizeof *mean * c), *inv = malloc(sizeof *inv * c);
	float *rm2 = malloc(sizeof *rm2 * c), *rv2 = malloc(sizeof *rv2 * c);
	memcpy(rm2, rm, sizeof *rm * c), memcpy(rv2, rv, sizeof *rv * c);
	struct ul_batchnorm bn = { conv.n, ul_conv2d_out_h(&conv), ul_conv2d_out_w(&conv), conv.c_out, UL_BATCHNORM_EPS,
				   UL_BATCHNORM_MOMENTUM, act };
	ul_conv2d_forward(&conv, x, w, NULL, z, ws);
	ul_batchnorm_forward_train(&bn, z, gamma, beta, rm2, rv2, u, mean, inv, ws);
	ul_conv_module_forward(&m, x, y, saved, ws, true);
	ok(!memcmp(y, u, sizeof *y * ny), "%s: training forward is conv, batchnorm%s", name, act ? ", SiLU" : "");
	ok(!memcmp(rm, rm2, sizeof *rm * c) && !memcmp(rv, rv2, sizeof *rv * c), "%s: and updates the running statistics", name);

	/* eval: the running statistics, no saved state */
	ul_conv2d_forward(&conv, x, w, NULL, z, ws);
	ul_batchnorm_forward_eval(&bn, z, gamma, beta, rm, rv, u, ws);
	ul_conv_module_forward(&m, x, y, NULL, ws, false);
	ok(!memcmp(y, u, sizeof *y * ny), "%s: eval forward uses the running statistics", name);

	/* gradients */
	ul_conv_module_forward(&m, x, y, saved, ws, true);
	ul_conv_module_backward(&m, x, saved, r, dx, ws);
	struct probe pr = { &m, x, y, saved, ws, r, ny };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, w, dw, nw) < 2e-3, "%s: dweight matches finite differences", name);
	ok(fd_worst(loss, &pr, gamma, dg, c) < 2e-3, "%s: dgamma matches finite differences", name);
	ok(fd_worst(loss, &pr, beta, db, c) < 2e-3, "%s: dbeta matches finite differences", name);
	free(x), free(w), free(gamma), free(beta), free(rm), free(rv), free(r), free(dw), free(dg), free(db);
	free(y), free(saved), free(ws), free(dx), free(z), free(u), free(mean), free(inv), free(rm2), free(rv2);
}

int main(void)
{
	run((struct ul_conv2d){ .n = 2, .h = 5, .w = 4, .c_in = 3, .c_out = 4, .k = 3, .stride = 1, .pad = 1, .groups = 1 }, true, "3x3 SiLU");
	run((struct ul_conv2d){ .n = 2, .h = 5, .w = 4, .c_in = 3, .c_out = 4, .k = 1, .stride = 1, .pad = 0, .groups = 1 }, false, "1x1 no act");
	run((struct ul_conv2d){ .n = 2, .h = 6, .w = 6, .c_in = 4, .c_out = 5, .k = 3, .stride = 2, .pad = 1, .groups = 1 }, true, "3x3 s2");
	run((struct ul_conv2d){ .n = 2, .h = 4, .w = 4, .c_in = 4, .c_out = 4, .k = 3, .stride = 1, .pad = 1, .groups = 4 }, true, "depthwise");
	return done_testing();
}
