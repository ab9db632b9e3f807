/* YOLO26's detection loss for one head (yolo26.md 4.2), its value and its
 * gradient with respect to the head's outputs: BCE of the class logits
 * against the assigner's soft targets, CIoU and the size-normalised L1 of
 * the boxes of assigned anchors, each over the sum of target scores, with
 * the gains of default.yaml; optionally each class's BCE weighted (cls_pw)
 * and its targets smoothed (label_smoothing). The end-to-end loss (4.1) is two calls, the
 * one-to-many head (top 10) and the one-to-one head (top 7, then 1), with
 * their weights (ul_e2e_weights).
 *
 * Outputs are the engine's: per level, NHWC maps of the four raw box
 * distances (left, top, right, bottom, grid units) and of the nc class
 * logits; anchors run over levels, each level's cells row-major. */
#ifndef UL_TRAIN_DETECT_LOSS_H
#define UL_TRAIN_DETECT_LOSS_H

#include <stddef.h>

#include "data/labels.h"
#include "train/assigner.h"

#define UL_DETECT_LEVELS 3

/* One head's outputs, and where their gradients go (added to). */
struct ul_detect_head {
	int batch, nc;
	int h[UL_DETECT_LEVELS], w[UL_DETECT_LEVELS], stride[UL_DETECT_LEVELS];
	const float *box[UL_DETECT_LEVELS], *cls[UL_DETECT_LEVELS];
	float *dbox[UL_DETECT_LEVELS], *dcls[UL_DETECT_LEVELS];
};

struct ul_detect_loss_config {
	int topk, topk2;
	double box, cls, dfl;         /* gains; dfl multiplies the L1 term */
	const float *class_weights;   /* cls_pw: each class's BCE terms times its weight; NULL: all 1 */
	double label_smoothing;       /* the class targets t become t (1 - e) + e / 2 */
};

/* One-to-many and one-to-one, with Ultralytics' default gains. */
extern const struct ul_detect_loss_config ul_detect_one2many, ul_detect_one2one;

/* The logged items: each term after its gain, before the batch scale. */
struct ul_detect_items {
	double box, cls, l1;
};

#define UL_DETECT_PIECES 64  /* images run in at most this many pieces at once */

/* One piece's own memory: its images' boxes, predictions and assigner. */
struct ul_detect_piece {
	double *pred, *probs;
	struct ul_gt_box *gt;
	size_t cap_pred, cap_probs, cap_gt;
	struct ul_assign_scratch assign;
};

/* What the loss reuses between calls; after a call, each anchor's
 * assignment (image-major): owner (the index of its box among its image's
 * labels in order, -1 for none) and target score. */
struct ul_detect_scratch {
	double *anchor_xy, *anchor_stride, *score;
	int *owner;
	double *sums;  /* per image: target scores, then box, cls and l1 terms */
	float *class_weight;  /* the call's, nc of them */
	size_t cap_xy, cap_stride, cap_score, cap_owner, cap_sums, cap_class_weight;
	struct ul_detect_piece pieces[UL_DETECT_PIECES];
};

void ul_detect_scratch_free(struct ul_detect_scratch *s);

/* The head's loss, (box + cls + l1) x batch x weight, with its gradient
 * added to the head's d-outputs; the items in *items. -1 when out of
 * memory. Images run in parallel, each on its own, and their sums are
 * added in image order: the result is the same on any number of threads. */
int ul_detect_loss(const struct ul_detect_loss_config *cfg, const struct ul_detect_head *head,
		   const struct ul_label *labels, size_t nlabels, double weight, struct ul_detect_items *items,
		   double *total, struct ul_detect_scratch *s);

/* cls_pw's class weights (Ultralytics' set_class_weights): each class's
 * inverse instance count (a class without instances counts 1) to the
 * power, scaled to a mean of 1. */
void ul_detect_class_weights(const double *counts, int nc, double power, float *weights);

/* The one-to-many and one-to-one weights after `updates` epochs of a run
 * of `epochs`: 0.8 and 0.2 at first, the first falling linearly to 0.1. */
void ul_e2e_weights(int updates, int epochs, double *one2many, double *one2one);

#endif
