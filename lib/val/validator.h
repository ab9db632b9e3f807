/* Validation of a detector as Ultralytics' DetectionValidator runs it
 * (yolo26.md 6): the weights (the EMA's, in a run) in eval mode over the
 * validation loader's rect batches; per image the end-to-end decoding,
 * the matching at the 10 IoU thresholds and the confusion matrix; at the
 * end the metrics. The validation losses come from the training loss code
 * on the same outputs: the one-to-one items, averaged over the batches. */
#ifndef UL_VAL_VALIDATOR_H
#define UL_VAL_VALIDATOR_H

#include <jv.h>

#include "data/loader.h"
#include "nn/graph.h"
#include "nn/net.h"
#include "nn/weights.h"
#include "train/detect_loss.h"
#include "val/ap.h"
#include "val/confusion.h"

#define UL_VAL_MAX_DET 300
#define UL_VAL_CONF 0.001

struct ul_val_options {
	double conf;           /* detections scoring at or below are dropped (0.001) */
	int max_det;           /* per image (300) */
	double box, cls, dfl;  /* the loss gains, as in training */
	const float *class_weights;  /* cls_pw's, as in training (borrowed), or NULL */
	double label_smoothing;      /* as in training */
	bool curves;           /* the metrics' curves too, for the plots (val/plots.h) */
	bool (*interrupt)(void);  /* when set, asked after every batch: true ends the validation, unfinished */
};

/* The options of a config record's args (borrowed): conf and max_det when
 * given (a conf of null is validation's 0.001), the gains and
 * label_smoothing (class_weights are the trainer's to set). 0, or -1 with
 * a message in *err. */
int ul_val_options_from_args(struct ul_val_options *o, jv args, jv *err);

struct ul_val_result {
	struct ul_val_stats stats;
	struct ul_val_metrics metrics;
	struct ul_confusion confusion;
	struct ul_detect_items loss;  /* the mean of the batches' one-to-one items */
	int batches;
	double seconds;
	bool interrupted;             /* interrupt said to stop: the numbers are not a validation's */
};

/* What one validation leaves for the next over the same weights: their
 * copy in the backend's memory and the net, whose activations are then
 * not mapped and faulted in again every epoch. Zeroed to start;
 * ul_val_keep_free releases it. */
struct ul_val_keep {
	struct ul_weights of;      /* the weights it was made for, as they were (graph NULL: none yet) */
	struct ul_weights device;  /* their mirror (nn/weights.h) */
	struct ul_net net;         /* layers NULL: none yet */
};
void ul_val_keep_free(struct ul_val_keep *k);

/* Validates w (borrowed, read only) of graph g over the loader's batches
 * into r (zeroed first; ul_val_result_free releases it), in keep's net
 * (NULL: one made for this validation alone). 0 (also when interrupted:
 * r->interrupted), or -1 with a message in *err. */
int ul_validate(const struct ul_graph *g, const struct ul_weights *w, struct ul_loader *loader,
		const struct ul_val_options *o, struct ul_val_keep *keep, struct ul_val_result *r, jv *err);
void ul_val_result_free(struct ul_val_result *r);

/* Image b's labels in batch as boxes in the frame's pixels, into gt (room
 * for the batch's labels). Their count. */
int ul_batch_boxes(const struct ul_batch *batch, int b, struct ul_gt_box *gt);

#endif
