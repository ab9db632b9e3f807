/* ul-train's checkpoints: one safetensors file (nn/safetensors.h) that
 * Python's safetensors reads as a model and that ul-train resumes exactly.
 *
 * Tensors, all F32:
 *   <state-dict name>    the EMA's parameters and buffers under Ultralytics'
 *                        names and shapes (the size table): the model, as
 *                        Ultralytics saves the EMA as its model
 *   train/params         the raw model's parameters, flat in the table's layout
 *   train/buffers        its BatchNorm statistics
 *   train/grads          gradients accumulated towards the next step
 *   train/<state>        each optimizer state buffer ("exp_avg" ...)
 * A '/' never occurs in a state-dict name, so the two sets cannot meet.
 *
 * __metadata__, all strings: format "pt" (the mark of PyTorch-side files),
 * ul_checkpoint (this format's version: a ul checkpoint has it), ul_version,
 * date (UTC, ISO 8601), run, task, scale, nc, model (the model YAML as
 * JSON), args (the run's arguments as JSON), epoch (epochs finished),
 * best_fitness, best_epoch, and the trainer's counters (ni, last_step,
 * steps, grad_norm, ema_updates, loss_updates, optimizer, optim_step, and
 * per group, space-separated: optim_lr, optim_momentum, optim_mu_product).
 * Doubles are written %.17g, so they read back to the same bits.
 *
 * Nothing else needs saving for an exact resume: the schedule, the frozen
 * layers and the optimizer's groups follow from the arguments, and every
 * random draw (the loader's, the net's) from the seed, the epoch and the
 * iteration. Save at an epoch's end; resume then runs the next epoch. */
#ifndef UL_TRAIN_CHECKPOINT_H
#define UL_TRAIN_CHECKPOINT_H

#include <stdbool.h>

#include <jv.h>

#include "nn/safetensors.h"
#include "train/trainer.h"

#define UL_CHECKPOINT_VERSION 1

/* What a checkpoint says about its run beside the trainer's state. */
struct ul_checkpoint_run {
	const char *run;      /* the run's id */
	jv args;              /* the config's args (borrowed) */
	const char *data;     /* the dataset it trains on, as the config names it; NULL if not known */
	jv model;             /* the model YAML as loaded (borrowed), so the file can rebuild its graph; null if not known */
	double best_fitness;  /* NAN before any validation */
	int best_epoch;       /* epochs finished when it was reached, 0 for none */
	bool weights_only;    /* the model and what describes it, no training state: a run's final files, as
				 Ultralytics strips them */
};

/* Writes t and r to path atomically (nn/safetensors.h): on failure the old
 * file stays whole. 0, or -1 with a message in *err. */
int ul_checkpoint_save(const char *path, const struct ul_trainer *t, const struct ul_checkpoint_run *r, jv *err);

/* An open checkpoint: what it says, read and checked, and its tensors. A
 * plain safetensors file of weights (one Python wrote) opens too, with
 * has_state false, null model, {} args. */
struct ul_checkpoint {
	struct ul_safetensors file;
	bool has_state;       /* holds the training state: can be resumed */
	jv run, task, data, model, args;  /* strings, the model YAML and args as parsed; null when absent */
	char scale;           /* 0 when absent */
	int nc;               /* 0 when absent */
	int epoch;            /* epochs finished */
	double best_fitness;
	int best_epoch;
};

/* Reads and checks path. 0, or -1 with a message in *err (a file that is
 * cut short, damaged, not safetensors, or of a newer format). */
int ul_checkpoint_open(struct ul_checkpoint *c, const char *path, jv *err);
void ul_checkpoint_close(struct ul_checkpoint *c);

/* Resume: every piece of state into t, a trainer just created on the same
 * model and arguments, so that the next epoch runs as if never stopped.
 * Everything is checked before t is touched. 0, or -1 with a message (no
 * training state, another model, another optimizer, a damaged value). */
int ul_checkpoint_resume(const struct ul_checkpoint *c, struct ul_trainer *t, jv *err);

/* Fine-tune: the model tensors into t's weights (and its EMA), t's
 * training state left fresh. A tensor whose shape differs in the head (the
 * class outputs, when the class count changed) keeps t's own
 * initialisation; *skipped (set when not NULL) lists their names. F32 and
 * F16 files. 0, or -1 with a message (a missing tensor, another model). */
int ul_checkpoint_load_weights(const struct ul_checkpoint *c, struct ul_trainer *t, jv *skipped, jv *err);

/* The model's tensors (for ours, the EMA) into w, of the same model: what
 * validating the file needs. F32 and F16 files. w is untouched on
 * failure. 0, or -1 with a message (a missing tensor, another shape). */
int ul_checkpoint_read_model(const struct ul_checkpoint *c, struct ul_weights *w, jv *err);

#endif
