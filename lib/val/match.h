/* Matching detections to ground truth at one IoU threshold, as
 * Ultralytics' validator does (its match_predictions, numpy path): every
 * (box, detection) pair of the same class with IoU >= threshold; each
 * detection keeps its pair of highest IoU; then each box goes to the first
 * detection, in the order they are given (best score first), that kept
 * it, not to the one that overlaps it most (numpy's unique reorders the
 * pairs by detection). The matched detections are the true positives. */
#ifndef UL_VAL_MATCH_H
#define UL_VAL_MATCH_H

#include <stdbool.h>

#include "train/assigner.h"
#include "val/e2e_decode.h"

struct ul_match_scratch {
	struct ul_match_pair *pairs;
	bool *taken;
	size_t cap_pairs, cap_taken;
};

void ul_match_scratch_free(struct ul_match_scratch *s);

/* IoU of two (x1, y1, x2, y2) boxes; 0 when they do not overlap. */
double ul_box_iou(const double a[4], const double b[4]);

/* correct[i]: detection i is a true positive. The number of them, or -1
 * when out of memory. */
int ul_match(const struct ul_detection *det, int ndet, const struct ul_gt_box *gt, int ngt, double threshold,
	     bool *correct, struct ul_match_scratch *s);

#endif
