/* One level of a cv4 branch: with one output (Segment26, OBB26) and two
 * (Pose26's kpts and sigma on the same feature), gradients match finite
 * differences; backward adds to dx; a detached (one-to-one) branch leaves
 * dx alone; eval can skip an output. Tolerance 2e-3 relative. */
#include <string.h>

#include "nn/head_branch.h"
#include "conv_params.h"
#include "tap.h"

#define N 2
#define H 3
#define W 4

/* A random Conv module (with SiLU) at the tests' batch and size. */
static struct conv_params *conv(struct ul_conv_module *m, int c_in, int c_out, int k)
{
	return random_conv(m, (struct ul_conv2d){ N, H, W, c_in, c_out, k, 1, k / 2, 1 }, true);
}

/* A biased 1x1 conv at the tests' batch and size. */
static struct biased_params *biased(struct ul_biased_conv *bc, int c_in, int c_out)
{
	return random_biased(bc, N, H, W, c_in, c_out);
}

struct probe {
	const struct ul_head_branch *b;
	float *x, *y[UL_HEAD_BRANCH_OUTS], *saved, *ws;
	const float *r[UL_HEAD_BRANCH_OUTS];
	size_t ny[UL_HEAD_BRANCH_OUTS];
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_head_branch_forward(p->b, p->x, p->y, p->saved, p->ws, true);
	double l = 0;
	for (int i = 0; i < p->b->nout; i++)
		l += dot(p->y[i], p->r[i], p->ny[i]);
	return l;
}

static bool unchanged(const float *a, const float *b, size_t n)
{
	return memcmp(a, b, sizeof *a * n) == 0;
}

static void run(int nout, const char *name)
{
	const int ch = 5, c4 = 4, width[UL_HEAD_BRANCH_OUTS] = { 3, 2 };
	struct ul_head_branch b = { .nout = nout };
	struct conv_params *cv0 = conv(&b.cv[0], ch, c4, 3);
	struct conv_params *cv1 = conv(&b.cv[1], c4, c4, 3);
	struct biased_params *out[UL_HEAD_BRANCH_OUTS];
	struct probe pr = { .b = &b };
	size_t nx = (size_t)N * H * W * ch;
	for (int i = 0; i < nout; i++) {
		out[i] = biased(&b.out[i], c4, width[i]);
		pr.ny[i] = (size_t)N * H * W * width[i];
		pr.y[i] = malloc(sizeof(float) * pr.ny[i]);
		pr.r[i] = randoms(pr.ny[i], 0, 1);
	}
	pr.x = randoms(nx, 0, 1);
	pr.saved = malloc(sizeof(float) * ul_head_branch_saved(&b));
	pr.ws = malloc(sizeof(float) * ul_head_branch_workspace(&b));
	float *dx = calloc(nx, sizeof *dx), *again = malloc(sizeof *again * nx);

	ul_head_branch_forward(&b, pr.x, pr.y, pr.saved, pr.ws, true);
	ul_head_branch_backward(&b, pr.x, pr.saved, pr.r, dx, pr.ws);
	ok(fd_worst(loss, &pr, pr.x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, cv0->w, cv0->dw, cv0->nw) < 2e-3, "%s: the first conv's weight matches", name);
	ok(fd_worst(loss, &pr, cv1->gamma, cv1->dg, (size_t)c4) < 2e-3, "%s: the second conv's gamma matches", name);
	for (int i = 0; i < nout; i++) {
		ok(fd_worst(loss, &pr, out[i]->w, out[i]->dw, out[i]->nw) < 2e-3, "%s: output %d's weight matches", name, i);
		ok(fd_worst(loss, &pr, out[i]->b, out[i]->db, (size_t)width[i]) < 2e-3, "%s: output %d's bias matches", name,
		   i);
	}

	/* a second backward adds the same gradient again */
	for (size_t i = 0; i < nx; i++)
		again[i] = 2 * dx[i];
	ul_head_branch_forward(&b, pr.x, pr.y, pr.saved, pr.ws, true);
	ul_head_branch_backward(&b, pr.x, pr.saved, pr.r, dx, pr.ws);
	double worst = 0;
	for (size_t i = 0; i < nx; i++)
		worst = worse(worst, rel(dx[i], again[i]));
	ok(worst < 1e-5, "%s: backward adds to dx", name);

	/* one-to-one: detached, dx stays as it was, the parameters still learn */
	b.detached = true;
	memcpy(again, dx, sizeof *dx * nx);
	float before = cv0->dw[0];
	ul_head_branch_forward(&b, pr.x, pr.y, pr.saved, pr.ws, true);
	ul_head_branch_backward(&b, pr.x, pr.saved, pr.r, dx, pr.ws);
	ok(unchanged(dx, again, nx), "%s: detached, no gradient reaches the feature", name);
	ok(cv0->dw[0] != before, "%s: detached, the first conv still gets gradients", name);

	free_random_convs();
	for (int i = 0; i < nout; i++)
		free(pr.y[i]), free((float *)pr.r[i]);
	free(pr.x), free(pr.saved), free(pr.ws), free(dx), free(again);
}

/* Pose26 outside training: the sigma output skipped, kpts as with both. */
static void skip_output(void)
{
	const int ch = 5, c4 = 4, nk = 3, nsigma = 2;
	struct ul_head_branch b = { .nout = 2 };
	conv(&b.cv[0], ch, c4, 3);
	conv(&b.cv[1], c4, c4, 3);
	biased(&b.out[0], c4, nk);
	biased(&b.out[1], c4, nsigma);
	size_t nx = (size_t)N * H * W * ch, nkpts = (size_t)N * H * W * nk, nsig = (size_t)N * H * W * nsigma;
	float *x = randoms(nx, 0, 1), *kpts = malloc(sizeof *kpts * nkpts), *alone = malloc(sizeof *alone * nkpts);
	float *sigma = malloc(sizeof *sigma * nsig), *saved = malloc(sizeof *saved * ul_head_branch_saved(&b));
	float *ws = malloc(sizeof *ws * ul_head_branch_workspace(&b));
	ul_head_branch_forward(&b, x, (float *const[]){ kpts, sigma }, saved, ws, false);
	ul_head_branch_forward(&b, x, (float *const[]){ alone, NULL }, saved, ws, false);
	ok(unchanged(kpts, alone, nkpts), "eval: kpts are the same with the sigma output skipped");
	free_random_convs();
	free(x), free(kpts), free(alone), free(sigma), free(saved), free(ws);
}

int main(void)
{
	run(1, "one output (mask coefficients, angle)");
	run(2, "two outputs (keypoints and sigma)");
	skip_output();
	return done_testing();
}
