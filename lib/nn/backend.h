/* The ops the engine's modules run, as a table of function pointers: the
 * CPU's are the reference, and a GPU backend (CUDA) fills the same table
 * with kernels over device memory. Modules compose ops only through
 * ul_ops, so swapping the table moves the whole network; shape arithmetic
 * (output sizes, workspace sizes) stays plain functions, the same on every
 * backend. Every pointer an op takes is the backend's own memory, made by
 * its alloc and filled by its copies: the host's for the CPU, the
 * device's for CUDA (lib/cuda, a plugin that nn/backend_open.h loads). A
 * GPU backend queues its ops; sync waits for them and says whether any
 * failed. */
#ifndef UL_NN_BACKEND_H
#define UL_NN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn/add.h"
#include "nn/attention.h"
#include "nn/batchnorm.h"
#include "nn/conv2d.h"
#include "nn/conv_transpose2d.h"
#include "nn/linear.h"
#include "nn/maxpool.h"
#include "nn/upsample.h"

struct ul_backend {
	const char *name;
	bool host_memory;  /* its memory is the host's: results are read in place */
	/* memory: NULL when out of it; copies are whole and in order */
	void *(*alloc)(size_t bytes);
	void (*release)(void *p);
	void (*to_device)(void *dst, const void *host, size_t bytes);
	void (*to_host)(void *host, const void *src, size_t bytes);
	void (*zero)(size_t n, float *x);
	/* waits for every op queued; 0, or -1 with why filled in */
	int (*sync)(char *why, size_t size);
	void (*conv2d_forward)(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
			       float *workspace);
	void (*conv2d_backward)(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
				float *dweight, float *dbias, float *workspace);
	/* BatchNorm, with SiLU fused when bn->silu is set */
	void (*batchnorm_forward_train)(const struct ul_batchnorm *bn, const float *x, const float *gamma,
					const float *beta, float *running_mean, float *running_var, float *y,
					float *save_mean, float *save_invstd, float *workspace);
	void (*batchnorm_forward_eval)(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				       const float *running_mean, const float *running_var, float *y, float *workspace);
	void (*batchnorm_backward)(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				   const float *save_mean, const float *save_invstd, const float *dy, float *dx,
				   float *dgamma, float *dbeta, float *workspace);
	void (*maxpool_forward)(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax);
	void (*maxpool_backward)(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx);
	void (*upsample_forward)(const struct ul_upsample *u, const float *x, float *y);
	void (*upsample_backward)(const struct ul_upsample *u, const float *dy, float *dx);
	void (*channels_copy)(size_t pixels, int c, const float *src, int src_stride, float *dst, int dst_stride);
	void (*add)(size_t n, const float *from, float *to);  /* to += from */
	void (*attention_forward)(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs);
	void (*attention_backward)(const struct ul_attention *a, const float *qkv, const float *probs, const float *d_out,
				   const float *d_v, float *d_qkv, float *workspace);
	void (*conv_transpose2d_forward)(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
					 const float *bias, float *y, float *workspace);
	void (*conv_transpose2d_backward)(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
					  const float *dy, float *dx, float *dweight, float *dbias, float *workspace);
	void (*linear_forward)(const struct ul_linear *l, const float *x, const float *weight, const float *bias, float *y);
	void (*linear_backward)(const struct ul_linear *l, const float *x, const float *weight, const float *dy, float *dx,
				float *dweight, float *dbias);
	void (*global_avgpool_forward)(const struct ul_global_avgpool *p, const float *x, float *y);
	void (*global_avgpool_backward)(const struct ul_global_avgpool *p, const float *dy, float *dx);
};

/* The CPU's ops: OpenBLAS GEMMs and vectorisable loops. */
extern const struct ul_backend ul_cpu_backend;

/* The table modules call: the CPU's unless a backend is selected. */
extern const struct ul_backend *ul_ops;

#endif
