#include "train/ema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ul_ema_create(struct ul_ema *e, const struct ul_weights *model)
{
	const struct ul_tensor_table *t = &model->graph->tensors;
	*e = (struct ul_ema){ .weights = { .graph = model->graph, .grads = model->grads } };
	e->weights.params = malloc(sizeof(float) * (t->params + 1));
	e->weights.buffers = malloc(sizeof(float) * (t->buffers + 1));
	if (!e->weights.params || !e->weights.buffers) {
		ul_ema_free(e);
		return -1;
	}
	memcpy(e->weights.params, model->params, sizeof(float) * t->params);
	memcpy(e->weights.buffers, model->buffers, sizeof(float) * t->buffers);
	return 0;
}

void ul_ema_free(struct ul_ema *e)
{
	free(e->weights.params);
	free(e->weights.buffers);
	*e = (struct ul_ema){ 0 };
}

double ul_ema_decay(long updates)
{
	return 0.9999 * (1 - exp(-updates / 2000.0));
}

static void blend(float *ema, const float *model, size_t n, float d)
{
	for (size_t i = 0; i < n; i++)
		ema[i] = d * ema[i] + (1 - d) * model[i];
}

void ul_ema_update(struct ul_ema *e, const struct ul_weights *model)
{
	const struct ul_tensor_table *t = &model->graph->tensors;
	float d = (float)ul_ema_decay(++e->updates);
	blend(e->weights.params, model->params, t->params, d);
	/* buffers one by one: a batch count (ndim 0) is an integer in
	 * PyTorch, which the EMA leaves as it was copied */
	for (size_t i = 0; i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		if (s->buffer && s->ndim > 0)
			blend(e->weights.buffers + s->offset, model->buffers + s->offset, ul_tensor_numel(s), d);
	}
}
