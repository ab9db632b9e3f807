/* One level of the Detect head: gradients of both branches match finite
 * differences; a detached (one-to-one) level passes no input gradient.
 * Tolerance 2e-3 relative, as for the ops. */
#include "nn/detect_level.h"
#include "conv_params.h"
#include "tap.h"

#define N 2
#define H 3
#define W 4

/* A random Conv module (with SiLU) at the tests' batch and size. */
static struct conv_params *conv(struct ul_conv_module *m, int c_in, int c_out, int k, int groups)
{
	return random_conv(m, (struct ul_conv2d){ N, H, W, c_in, c_out, k, 1, k / 2, groups }, true);
}

/* A biased 1x1 conv at the tests' batch and size. */
static struct biased_params *biased(struct ul_biased_conv *bc, int c_in, int c_out)
{
	return random_biased(bc, N, H, W, c_in, c_out);
}

struct probe {
	const struct ul_detect_level *d;
	float *x, *box, *cls, *saved, *ws;
	const float *rbox, *rcls;
	size_t nbox, ncls;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_detect_level_forward(p->d, p->x, p->box, p->cls, p->saved, p->ws, true);
	return dot(p->box, p->rbox, p->nbox) + dot(p->cls, p->rcls, p->ncls);
}

int main(void)
{
	const int ch = 8, c2 = 4, c3 = 6, nc = 3;
	struct ul_detect_level d = { 0 };
	conv(&d.box[0], ch, c2, 3, 1);
	struct conv_params *box1 = conv(&d.box[1], c2, c2, 3, 1);
	struct biased_params *box_out = biased(&d.box_out, c2, 4);
	struct conv_params *dw = conv(&d.cls[0], ch, ch, 3, ch);
	conv(&d.cls[1], ch, c3, 1, 1);
	conv(&d.cls[2], c3, c3, 3, c3);
	conv(&d.cls[3], c3, c3, 1, 1);
	struct biased_params *cls_out = biased(&d.cls_out, c3, nc);
	size_t nx = (size_t)N * H * W * ch, nbox = (size_t)N * H * W * 4, ncls = (size_t)N * H * W * nc;
	float *x = randoms(nx, 0, 1), *rbox = randoms(nbox, 0, 1), *rcls = randoms(ncls, 0, 1);
	float *box = malloc(sizeof *box * nbox), *cls = malloc(sizeof *cls * ncls), *dx = calloc(nx, sizeof *dx);
	float *saved = malloc(sizeof *saved * ul_detect_level_saved(&d)), *ws = malloc(sizeof *ws * ul_detect_level_workspace(&d));

	ul_detect_level_forward(&d, x, box, cls, saved, ws, true);
	ul_detect_level_backward(&d, x, saved, rbox, rcls, dx, ws);
	struct probe pr = { &d, x, box, cls, saved, ws, rbox, rcls, nbox, ncls };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "dx (both branches, summed) matches finite differences");
	ok(fd_worst(loss, &pr, box1->w, box1->dw, box1->nw) < 2e-3, "the box branch's second conv matches");
	ok(fd_worst(loss, &pr, box_out->b, box_out->db, 4) < 2e-3, "the box output's bias matches");
	ok(fd_worst(loss, &pr, dw->w, dw->dw, dw->nw) < 2e-3, "the class branch's depthwise conv matches");
	ok(fd_worst(loss, &pr, cls_out->w, cls_out->dw, cls_out->nw) < 2e-3, "the class output's weight matches");

	/* one-to-one: the same level detached leaves dx alone, still learns */
	d.detached = true;
	for (size_t i = 0; i < nx; i++)
		dx[i] = 0;
	float before = cls_out->dw[0];
	ul_detect_level_forward(&d, x, box, cls, saved, ws, true);
	ul_detect_level_backward(&d, x, saved, rbox, rcls, dx, ws);
	bool zero = true;
	for (size_t i = 0; i < nx; i++)
		zero &= dx[i] == 0;
	ok(zero, "detached: no gradient reaches the feature");
	ok(cls_out->dw[0] != before, "detached: its parameters still get gradients");

	free_random_convs();
	free(x), free(rbox), free(rcls), free(box), free(cls), free(dx), free(saved), free(ws);
	return done_testing();
}
