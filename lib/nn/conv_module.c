#include "nn/conv_module.h"

#include <string.h>

#include "nn/backend.h"

static struct ul_batchnorm bn_of(const struct ul_conv_module *m)
{
	return (struct ul_batchnorm){
		.n = m->conv.n, .h = ul_conv2d_out_h(&m->conv), .w = ul_conv2d_out_w(&m->conv), .c = m->conv.c_out,
		.eps = UL_BATCHNORM_EPS, .momentum = UL_BATCHNORM_MOMENTUM,
	};
}

size_t ul_conv_module_out(const struct ul_conv_module *m)
{
	return (size_t)m->conv.n * ul_conv2d_out_h(&m->conv) * ul_conv2d_out_w(&m->conv) * m->conv.c_out;
}

/* saved: z = conv(x), then the batch mean and inverse std per channel;
 * backward recomputes u = bn(z) for SiLU's gradient, one pass over the
 * map instead of a second copy of it kept through the whole step. */
size_t ul_conv_module_saved(const struct ul_conv_module *m)
{
	return ul_conv_module_out(m) + 2 * (size_t)m->conv.c_out;
}

/* The conv's own scratch, then room for a gradient the size of the output
 * and for u, recomputed (apart from the gradient, so SiLU's loop sees no
 * aliasing and stays vectorised). */
size_t ul_conv_module_workspace(const struct ul_conv_module *m)
{
	return ul_conv2d_workspace(&m->conv) + ul_conv_module_out(m) * (m->act ? 2 : 1);
}

void ul_conv_module_forward(const struct ul_conv_module *m, const float *x, float *y, float *saved, float *workspace,
			    bool train)
{
	struct ul_batchnorm bn = bn_of(m);
	size_t n = ul_conv_module_out(m);
	if (!train) {
		/* z in y, then normalised in place */
		ul_ops->conv2d_forward(&m->conv, x, m->weight, NULL, y, workspace);
		ul_ops->batchnorm_forward_eval(&bn, y, m->gamma, m->beta, m->running_mean, m->running_var, y);
		if (m->act)
			ul_ops->silu_forward(n, y, y);
		return;
	}
	float *z = saved, *stats = saved + n;
	ul_ops->conv2d_forward(&m->conv, x, m->weight, NULL, z, workspace);
	ul_ops->batchnorm_forward_train(&bn, z, m->gamma, m->beta, m->running_mean, m->running_var, y, stats,
					stats + m->conv.c_out);
	if (m->act)
		ul_ops->silu_forward(n, y, y);
}

void ul_conv_module_backward(const struct ul_conv_module *m, const float *x, const float *saved, const float *dy,
			     float *dx, float *workspace)
{
	struct ul_batchnorm bn = bn_of(m);
	size_t n = ul_conv_module_out(m);
	const float *z = saved, *stats = saved + n;
	float *grad = workspace + ul_conv2d_workspace(&m->conv);
	/* through SiLU (from u, recomputed), then BatchNorm, in one gradient
	 * buffer */
	if (m->act) {
		float *u = grad + n;
		ul_ops->batchnorm_apply(&bn, z, m->gamma, m->beta, stats, stats + m->conv.c_out, u);
		ul_ops->silu_backward(n, u, dy, grad);
	} else {
		memcpy(grad, dy, sizeof *grad * n);
	}
	ul_ops->batchnorm_backward(&bn, z, m->gamma, stats, stats + m->conv.c_out, grad, grad, m->dgamma, m->dbeta);
	ul_ops->conv2d_backward(&m->conv, x, m->weight, grad, dx, m->dweight, NULL, workspace);
}
