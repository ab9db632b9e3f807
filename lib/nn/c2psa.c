#include "nn/c2psa.h"

#include "nn/concat.h"

static size_t half(const struct ul_c2psa *c)
{
	return ul_conv_module_out(&c->cv1) / 2;
}

static struct ul_concat halves(const struct ul_c2psa *c, int *channels)
{
	int h = c->cv1.conv.c_out / 2;
	return ul_concat_equal(half(c) / (size_t)h, 2, h, channels);
}

/* saved: cv1's output, a, b0 = b, b1 .. bn, the concat of a and bn, then
 * the blocks', cv1's and cv2's saved state */
struct layout {
	float *y1, *a, *b[UL_C2PSA_MAX + 1], *cat, *block[UL_C2PSA_MAX], *s1, *s2;
};

static struct layout lay_out(const struct ul_c2psa *c, float *saved)
{
	struct layout l;
	size_t p = half(c);
	l.y1 = saved;
	l.a = l.y1 + 2 * p;
	for (int i = 0; i <= c->n; i++)
		l.b[i] = l.a + (size_t)(i + 1) * p;
	l.cat = l.a + (size_t)(c->n + 2) * p;  /* after a, b0 .. bn */
	float *next = l.cat + 2 * p;
	for (int i = 0; i < c->n; i++) {
		l.block[i] = next;
		next += ul_psablock_saved(&c->m[i]);
	}
	l.s1 = next;
	l.s2 = l.s1 + ul_conv_module_saved(&c->cv1);
	return l;
}

size_t ul_c2psa_saved(const struct ul_c2psa *c)
{
	size_t s = (size_t)(c->n + 6) * half(c);
	for (int i = 0; i < c->n; i++)
		s += ul_psablock_saved(&c->m[i]);
	return s + ul_conv_module_saved(&c->cv1) + ul_conv_module_saved(&c->cv2);
}

static size_t inner(const struct ul_c2psa *c)
{
	size_t w1 = ul_conv_module_workspace(&c->cv1), w2 = ul_conv_module_workspace(&c->cv2);
	size_t w = w1 > w2 ? w1 : w2;
	for (int i = 0; i < c->n; i++)
		if (ul_psablock_workspace(&c->m[i]) > w)
			w = ul_psablock_workspace(&c->m[i]);
	return w;
}

/* inner scratch, then dcat, da, db (two, in turn) */
size_t ul_c2psa_workspace(const struct ul_c2psa *c)
{
	return inner(c) + 5 * half(c);
}

void ul_c2psa_forward(const struct ul_c2psa *c, const float *x, float *y, float *saved, float *workspace, bool train)
{
	struct layout l = lay_out(c, saved);
	int channels[2];
	struct ul_concat cat = halves(c, channels);
	ul_conv_module_forward(&c->cv1, x, l.y1, l.s1, workspace, train);
	ul_split_forward(&cat, l.y1, (float *const[]){ l.a, l.b[0] });
	for (int i = 0; i < c->n; i++)
		ul_psablock_forward(&c->m[i], l.b[i], l.b[i + 1], l.block[i], workspace, train);
	ul_concat_forward(&cat, (const float *const[]){ l.a, l.b[c->n] }, l.cat);
	ul_conv_module_forward(&c->cv2, l.cat, y, l.s2, workspace, train);
}

void ul_c2psa_backward(const struct ul_c2psa *c, const float *x, const float *saved, const float *dy, float *dx,
		       float *workspace)
{
	struct layout l = lay_out(c, (float *)saved);
	int channels[2];
	struct ul_concat cat = halves(c, channels);
	size_t p = half(c);
	float *dcat = workspace + inner(c), *da = dcat + 2 * p, *db = da + p, *db_prev = db + p;
	ul_conv_module_backward(&c->cv2, l.cat, l.s2, dy, dcat, workspace);
	ul_split_forward(&cat, dcat, (float *const[]){ da, db });
	for (int i = c->n - 1; i >= 0; i--) {
		ul_psablock_backward(&c->m[i], l.b[i], l.block[i], db, db_prev, workspace);
		float *t = db;
		db = db_prev;
		db_prev = t;
	}
	ul_concat_forward(&cat, (const float *const[]){ da, db }, dcat);
	ul_conv_module_backward(&c->cv1, x, l.s1, dcat, dx, workspace);
}
