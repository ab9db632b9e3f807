/* ConvTranspose2d on the CPU, forward and backward: no padding, no output
 * padding, one group, as Proto26 uses it (k = 2, s = 2: each input pixel
 * writes its own 2x2 block). Other k and s work too; where k > s the blocks
 * overlap and add, where s > k the pixels between them hold the bias.
 *
 * Activations are NHWC float32. The weight stays in PyTorch's layout,
 * (in, out, k, k). Each image is one GEMM (OpenBLAS) of its pixels with the
 * weight, whose rows then scatter into the output: the transpose of
 * conv2d's im2col. */
#ifndef UL_NN_CONV_TRANSPOSE2D_H
#define UL_NN_CONV_TRANSPOSE2D_H

#include <stddef.h>

struct ul_conv_transpose2d {
	int n, h, w;          /* input batch and size */
	int c_in, c_out;
	int k, stride;        /* square kernel */
};

/* Output size: (h - 1) stride + k. */
int ul_conv_transpose2d_out_h(const struct ul_conv_transpose2d *c);
int ul_conv_transpose2d_out_w(const struct ul_conv_transpose2d *c);

/* Floats of scratch space the forward and backward passes need. */
size_t ul_conv_transpose2d_workspace(const struct ul_conv_transpose2d *c);

/* y (n, oh, ow, c_out) = conv_transpose(x (n, h, w, c_in), weight) + bias
 * (NULL: none). */
void ul_conv_transpose2d_forward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				 const float *bias, float *y, float *workspace);

/* From dy: dx (overwritten; NULL to skip), and dweight and dbias (added to,
 * so gradients accumulate; dbias NULL when there is no bias). */
void ul_conv_transpose2d_backward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				  const float *dy, float *dx, float *dweight, float *dbias, float *workspace);

#endif
