/* The exponential moving average of a model's weights (yolo26.md 5.5), as
 * Ultralytics' ModelEMA keeps it: after every optimizer step, every
 * parameter and every floating-point buffer (BatchNorm's running mean and
 * variance too) moves to d x ema + (1 - d) x model, with the decay
 * d = 0.9999 (1 - exp(-updates / 2000)) ramping up from 0 so that early
 * averages follow the model. Validation and checkpoints read the EMA. */
#ifndef UL_TRAIN_EMA_H
#define UL_TRAIN_EMA_H

#include "nn/weights.h"

struct ul_ema {
	struct ul_weights weights;  /* its own params and buffers; grads are the model's, never written (eval only) */
	long updates;
};

/* A copy of model. 0, or -1 when out of memory. */
int ul_ema_create(struct ul_ema *e, const struct ul_weights *model);
void ul_ema_free(struct ul_ema *e);

/* The decay of the n-th update. */
double ul_ema_decay(long updates);

void ul_ema_update(struct ul_ema *e, const struct ul_weights *model);

#endif
