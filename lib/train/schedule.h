/* Ultralytics' learning-rate schedule (yolo26.md 5.4): a factor lf(epoch)
 * set at the start of each epoch, linear or cosine from 1 down to lrf, and
 * a warmup over the first iterations in which every group's rate rises
 * from 0 (the bias group's falls from warmup_bias_lr) to its scheduled
 * value, the momentum rises from warmup_momentum, and the gradient
 * accumulation grows from 1 batch to nbs / batch. */
#ifndef UL_TRAIN_SCHEDULE_H
#define UL_TRAIN_SCHEDULE_H

#include <stdbool.h>

struct ul_schedule {
	int epochs;
	double lrf;
	bool cos_lr;
	double warmup_epochs, warmup_momentum, warmup_bias_lr, momentum;
	int nbs, batch;
};

/* lf(epoch), epoch 0-based. */
double ul_lr_factor(const struct ul_schedule *s, int epoch);

/* The warmup's length in iterations for nb batches per epoch: at most all
 * epochs but the last. */
long ul_warmup_iterations(const struct ul_schedule *s, int nb);

/* Batches whose gradients make one optimizer step at global iteration ni. */
int ul_accumulate(const struct ul_schedule *s, long ni, long nw);

struct ul_optim;

/* At the start of an epoch: every group's rate to its initial rate x lf. */
void ul_schedule_epoch(const struct ul_schedule *s, struct ul_optim *o, int epoch);

/* Before the batch of global iteration ni, while ni < nw: the warmup's
 * rates and momentum. Nothing after warmup: as in Ultralytics, the rates
 * then change only at the next epoch and the momentum stays where the
 * ramp left it. */
void ul_schedule_warmup(const struct ul_schedule *s, struct ul_optim *o, int epoch, long ni, long nw);

#endif
