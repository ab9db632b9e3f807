/* Ultralytics' Bottleneck: Conv k1 (c1 -> hidden), Conv k2 (hidden -> c2),
 * plus the input when shortcut and c1 == c2. The inner block of C3k and
 * C3k2.
 *
 * Memory as in conv_module.h: "saved" holds the hidden activation and both
 * convs' saved state (in eval too, for the hidden activation). */
#ifndef UL_NN_BOTTLENECK_H
#define UL_NN_BOTTLENECK_H

#include "nn/conv_module.h"

struct ul_bottleneck {
	struct ul_conv_module cv1, cv2;  /* cv2's input shape is cv1's output */
	bool add;                        /* shortcut and c1 == c2 */
};

size_t ul_bottleneck_saved(const struct ul_bottleneck *b);
size_t ul_bottleneck_workspace(const struct ul_bottleneck *b);

void ul_bottleneck_forward(const struct ul_bottleneck *b, const float *x, float *y, float *saved, float *workspace,
			   bool train);

/* dx overwritten, parameter gradients accumulated. */
void ul_bottleneck_backward(const struct ul_bottleneck *b, const float *x, const float *saved, const float *dy,
			    float *dx, float *workspace);

#endif
