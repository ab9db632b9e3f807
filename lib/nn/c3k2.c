#include "nn/c3k2.h"

#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/concat.h"
#include "nn/sizes.h"

static size_t in_size(const struct ul_conv_module *first)
{
	return (size_t)first->conv.n * first->conv.h * first->conv.w * first->conv.c_in;
}

/* ---- C3k ----------------------------------------------------------------
 * saved: t0 = cv1 x, t1 .. tn the Bottlenecks' outputs, u = cv2 x, their
 * concat, then the Bottlenecks', cv1's, cv2's and cv3's saved state. */

static size_t c3k_part(const struct ul_c3k *c)
{
	return ul_conv_module_out(&c->cv1);
}

size_t ul_c3k_saved(const struct ul_c3k *c)
{
	size_t s = (size_t)(c->n + 4) * c3k_part(c);
	for (int i = 0; i < c->n; i++)
		s += ul_bottleneck_saved(&c->m[i]);
	return s + ul_conv_module_saved(&c->cv1) + ul_conv_module_saved(&c->cv2) + ul_conv_module_saved(&c->cv3);
}

static size_t c3k_inner(const struct ul_c3k *c)
{
	size_t w = ul_size_max(ul_conv_module_workspace(&c->cv1),
			       ul_size_max(ul_conv_module_workspace(&c->cv2), ul_conv_module_workspace(&c->cv3)));
	for (int i = 0; i < c->n; i++)
		w = ul_size_max(w, ul_bottleneck_workspace(&c->m[i]));
	return w;
}

/* inner scratch, then dcat (2 parts), dt0 .. dtn, du, and cv2's dx */
size_t ul_c3k_workspace(const struct ul_c3k *c)
{
	return c3k_inner(c) + (size_t)(c->n + 4) * c3k_part(c) + in_size(&c->cv1);
}

struct c3k_layout {
	float *t[UL_C3K_MAX + 1], *u, *cat, *block[UL_C3K_MAX], *s1, *s2, *s3;
};

static struct c3k_layout c3k_lay_out(const struct ul_c3k *c, float *saved)
{
	struct c3k_layout l;
	size_t p = c3k_part(c);
	for (int i = 0; i <= c->n; i++)
		l.t[i] = saved + (size_t)i * p;
	l.u = saved + (size_t)(c->n + 1) * p;
	l.cat = l.u + p;
	float *next = l.cat + 2 * p;
	for (int i = 0; i < c->n; i++) {
		l.block[i] = next;
		next += ul_bottleneck_saved(&c->m[i]);
	}
	l.s1 = next;
	l.s2 = l.s1 + ul_conv_module_saved(&c->cv1);
	l.s3 = l.s2 + ul_conv_module_saved(&c->cv2);
	return l;
}

void ul_c3k_forward(const struct ul_c3k *c, const float *x, float *y, float *saved, float *workspace, bool train)
{
	struct c3k_layout l = c3k_lay_out(c, saved);
	int channels[2];
	struct ul_concat cat = ul_concat_equal(c3k_part(c) / (size_t)c->cv1.conv.c_out, 2, c->cv1.conv.c_out, channels);
	ul_conv_module_forward(&c->cv1, x, l.t[0], l.s1, workspace, train);
	for (int i = 0; i < c->n; i++)
		ul_bottleneck_forward(&c->m[i], l.t[i], l.t[i + 1], l.block[i], workspace, train);
	ul_conv_module_forward(&c->cv2, x, l.u, l.s2, workspace, train);
	ul_concat_forward(&cat, (const float *const[]){ l.t[c->n], l.u }, l.cat);
	ul_conv_module_forward(&c->cv3, l.cat, y, l.s3, workspace, train);
}

void ul_c3k_backward(const struct ul_c3k *c, const float *x, const float *saved, const float *dy, float *dx, float *workspace)
{
	struct c3k_layout l = c3k_lay_out(c, (float *)saved);
	int channels[2];
	struct ul_concat cat = ul_concat_equal(c3k_part(c) / (size_t)c->cv1.conv.c_out, 2, c->cv1.conv.c_out, channels);
	size_t p = c3k_part(c);
	float *dcat = workspace + c3k_inner(c), *dt = dcat + 2 * p, *du = dt + (size_t)(c->n + 1) * p, *dx2 = du + p;
	ul_conv_module_backward(&c->cv3, l.cat, l.s3, dy, dcat, workspace);
	ul_split_forward(&cat, dcat, (float *const[]){ dt + (size_t)c->n * p, du });
	for (int i = c->n - 1; i >= 0; i--)
		ul_bottleneck_backward(&c->m[i], l.t[i], l.block[i], dt + (size_t)(i + 1) * p, dt + (size_t)i * p, workspace);
	ul_conv_module_backward(&c->cv1, x, l.s1, dt, dx, workspace);
	ul_conv_module_backward(&c->cv2, x, l.s2, du, dx2, workspace);
	ul_ops->add(in_size(&c->cv1), dx2, dx);
}

/* ---- C3k2's inner blocks ------------------------------------------------ */

/* The size of a block's input and output: c channels. */
static size_t block_part(const struct ul_c3k2_block *b)
{
	return b->kind == UL_INNER_C3K ? ul_conv_module_out(&b->c3k.cv3) : ul_conv_module_out(&b->bottleneck.cv2);
}

/* the attention variant keeps the Bottleneck's output, the PSABlock's input */
static size_t block_saved(const struct ul_c3k2_block *b)
{
	switch (b->kind) {
	case UL_INNER_BOTTLENECK: return ul_bottleneck_saved(&b->bottleneck);
	case UL_INNER_C3K: return ul_c3k_saved(&b->c3k);
	default: return block_part(b) + ul_bottleneck_saved(&b->bottleneck) + ul_psablock_saved(&b->psa);
	}
}

static size_t block_workspace(const struct ul_c3k2_block *b)
{
	switch (b->kind) {
	case UL_INNER_BOTTLENECK: return ul_bottleneck_workspace(&b->bottleneck);
	case UL_INNER_C3K: return ul_c3k_workspace(&b->c3k);
	default: return ul_size_max(ul_bottleneck_workspace(&b->bottleneck), ul_psablock_workspace(&b->psa)) + block_part(b);
	}
}

static void block_forward(const struct ul_c3k2_block *b, const float *x, float *y, float *saved, float *ws, bool train)
{
	if (b->kind == UL_INNER_BOTTLENECK) {
		ul_bottleneck_forward(&b->bottleneck, x, y, saved, ws, train);
	} else if (b->kind == UL_INNER_C3K) {
		ul_c3k_forward(&b->c3k, x, y, saved, ws, train);
	} else {
		float *mid = saved, *s1 = mid + block_part(b), *s2 = s1 + ul_bottleneck_saved(&b->bottleneck);
		ul_bottleneck_forward(&b->bottleneck, x, mid, s1, ws, train);
		ul_psablock_forward(&b->psa, mid, y, s2, ws, train);
	}
}

static void block_backward(const struct ul_c3k2_block *b, const float *x, const float *saved, const float *dy, float *dx,
			   float *ws)
{
	if (b->kind == UL_INNER_BOTTLENECK) {
		ul_bottleneck_backward(&b->bottleneck, x, saved, dy, dx, ws);
	} else if (b->kind == UL_INNER_C3K) {
		ul_c3k_backward(&b->c3k, x, saved, dy, dx, ws);
	} else {
		const float *mid = saved, *s1 = mid + block_part(b), *s2 = s1 + ul_bottleneck_saved(&b->bottleneck);
		float *dmid = ws + ul_size_max(ul_bottleneck_workspace(&b->bottleneck), ul_psablock_workspace(&b->psa));
		ul_psablock_backward(&b->psa, mid, s2, dy, dmid, ws);
		ul_bottleneck_backward(&b->bottleneck, x, s1, dmid, dx, ws);
	}
}

/* ---- C3k2 ----------------------------------------------------------------
 * saved: cv1's output, the parts a, b, o1 .. on, their concat, the blocks',
 * cv1's and cv2's saved state. */

static size_t c3k2_part(const struct ul_c3k2 *c)
{
	return ul_conv_module_out(&c->cv1) / 2;
}

size_t ul_c3k2_saved(const struct ul_c3k2 *c)
{
	size_t p = c3k2_part(c), s = 2 * p + 2 * (size_t)(c->n + 2) * p;
	for (int i = 0; i < c->n; i++)
		s += block_saved(&c->m[i]);
	return s + ul_conv_module_saved(&c->cv1) + ul_conv_module_saved(&c->cv2);
}

static size_t c3k2_inner(const struct ul_c3k2 *c)
{
	size_t w = ul_size_max(ul_conv_module_workspace(&c->cv1), ul_conv_module_workspace(&c->cv2));
	for (int i = 0; i < c->n; i++)
		w = ul_size_max(w, block_workspace(&c->m[i]));
	return w;
}

/* inner scratch, then dcat, its parts, and cv1's output gradient */
size_t ul_c3k2_workspace(const struct ul_c3k2 *c)
{
	size_t p = c3k2_part(c);
	return c3k2_inner(c) + 2 * (size_t)(c->n + 2) * p + 2 * p;
}

struct c3k2_layout {
	float *y1, *parts, *cat, *s1, *s2;
	float *block[64];
};

static struct c3k2_layout c3k2_lay_out(const struct ul_c3k2 *c, float *saved)
{
	struct c3k2_layout l;
	size_t p = c3k2_part(c);
	l.y1 = saved;
	l.parts = l.y1 + 2 * p;
	l.cat = l.parts + (size_t)(c->n + 2) * p;
	float *next = l.cat + (size_t)(c->n + 2) * p;
	for (int i = 0; i < c->n && i < 64; i++) {
		l.block[i] = next;
		next += block_saved(&c->m[i]);
	}
	l.s1 = next;
	l.s2 = l.s1 + ul_conv_module_saved(&c->cv1);
	return l;
}

/* C3k2's parts: cv1's two halves, then one per block, c channels each. */
static struct ul_concat parts_of(const struct ul_c3k2 *c, int *channels, int parts)
{
	int half = c->cv1.conv.c_out / 2;
	return ul_concat_equal(c3k2_part(c) / (size_t)half, parts, half, channels);
}

void ul_c3k2_forward(const struct ul_c3k2 *c, const float *x, float *y, float *saved, float *workspace, bool train)
{
	struct c3k2_layout l = c3k2_lay_out(c, saved);
	size_t p = c3k2_part(c);
	int channels[66];
	float *part[66];
	for (int i = 0; i < c->n + 2; i++)
		part[i] = l.parts + (size_t)i * p;
	struct ul_concat split = parts_of(c, channels, 2), cat = parts_of(c, channels, c->n + 2);
	ul_conv_module_forward(&c->cv1, x, l.y1, l.s1, workspace, train);
	ul_split_forward(&split, l.y1, part);
	for (int i = 0; i < c->n; i++)
		block_forward(&c->m[i], part[i + 1], part[i + 2], l.block[i], workspace, train);
	ul_concat_forward(&cat, (const float *const *)part, l.cat);
	ul_conv_module_forward(&c->cv2, l.cat, y, l.s2, workspace, train);
}

void ul_c3k2_backward(const struct ul_c3k2 *c, const float *x, const float *saved, const float *dy, float *dx,
		      float *workspace)
{
	struct c3k2_layout l = c3k2_lay_out(c, (float *)saved);
	size_t p = c3k2_part(c);
	int channels[66];
	float *part[66], *dpart[66];
	float *dcat = workspace + c3k2_inner(c), *dparts = dcat + (size_t)(c->n + 2) * p, *dy1 = dparts + (size_t)(c->n + 2) * p;
	for (int i = 0; i < c->n + 2; i++) {
		part[i] = l.parts + (size_t)i * p;
		dpart[i] = dparts + (size_t)i * p;
	}
	struct ul_concat split = parts_of(c, channels, 2), cat = parts_of(c, channels, c->n + 2);
	ul_conv_module_backward(&c->cv2, l.cat, l.s2, dy, dcat, workspace);
	ul_split_forward(&cat, dcat, dpart);
	/* each block's output gradient: its own part, plus what the next block
	 * sends back to it (the blocks run in a chain from b) */
	for (int i = c->n - 1; i >= 0; i--) {
		block_backward(&c->m[i], part[i + 1], l.block[i], dpart[i + 2], dcat, workspace);
		ul_ops->add(p, dcat, dpart[i + 1]);
	}
	ul_concat_forward(&split, (const float *const *)dpart, dy1);
	ul_conv_module_backward(&c->cv1, x, l.s1, dy1, dx, workspace);
}
