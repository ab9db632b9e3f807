#include "nn/weights.h"

#include <stdlib.h>
#include <string.h>

int ul_weights_alloc(struct ul_weights *w, const struct ul_graph *g)
{
	const struct ul_tensor_table *t = &g->tensors;
	w->graph = g;
	/* +1: a table without buffers still gets a valid pointer */
	w->params = calloc(t->params + 1, sizeof(float));
	w->grads = calloc(t->params + 1, sizeof(float));
	w->buffers = calloc(t->buffers + 1, sizeof(float));
	if (w->params && w->grads && w->buffers)
		return 0;
	ul_weights_free(w);
	return -1;
}

void ul_weights_free(struct ul_weights *w)
{
	free(w->params);
	free(w->grads);
	free(w->buffers);
	memset(w, 0, sizeof *w);
}

float *ul_weights_data(const struct ul_weights *w, const struct ul_tensor_spec *s)
{
	return (s->buffer ? w->buffers : w->params) + s->offset;
}
