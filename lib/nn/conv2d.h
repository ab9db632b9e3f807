/* Conv2d on the CPU, forward and backward: the reference the CUDA backend
 * is checked against.
 *
 * Activations are NHWC float32. Weights stay in PyTorch's layout,
 * (out, in/groups, k, k), so a state dict maps onto the parameter buffer
 * unchanged. Each group is a GEMM (OpenBLAS) over an im2col matrix whose
 * columns run (ky, kx, in), so each tap copies a run of channels that NHWC
 * keeps together; every pass builds it a block of rows at a time, in
 * cache: forward multiplies it by the weights, backward sums the weight
 * gradient over it and, for the input gradient, makes the patches'
 * gradient a block at a time and gathers each input row from it. A
 * stride-1 conv with no more outputs than inputs instead takes both
 * gradients from its transposed conv's patches (dy's, the kernel
 * flipped); convs with 16 or 32 output channels run forward as a direct
 * loop. Every pass is
 * shared out over the thread pool (core/parallel.h) in pieces whose sums
 * do not depend on the number of threads. */
#ifndef UL_NN_CONV2D_H
#define UL_NN_CONV2D_H

#include <stddef.h>

struct ul_conv2d {
	int n, h, w;          /* input batch and size */
	int c_in, c_out;
	int k, stride, pad;   /* square kernel */
	int groups;
};

/* Output size. */
int ul_conv2d_out_h(const struct ul_conv2d *c);
int ul_conv2d_out_w(const struct ul_conv2d *c);

/* Floats of scratch space the forward and backward passes need. */
size_t ul_conv2d_workspace(const struct ul_conv2d *c);

/* y (n, oh, ow, c_out) = conv(x (n, h, w, c_in), weight) + bias (NULL: none). */
void ul_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
		       float *workspace);

/* From dy: dx (overwritten; NULL to skip), and dweight and dbias (added to,
 * so gradients accumulate; dbias NULL when there is no bias). */
void ul_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias, float *workspace);

#endif
