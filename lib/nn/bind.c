#include "nn/bind.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

void ul_bind_fail(struct ul_binder *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	ul_invalidv(b->err, fmt, ap);
	va_end(ap);
	b->failed = 1;
}

/* A tensor name from its parts; state-dict names are far below the limit. */
void ul_bind_join(struct ul_binder *b, char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, UL_TENSOR_NAME, fmt, ap);
	va_end(ap);
	if (n >= UL_TENSOR_NAME)
		ul_bind_fail(b, "%s...: a tensor name too long", out);
}

/* The tensor prefix.suffix with ndim dimensions. */
const struct ul_tensor_spec *ul_bind_need(struct ul_binder *b, const char *prefix, const char *suffix, int ndim)
{
	char name[UL_TENSOR_NAME];
	ul_bind_join(b, name, "%s.%s", prefix, suffix);
	const struct ul_tensor_spec *s = ul_tensor_find(&b->w->graph->tensors, name);
	if (!s || s->ndim != ndim) {
		ul_bind_fail(b, "%s: not in the model, or not %d-dimensional", name, ndim);
		return NULL;
	}
	return s;
}

float *ul_bind_param(struct ul_binder *b, const struct ul_tensor_spec *s)
{
	return ul_weights_data(b->w, s);
}

float *ul_bind_grad(struct ul_binder *b, const struct ul_tensor_spec *s)
{
	return b->w->grads + s->offset;
}

/* A Conv module at prefix on an (n, h, w, c_in) input; kernel, width and
 * groups come from its weight's shape, padding is k/2. */
void ul_bind_conv(struct ul_binder *b, const char *prefix, struct ul_conv_module *m, int n, int h, int w, int c_in,
		      int stride, bool act)
{
	char sub[UL_TENSOR_NAME];
	ul_bind_join(b, sub, "%s.conv", prefix);
	const struct ul_tensor_spec *wt = ul_bind_need(b, sub, "weight", 4);
	ul_bind_join(b, sub, "%s.bn", prefix);
	const struct ul_tensor_spec *g = ul_bind_need(b, sub, "weight", 1), *be = ul_bind_need(b, sub, "bias", 1);
	const struct ul_tensor_spec *rm = ul_bind_need(b, sub, "running_mean", 1), *rv = ul_bind_need(b, sub, "running_var", 1);
	if (b->failed)
		return;
	if (wt->shape[1] < 1 || c_in % wt->shape[1] || wt->shape[2] != wt->shape[3]) {
		ul_bind_fail(b, "%s: a %dx%dx%dx%d weight does not fit %d input channels", prefix, wt->shape[0], wt->shape[1],
			  wt->shape[2], wt->shape[3], c_in);
		return;
	}
	m->conv = (struct ul_conv2d){ n, h, w, c_in, wt->shape[0], wt->shape[2], stride, wt->shape[2] / 2,
				      c_in / wt->shape[1] };
	m->act = act;
	m->weight = ul_bind_param(b, wt), m->dweight = ul_bind_grad(b, wt);
	m->gamma = ul_bind_param(b, g), m->dgamma = ul_bind_grad(b, g);
	m->beta = ul_bind_param(b, be), m->dbeta = ul_bind_grad(b, be);
	m->running_mean = ul_bind_param(b, rm), m->running_var = ul_bind_param(b, rv);
}

/* Binds the Conv at prefix.part after the Conv prev, on prev's output. */
void ul_bind_next(struct ul_binder *b, const char *prefix, const char *part, struct ul_conv_module *m,
		      const struct ul_conv_module *prev, bool act)
{
	char sub[UL_TENSOR_NAME];
	ul_bind_join(b, sub, "%s.%s", prefix, part);
	ul_bind_conv(b, sub, m, prev->conv.n, ul_conv2d_out_h(&prev->conv), ul_conv2d_out_w(&prev->conv), prev->conv.c_out, 1,
		  act);
}

/* Binds the Conv at prefix.part on an input of the same shape as c's input. */
void ul_bind_beside(struct ul_binder *b, const char *prefix, const char *part, struct ul_conv_module *m,
			const struct ul_conv2d *c, int c_in, bool act)
{
	char sub[UL_TENSOR_NAME];
	ul_bind_join(b, sub, "%s.%s", prefix, part);
	ul_bind_conv(b, sub, m, c->n, c->h, c->w, c_in, 1, act);
}

/* A module's first Conv, prefix.cv1, on the layer's input. */
void ul_bind_cv1(struct ul_binder *b, const char *prefix, struct ul_conv_module *m, int n, int h, int w, int c_in,
		     bool act)
{
	const struct ul_conv2d input = { n, h, w, c_in, c_in, 1, 1, 0, 1 };
	ul_bind_beside(b, prefix, "cv1", m, &input, c_in, act);
}

void ul_bind_biased(struct ul_binder *b, const char *prefix, struct ul_biased_conv *bc, const struct ul_conv_module *prev)
{
	const struct ul_tensor_spec *wt = ul_bind_need(b, prefix, "weight", 4), *bias = ul_bind_need(b, prefix, "bias", 1);
	if (b->failed)
		return;
	const struct ul_conv2d *p = &prev->conv;
	bc->conv = (struct ul_conv2d){ p->n, ul_conv2d_out_h(p), ul_conv2d_out_w(p), p->c_out, wt->shape[0], 1, 1, 0, 1 };
	if (wt->shape[1] != p->c_out || wt->shape[2] != 1)
		ul_bind_fail(b, "%s: not a 1x1 conv on %d channels", prefix, p->c_out);
	bc->weight = ul_bind_param(b, wt), bc->dweight = ul_bind_grad(b, wt);
	bc->bias = ul_bind_param(b, bias), bc->dbias = ul_bind_grad(b, bias);
}

static void bind_bottleneck(struct ul_binder *b, const char *prefix, struct ul_bottleneck *m, const struct ul_conv2d *shape,
			    int c)
{
	ul_bind_beside(b, prefix, "cv1", &m->cv1, shape, c, true);
	ul_bind_next(b, prefix, "cv2", &m->cv2, &m->cv1, true);
	m->add = !b->failed && m->cv2.conv.c_out == c;  /* YOLO26's bottlenecks all have the shortcut on */
}

/* PSABlock(c) with heads heads: key_dim is half a head's width. */
void ul_bind_psablock(struct ul_binder *b, const char *prefix, struct ul_psablock *m, const struct ul_conv2d *shape,
			  int c, int heads)
{
	char sub[UL_TENSOR_NAME];
	ul_bind_join(b, sub, "%s.attn", prefix);
	struct ul_psa_attention *a = &m->attn;
	ul_bind_beside(b, sub, "qkv", &a->qkv, shape, c, false);
	ul_bind_beside(b, sub, "pe", &a->pe, shape, c, false);
	ul_bind_beside(b, sub, "proj", &a->proj, shape, c, false);
	ul_bind_beside(b, prefix, "ffn.0", &m->ffn0, shape, c, true);
	ul_bind_next(b, prefix, "ffn.1", &m->ffn1, &m->ffn0, false);
	if (b->failed)
		return;
	a->core = (struct ul_attention){ shape->n, shape->h, shape->w, heads, c / heads / 2, c / heads };
	if (ul_attention_qkv_channels(&a->core) != a->qkv.conv.c_out)
		ul_bind_fail(b, "%s: qkv has %d channels, %d heads of %d need %d", prefix, a->qkv.conv.c_out, heads, c,
			  ul_attention_qkv_channels(&a->core));
}

void ul_bind_c3k2(struct ul_binder *b, const char *prefix, const struct ul_layer *L, struct ul_c3k2 *m, int n, int h,
		      int w)
{
	ul_bind_cv1(b, prefix, &m->cv1, n, h, w, L->c1, true);
	if (b->failed)
		return;
	const struct ul_conv2d *shape = &m->cv1.conv;
	int c = shape->c_out / 2;
	ul_bind_beside(b, prefix, "cv2", &m->cv2, shape, (2 + L->repeats) * c, true);
	m->n = L->repeats;
	m->m = calloc((size_t)m->n, sizeof *m->m);
	if (!m->m) {
		ul_bind_fail(b, "out of memory");
		return;
	}
	struct ul_conv2d inner = { n, h, w, c, c, 1, 1, 0, 1 };
	for (int i = 0; i < m->n; i++) {
		struct ul_c3k2_block *blk = &m->m[i];
		char sub[UL_TENSOR_NAME];
		if (L->attn) {
			blk->kind = UL_INNER_ATTENTION;
			ul_bind_join(b, sub, "%s.m.%d.0", prefix, i);
			bind_bottleneck(b, sub, &blk->bottleneck, &inner, c);
			ul_bind_join(b, sub, "%s.m.%d.1", prefix, i);
			ul_bind_psablock(b, sub, &blk->psa, &inner, c, c / 64 > 1 ? c / 64 : 1);
		} else if (L->c3k) {
			blk->kind = UL_INNER_C3K;
			ul_bind_join(b, sub, "%s.m.%d", prefix, i);
			struct ul_c3k *k = &blk->c3k;
			ul_bind_beside(b, sub, "cv1", &k->cv1, &inner, c, true);
			ul_bind_beside(b, sub, "cv2", &k->cv2, &inner, c, true);
			if (b->failed)
				return;
			int half = k->cv1.conv.c_out;
			ul_bind_beside(b, sub, "cv3", &k->cv3, &inner, 2 * half, true);
			k->n = UL_C3K_MAX;
			for (int j = 0; j < k->n; j++) {
				char deeper[UL_TENSOR_NAME];
				ul_bind_join(b, deeper, "%s.m.%d", sub, j);
				bind_bottleneck(b, deeper, &k->m[j], &inner, half);
			}
		} else {
			blk->kind = UL_INNER_BOTTLENECK;
			ul_bind_join(b, sub, "%s.m.%d", prefix, i);
			bind_bottleneck(b, sub, &blk->bottleneck, &inner, c);
		}
	}
}

void ul_bind_detect_level(struct ul_binder *b, struct ul_detect_level *d, const char *prefix, bool one2one, int level,
			      int n, int h, int w, int c_in)
{
	char box[UL_TENSOR_NAME], cls[UL_TENSOR_NAME], sub[UL_TENSOR_NAME];
	ul_bind_join(b, box, "%s.%scv2.%d", prefix, one2one ? "one2one_" : "", level);
	ul_bind_join(b, cls, "%s.%scv3.%d", prefix, one2one ? "one2one_" : "", level);
	ul_bind_join(b, sub, "%s.0", box);
	ul_bind_conv(b, sub, &d->box[0], n, h, w, c_in, 1, true);
	ul_bind_next(b, box, "1", &d->box[1], &d->box[0], true);
	ul_bind_join(b, sub, "%s.2", box);
	ul_bind_biased(b, sub, &d->box_out, &d->box[1]);
	ul_bind_join(b, sub, "%s.0.0", cls);
	ul_bind_conv(b, sub, &d->cls[0], n, h, w, c_in, 1, true);
	static const char *const parts[] = { "0.1", "1.0", "1.1" };
	for (int k = 1; k < 4; k++)
		ul_bind_next(b, cls, parts[k - 1], &d->cls[k], &d->cls[k - 1], true);
	ul_bind_join(b, sub, "%s.2", cls);
	ul_bind_biased(b, sub, &d->cls_out, &d->cls[3]);
	d->detached = one2one;
}

