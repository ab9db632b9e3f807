#include "train/schedule.h"

#include <math.h>
#include <string.h>

#include "train/optim.h"

double ul_lr_factor(const struct ul_schedule *s, int epoch)
{
	if (s->cos_lr)
		return ((1 - cos(epoch * M_PI / s->epochs)) / 2) * (s->lrf - 1) + 1;
	return fmax(1 - (double)epoch / s->epochs, 0) * (1 - s->lrf) + s->lrf;
}

long ul_warmup_iterations(const struct ul_schedule *s, int nb)
{
	double epochs = fmin(s->warmup_epochs, fmax(s->epochs - 1, 0));
	return epochs > 0 ? (long)rint(epochs * nb) : 0;  /* Python rounds half to even, as rint */
}

/* numpy's interp between (0, a) and (nw, b), in its order of operations. */
static double ramp(long ni, long nw, double a, double b)
{
	return (b - a) / nw * ni + a;
}

int ul_accumulate(const struct ul_schedule *s, long ni, long nw)
{
	double full = (double)s->nbs / s->batch;
	/* Ultralytics sets it only during warmup: after, the last warmup value
	 * stays (equal to the full one unless the warmup is short) */
	if (nw > 0)
		return (int)fmax(1, rint(ramp(ni < nw ? ni : nw - 1, nw, 1, full)));
	return (int)fmax(rint(full), 1);
}

void ul_schedule_epoch(const struct ul_schedule *s, struct ul_optim *o, int epoch)
{
	double lf = ul_lr_factor(s, epoch);
	for (int j = 0; j < o->ngroups; j++)
		o->groups[j].lr = o->groups[j].initial_lr * lf;
}

void ul_schedule_warmup(const struct ul_schedule *s, struct ul_optim *o, int epoch, long ni, long nw)
{
	if (ni >= nw)
		return;
	double lf = ul_lr_factor(s, epoch);
	for (int j = 0; j < o->ngroups; j++) {
		struct ul_optim_group *g = &o->groups[j];
		g->lr = ramp(ni, nw, strcmp(g->name, "bias") == 0 ? s->warmup_bias_lr : 0, g->initial_lr * lf);
		if (g->has_momentum)
			g->momentum = ramp(ni, nw, s->warmup_momentum, s->momentum);
	}
}
