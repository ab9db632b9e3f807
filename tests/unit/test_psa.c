/* YOLO26's attention module and PSABlock: gradients through the qkv conv,
 * the softmax core, the positional depthwise conv on v, proj, the FFN and
 * both residuals match finite differences. Tolerance 2e-3 relative. */
#include "nn/psa.h"
#include "conv_params.h"
#include "tap.h"

struct probe {
	const struct ul_psablock *b;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_psablock_forward(p->b, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

static void run(int heads, const char *name)
{
	const int n = 2, h = 3, w = 4, dim = 8, head_dim = dim / heads, key_dim = head_dim / 2;
	int qkv_c = dim + 2 * key_dim * heads;
	struct ul_psablock b = { .attn.core = { n, h, w, heads, key_dim, head_dim } };
	struct conv_params *qkv = random_conv(&b.attn.qkv, (struct ul_conv2d){ n, h, w, dim, qkv_c, 1, 1, 0, 1 }, false);
	struct conv_params *pe = random_conv(&b.attn.pe, (struct ul_conv2d){ n, h, w, dim, dim, 3, 1, 1, dim }, false);
	struct conv_params *proj = random_conv(&b.attn.proj, (struct ul_conv2d){ n, h, w, dim, dim, 1, 1, 0, 1 }, false);
	struct conv_params *ffn0 = random_conv(&b.ffn0, (struct ul_conv2d){ n, h, w, dim, 2 * dim, 1, 1, 0, 1 }, true);
	struct conv_params *ffn1 = random_conv(&b.ffn1, (struct ul_conv2d){ n, h, w, 2 * dim, dim, 1, 1, 0, 1 }, false);
	size_t nx = (size_t)n * h * w * dim;
	float *x = randoms(nx, 0, 1), *r = randoms(nx, 0, 1), *y = malloc(sizeof *y * nx), *dx = malloc(sizeof *dx * nx);
	float *saved = malloc(sizeof *saved * ul_psablock_saved(&b)), *ws = malloc(sizeof *ws * ul_psablock_workspace(&b));

	ul_psablock_forward(&b, x, y, saved, ws, true);
	ul_psablock_backward(&b, x, saved, r, dx, ws);
	struct probe pr = { &b, x, y, saved, ws, r, nx };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, qkv->w, qkv->dw, qkv->nw) < 2e-3, "%s: the qkv conv's dweight matches", name);
	ok(fd_worst(loss, &pr, pe->w, pe->dw, pe->nw) < 2e-3, "%s: the positional conv's dweight matches", name);
	ok(fd_worst(loss, &pr, proj->gamma, proj->dg, (size_t)dim) < 2e-3, "%s: proj's dgamma matches", name);
	ok(fd_worst(loss, &pr, ffn0->w, ffn0->dw, ffn0->nw) < 2e-3, "%s: the FFN's first dweight matches", name);
	ok(fd_worst(loss, &pr, ffn1->beta, ffn1->db, (size_t)dim) < 2e-3, "%s: the FFN's second dbeta matches", name);

	/* eval runs the same path with the running statistics, and is finite */
	ul_psablock_forward(&b, x, y, saved, ws, false);
	bool finite = true;
	for (size_t i = 0; i < nx; i++)
		finite &= isfinite(y[i]);
	ok(finite, "%s: eval forward is finite", name);
	free(x), free(r), free(y), free(dx), free(saved), free(ws);
	free_random_convs();
}

int main(void)
{
	run(1, "1 head");
	run(2, "2 heads");
	return done_testing();
}
