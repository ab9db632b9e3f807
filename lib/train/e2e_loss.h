/* The end-to-end detection loss of a YOLO26 net (yolo26.md 4.1): the
 * one-to-many head's loss (top 10) and the one-to-one head's (top 7, then
 * 1) on the net's outputs, weighted o2m / o2o, their gradients written to
 * the outputs' grads ready for ul_net_backward. The weights start at
 * 0.8 / 0.2 and move after each epoch towards 0.1 / 0.9; the logged items
 * are the one-to-one head's. */
#ifndef UL_TRAIN_E2E_LOSS_H
#define UL_TRAIN_E2E_LOSS_H

#include "nn/net.h"
#include "train/detect_loss.h"

struct ul_e2e_loss {
	struct ul_detect_loss_config one2many, one2one;
	int epochs, updates;  /* updates: epochs ended so far */
	struct ul_detect_scratch scratch[2];
};

/* For a run of `epochs` with the box, cls and dfl gains. */
void ul_e2e_loss_init(struct ul_e2e_loss *e, int epochs, double box, double cls, double dfl);
void ul_e2e_loss_free(struct ul_e2e_loss *e);

/* Both heads' class weights (nc of them, borrowed; NULL for none) and
 * label smoothing (ul_detect_loss_config). */
void ul_e2e_loss_classes(struct ul_e2e_loss *e, const float *class_weights, double label_smoothing);

/* The head of one copy ("one2many" or "one2one") over the net's outputs,
 * or -1 when the net has no such detection outputs. */
int ul_e2e_head(struct ul_net *net, const char *copy, struct ul_detect_head *head);

/* After a training forward: the loss of both heads, their gradients in the
 * outputs' grads (overwritten), the one-to-one items in *items. -1 when out
 * of memory, or when the net is not a detector. */
int ul_e2e_loss(struct ul_e2e_loss *e, struct ul_net *net, const struct ul_label *labels, size_t nlabels,
		struct ul_detect_items *items, double *total);

/* At the end of an epoch: the weights move one step. */
void ul_e2e_loss_update(struct ul_e2e_loss *e);

#endif
