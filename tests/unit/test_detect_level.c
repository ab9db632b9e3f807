/* One level of the Detect head: gradients of both branches match finite
 * differences; a detached (one-to-one) level passes no input gradient.
 * Tolerance 2e-3 relative, as for the ops. */
#include "nn/detect_level.h"
#include "numeric.h"
#include "tap.h"

#define N 2
#define H 3
#define W 4

struct params {
	float *w, *gamma, *beta, *rm, *rv, *dw, *dg, *db;
	size_t nw;
};

static struct params pool[16];
static int used;

static struct params *conv(struct ul_conv_module *m, int c_in, int c_out, int k, int groups)
{
	struct params *p = &pool[used++];
	m->conv = (struct ul_conv2d){ N, H, W, c_in, c_out, k, 1, k / 2, groups };
	m->act = true;
	size_t c = (size_t)c_out;
	p->nw = c * (size_t)(c_in / groups) * k * k;
	p->w = randoms(p->nw, 0, 1), p->gamma = randoms(c, 1, 0.5f), p->beta = randoms(c, 0, 1);
	p->rm = randoms(c, 0, 0.1f), p->rv = randoms(c, 1, 0.2f);
	p->dw = calloc(p->nw, sizeof(float)), p->dg = calloc(c, sizeof(float)), p->db = calloc(c, sizeof(float));
	m->weight = p->w, m->gamma = p->gamma, m->beta = p->beta, m->running_mean = p->rm, m->running_var = p->rv;
	m->dweight = p->dw, m->dgamma = p->dg, m->dbeta = p->db;
	return p;
}

/* A biased 1x1 conv; its weight and bias in one params slot. */
static struct params *biased(struct ul_biased_conv *b, int c_in, int c_out)
{
	struct params *p = &pool[used++];
	b->conv = (struct ul_conv2d){ N, H, W, c_in, c_out, 1, 1, 0, 1 };
	p->nw = (size_t)c_out * c_in;
	p->w = randoms(p->nw, 0, 1), p->beta = randoms((size_t)c_out, 0, 1);
	p->dw = calloc(p->nw, sizeof(float)), p->db = calloc((size_t)c_out, sizeof(float));
	p->gamma = p->rm = p->rv = p->dg = NULL;
	b->weight = p->w, b->bias = p->beta, b->dweight = p->dw, b->dbias = p->db;
	return p;
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
	struct params *box1 = conv(&d.box[1], c2, c2, 3, 1);
	struct params *box_out = biased(&d.box_out, c2, 4);
	struct params *dw = conv(&d.cls[0], ch, ch, 3, ch);
	conv(&d.cls[1], ch, c3, 1, 1);
	conv(&d.cls[2], c3, c3, 3, c3);
	conv(&d.cls[3], c3, c3, 1, 1);
	struct params *cls_out = biased(&d.cls_out, c3, nc);
	size_t nx = (size_t)N * H * W * ch, nbox = (size_t)N * H * W * 4, ncls = (size_t)N * H * W * nc;
	float *x = randoms(nx, 0, 1), *rbox = randoms(nbox, 0, 1), *rcls = randoms(ncls, 0, 1);
	float *box = malloc(sizeof *box * nbox), *cls = malloc(sizeof *cls * ncls), *dx = calloc(nx, sizeof *dx);
	float *saved = malloc(sizeof *saved * ul_detect_level_saved(&d)), *ws = malloc(sizeof *ws * ul_detect_level_workspace(&d));

	ul_detect_level_forward(&d, x, box, cls, saved, ws, true);
	ul_detect_level_backward(&d, x, saved, rbox, rcls, dx, ws);
	struct probe pr = { &d, x, box, cls, saved, ws, rbox, rcls, nbox, ncls };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "dx (both branches, summed) matches finite differences");
	ok(fd_worst(loss, &pr, box1->w, box1->dw, box1->nw) < 2e-3, "the box branch's second conv matches");
	ok(fd_worst(loss, &pr, box_out->beta, box_out->db, 4) < 2e-3, "the box output's bias matches");
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

	for (int i = 0; i < used; i++)
		free(pool[i].w), free(pool[i].gamma), free(pool[i].beta), free(pool[i].rm), free(pool[i].rv), free(pool[i].dw),
			free(pool[i].dg), free(pool[i].db);
	free(x), free(rbox), free(rcls), free(box), free(cls), free(dx), free(saved), free(ws);
	return done_testing();
}
