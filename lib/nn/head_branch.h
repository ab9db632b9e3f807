/* One level of an extra YOLO26 head branch, "cv4" (yolo26.md 3.9 to 3.11):
 * Conv 3x3 (x -> c4), Conv 3x3 (c4 -> c4), then one or two biased 1x1
 * Conv2d outputs on that same c4 feature:
 *
 *   Segment26  one output, cv4.i.2 -> nm mask coefficients
 *   OBB26      one output, cv4.i.2 -> ne raw angles
 *   Pose26     two: cv4.i has no 1x1 of its own; cv4_kpts.i (-> kpts dims)
 *              and cv4_sigma.i (-> kpts 2, training only) both read its
 *              output
 *
 * Each has a one-to-one copy (one2one_cv4, one2one_cv4_kpts, ...) that
 * Detect's forward feeds the features detached in training, as it does
 * one2one_cv2 and one2one_cv3: detached, the branch passes no input
 * gradient but its parameters still learn.
 *
 * Memory as in conv_module.h: "saved" holds the two Conv maps (in eval too)
 * and the Convs' saved state. */
#ifndef UL_NN_HEAD_BRANCH_H
#define UL_NN_HEAD_BRANCH_H

#include "nn/detect_level.h"

#define UL_HEAD_BRANCH_OUTS 2

struct ul_head_branch {
	struct ul_conv_module cv[2];
	int nout;                                       /* 1 or 2 */
	struct ul_biased_conv out[UL_HEAD_BRANCH_OUTS];
	bool detached;                                  /* one-to-one: no input gradient */
};

size_t ul_head_branch_saved(const struct ul_head_branch *b);
size_t ul_head_branch_workspace(const struct ul_head_branch *b);

/* y[i] (n, h, w, out[i] channels) for each output; a NULL y[i] skips that
 * output (Pose26's sigma outside training). */
void ul_head_branch_forward(const struct ul_head_branch *b, const float *x, float *const *y, float *saved,
			    float *workspace, bool train);

/* From dy[i] for every output: dx is ADDED to (the level's feature is
 * shared with Detect's branches), unless detached; NULL skips it.
 * Parameter gradients accumulate. */
void ul_head_branch_backward(const struct ul_head_branch *b, const float *x, const float *saved,
			     const float *const *dy, float *dx, float *workspace);

#endif
