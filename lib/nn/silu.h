/* SiLU, y = x * sigmoid(x), forward and backward over n floats: the
 * activation of every Ultralytics Conv. */
#ifndef UL_NN_SILU_H
#define UL_NN_SILU_H

#include <stddef.h>

/* y may be x (Ultralytics runs it in place). Finite for every finite x. */
void ul_silu_forward(size_t n, const float *x, float *y);

/* dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))), overwritten; may be dy.
 * Needs the forward's input x, so an in-place forward must keep a copy. */
void ul_silu_backward(size_t n, const float *x, const float *dy, float *dx);

#endif
