/* Training a YOLO26 detector the way Ultralytics' trainer does (yolo26.md
 * 4.1 and 5): the end-to-end loss, an optimizer over Ultralytics'
 * parameter groups, the warmup and the epoch schedule, gradient
 * accumulation to the nominal batch, clipping at norm 10, the EMA, and
 * frozen layers. The caller owns the data: it hands over one batch at a
 * time and says when an epoch ends.
 *
 *   ul_trainer_create(&t, &graph, &options, &err);
 *   for each epoch: for each batch: ul_trainer_batch(&t, ...);
 *                   ul_trainer_epoch_end(&t);
 *   validate and save t.ema.weights
 *
 * On the CPU every step is deterministic: the same seed and the same
 * batches give the same bits, whatever the number of threads. */
#ifndef UL_TRAIN_TRAINER_H
#define UL_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "nn/net.h"
#include "train/e2e_loss.h"
#include "train/ema.h"
#include "train/optim.h"
#include "train/schedule.h"

#define UL_TRAIN_MAX_FREEZE 64
#define UL_TRAIN_MAX_NORM 10.0
#define UL_TRAIN_NETS 2

/* The parameters of a run that the loop reads, as ul-validate names them. */
struct ul_train_options {
	int epochs, batch, nbs;
	long train_images;         /* batches per epoch and auto's choice follow from it */
	char optimizer[16];        /* auto, SGD, MuSGD, Adam, AdamW, NAdam, RAdam, RMSProp, Adamax */
	double lr0, lrf, momentum, weight_decay;
	double warmup_epochs, warmup_momentum, warmup_bias_lr;
	bool cos_lr;
	double box, cls, dfl;      /* loss gains */
	double cls_pw, label_smoothing;  /* class weighting and target smoothing (detect_loss.h) */
	const double *class_counts;  /* the training set's instances per class (borrowed): cls_pw's weights */
	int freeze[UL_TRAIN_MAX_FREEZE], nfreeze;  /* layer indices whose tensors stay as they are */
	uint64_t seed;
};

/* The options of a config record's "args" (borrowed), with the number of
 * training images (class_counts left NULL: the caller's to set). 0, or -1
 * with a message in *err. */
int ul_train_options_from_args(struct ul_train_options *o, jv args, long train_images, jv *err);

struct ul_trainer {
	struct ul_train_options options;
	const struct ul_graph *graph;
	struct ul_weights weights;      /* on the host: the optimizer's, the EMA's, checkpoints' */
	struct ul_weights device;       /* where the nets run (nn/weights.h: ul_weights_mirror) */
	struct ul_ema ema;
	struct ul_optim optim;
	struct ul_optim_choice choice;  /* what auto chose, or the named optimizer */
	struct ul_schedule schedule;
	struct ul_e2e_loss loss;
	bool *frozen;                   /* per tensor of the table */
	float *class_weights;           /* cls_pw's, nc of them, or NULL */
	struct ul_net nets[UL_TRAIN_NETS];  /* for the shapes seen last: an epoch's full batches and its short one */
	bool has_net[UL_TRAIN_NETS];
	int net;                        /* the one the last batch ran on */
	int epoch, batches;             /* batches: per epoch */
	long ni, warmup, last_step;     /* global iteration, warmup iterations, iteration of the last step */
	long steps;                     /* optimizer steps taken */
	double grad_norm;               /* before clipping, at the last step */
};

/* A new run on graph g (borrowed), its weights initialised from the seed.
 * 0, or -1 with a message in *err. */
int ul_trainer_create(struct ul_trainer *t, const struct ul_graph *g, const struct ul_train_options *o, jv *err);
void ul_trainer_free(struct ul_trainer *t);

/* One batch of n images (n, h, w, 3) NHWC in [0, 1] with their labels
 * (image in [0, n), boxes normalised to the batch's h x w): forward, the
 * loss, backward, and an optimizer step once enough batches have been
 * accumulated. *total: the loss summed over both heads, *items: the
 * one-to-one items. 0, or -1 with a message in *err (out of memory, a
 * shape the net refuses, a loss that is not finite: nothing is stepped). */
int ul_trainer_batch(struct ul_trainer *t, int n, int h, int w, const float *images, const struct ul_label *labels,
		     size_t nlabels, struct ul_detect_items *items, double *total, jv *err);

/* At the end of an epoch: the loss weights move and the next epoch's
 * rates are set. */
void ul_trainer_epoch_end(struct ul_trainer *t);

#endif
