/* The CUDA backend's BatchNorm, pooling, upsampling, copy and attention ops
 * against the CPU's, on YOLO26-like shapes (and some odd ones): both run on
 * the same random inputs and every output is compared, including what an
 * op must leave alone or add to (running statistics, parameter gradients
 * started from non-zero values, elements a strided copy skips). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gpu.h"

/* A host copy the CPU op may overwrite. */
static float *copy_of(const float *x, size_t n)
{
	float *c = malloc(sizeof *c * (n ? n : 1));
	memcpy(c, x, sizeof *c * n);
	return c;
}

static void release(float *device)
{
	gpu->release(device);
}

/* Values on a grid of halves, so pooling windows hold ties. */
static float *tied_randoms(size_t n)
{
	float *x = randoms(n, 0, 3);
	for (size_t i = 0; i < n; i++)
		x[i] = roundf(x[i] * 2) / 2;
	return x;
}

/* Training forward, then backward from it. in_place: y == x forward and
 * dx == dy backward. Host buffers are cpu_*, device ones dev_*. */
static void batchnorm_train_case(int n, int h, int w, int c, bool silu, bool running, bool in_place, float offset)
{
	struct ul_batchnorm bn = { n, h, w, c, UL_BATCHNORM_EPS, UL_BATCHNORM_MOMENTUM, silu };
	size_t size = (size_t)n * h * w * c, ws = ul_batchnorm_workspace(&bn);
	char name[128];
	snprintf(name, sizeof name, "batchnorm_train %dx%dx%dx%d%s%s%s", n, h, w, c, silu ? " silu" : "",
		 running ? " running" : " no-running", in_place ? " in-place" : "");
	float *x = randoms(size, offset, 2), *gamma = randoms(c, 1, 0.5f), *beta = randoms(c, 0, 0.5f);
	float *rmean = randoms(c, 0, 0.5f), *rvar = randoms(c, 1.5f, 0.5f);
	float *dy = randoms(size, 0, 1), *dgamma = randoms(c, 0, 1), *dbeta = randoms(c, 0, 1);

	float *cpu_x = copy_of(x, size), *cpu_y = in_place ? cpu_x : malloc(sizeof *cpu_y * size);
	float *cpu_rmean = copy_of(rmean, c), *cpu_rvar = copy_of(rvar, c), *cpu_mean = malloc(sizeof *cpu_mean * c);
	float *cpu_invstd = malloc(sizeof *cpu_invstd * c), *cpu_ws = malloc(sizeof *cpu_ws * ws);
	float *dev_x = gpu_floats(x, size), *dev_y = in_place ? dev_x : gpu_floats(NULL, size);
	float *dev_rmean = gpu_floats(rmean, c), *dev_rvar = gpu_floats(rvar, c), *dev_mean = gpu_floats(NULL, c);
	float *dev_invstd = gpu_floats(NULL, c), *dev_ws = gpu_floats(NULL, ws);
	float *dev_gamma = gpu_floats(gamma, c), *dev_beta = gpu_floats(beta, c);

	ul_cpu_backend.batchnorm_forward_train(&bn, cpu_x, gamma, beta, running ? cpu_rmean : NULL,
					       running ? cpu_rvar : NULL, cpu_y, cpu_mean, cpu_invstd, cpu_ws);
	gpu->batchnorm_forward_train(&bn, dev_x, dev_gamma, dev_beta, running ? dev_rmean : NULL,
				     running ? dev_rvar : NULL, dev_y, dev_mean, dev_invstd, dev_ws);
	gpu_compare(name, "y", dev_y, cpu_y, size, GPU_FP32_TOLERANCE);
	gpu_compare(name, "save_mean", dev_mean, cpu_mean, c, GPU_FP32_TOLERANCE);
	gpu_compare(name, "save_invstd", dev_invstd, cpu_invstd, c, GPU_FP32_TOLERANCE);
	/* without running statistics both must still hold their initial values */
	gpu_compare(name, "running_mean", dev_rmean, cpu_rmean, c, GPU_FP32_TOLERANCE);
	gpu_compare(name, "running_var", dev_rvar, cpu_rvar, c, GPU_FP32_TOLERANCE);

	/* backward: the original x again (in place, the forward overwrote it),
	 * each side with its own saved statistics */
	float *cpu_dy = copy_of(dy, size), *cpu_dx = in_place ? cpu_dy : malloc(sizeof *cpu_dx * size);
	float *cpu_dgamma = copy_of(dgamma, c), *cpu_dbeta = copy_of(dbeta, c);
	float *dev_x_again = gpu_floats(x, size), *dev_dy = gpu_floats(dy, size);
	float *dev_dx = in_place ? dev_dy : gpu_floats(NULL, size);
	float *dev_dgamma = gpu_floats(dgamma, c), *dev_dbeta = gpu_floats(dbeta, c);
	ul_cpu_backend.batchnorm_backward(&bn, x, gamma, beta, cpu_mean, cpu_invstd, cpu_dy, cpu_dx, cpu_dgamma,
					  cpu_dbeta, cpu_ws);
	gpu->batchnorm_backward(&bn, dev_x_again, dev_gamma, dev_beta, dev_mean, dev_invstd, dev_dy, dev_dx, dev_dgamma,
				dev_dbeta, dev_ws);
	gpu_compare(name, "dx", dev_dx, cpu_dx, size, GPU_FP32_TOLERANCE);
	gpu_compare(name, "dgamma (accumulated)", dev_dgamma, cpu_dgamma, c, GPU_FP32_TOLERANCE);
	gpu_compare(name, "dbeta (accumulated)", dev_dbeta, cpu_dbeta, c, GPU_FP32_TOLERANCE);

	release(dev_x), release(dev_rmean), release(dev_rvar), release(dev_mean), release(dev_invstd), release(dev_ws);
	release(dev_gamma), release(dev_beta), release(dev_x_again), release(dev_dy), release(dev_dgamma);
	release(dev_dbeta);
	if (!in_place)
		release(dev_y), release(dev_dx), free(cpu_y), free(cpu_dx);
	free(x), free(gamma), free(beta), free(rmean), free(rvar), free(dy), free(dgamma), free(dbeta);
	free(cpu_x), free(cpu_rmean), free(cpu_rvar), free(cpu_mean), free(cpu_invstd), free(cpu_ws), free(cpu_dy);
	free(cpu_dgamma), free(cpu_dbeta);
}

static void batchnorm_eval_case(int n, int h, int w, int c, bool silu, bool in_place)
{
	struct ul_batchnorm bn = { n, h, w, c, UL_BATCHNORM_EPS, UL_BATCHNORM_MOMENTUM, silu };
	size_t size = (size_t)n * h * w * c, ws = ul_batchnorm_workspace(&bn);
	char name[128];
	snprintf(name, sizeof name, "batchnorm_eval %dx%dx%dx%d%s%s", n, h, w, c, silu ? " silu" : "",
		 in_place ? " in-place" : "");
	float *x = randoms(size, 0.5f, 2), *gamma = randoms(c, 1, 0.5f), *beta = randoms(c, 0, 0.5f);
	float *rmean = randoms(c, 0.5f, 0.5f), *rvar = randoms(c, 1.5f, 0.5f);
	float *cpu_y = malloc(sizeof *cpu_y * size), *cpu_ws = malloc(sizeof *cpu_ws * ws);
	float *dev_x = gpu_floats(x, size), *dev_y = in_place ? dev_x : gpu_floats(NULL, size);
	float *dev_ws = gpu_floats(NULL, ws), *dev_gamma = gpu_floats(gamma, c), *dev_beta = gpu_floats(beta, c);
	float *dev_rmean = gpu_floats(rmean, c), *dev_rvar = gpu_floats(rvar, c);
	ul_cpu_backend.batchnorm_forward_eval(&bn, x, gamma, beta, rmean, rvar, cpu_y, cpu_ws);
	gpu->batchnorm_forward_eval(&bn, dev_x, dev_gamma, dev_beta, dev_rmean, dev_rvar, dev_y, dev_ws);
	gpu_compare(name, "y", dev_y, cpu_y, size, GPU_FP32_TOLERANCE);
	release(dev_x), release(dev_ws), release(dev_gamma), release(dev_beta), release(dev_rmean), release(dev_rvar);
	if (!in_place)
		release(dev_y);
	free(x), free(gamma), free(beta), free(rmean), free(rvar), free(cpu_y), free(cpu_ws);
}

static void maxpool_case(int n, int h, int w, int c, int k, int stride, int pad)
{
	struct ul_maxpool p = { n, h, w, c, k, stride, pad };
	size_t in = (size_t)n * h * w * c, out = (size_t)n * ul_maxpool_out_h(&p) * ul_maxpool_out_w(&p) * c;
	char name[128];
	snprintf(name, sizeof name, "maxpool %dx%dx%dx%d k%d s%d p%d", n, h, w, c, k, stride, pad);
	float *x = tied_randoms(in), *dy = randoms(out, 0, 1);
	float *cpu_y = malloc(sizeof *cpu_y * out), *cpu_dx = malloc(sizeof *cpu_dx * in);
	int32_t *cpu_argmax = malloc(sizeof *cpu_argmax * out);
	float *dev_x = gpu_floats(x, in), *dev_y = gpu_floats(NULL, out), *dev_dy = gpu_floats(dy, out);
	float *dev_dx = gpu_floats(x, in);  /* not zeros: backward must overwrite */
	int32_t *dev_argmax = gpu->alloc(sizeof *dev_argmax * out);
	ul_cpu_backend.maxpool_forward(&p, x, cpu_y, cpu_argmax);
	gpu->maxpool_forward(&p, dev_x, dev_y, dev_argmax);
	gpu_compare(name, "y", dev_y, cpu_y, out, GPU_FP32_TOLERANCE);
	gpu_compare_int(name, "argmax", dev_argmax, cpu_argmax, out);
	ul_cpu_backend.maxpool_backward(&p, cpu_argmax, dy, cpu_dx);
	gpu->maxpool_backward(&p, dev_argmax, dev_dy, dev_dx);
	gpu_compare(name, "dx", dev_dx, cpu_dx, in, GPU_FP32_TOLERANCE);
	release(dev_x), release(dev_y), release(dev_dy), release(dev_dx), gpu->release(dev_argmax);
	free(x), free(dy), free(cpu_y), free(cpu_dx), free(cpu_argmax);
}

static void global_avgpool_case(int n, int h, int w, int c)
{
	struct ul_global_avgpool p = { n, h, w, c };
	size_t in = (size_t)n * h * w * c, out = (size_t)n * c;
	char name[128];
	snprintf(name, sizeof name, "global_avgpool %dx%dx%dx%d", n, h, w, c);
	float *x = randoms(in, 0.5f, 2), *dy = randoms(out, 0, 1);
	float *cpu_y = malloc(sizeof *cpu_y * out), *cpu_dx = malloc(sizeof *cpu_dx * in);
	float *dev_x = gpu_floats(x, in), *dev_y = gpu_floats(NULL, out), *dev_dy = gpu_floats(dy, out);
	float *dev_dx = gpu_floats(x, in);  /* not zeros: backward must overwrite */
	ul_cpu_backend.global_avgpool_forward(&p, x, cpu_y);
	gpu->global_avgpool_forward(&p, dev_x, dev_y);
	gpu_compare(name, "y", dev_y, cpu_y, out, GPU_FP32_TOLERANCE);
	ul_cpu_backend.global_avgpool_backward(&p, dy, cpu_dx);
	gpu->global_avgpool_backward(&p, dev_dy, dev_dx);
	gpu_compare(name, "dx", dev_dx, cpu_dx, in, GPU_FP32_TOLERANCE);
	release(dev_x), release(dev_y), release(dev_dy), release(dev_dx);
	free(x), free(dy), free(cpu_y), free(cpu_dx);
}

static void upsample_case(int n, int h, int w, int c, int factor)
{
	struct ul_upsample u = { n, h, w, c, factor };
	size_t in = (size_t)n * h * w * c, out = in * factor * factor;
	char name[128];
	snprintf(name, sizeof name, "upsample %dx%dx%dx%d x%d", n, h, w, c, factor);
	float *x = randoms(in, 0, 1), *dy = randoms(out, 0, 1);
	float *cpu_y = malloc(sizeof *cpu_y * out), *cpu_dx = malloc(sizeof *cpu_dx * in);
	float *dev_x = gpu_floats(x, in), *dev_y = gpu_floats(NULL, out), *dev_dy = gpu_floats(dy, out);
	float *dev_dx = gpu_floats(x, in);  /* not zeros: backward must overwrite */
	ul_cpu_backend.upsample_forward(&u, x, cpu_y);
	gpu->upsample_forward(&u, dev_x, dev_y);
	gpu_compare(name, "y", dev_y, cpu_y, out, GPU_FP32_TOLERANCE);
	ul_cpu_backend.upsample_backward(&u, dy, cpu_dx);
	gpu->upsample_backward(&u, dev_dy, dev_dx);
	gpu_compare(name, "dx", dev_dx, cpu_dx, in, GPU_FP32_TOLERANCE);
	release(dev_x), release(dev_y), release(dev_dy), release(dev_dx);
	free(x), free(dy), free(cpu_y), free(cpu_dx);
}

/* c channels of each pixel from src + src_offset into dst + dst_offset;
 * dst starts random, so what the copy skips must stay. */
static void channels_copy_case(size_t pixels, int c, int src_stride, int src_offset, int dst_stride, int dst_offset)
{
	size_t src_size = pixels * src_stride, dst_size = pixels * dst_stride;
	char name[128];
	snprintf(name, sizeof name, "channels_copy %zu pixels, %d of %d (+%d) into %d (+%d)", pixels, c, src_stride,
		 src_offset, dst_stride, dst_offset);
	float *src = randoms(src_size, 0, 1), *dst = randoms(dst_size, 0, 1);
	float *dev_src = gpu_floats(src, src_size), *dev_dst = gpu_floats(dst, dst_size);
	ul_cpu_backend.channels_copy(pixels, c, src + src_offset, src_stride, dst + dst_offset, dst_stride);
	gpu->channels_copy(pixels, c, dev_src + src_offset, src_stride, dev_dst + dst_offset, dst_stride);
	gpu_compare(name, "dst", dev_dst, dst, dst_size, 0);
	release(dev_src), release(dev_dst);
	free(src), free(dst);
}

static void add_and_zero_case(size_t n)
{
	char name[64];
	snprintf(name, sizeof name, "add %zu", n);
	float *from = randoms(n, 0, 1), *to = randoms(n, 0, 1), *zeros = calloc(n ? n : 1, sizeof *zeros);
	float *dev_from = gpu_floats(from, n), *dev_to = gpu_floats(to, n);
	ul_cpu_backend.add(n, from, to);
	gpu->add(n, dev_from, dev_to);
	gpu_compare(name, "to", dev_to, to, n, 0);
	snprintf(name, sizeof name, "zero %zu", n);
	gpu->zero(n, dev_to);
	gpu_compare(name, "x", dev_to, zeros, n, 0);
	release(dev_from), release(dev_to);
	free(from), free(to), free(zeros);
}

static void attention_case(int n, int h, int w, int heads, int key_dim, int head_dim)
{
	struct ul_attention a = { n, h, w, heads, key_dim, head_dim };
	size_t np = (size_t)h * w, qkv = (size_t)n * np * ul_attention_qkv_channels(&a);
	size_t out = (size_t)n * np * ul_attention_out_channels(&a), probs = ul_attention_probs_size(&a);
	size_t ws = ul_attention_workspace(&a);
	char name[128];
	snprintf(name, sizeof name, "attention %dx%dx%d heads %d key_dim %d head_dim %d", n, h, w, heads, key_dim,
		 head_dim);
	float *x = randoms(qkv, 0, 1), *d_out = randoms(out, 0, 1), *d_v = randoms(out, 0, 1);
	float *cpu_out = malloc(sizeof *cpu_out * out), *cpu_v = malloc(sizeof *cpu_v * out);
	float *cpu_probs = malloc(sizeof *cpu_probs * probs);
	float *cpu_d_qkv = malloc(sizeof *cpu_d_qkv * qkv), *cpu_ws = malloc(sizeof *cpu_ws * ws);
	float *garbage = randoms(qkv, 100, 1);  /* d_qkv must be written everywhere */
	float *dev_qkv = gpu_floats(x, qkv), *dev_out = gpu_floats(NULL, out), *dev_v = gpu_floats(NULL, out);
	float *dev_probs = gpu_floats(NULL, probs), *dev_d_out = gpu_floats(d_out, out);
	float *dev_d_v = gpu_floats(d_v, out), *dev_d_qkv = gpu_floats(garbage, qkv), *dev_ws = gpu_floats(NULL, ws);
	ul_cpu_backend.attention_forward(&a, x, cpu_out, cpu_v, cpu_probs);
	gpu->attention_forward(&a, dev_qkv, dev_out, dev_v, dev_probs);
	gpu_compare(name, "out", dev_out, cpu_out, out, GPU_FP32_TOLERANCE);
	gpu_compare(name, "v", dev_v, cpu_v, out, GPU_FP32_TOLERANCE);
	gpu_compare(name, "probs", dev_probs, cpu_probs, probs, GPU_FP32_TOLERANCE);
	ul_cpu_backend.attention_backward(&a, x, cpu_probs, d_out, d_v, cpu_d_qkv, cpu_ws);
	gpu->attention_backward(&a, dev_qkv, dev_probs, dev_d_out, dev_d_v, dev_d_qkv, dev_ws);
	gpu_compare(name, "d_qkv", dev_d_qkv, cpu_d_qkv, qkv, GPU_FP32_TOLERANCE);
	gpu_compare(name, "probs (left unchanged)", dev_probs, cpu_probs, probs, GPU_FP32_TOLERANCE);
	release(dev_qkv), release(dev_out), release(dev_v), release(dev_probs), release(dev_d_out), release(dev_d_v);
	release(dev_d_qkv), release(dev_ws);
	free(x), free(d_out), free(d_v), free(cpu_out), free(cpu_v), free(cpu_probs), free(cpu_d_qkv), free(cpu_ws);
	free(garbage);
}

int main(void)
{
	gpu_open();

	/* the stem's 16 channels over ~400k pixels per channel, far from zero mean */
	batchnorm_train_case(4, 320, 320, 16, true, true, false, 5);
	/* the stem's map at batch 12: more pixels than the statistics' chunks
	 * hold at their size, so they grow and end unevenly */
	batchnorm_train_case(12, 320, 320, 16, true, true, false, 0);
	batchnorm_train_case(3, 17, 19, 8, true, false, false, 0);  /* a warp spanning four pixels */
	batchnorm_train_case(2, 80, 80, 16, true, true, false, 0.5f);
	batchnorm_train_case(4, 40, 40, 64, false, false, false, 0.5f);
	batchnorm_train_case(3, 20, 20, 256, true, false, true, 0.5f);
	batchnorm_train_case(2, 13, 11, 24, false, true, true, -1);
	batchnorm_train_case(3, 10, 10, 48, true, true, false, 2);
	batchnorm_eval_case(2, 80, 80, 16, true, false);
	batchnorm_eval_case(3, 20, 20, 256, false, true);
	batchnorm_eval_case(2, 13, 11, 24, true, true);

	/* SPPF's k5 s1 p2, and a k2 s2 downsampling */
	maxpool_case(2, 20, 20, 128, 5, 1, 2);
	maxpool_case(3, 13, 11, 32, 5, 1, 2);
	maxpool_case(4, 40, 40, 16, 2, 2, 0);
	maxpool_case(2, 15, 15, 24, 2, 2, 0);
	maxpool_case(2, 9, 7, 20, 3, 2, 1);

	global_avgpool_case(2, 20, 20, 256);
	global_avgpool_case(3, 7, 9, 40);

	upsample_case(2, 20, 20, 128, 2);
	upsample_case(3, 13, 11, 24, 2);
	upsample_case(2, 10, 10, 32, 4);

	/* concat's parts into a wider map, split's out of one */
	channels_copy_case(2 * 40 * 40, 64, 64, 0, 192, 64);
	channels_copy_case(3 * 13 * 11, 24, 40, 16, 24, 0);
	channels_copy_case(4 * 20 * 20, 128, 256, 128, 384, 256);
	add_and_zero_case((size_t)2 * 40 * 40 * 64 + 7);
	add_and_zero_case(1);

	/* C2PSA at yolo26n scale: 128 channels, 2 heads of 64, key_dim 32, at 640
	 * (20x20) and at 320 (10x10); s scale's 4 heads; an odd small one */
	attention_case(2, 20, 20, 2, 32, 64);
	attention_case(4, 10, 10, 2, 32, 64);
	attention_case(2, 20, 20, 4, 32, 64);
	attention_case(3, 7, 9, 1, 16, 32);

	return done_testing();
}
