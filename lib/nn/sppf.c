#include "nn/sppf.h"

#include <stdint.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/concat.h"
#include "nn/maxpool.h"

/* One pooled map's size: cv1's output, pools keep the size. */
static size_t part(const struct ul_sppf *s)
{
	return ul_conv_module_out(&s->cv1);
}

static struct ul_maxpool pool_of(const struct ul_sppf *s)
{
	const struct ul_conv2d *c = &s->cv1.conv;
	return (struct ul_maxpool){ c->n, ul_conv2d_out_h(c), ul_conv2d_out_w(c), c->c_out, s->pool_k, 1, s->pool_k / 2 };
}

/* The concat of cv1's output and the three pools. */
static struct ul_concat cat_of(const struct ul_sppf *s, int *channels)
{
	int c = s->cv1.conv.c_out;
	return ul_concat_equal(part(s) / (size_t)c, UL_SPPF_POOLS + 1, c, channels);
}

/* saved: the 4 maps, their concat, the pools' argmax (as 32-bit ints in
 * float-sized slots), then cv1's and cv2's saved state. */
size_t ul_sppf_saved(const struct ul_sppf *s)
{
	size_t n = part(s);
	return 4 * n + 4 * n + UL_SPPF_POOLS * n + ul_conv_module_saved(&s->cv1) + ul_conv_module_saved(&s->cv2);
}

/* the larger conv scratch, the concat's gradient, its 4 parts, one more map */
size_t ul_sppf_workspace(const struct ul_sppf *s)
{
	size_t w1 = ul_conv_module_workspace(&s->cv1), w2 = ul_conv_module_workspace(&s->cv2);
	return (w1 > w2 ? w1 : w2) + 9 * part(s);
}

struct layout {
	float *maps[UL_SPPF_POOLS + 1], *cat, *saved1, *saved2;
	int32_t *argmax[UL_SPPF_POOLS];
};

static struct layout lay_out(const struct ul_sppf *s, float *saved)
{
	struct layout l;
	size_t n = part(s);
	for (int i = 0; i <= UL_SPPF_POOLS; i++)
		l.maps[i] = saved + (size_t)i * n;
	l.cat = saved + 4 * n;
	for (int i = 0; i < UL_SPPF_POOLS; i++)
		l.argmax[i] = (int32_t *)(saved + 8 * n + (size_t)i * n);
	l.saved1 = saved + (8 + UL_SPPF_POOLS) * n;
	l.saved2 = l.saved1 + ul_conv_module_saved(&s->cv1);
	return l;
}

void ul_sppf_forward(const struct ul_sppf *s, const float *x, float *y, float *saved, float *workspace, bool train)
{
	struct layout l = lay_out(s, saved);
	struct ul_maxpool pool = pool_of(s);
	int channels[UL_SPPF_POOLS + 1];
	struct ul_concat cat = cat_of(s, channels);
	ul_conv_module_forward(&s->cv1, x, l.maps[0], l.saved1, workspace, train);
	for (int i = 0; i < UL_SPPF_POOLS; i++)
		ul_ops->maxpool_forward(&pool, l.maps[i], l.maps[i + 1], l.argmax[i]);
	ul_concat_forward(&cat, (const float *const *)l.maps, l.cat);
	ul_conv_module_forward(&s->cv2, l.cat, y, l.saved2, workspace, train);
	if (s->add)
		ul_ops->add(ul_conv_module_out(&s->cv2), x, y);
}

void ul_sppf_backward(const struct ul_sppf *s, const float *x, const float *saved, const float *dy, float *dx,
		      float *workspace)
{
	struct layout l = lay_out(s, (float *)saved);
	struct ul_maxpool pool = pool_of(s);
	int channels[UL_SPPF_POOLS + 1];
	struct ul_concat cat = cat_of(s, channels);
	size_t n = part(s), w1 = ul_conv_module_workspace(&s->cv1), w2 = ul_conv_module_workspace(&s->cv2);
	float *dcat = workspace + (w1 > w2 ? w1 : w2), *dmaps[UL_SPPF_POOLS + 1], *through = dcat + 8 * n;
	for (int i = 0; i <= UL_SPPF_POOLS; i++)
		dmaps[i] = dcat + 4 * n + (size_t)i * n;
	ul_conv_module_backward(&s->cv2, l.cat, l.saved2, dy, dcat, workspace);
	ul_concat_backward(&cat, dcat, dmaps);
	/* the chain: each map's gradient is its own part plus what the next
	 * pool sends back through it */
	for (int i = UL_SPPF_POOLS - 1; i >= 0; i--) {
		ul_ops->maxpool_backward(&pool, l.argmax[i], dmaps[i + 1], through);
		ul_ops->add(n, through, dmaps[i]);
	}
	ul_conv_module_backward(&s->cv1, x, l.saved1, dmaps[0], dx, workspace);
	if (s->add && dx)
		ul_ops->add(ul_conv_module_out(&s->cv2), dy, dx);
}
