/* The task-aligned assigner of YOLO26's detection loss (yolo26.md 4.2),
 * for one image: which anchors learn which ground-truth box, and with
 * what target score.
 *
 * Candidates are anchors strictly inside a box (a side under the smallest
 * stride counts as the middle stride, for this test only); each box keeps
 * its top-k candidates by the alignment metric p^0.5 CIoU^6 (p the
 * predicted probability of the box's class); an anchor kept by several
 * boxes goes to the one it overlaps most; with topk2 below topk each box
 * then keeps only its topk2 best. A kept anchor's target score is its
 * metric over its box's best metric, times its box's best IoU. Ties go to
 * the lower anchor index, then the lower box index. */
#ifndef UL_TRAIN_ASSIGNER_H
#define UL_TRAIN_ASSIGNER_H

#include <stddef.h>

struct ul_assigner {
	int topk, topk2;
	double small, enlarged;  /* a side below `small` px counts as `enlarged` px */
};

/* Boxes in input pixels, (x1, y1, x2, y2). */
struct ul_gt_box {
	int cls;
	double box[4];
};

/* Memory the assigner reuses from call to call. */
struct ul_assign_scratch {
	size_t cap_candidates, cap_anchors;
	struct ul_candidate *candidates;
	int *count, *best_gt;
	double *best_overlap, *best_metric, *metric;
	int *order;
};

void ul_assign_scratch_free(struct ul_assign_scratch *s);

/* anchors: (x, y) pixels; boxes: predicted (x1, y1, x2, y2) pixels; probs:
 * nc class probabilities per anchor. Writes owner[a] (the box's index, -1
 * for none) and score[a] (its target score, 0 for none). -1 when out of
 * memory. */
int ul_assign(const struct ul_assigner *cfg, int anchors, int nc, const double *anchor_xy, const double *boxes,
	      const double *probs, int ngt, const struct ul_gt_box *gt, int *owner, double *score,
	      struct ul_assign_scratch *s);

#endif
