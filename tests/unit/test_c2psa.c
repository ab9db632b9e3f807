/* C2PSA: gradients through cv1, the split, a chain of PSABlocks, the
 * concat and cv2 match finite differences. Tolerance 2e-3 relative. */
#include "nn/c2psa.h"
#include "conv_params.h"
#include "tap.h"

#define N 2
#define H 3
#define W 4

/* A random Conv module at the tests' batch and size; padding k/2. */
static struct conv_params *conv(struct ul_conv_module *m, int c_in, int c_out, int k, int groups, bool act)
{
	return random_conv(m, (struct ul_conv2d){ N, H, W, c_in, c_out, k, 1, k / 2, groups }, act);
}

struct probe {
	const struct ul_c2psa *c;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_c2psa_forward(p->c, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

static void run(int n, const char *name)
{
	const int c1 = 8, c = c1 / 2, heads = 1, key_dim = c / 2;
	struct ul_c2psa m = { .n = n };
	struct conv_params *cv1 = conv(&m.cv1, c1, 2 * c, 1, 1, true);
	conv(&m.cv2, 2 * c, c1, 1, 1, true);
	struct conv_params *first = &conv_pool[conv_pool_used];
	for (int i = 0; i < n; i++) {
		struct ul_psablock *b = &m.m[i];
		b->attn.core = (struct ul_attention){ N, H, W, heads, key_dim, c };
		conv(&b->attn.qkv, c, c + 2 * key_dim * heads, 1, 1, false);
		conv(&b->attn.pe, c, c, 3, c, false);
		conv(&b->attn.proj, c, c, 1, 1, false);
		conv(&b->ffn0, c, 2 * c, 1, 1, true);
		conv(&b->ffn1, 2 * c, c, 1, 1, false);
	}
	size_t nx = (size_t)N * H * W * c1;
	float *x = randoms(nx, 0, 1), *r = randoms(nx, 0, 1), *y = malloc(sizeof *y * nx), *dx = malloc(sizeof *dx * nx);
	float *saved = malloc(sizeof *saved * ul_c2psa_saved(&m)), *ws = malloc(sizeof *ws * ul_c2psa_workspace(&m));
	ul_c2psa_forward(&m, x, y, saved, ws, true);
	ul_c2psa_backward(&m, x, saved, r, dx, ws);
	struct probe pr = { &m, x, y, saved, ws, r, nx };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, cv1->w, cv1->dw, cv1->nw) < 2e-3, "%s: cv1's dweight matches", name);
	ok(fd_worst(loss, &pr, first->w, first->dw, first->nw) < 2e-3, "%s: the first block's qkv dweight matches", name);
	struct conv_params *last = &conv_pool[conv_pool_used - 1];
	ok(fd_worst(loss, &pr, last->beta, last->db, (size_t)c) < 2e-3, "%s: the last block's FFN dbeta matches", name);
	free_random_convs();
	free(x), free(r), free(y), free(dx), free(saved), free(ws);
}

int main(void)
{
	run(1, "one PSABlock");
	run(2, "two PSABlocks in a chain");
	return done_testing();
}
