/* The optimizers of Ultralytics' trainer (yolo26.md 5.2, 5.3) over a
 * model's parameter buffer (struct ul_weights): SGD, MuSGD, Adam, AdamW,
 * NAdam, RAdam, RMSprop and Adamax, with PyTorch 1.13's update rules (the
 * version the peer runs), Ultralytics' parameter groups, its "auto"
 * choice, and the gradient-norm clipping before each step.
 *
 * Groups, from the tensor table's names: "weight" (decay), "bn" (the
 * parameters of a normalisation layer, found as a module with a
 * running_mean buffer, and any "logit_scale"; no decay), "bias" (any name
 * holding "bias"; no decay), in that order. MuSGD adds "muon" (every
 * parameter of 2 or 4 dimensions, with decay) and splits each group in
 * two, the first with 3x lr for the head's classification branches (the
 * last layer's cv3 and one2one_cv3, and any proto.semseg): [weight x3,
 * weight, bn x3, bn, bias x3, bias, muon x3, muon], results.csv's lr/pg0-7.
 *
 * Hyperparameters are read from the groups at every step, so warmup and
 * the schedule write lr (and momentum where has_momentum) between steps.
 * Frozen tensors stay in their groups, as Ultralytics counts them, but are
 * never touched, not even by decay. Updates run in float32; MuSGD's
 * Newton-Schulz iterations too, where Ultralytics uses bfloat16.
 *
 * Known difference: NAdam keeps 1.13's mu_product_next = mu_product x mu x
 * mu_next (mu counted twice); PyTorch 2.0 fixed it to mu_product x
 * mu_next. */
#ifndef UL_TRAIN_OPTIM_H
#define UL_TRAIN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "nn/tensor_table.h"

enum ul_optim_kind {
	UL_OPTIM_SGD,
	UL_OPTIM_MUSGD,
	UL_OPTIM_ADAM,
	UL_OPTIM_ADAMW,
	UL_OPTIM_NADAM,
	UL_OPTIM_RADAM,
	UL_OPTIM_RMSPROP,
	UL_OPTIM_ADAMAX,
};

/* "SGD", "MuSGD", "Adam", "AdamW", "NAdam", "RAdam", "RMSprop", "Adamax"
 * in any case: 0, or -1 for anything else, "auto" included (ul_optim_auto
 * makes that choice). */
int ul_optim_kind_from_name(const char *name, enum ul_optim_kind *kind);

/* Ultralytics' spelling of the kind, for messages and records. */
const char *ul_optim_kind_name(enum ul_optim_kind kind);

struct ul_optim_choice {
	enum ul_optim_kind kind;
	double lr, momentum;
	bool auto_chosen;  /* by "auto": the run's lr0 and momentum are ignored, its warmup_bias_lr becomes 0 */
};

/* optimizer=auto: MuSGD, lr 0.01, momentum 0.9 when the run has more than
 * 10000 iterations, ceil(n_train / max(batch, nbs)) x epochs; else AdamW,
 * lr round(0.01 / (4 + nc), 6), momentum 0.9. */
struct ul_optim_choice ul_optim_auto(size_t n_train, int batch, int nbs, int epochs, int nc);

#define UL_OPTIM_GROUPS 8
#define UL_OPTIM_STATES 2

struct ul_optim_group {
	const char *name;     /* Ultralytics' param_group: "weight", "bn", "bias" or "muon" */
	bool boosted;         /* MuSGD's 3x-lr half */
	bool muon;            /* MuSGD: an orthogonalised update before the SGD one */
	bool has_momentum;    /* SGD, MuSGD, RMSprop: warmup ramps momentum; the Adam family's beta1 stays as built */
	double initial_lr;    /* lr as built, the schedule's base */
	double lr, momentum, weight_decay;  /* read at every step */
	double betas[2];      /* the Adam family: (momentum as built, 0.999) */
	double mu_product;    /* NAdam: the product of its momentum cache over the steps taken */
	size_t ntensors;      /* frozen ones included */
};

struct ul_optim {
	enum ul_optim_kind kind;
	int ngroups;
	struct ul_optim_group groups[UL_OPTIM_GROUPS];
	long step;                              /* steps taken, PyTorch's state "step" */
	const struct ul_tensor_table *table;    /* borrowed */
	signed char *group;                     /* per tensor of the table: its group, -1 for a buffer */
	bool *frozen;                           /* per tensor of the table */
	/* PyTorch's per-parameter state, each table->params floats in the
	 * parameters' layout, zero at first; NULL past the kind's count.
	 * MuSGD's momentum_buffer_SGD is used by muon tensors only. */
	float *state[UL_OPTIM_STATES];
	const char *state_names[UL_OPTIM_STATES];  /* "exp_avg", "momentum_buffer" ... */
	/* MuSGD: the muon tensors shared out among pieces that run at once,
	 * each with its own Newton-Schulz matrices */
	int pieces;
	signed char *piece_of;                  /* per tensor: its piece, -1 if not muon */
	float *scratch;                         /* pieces x scratch_floats */
	size_t scratch_floats;
};

/* The optimizer of that kind for table t's parameters, every group at lr
 * (3 lr for the boosted ones) and momentum, the "weight" and "muon" groups
 * with weight_decay (Ultralytics scales it by batch x accumulate / nbs
 * before). frozen: one flag per tensor of t, or NULL for none. 0, or -1
 * with a message in *err (a value PyTorch refuses, out of memory). */
int ul_optim_create(struct ul_optim *o, enum ul_optim_kind kind, const struct ul_tensor_table *t, const bool *frozen,
		    double lr, double momentum, double weight_decay, jv *err);
void ul_optim_free(struct ul_optim *o);

/* One step over every trainable tensor, with each group's lr, momentum and
 * weight_decay as they are now. params and grads are laid out by the
 * table. */
void ul_optim_step(struct ul_optim *o, float *params, const float *grads);

/* torch.nn.utils.clip_grad_norm_: the L2 norm over every trainable
 * tensor's gradient (in double); when max_norm / (norm + 1e-6) is under 1,
 * the gradients are scaled by it. Returns the norm before clipping. */
double ul_clip_grad_norm(float *grads, const struct ul_tensor_table *t, const bool *frozen, double max_norm);

#endif
