#include "nn/psa.h"

#include <string.h>

#include "nn/backend.h"
#include "nn/sizes.h"

static size_t max3(size_t a, size_t b, size_t c)
{
	return ul_size_max(ul_size_max(a, b), c);
}

/* The size of x (and of every dim-channel map in the module). */
static size_t dim_size(const struct ul_psa_attention *a)
{
	return ul_conv_module_out(&a->proj);
}

/* saved: qkv, probs, out, v, s = out + pe(v), then the three convs' saved state */
struct attention_layout {
	float *qkv, *probs, *out, *v, *s, *saved_qkv, *saved_pe, *saved_proj;
};

static struct attention_layout attention_lay_out(const struct ul_psa_attention *a, float *saved)
{
	struct attention_layout l;
	size_t d = dim_size(a);
	l.qkv = saved;
	l.probs = l.qkv + ul_conv_module_out(&a->qkv);
	l.out = l.probs + ul_attention_probs_size(&a->core);
	l.v = l.out + d;
	l.s = l.v + d;
	l.saved_qkv = l.s + d;
	l.saved_pe = l.saved_qkv + ul_conv_module_saved(&a->qkv);
	l.saved_proj = l.saved_pe + ul_conv_module_saved(&a->pe);
	return l;
}

size_t ul_psa_attention_saved(const struct ul_psa_attention *a)
{
	return ul_conv_module_out(&a->qkv) + ul_attention_probs_size(&a->core) + 3 * dim_size(a) +
	       ul_conv_module_saved(&a->qkv) + ul_conv_module_saved(&a->pe) + ul_conv_module_saved(&a->proj);
}

/* conv or core scratch, then ds, d_v and d_qkv */
size_t ul_psa_attention_workspace(const struct ul_psa_attention *a)
{
	size_t convs = max3(ul_conv_module_workspace(&a->qkv), ul_conv_module_workspace(&a->pe),
			    ul_conv_module_workspace(&a->proj));
	size_t scratch = convs > ul_attention_workspace(&a->core) ? convs : ul_attention_workspace(&a->core);
	return scratch + 2 * dim_size(a) + ul_conv_module_out(&a->qkv);
}

void ul_psa_attention_forward(const struct ul_psa_attention *a, const float *x, float *y, float *saved, float *workspace,
			      bool train)
{
	struct attention_layout l = attention_lay_out(a, saved);
	size_t d = dim_size(a);
	ul_conv_module_forward(&a->qkv, x, l.qkv, l.saved_qkv, workspace, train);
	ul_ops->attention_forward(&a->core, l.qkv, l.out, l.v, l.probs);
	ul_conv_module_forward(&a->pe, l.v, l.s, l.saved_pe, workspace, train);
	ul_ops->add(d, l.out, l.s);
	ul_conv_module_forward(&a->proj, l.s, y, l.saved_proj, workspace, train);
}

void ul_psa_attention_backward(const struct ul_psa_attention *a, const float *x, const float *saved, const float *dy,
			       float *dx, float *workspace)
{
	struct attention_layout l = attention_lay_out(a, (float *)saved);
	size_t d = dim_size(a);
	size_t scratch = ul_psa_attention_workspace(a) - 2 * d - ul_conv_module_out(&a->qkv);
	float *ds = workspace + scratch, *d_v = ds + d, *d_qkv = d_v + d;
	ul_conv_module_backward(&a->proj, l.s, l.saved_proj, dy, ds, workspace);
	/* s = out + pe(v): ds reaches both the core's output and pe */
	ul_conv_module_backward(&a->pe, l.v, l.saved_pe, ds, d_v, workspace);
	ul_ops->attention_backward(&a->core, l.qkv, l.probs, ds, d_v, d_qkv, workspace);
	ul_conv_module_backward(&a->qkv, x, l.saved_qkv, d_qkv, dx, workspace);
}

/* PSABlock saved: the attention's state, its output a = x + attn(x), the
 * FFN's hidden map, and the two FFN convs' saved state */
size_t ul_psablock_saved(const struct ul_psablock *b)
{
	return ul_psa_attention_saved(&b->attn) + dim_size(&b->attn) + ul_conv_module_out(&b->ffn0) +
	       ul_conv_module_saved(&b->ffn0) + ul_conv_module_saved(&b->ffn1);
}

/* the attention's or an FFN conv's workspace, then da, d_hidden, d_attn */
size_t ul_psablock_workspace(const struct ul_psablock *b)
{
	size_t inner = max3(ul_psa_attention_workspace(&b->attn), ul_conv_module_workspace(&b->ffn0),
			    ul_conv_module_workspace(&b->ffn1));
	return inner + 2 * dim_size(&b->attn) + ul_conv_module_out(&b->ffn0);
}

struct block_layout {
	float *attn, *a, *hidden, *saved0, *saved1;
};

static struct block_layout block_lay_out(const struct ul_psablock *b, float *saved)
{
	struct block_layout l;
	l.attn = saved;
	l.a = l.attn + ul_psa_attention_saved(&b->attn);
	l.hidden = l.a + dim_size(&b->attn);
	l.saved0 = l.hidden + ul_conv_module_out(&b->ffn0);
	l.saved1 = l.saved0 + ul_conv_module_saved(&b->ffn0);
	return l;
}

void ul_psablock_forward(const struct ul_psablock *b, const float *x, float *y, float *saved, float *workspace, bool train)
{
	struct block_layout l = block_lay_out(b, saved);
	size_t d = dim_size(&b->attn);
	ul_psa_attention_forward(&b->attn, x, l.a, l.attn, workspace, train);
	ul_ops->add(d, x, l.a);
	ul_conv_module_forward(&b->ffn0, l.a, l.hidden, l.saved0, workspace, train);
	ul_conv_module_forward(&b->ffn1, l.hidden, y, l.saved1, workspace, train);
	ul_ops->add(d, l.a, y);
}

void ul_psablock_backward(const struct ul_psablock *b, const float *x, const float *saved, const float *dy, float *dx,
			  float *workspace)
{
	struct block_layout l = block_lay_out(b, (float *)saved);
	size_t d = dim_size(&b->attn);
	size_t inner = ul_psablock_workspace(b) - 2 * d - ul_conv_module_out(&b->ffn0);
	float *da = workspace + inner, *d_attn = da + d, *d_hidden = d_attn + d;
	/* y = a + ffn1(ffn0(a)) */
	ul_conv_module_backward(&b->ffn1, l.hidden, l.saved1, dy, d_hidden, workspace);
	ul_conv_module_backward(&b->ffn0, l.a, l.saved0, d_hidden, da, workspace);
	ul_ops->add(d, dy, da);
	/* a = x + attn(x) */
	ul_psa_attention_backward(&b->attn, x, l.attn, da, d_attn, workspace);
	ul_ops->channels_copy(1, (int)d, da, (int)d, dx, (int)d);
	ul_ops->add(d, d_attn, dx);
}
