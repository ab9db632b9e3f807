/* A model's numbers, laid out by its size table: every parameter in one
 * contiguous buffer, their gradients in a second of the same layout, and
 * the BatchNorm running statistics in a third. One pass over a buffer
 * serves the optimizer, the EMA, a checkpoint, or an all-reduce. */
#ifndef UL_NN_WEIGHTS_H
#define UL_NN_WEIGHTS_H

#include "nn/graph.h"

struct ul_weights {
	const struct ul_graph *graph;  /* borrowed; its table gives the layout */
	float *params, *grads, *buffers;
};

/* Zeroed buffers for g's table. 0, or -1 when out of memory. */
int ul_weights_alloc(struct ul_weights *w, const struct ul_graph *g);
void ul_weights_free(struct ul_weights *w);

/* Its values: in params or in buffers, as the spec says. */
float *ul_weights_data(const struct ul_weights *w, const struct ul_tensor_spec *s);

#endif
