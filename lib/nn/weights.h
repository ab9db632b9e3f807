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

/* The weights where the backend's ops (ul_ops) read them: the host's own
 * when its memory is the host's, else a copy in its memory, its gradients
 * zeroed, that the caller keeps in step with the two copies below (which
 * then do nothing). 0, or -1 when out of memory. */
int ul_weights_mirror(struct ul_weights *dev, const struct ul_weights *host);
void ul_weights_mirror_free(struct ul_weights *dev, const struct ul_weights *host);

/* Before a step: the host's parameters and running statistics over. */
void ul_weights_upload(struct ul_weights *dev, const struct ul_weights *host);

/* After one: the gradients and running statistics back to the host. */
void ul_weights_download(const struct ul_weights *dev, struct ul_weights *host);

/* Its values: in params or in buffers, as the spec says. */
float *ul_weights_data(const struct ul_weights *w, const struct ul_tensor_spec *s);

#endif
