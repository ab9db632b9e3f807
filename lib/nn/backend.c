#include "nn/backend.h"

#include <stdlib.h>
#include <string.h>

#include "nn/concat.h"

static void *host_alloc(size_t bytes)
{
	return malloc(bytes ? bytes : 1);
}

static void host_copy(void *dst, const void *src, size_t bytes)
{
	memcpy(dst, src, bytes);
}

static void host_zero(size_t n, float *x)
{
	memset(x, 0, sizeof *x * n);
}

/* The CPU's ops are done when they return. */
static int host_sync(char *why, size_t size)
{
	(void)why, (void)size;
	return 0;
}

const struct ul_backend ul_cpu_backend = {
	.name = "cpu",
	.host_memory = true,
	.alloc = host_alloc,
	.release = free,
	.to_device = host_copy,
	.to_host = host_copy,
	.zero = host_zero,
	.sync = host_sync,
	.conv2d_forward = ul_conv2d_forward,
	.conv2d_backward = ul_conv2d_backward,
	.batchnorm_forward_train = ul_batchnorm_forward_train,
	.batchnorm_forward_eval = ul_batchnorm_forward_eval,
	.batchnorm_backward = ul_batchnorm_backward,
	.maxpool_forward = ul_maxpool_forward,
	.maxpool_backward = ul_maxpool_backward,
	.upsample_forward = ul_upsample_forward,
	.upsample_backward = ul_upsample_backward,
	.channels_copy = ul_channels_copy,
	.add = ul_add,
	.attention_forward = ul_attention_forward,
	.attention_backward = ul_attention_backward,
	.conv_transpose2d_forward = ul_conv_transpose2d_forward,
	.conv_transpose2d_backward = ul_conv_transpose2d_backward,
	.linear_forward = ul_linear_forward,
	.linear_backward = ul_linear_backward,
	.global_avgpool_forward = ul_global_avgpool_forward,
	.global_avgpool_backward = ul_global_avgpool_backward,
};

const struct ul_backend *ul_ops = &ul_cpu_backend;
