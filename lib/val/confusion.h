/* The detection confusion matrix Ultralytics plots after validation
 * (its ConfusionMatrix.process_batch): rows the predicted class, columns
 * the true one, each with background last. Per image, the detections
 * scoring above conf are matched to the boxes whatever their classes:
 * every pair with IoU above iou (not at it); each detection keeps its
 * pair of highest IoU, then each box the highest of the pairs left to it,
 * ties going to the later index (the order numpy's reversed argsort
 * gives). So a detection whose box went to another is not matched to its
 * second choice. A matched pair counts at (detection's class, box's
 * class), an unmatched box at (background, its class), an unmatched
 * detection at (its class, background). */
#ifndef UL_VAL_CONFUSION_H
#define UL_VAL_CONFUSION_H

#include <stddef.h>

#include "train/assigner.h"
#include "val/e2e_decode.h"

#define UL_CONFUSION_CONF 0.25
#define UL_CONFUSION_IOU 0.45

struct ul_confusion {
	int nc;
	long long *counts;  /* (nc + 1) x (nc + 1), row-major */
	int *kept;          /* the detections above conf */
	int *det_gt;        /* each kept detection's chosen box, or -1 */
	double *det_iou;    /* and its IoU */
	int *gt_det;        /* each box's matched kept detection, or -1 */
	size_t cap_kept, cap_det_gt, cap_det_iou, cap_gt_det;
};

/* An empty matrix for nc classes. 0, or -1 when out of memory. */
int ul_confusion_init(struct ul_confusion *m, int nc);
void ul_confusion_free(struct ul_confusion *m);

/* One image's detections and boxes (the same pixels; classes below nc).
 * 0, or -1 when out of memory. */
int ul_confusion_add(struct ul_confusion *m, const struct ul_detection *det, int ndet, const struct ul_gt_box *gt,
		     int ngt, double conf, double iou);

/* The count at (predicted, truth); nc is background. */
long long ul_confusion_at(const struct ul_confusion *m, int predicted, int truth);

/* The matrix as Ultralytics plots it, normalised: each column divided by
 * its sum plus 1e-9 (so an empty column stays 0), into out
 * ((nc + 1) x (nc + 1), row-major). */
void ul_confusion_normalised(const struct ul_confusion *m, double *out);

#endif
