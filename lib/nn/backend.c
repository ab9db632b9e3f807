#include "nn/backend.h"

#include "nn/concat.h"

const struct ul_backend ul_cpu_backend = {
	.name = "cpu",
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
