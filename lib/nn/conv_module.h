/* Ultralytics' Conv, the building block of YOLO26: Conv2d without bias,
 * BatchNorm2d, then SiLU (or nothing, for act=False).
 *
 * The caller owns all memory. Parameters and their gradients are pointers
 * into the model's contiguous buffers; what backward needs from forward
 * (the conv output and the batch statistics) lives in
 * a "saved" area of ul_conv_module_saved() floats, which the activation
 * arena will plan. */
#ifndef UL_NN_CONV_MODULE_H
#define UL_NN_CONV_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "nn/batchnorm.h"
#include "nn/conv2d.h"

struct ul_conv_module {
	struct ul_conv2d conv;  /* groups, stride ...; the BN shape follows from it */
	bool act;               /* SiLU after the BatchNorm */
	const float *weight, *gamma, *beta;
	float *running_mean, *running_var;
	float *dweight, *dgamma, *dbeta;  /* accumulated into */
};

/* Output elements, floats to keep from forward to backward, and scratch. */
size_t ul_conv_module_out(const struct ul_conv_module *m);
size_t ul_conv_module_saved(const struct ul_conv_module *m);
size_t ul_conv_module_workspace(const struct ul_conv_module *m);

/* y = act(bn(conv(x))). Training uses batch statistics and updates the
 * running ones; eval uses the running ones (saved may then be NULL). */
void ul_conv_module_forward(const struct ul_conv_module *m, const float *x, float *y, float *saved, float *workspace,
			    bool train);

/* From dy (training forward's saved area): dx overwritten (NULL to skip),
 * parameter gradients accumulated. */
void ul_conv_module_backward(const struct ul_conv_module *m, const float *x, const float *saved, const float *dy,
			     float *dx, float *workspace);

#endif
