/* YOLO26's detection-family heads as the net runs them: Detect's three
 * levels, one-to-many then the one-to-one copies on detached features, and
 * what each task adds on the same features (yolo26.md 3.8 to 3.11):
 *
 *   detect    box and cls per level
 *   segment   + mask coefficients per level (cv4), and Proto26's "proto"
 *               (stride 4) and training-only "semseg" (stride 8)
 *   pose      + "kpts" and training-only "sigma" per level (cv4, then
 *               cv4_kpts and cv4_sigma on its feature)
 *   obb       + "angle" per level (cv4)
 *
 * Output names are "one2many.box.0" ... "one2one.angle.2", then "proto"
 * and "semseg". Proto26 runs once, not detached: the one-to-one loss must
 * read proto and semseg without sending gradients back through them. */
#ifndef UL_NN_HEAD_H
#define UL_NN_HEAD_H

#include "nn/bind.h"
#include "nn/head_branch.h"
#include "nn/plan.h"
#include "nn/proto26.h"

#define UL_HEAD_LEVELS 3
#define UL_HEAD_BRANCHES (2 * UL_HEAD_LEVELS)  /* one-to-many levels, then one-to-one */

struct ul_net;

struct ul_head {
	bool has_extra, has_proto;
	struct ul_detect_level detect[UL_HEAD_BRANCHES];
	struct ul_head_branch extra[UL_HEAD_BRANCHES];
	struct ul_proto26 proto;
	int out[UL_HEAD_BRANCHES][4];   /* the net's outputs: box, cls, then the extra's one or two */
	int proto_out, semseg_out;
	float *detect_saved[UL_HEAD_BRANCHES], *extra_saved[UL_HEAD_BRANCHES], *proto_saved;
};

/* Binds layer L (index i) on its three inputs, (n, h, w, c) each, and adds
 * its outputs to the net. */
void ul_head_bind(struct ul_head *h, struct ul_binder *b, struct ul_net *net, const struct ul_layer *L, int i,
		  const int in[UL_HEAD_LEVELS][4]);

size_t ul_head_workspace(const struct ul_head *h);

/* Its saved areas, live from step start to end. 0, or -1 out of memory. */
int ul_head_plan(struct ul_head *h, struct ul_plan *p, int start, int end);

void ul_head_forward(const struct ul_head *h, struct ul_net *net, const float *const x[UL_HEAD_LEVELS], bool train);

/* From the outputs' grads: each dx[l] ADDED to (it may be shared). */
void ul_head_backward(const struct ul_head *h, const struct ul_net *net, const float *const x[UL_HEAD_LEVELS],
		      float *const dx[UL_HEAD_LEVELS]);

#endif
