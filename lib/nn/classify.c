#include "nn/classify.h"

#include "core/random.h"
#include "nn/backend.h"
#include "nn/linear.h"

static struct ul_global_avgpool pool_of(const struct ul_classify *c)
{
	const struct ul_conv2d *k = &c->conv.conv;
	return (struct ul_global_avgpool){ k->n, ul_conv2d_out_h(k), ul_conv2d_out_w(k), k->c_out };
}

static struct ul_linear linear_of(const struct ul_classify *c)
{
	return (struct ul_linear){ c->conv.conv.n, c->conv.conv.c_out, c->nc };
}

static size_t pooled(const struct ul_classify *c)
{
	return (size_t)c->conv.conv.n * c->conv.conv.c_out;
}

/* saved: the conv's map, the pooled features after dropout, the dropout
 * scale per feature (0, or 1/(1-p)), then the conv's saved state */
size_t ul_classify_saved(const struct ul_classify *c)
{
	return ul_conv_module_out(&c->conv) + 2 * pooled(c) + ul_conv_module_saved(&c->conv);
}

/* the conv's scratch, the pooled gradient, the map's gradient */
size_t ul_classify_workspace(const struct ul_classify *c)
{
	return ul_conv_module_workspace(&c->conv) + pooled(c) + ul_conv_module_out(&c->conv);
}

void ul_classify_forward(const struct ul_classify *c, const float *x, float *logits, float *saved, float *workspace,
			 bool train, uint64_t seed)
{
	float *map = saved, *features = map + ul_conv_module_out(&c->conv), *scale = features + pooled(c);
	float *conv_saved = scale + pooled(c);
	struct ul_global_avgpool pool = pool_of(c);
	struct ul_linear lin = linear_of(c);
	ul_conv_module_forward(&c->conv, x, map, conv_saved, workspace, train);
	ul_ops->global_avgpool_forward(&pool, map, features);
	for (size_t i = 0; i < pooled(c); i++) {
		float keep = 1;
		if (train && c->dropout > 0) {
			/* a hash of (seed, i): the same step drops the same features */
			uint64_t state = seed ^ ul_mix64(i + 1);
			keep = ul_random_unit(&state) < c->dropout ? 0 : 1 / (1 - c->dropout);
		}
		scale[i] = keep;
		features[i] *= keep;
	}
	ul_ops->linear_forward(&lin, features, c->weight, c->bias, logits);
}

void ul_classify_backward(const struct ul_classify *c, const float *x, const float *saved, const float *dlogits, float *dx,
			  float *workspace)
{
	const float *map = saved, *features = map + ul_conv_module_out(&c->conv), *scale = features + pooled(c);
	const float *conv_saved = scale + pooled(c);
	float *dfeatures = workspace + ul_conv_module_workspace(&c->conv), *dmap = dfeatures + pooled(c);
	struct ul_global_avgpool pool = pool_of(c);
	struct ul_linear lin = linear_of(c);
	ul_ops->linear_backward(&lin, features, c->weight, dlogits, dfeatures, c->dweight, c->dbias);
	for (size_t i = 0; i < pooled(c); i++)
		dfeatures[i] *= scale[i];
	ul_ops->global_avgpool_backward(&pool, dfeatures, dmap);
	ul_conv_module_backward(&c->conv, x, conv_saved, dmap, dx, workspace);
}
