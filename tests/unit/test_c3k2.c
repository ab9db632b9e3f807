/* C3k2 with each inner block (Bottleneck, C3k, Bottleneck + PSABlock):
 * gradients through cv1, the split, the chain of blocks, the concat and cv2
 * match finite differences. Tolerance 2e-3 relative, as for the ops. */
#include "nn/c3k2.h"
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

static void bottleneck(struct ul_bottleneck *b, int c, double e)
{
	int hidden = (int)(c * e);
	conv(&b->cv1, c, hidden, 3, 1, true);
	conv(&b->cv2, hidden, c, 3, 1, true);
	b->add = true;
}

struct probe {
	const struct ul_c3k2 *c;
	float *x, *y, *saved, *ws;
	const float *r;
	size_t ny;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_c3k2_forward(p->c, p->x, p->y, p->saved, p->ws, true);
	return dot(p->y, p->r, p->ny);
}

static void run(enum ul_inner kind, int n, const char *name)
{
	const int c1 = 6, c2 = 8, c = c2 / 2;  /* e 0.5 */
	struct ul_c3k2 m = { .n = n, .m = calloc((size_t)n, sizeof(struct ul_c3k2_block)) };
	struct conv_params *outer1 = conv(&m.cv1, c1, 2 * c, 1, 1, true);
	struct conv_params *outer2 = conv(&m.cv2, (2 + n) * c, c2, 1, 1, true);
	struct conv_params *inner = &conv_pool[conv_pool_used];
	for (int i = 0; i < n; i++) {
		struct ul_c3k2_block *b = &m.m[i];
		b->kind = kind;
		if (kind == UL_INNER_BOTTLENECK) {
			bottleneck(&b->bottleneck, c, 0.5);
		} else if (kind == UL_INNER_C3K) {
			int h = c / 2;
			conv(&b->c3k.cv1, c, h, 1, 1, true);
			conv(&b->c3k.cv2, c, h, 1, 1, true);
			conv(&b->c3k.cv3, 2 * h, c, 1, 1, true);
			b->c3k.n = 2;
			bottleneck(&b->c3k.m[0], h, 1.0);
			bottleneck(&b->c3k.m[1], h, 1.0);
		} else {
			bottleneck(&b->bottleneck, c, 0.5);
			struct ul_psablock *psa = &b->psa;
			int heads = 1, key_dim = c / 2;
			psa->attn.core = (struct ul_attention){ N, H, W, heads, key_dim, c };
			conv(&psa->attn.qkv, c, c + 2 * key_dim * heads, 1, 1, false);
			conv(&psa->attn.pe, c, c, 3, c, false);
			conv(&psa->attn.proj, c, c, 1, 1, false);
			conv(&psa->ffn0, c, 2 * c, 1, 1, true);
			conv(&psa->ffn1, 2 * c, c, 1, 1, false);
		}
	}
	size_t nx = (size_t)N * H * W * c1, ny = (size_t)N * H * W * c2;
	float *x = randoms(nx, 0, 1), *r = randoms(ny, 0, 1), *y = malloc(sizeof *y * ny), *dx = malloc(sizeof *dx * nx);
	float *saved = malloc(sizeof *saved * ul_c3k2_saved(&m)), *ws = malloc(sizeof *ws * ul_c3k2_workspace(&m));

	ul_c3k2_forward(&m, x, y, saved, ws, true);
	ul_c3k2_backward(&m, x, saved, r, dx, ws);
	struct probe pr = { &m, x, y, saved, ws, r, ny };
	ok(fd_worst(loss, &pr, x, dx, nx) < 2e-3, "%s: dx matches finite differences", name);
	ok(fd_worst(loss, &pr, outer1->w, outer1->dw, outer1->nw) < 2e-3, "%s: cv1's dweight matches", name);
	ok(fd_worst(loss, &pr, outer2->gamma, outer2->dg, (size_t)c2) < 2e-3, "%s: cv2's dgamma matches", name);
	ok(fd_worst(loss, &pr, inner->w, inner->dw, inner->nw) < 2e-3, "%s: the first block's first dweight matches", name);
	struct conv_params *last = &conv_pool[conv_pool_used - 1];
	ok(fd_worst(loss, &pr, last->w, last->dw, last->nw) < 2e-3, "%s: the last block's last dweight matches", name);

	free_random_convs();
	free(m.m), free(x), free(r), free(y), free(dx), free(saved), free(ws);
}

int main(void)
{
	run(UL_INNER_BOTTLENECK, 1, "Bottleneck inside");
	run(UL_INNER_BOTTLENECK, 2, "two Bottlenecks in a chain");
	run(UL_INNER_C3K, 1, "C3k inside");
	run(UL_INNER_ATTENTION, 1, "Bottleneck + PSABlock inside");
	return done_testing();
}
