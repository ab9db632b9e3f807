/* Proto26: gradients for P3, P4 and P5 and for parameters along every path
 * (feat_refine, feat_fuse, the Proto chain with its ConvTranspose2d,
 * semseg) match finite differences; backward adds to each dx; eval runs in
 * the saved area without semseg's part. Tolerance 2e-3 relative. */
#include <string.h>

#include "nn/proto26.h"
#include "conv_params.h"
#include "tap.h"

#define N 2
#define H3 8  /* P3's size, so P5 still has 2 x 2 pixels for its BatchNorm */

/* Five BatchNorms deep and over a thousand prototype values, the loss
 * carries more float rounding, which dominates (measured on dP4: 0.0006 at
 * step 1e-2, 0.0030 at 3e-3, 0.0053 at 1e-3), so the larger step. */
#define STEP 1e-2f

/* A random Conv module (with SiLU) on a square input of side hw; padding k/2. */
static struct conv_params *conv(struct ul_conv_module *m, int hw, int c_in, int c_out, int k)
{
	return random_conv(m, (struct ul_conv2d){ N, hw, hw, c_in, c_out, k, 1, k / 2, 1 }, true);
}

struct probe {
	const struct ul_proto26 *p;
	const float *const *x;
	float *proto, *semseg, *saved, *ws;
	const float *rproto, *rsemseg;
	size_t nproto, nsemseg;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_proto26_forward(p->p, p->x, p->proto, p->semseg, p->saved, p->ws, true);
	return dot(p->proto, p->rproto, p->nproto) + dot(p->semseg, p->rsemseg, p->nsemseg);
}

static bool all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

int main(void)
{
	const int ch[3] = { 2, 3, 4 }, npr = 3, nm = 2, nc = 2;
	const int side[3] = { H3, H3 / 2, H3 / 4 };
	struct ul_proto26 p = { 0 };
	struct conv_params *refine0 = conv(&p.refine[0], side[1], ch[1], ch[0], 1);
	struct conv_params *refine1 = conv(&p.refine[1], side[2], ch[2], ch[0], 1);
	struct conv_params *fuse = conv(&p.fuse, H3, ch[0], npr, 3);
	conv(&p.cv1, H3, npr, npr, 3);
	p.up = (struct ul_conv_transpose2d){ N, H3, H3, npr, npr, 2, 2 };
	conv(&p.cv2, 2 * H3, npr, npr, 3);
	struct conv_params *cv3 = conv(&p.cv3, 2 * H3, npr, nm, 1);
	struct conv_params *semseg0 = conv(&p.semseg[0], H3, ch[0], npr, 3);
	conv(&p.semseg[1], H3, npr, npr, 3);
	p.semseg_out.conv = (struct ul_conv2d){ N, H3, H3, npr, nc, 1, 1, 0, 1 };

	size_t nup = (size_t)npr * npr * 4, nsw = (size_t)nc * npr;
	float *up_w = randoms(nup, 0, 1), *up_b = randoms((size_t)npr, 0, 1);
	float *dup_w = calloc(nup, sizeof *dup_w), *dup_b = calloc((size_t)npr, sizeof *dup_b);
	float *sw = randoms(nsw, 0, 1), *sb = randoms((size_t)nc, 0, 1);
	float *dsw = calloc(nsw, sizeof *dsw), *dsb = calloc((size_t)nc, sizeof *dsb);
	p.up_weight = up_w, p.up_bias = up_b, p.dup_weight = dup_w, p.dup_bias = dup_b;
	p.semseg_out.weight = sw, p.semseg_out.bias = sb, p.semseg_out.dweight = dsw, p.semseg_out.dbias = dsb;

	size_t nx[3];
	float *xs[3], *dx[3], *twice[3];
	for (int i = 0; i < 3; i++) {
		nx[i] = (size_t)N * side[i] * side[i] * ch[i];
		xs[i] = randoms(nx[i], 0, 1), dx[i] = calloc(nx[i], sizeof(float)), twice[i] = malloc(sizeof(float) * nx[i]);
	}
	const float *x[3] = { xs[0], xs[1], xs[2] };
	size_t nproto = (size_t)N * 2 * H3 * 2 * H3 * nm, nsemseg = (size_t)N * H3 * H3 * nc;
	float *proto = malloc(sizeof *proto * nproto), *semseg = malloc(sizeof *semseg * nsemseg);
	float *rproto = randoms(nproto, 0, 1), *rsemseg = randoms(nsemseg, 0, 1);
	float *saved = malloc(sizeof *saved * ul_proto26_saved(&p, true)), *ws = malloc(sizeof *ws * ul_proto26_workspace(&p));

	ul_proto26_forward(&p, x, proto, semseg, saved, ws, true);
	ul_proto26_backward(&p, x, saved, rproto, rsemseg, dx, ws);
	struct probe pr = { &p, x, proto, semseg, saved, ws, rproto, rsemseg, nproto, nsemseg };
	static const char *const level[3] = { "P3", "P4", "P5" };
	for (int i = 0; i < 3; i++)
		ok(fd_worst_at(loss, &pr, xs[i], dx[i], nx[i], STEP) < 2e-3, "d%s matches finite differences", level[i]);
	ok(fd_worst_at(loss, &pr, refine0->w, refine0->dw, refine0->nw, STEP) < 2e-3, "feat_refine.0's weight matches");
	ok(fd_worst_at(loss, &pr, refine1->gamma, refine1->dg, (size_t)ch[0], STEP) < 2e-3, "feat_refine.1's gamma matches");
	ok(fd_worst_at(loss, &pr, fuse->w, fuse->dw, fuse->nw, STEP) < 2e-3, "feat_fuse's weight matches");
	ok(fd_worst_at(loss, &pr, up_w, dup_w, nup, STEP) < 2e-3, "the ConvTranspose2d's weight matches");
	ok(fd_worst_at(loss, &pr, up_b, dup_b, (size_t)npr, STEP) < 2e-3, "the ConvTranspose2d's bias matches");
	ok(fd_worst_at(loss, &pr, cv3->beta, cv3->db, (size_t)nm, STEP) < 2e-3, "cv3's beta matches");
	ok(fd_worst_at(loss, &pr, semseg0->w, semseg0->dw, semseg0->nw, STEP) < 2e-3, "semseg.0's weight matches");
	ok(fd_worst_at(loss, &pr, sw, dsw, nsw, STEP) < 2e-3, "semseg.2's weight matches");
	ok(fd_worst_at(loss, &pr, sb, dsb, (size_t)nc, STEP) < 2e-3, "semseg.2's bias matches");

	/* the levels' gradients are shared: a second backward adds to them */
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < nx[i]; j++)
			twice[i][j] = 2 * dx[i][j];
	ul_proto26_forward(&p, x, proto, semseg, saved, ws, true);
	ul_proto26_backward(&p, x, saved, rproto, rsemseg, dx, ws);
	double worst = 0;
	for (int i = 0; i < 3; i++)
		for (size_t j = 0; j < nx[i]; j++)
			worst = worse(worst, rel(dx[i][j], twice[i][j]));
	ok(worst < 1e-5, "backward adds to dP3, dP4 and dP5");

	/* eval: exactly the smaller saved area (ASan would catch a write past
	 * it), no semseg output */
	size_t neval = ul_proto26_saved(&p, false);
	ok(neval < ul_proto26_saved(&p, true), "eval's saved area leaves out semseg's part");
	float *eval_saved = malloc(sizeof *eval_saved * neval);
	memset(proto, 0xff, sizeof *proto * nproto);  /* NaN: every value must be written */
	ul_proto26_forward(&p, x, proto, NULL, eval_saved, ws, false);
	ok(all_finite(proto, nproto), "eval writes every prototype value");

	free_random_convs();
	for (int i = 0; i < 3; i++)
		free(xs[i]), free(dx[i]), free(twice[i]);
	free(up_w), free(up_b), free(dup_w), free(dup_b), free(sw), free(sb), free(dsw), free(dsb);
	free(proto), free(semseg), free(rproto), free(rsemseg), free(saved), free(ws), free(eval_saved);
	return done_testing();
}
