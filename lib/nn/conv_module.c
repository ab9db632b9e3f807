#include "nn/conv_module.h"

#include "nn/backend.h"

static struct ul_batchnorm bn_of(const struct ul_conv_module *m)
{
	return (struct ul_batchnorm){
		.n = m->conv.n, .h = ul_conv2d_out_h(&m->conv), .w = ul_conv2d_out_w(&m->conv), .c = m->conv.c_out,
		.eps = UL_BATCHNORM_EPS, .momentum = UL_BATCHNORM_MOMENTUM, .silu = m->act,
	};
}

size_t ul_conv_module_out(const struct ul_conv_module *m)
{
	return (size_t)m->conv.n * ul_conv2d_out_h(&m->conv) * ul_conv2d_out_w(&m->conv) * m->conv.c_out;
}

/* saved: z = conv(x), then the batch mean and inverse std per channel;
 * the fused BatchNorm-SiLU backward recomputes bn(z) on the fly instead of
 * keeping a second copy of the map through the whole step. */
size_t ul_conv_module_saved(const struct ul_conv_module *m)
{
	return ul_conv_module_out(m) + 2 * (size_t)m->conv.c_out;
}

/* The gradient at the conv's output, rounded so what follows keeps the
 * workspace's alignment, then scratch for the conv or the BatchNorm. */
static size_t grad_floats(const struct ul_conv_module *m)
{
	return (ul_conv_module_out(m) + 15) / 16 * 16;
}

size_t ul_conv_module_workspace(const struct ul_conv_module *m)
{
	struct ul_batchnorm bn = bn_of(m);
	size_t conv = ul_conv2d_workspace(&m->conv), norm = ul_batchnorm_workspace(&bn);
	return grad_floats(m) + (conv > norm ? conv : norm);
}

void ul_conv_module_forward(const struct ul_conv_module *m, const float *x, float *y, float *saved, float *workspace,
			    bool train)
{
	struct ul_batchnorm bn = bn_of(m);
	float *scratch = workspace + grad_floats(m);
	if (!train) {
		/* z in y, then normalised in place */
		ul_ops->conv2d_forward(&m->conv, x, m->weight, NULL, y, scratch);
		ul_ops->batchnorm_forward_eval(&bn, y, m->gamma, m->beta, m->running_mean, m->running_var, y, scratch);
		return;
	}
	float *z = saved, *stats = saved + ul_conv_module_out(m);
	ul_ops->conv2d_forward(&m->conv, x, m->weight, NULL, z, scratch);
	ul_ops->batchnorm_forward_train(&bn, z, m->gamma, m->beta, m->running_mean, m->running_var, y, stats,
					stats + m->conv.c_out, scratch);
}

void ul_conv_module_backward(const struct ul_conv_module *m, const float *x, const float *saved, const float *dy,
			     float *dx, float *workspace)
{
	struct ul_batchnorm bn = bn_of(m);
	const float *z = saved, *stats = saved + ul_conv_module_out(m);
	float *grad = workspace, *scratch = workspace + grad_floats(m);
	ul_ops->batchnorm_backward(&bn, z, m->gamma, m->beta, stats, stats + m->conv.c_out, dy, grad, m->dgamma,
				   m->dbeta, scratch);
	ul_ops->conv2d_backward(&m->conv, x, m->weight, grad, dx, m->dweight, NULL, scratch);
}
