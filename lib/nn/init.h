/* Initial weights, as a freshly built Ultralytics model has them (yolo26.md
 * 2 and 3.8): PyTorch's default for convolutions and linear layers,
 * uniform in +-1/sqrt(fan_in) for weights and biases alike; BatchNorm
 * weight 1, bias 0, running mean 0 and variance 1; the Detect heads' bias
 * init (box 2.0, class log(5 / nc / (640 / stride)^2)); RealNVP's weights
 * Xavier-uniform with gain 0.01 and its prior and masks. Each one-to-one
 * branch starts as a copy of its one-to-many twin, as Ultralytics' deep
 * copy makes it.
 *
 * The numbers are PyTorch's: its CPU generator seeded with the seed
 * (core/mt19937), drawn in the order Ultralytics builds the modules,
 * counting the draws of blocks it builds and replaces (C2f's and C3's own
 * m, the tensor table's discarded_draws). So yolo train seed=S and
 * ul-train seed=S start from the same weights for detection, OBB and
 * classification models (tests/unit/test_init.c checks digests of
 * Ultralytics' own). The segment and pose heads build modules in an order
 * the table does not follow yet: theirs have the same ranges, not the same
 * numbers. */
#ifndef UL_NN_INIT_H
#define UL_NN_INIT_H

#include <stdint.h>

#include "nn/graph.h"

/* Fills params (g->tensors.params floats) and buffers (g->tensors.buffers). */
void ul_init_weights(const struct ul_graph *g, float *params, float *buffers, uint64_t seed);

#endif
