/* The CUDA backend's ops, each with the signature and the meaning of its
 * slot in struct ul_backend (nn/backend.h) and of the CPU op there: same
 * layouts (NHWC activations, PyTorch's weight layouts), same accumulation
 * rules (weight and bias gradients are added to, input gradients written),
 * pointers into device memory. plugin.cu gathers them into the table. */
#ifndef UL_CUDA_OPS_H
#define UL_CUDA_OPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "nn/backend.h"
#ifdef __cplusplus
}
#endif

/* conv.cu: cuDNN, an algorithm picked once per shape */
void ul_cuda_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
			    float *workspace);
void ul_cuda_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			     float *dweight, float *dbias, float *workspace);
void ul_cuda_conv_transpose2d_forward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				      const float *bias, float *y, float *workspace);
void ul_cuda_conv_transpose2d_backward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				       const float *dy, float *dx, float *dweight, float *dbias, float *workspace);

/* linear.cu: cuBLAS */
void ul_cuda_linear_forward(const struct ul_linear *l, const float *x, const float *weight, const float *bias, float *y);
void ul_cuda_linear_backward(const struct ul_linear *l, const float *x, const float *weight, const float *dy, float *dx,
			     float *dweight, float *dbias);

/* batchnorm.cu: BatchNorm with SiLU fused */
void ul_cuda_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma,
				     const float *beta, float *running_mean, float *running_var, float *y,
				     float *save_mean, float *save_invstd, float *workspace);
void ul_cuda_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma,
				    const float *beta, const float *running_mean, const float *running_var, float *y,
				    float *workspace);
void ul_cuda_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				const float *save_mean, const float *save_invstd, const float *dy, float *dx,
				float *dgamma, float *dbeta, float *workspace);

/* pool.cu: max pooling, global average pooling, nearest upsampling */
void ul_cuda_maxpool_forward(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax);
void ul_cuda_maxpool_backward(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx);
void ul_cuda_global_avgpool_forward(const struct ul_global_avgpool *p, const float *x, float *y);
void ul_cuda_global_avgpool_backward(const struct ul_global_avgpool *p, const float *dy, float *dx);
void ul_cuda_upsample_forward(const struct ul_upsample *u, const float *x, float *y);
void ul_cuda_upsample_backward(const struct ul_upsample *u, const float *dy, float *dx);

/* copy.cu: moving and summing maps */
void ul_cuda_channels_copy(size_t pixels, int c, const float *src, int src_stride, float *dst, int dst_stride);
void ul_cuda_add(size_t n, const float *from, float *to);
void ul_cuda_zero(size_t n, float *x);

/* attention.cu: cuBLAS batched products and a softmax kernel */
void ul_cuda_attention_forward(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs);
void ul_cuda_attention_backward(const struct ul_attention *a, const float *qkv, const float *probs,
				const float *d_out, const float *d_v, float *d_qkv, float *workspace);

#endif
