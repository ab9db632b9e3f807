#include "nn/weights.h"

#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"

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

int ul_weights_mirror(struct ul_weights *dev, const struct ul_weights *host)
{
	*dev = *host;
	if (ul_ops->host_memory)
		return 0;
	const struct ul_tensor_table *t = &host->graph->tensors;
	dev->params = ul_ops->alloc(sizeof(float) * (t->params + 1));
	dev->grads = ul_ops->alloc(sizeof(float) * (t->params + 1));
	dev->buffers = ul_ops->alloc(sizeof(float) * (t->buffers + 1));
	if (!dev->params || !dev->grads || !dev->buffers) {
		ul_weights_mirror_free(dev, host);
		return -1;
	}
	ul_ops->zero(t->params, dev->grads);
	ul_weights_upload(dev, host);
	return 0;
}

void ul_weights_mirror_free(struct ul_weights *dev, const struct ul_weights *host)
{
	if (dev->params != host->params) {
		ul_ops->release(dev->params);
		ul_ops->release(dev->grads);
		ul_ops->release(dev->buffers);
	}
	memset(dev, 0, sizeof *dev);
}

void ul_weights_upload(struct ul_weights *dev, const struct ul_weights *host)
{
	const struct ul_tensor_table *t = &host->graph->tensors;
	if (dev->params == host->params)
		return;
	ul_ops->to_device(dev->params, host->params, sizeof(float) * t->params);
	ul_ops->to_device(dev->buffers, host->buffers, sizeof(float) * t->buffers);
}

void ul_weights_download(const struct ul_weights *dev, struct ul_weights *host)
{
	const struct ul_tensor_table *t = &host->graph->tensors;
	if (dev->params == host->params)
		return;
	ul_ops->to_host(host->grads, dev->grads, sizeof(float) * t->params);
	ul_ops->to_host(host->buffers, dev->buffers, sizeof(float) * t->buffers);
}
