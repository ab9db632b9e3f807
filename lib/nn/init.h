/* Initial weights, as a freshly built Ultralytics model has them (yolo26.md
 * 2 and 3.8): PyTorch's default for convolutions and linear layers,
 * uniform in +-1/sqrt(fan_in) for weights and biases alike; BatchNorm
 * weight 1, bias 0, running mean 0 and variance 1; the Detect heads' bias
 * init (box 2.0, class log(5 / nc / (640 / stride)^2)); RealNVP's weights
 * Xavier-uniform with gain 0.01 and its prior and masks. Each one-to-one
 * branch starts as a copy of its one-to-many twin, as Ultralytics' deep
 * copy makes it.
 *
 * The random stream is ours (seeded), not PyTorch's: the same seed gives
 * the same weights, but not PyTorch's numbers. */
#ifndef UL_NN_INIT_H
#define UL_NN_INIT_H

#include <stdint.h>

#include "nn/graph.h"

/* Fills params (g->tensors.params floats) and buffers (g->tensors.buffers). */
void ul_init_weights(const struct ul_graph *g, float *params, float *buffers, uint64_t seed);

#endif
