#include "nn/bottleneck.h"

#include "nn/backend.h"

/* saved: the hidden activation, then cv1's and cv2's saved state. */
size_t ul_bottleneck_saved(const struct ul_bottleneck *b)
{
	return ul_conv_module_out(&b->cv1) + ul_conv_module_saved(&b->cv1) + ul_conv_module_saved(&b->cv2);
}

/* the larger conv scratch, then the hidden activation's gradient */
size_t ul_bottleneck_workspace(const struct ul_bottleneck *b)
{
	size_t w1 = ul_conv_module_workspace(&b->cv1), w2 = ul_conv_module_workspace(&b->cv2);
	return (w1 > w2 ? w1 : w2) + ul_conv_module_out(&b->cv1);
}

void ul_bottleneck_forward(const struct ul_bottleneck *b, const float *x, float *y, float *saved, float *workspace,
			   bool train)
{
	size_t nh = ul_conv_module_out(&b->cv1);
	float *hidden = saved, *saved1 = saved + nh, *saved2 = saved1 + ul_conv_module_saved(&b->cv1);
	ul_conv_module_forward(&b->cv1, x, hidden, saved1, workspace, train);
	ul_conv_module_forward(&b->cv2, hidden, y, saved2, workspace, train);
	if (b->add)
		ul_ops->add(ul_conv_module_out(&b->cv2), x, y);
}

void ul_bottleneck_backward(const struct ul_bottleneck *b, const float *x, const float *saved, const float *dy,
			    float *dx, float *workspace)
{
	size_t nh = ul_conv_module_out(&b->cv1);
	const float *hidden = saved, *saved1 = saved + nh, *saved2 = saved1 + ul_conv_module_saved(&b->cv1);
	size_t w1 = ul_conv_module_workspace(&b->cv1), w2 = ul_conv_module_workspace(&b->cv2);
	float *dhidden = workspace + (w1 > w2 ? w1 : w2);
	ul_conv_module_backward(&b->cv2, hidden, saved2, dy, dhidden, workspace);
	ul_conv_module_backward(&b->cv1, x, saved1, dhidden, dx, workspace);
	if (b->add && dx)
		ul_ops->add(ul_conv_module_out(&b->cv2), dy, dx);
}
