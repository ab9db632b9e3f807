/* Attention against the definition written from PyTorch's view of the qkv
 * channels, and d_qkv against finite differences, over heads, positions,
 * key and head widths; plus scores large enough to overflow a softmax that
 * does not subtract its maximum. Tolerance: relative 1e-4 for the forward
 * pass (float GEMM against a double sum), 2e-3 for gradients (float central
 * differences), 1e-3 for the large scores (float rounding of scores near
 * 1e3 moves the probabilities by about that much). */
#include <math.h>

#include "nn/attention.h"
#include "numeric.h"
#include "tap.h"

/* qkv.view(B, heads, 2 key_dim + head_dim, N)[b, head, row, pos], from NHWC. */
static double at(const struct ul_attention *a, const float *qkv, int b, int head, int row, int pos)
{
	int np = a->h * a->w, per = 2 * a->key_dim + a->head_dim;
	return qkv[((size_t)b * np + pos) * ul_attention_qkv_channels(a) + head * per + row];
}

/* out[b, head, d, i] = sum_j v[d, j] softmax_j(scale sum_c q[c, i] k[c, j]), in double. */
static double direct(const struct ul_attention *a, const float *qkv, int b, int head, int d, int i)
{
	int np = a->h * a->w, kd = a->key_dim;
	double scale = pow(kd, -0.5), max = -INFINITY, sum = 0, out = 0;
	double *s = malloc(sizeof *s * np);
	for (int j = 0; j < np; j++) {
		s[j] = 0;
		for (int c = 0; c < kd; c++)
			s[j] += at(a, qkv, b, head, c, i) * at(a, qkv, b, head, kd + c, j);
		s[j] *= scale;
		max = fmax(max, s[j]);
	}
	for (int j = 0; j < np; j++)
		sum += s[j] = exp(s[j] - max);
	for (int j = 0; j < np; j++)
		out += at(a, qkv, b, head, 2 * kd + d, j) * s[j] / sum;
	free(s);
	return out;
}

/* Worst relative difference of out and v from the definition. */
static double forward_error(const struct ul_attention *a, const float *qkv, const float *out, const float *v)
{
	int np = a->h * a->w, co = ul_attention_out_channels(a);
	double worst = 0;
	for (int b = 0; b < a->n; b++)
		for (int head = 0; head < a->heads; head++)
			for (int d = 0; d < a->head_dim; d++)
				for (int i = 0; i < np; i++) {
					size_t at_out = ((size_t)b * np + i) * co + head * a->head_dim + d;
					double want = direct(a, qkv, b, head, d, i);
					worst = worse(worst, fabs(out[at_out] - want) / fmax(1.0, fabs(want)));
					worst = worse(worst, fabs(v[at_out] - at(a, qkv, b, head, 2 * a->key_dim + d, i)));
				}
	return worst;
}

struct bufs {
	float *qkv, *out, *v, *probs, *r_out, *r_v;
};

/* L = sum(out * r_out) + sum(v * r_v): both outputs carry a gradient. */
struct probe {
	const struct ul_attention *a;
	struct bufs *t;
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	const struct ul_attention *a = p->a;
	struct bufs *t = p->t;
	ul_attention_forward(a, t->qkv, t->out, t->v, t->probs);
	size_t n = (size_t)a->n * a->h * a->w * ul_attention_out_channels(a);
	return dot(t->out, t->r_out, n) + dot(t->v, t->r_v, n);
}

/* spread scales the random qkv: larger values give peakier softmaxes. */
static void run(struct ul_attention a, float spread, const char *name)
{
	size_t nqkv = (size_t)a.n * a.h * a.w * ul_attention_qkv_channels(&a);
	size_t nout = (size_t)a.n * a.h * a.w * ul_attention_out_channels(&a);
	struct bufs t = { randoms(nqkv, 0, spread), malloc(sizeof(float) * nout), malloc(sizeof(float) * nout),
			  malloc(sizeof(float) * ul_attention_probs_size(&a)), randoms(nout, 0, 1), randoms(nout, 0, 1) };
	float *ws = malloc(sizeof *ws * ul_attention_workspace(&a));
	float *dqkv = malloc(sizeof *dqkv * nqkv), *again = malloc(sizeof *again * nqkv);

	ul_attention_forward(&a, t.qkv, t.out, t.v, t.probs);
	double worst = forward_error(&a, t.qkv, t.out, t.v);
	ok(worst < 1e-4, "%s: forward matches the definition (worst %.2g)", name, worst);

	/* NaN first: d_qkv must be written, not added to */
	for (size_t i = 0; i < nqkv; i++)
		dqkv[i] = again[i] = NAN;
	ul_attention_backward(&a, t.qkv, t.probs, t.r_out, t.r_v, dqkv, ws);
	ul_attention_backward(&a, t.qkv, t.probs, t.r_out, t.r_v, again, ws);
	ok(memcmp(dqkv, again, sizeof *dqkv * nqkv) == 0, "%s: backward leaves probs as they were", name);
	struct probe pr = { &a, &t };
	worst = fd_worst(loss, &pr, t.qkv, dqkv, nqkv);
	ok(worst < 2e-3, "%s: d_qkv matches finite differences (worst %.2g)", name, worst);
	free(t.qkv), free(t.out), free(t.v), free(t.probs), free(t.r_out), free(t.r_v), free(ws), free(dqkv), free(again);
}

/* Queries scaled by 1000 put scores near 1e3, where exp overflows unless
 * the row maximum comes off first. */
static void large_scores(void)
{
	struct ul_attention a = { .n = 1, .h = 3, .w = 3, .heads = 2, .key_dim = 4, .head_dim = 4 };
	size_t nqkv = (size_t)9 * ul_attention_qkv_channels(&a), nout = (size_t)9 * ul_attention_out_channels(&a);
	float *qkv = randoms(nqkv, 0, 1), *out = malloc(sizeof *out * nout), *v = malloc(sizeof *v * nout);
	float *probs = malloc(sizeof *probs * ul_attention_probs_size(&a));
	for (size_t p = 0; p < 9; p++)
		for (int head = 0; head < a.heads; head++)
			for (int c = 0; c < a.key_dim; c++)
				qkv[p * ul_attention_qkv_channels(&a) + head * 12 + c] *= 1000;
	ul_attention_forward(&a, qkv, out, v, probs);
	int finite = 1;
	for (size_t i = 0; i < nout; i++)
		finite &= isfinite(out[i]);
	ok(finite, "large scores: out is finite");
	double worst = forward_error(&a, qkv, out, v);
	ok(worst < 1e-3, "large scores: forward matches the definition (worst %.2g)", worst);
	free(qkv), free(out), free(v), free(probs);
}

int main(void)
{
	run((struct ul_attention){ .n = 1, .h = 1, .w = 1, .heads = 1, .key_dim = 2, .head_dim = 4 }, 1, "N=1, one head");
	run((struct ul_attention){ .n = 2, .h = 2, .w = 3, .heads = 2, .key_dim = 3, .head_dim = 5 }, 1, "N=6, 2 heads, batch 2");
	run((struct ul_attention){ .n = 1, .h = 3, .w = 4, .heads = 2, .key_dim = 4, .head_dim = 8 }, 1, "N=12, 2 heads");
	run((struct ul_attention){ .n = 2, .h = 1, .w = 5, .heads = 1, .key_dim = 4, .head_dim = 6 }, 1, "N=5, one head");
	run((struct ul_attention){ .n = 1, .h = 2, .w = 1, .heads = 2, .key_dim = 2, .head_dim = 4 }, 1, "N=2, 2 heads");
	run((struct ul_attention){ .n = 1, .h = 4, .w = 3, .heads = 2, .key_dim = 2, .head_dim = 4 }, 3, "N=12, peaked softmax");
	large_scores();
	return done_testing();
}
