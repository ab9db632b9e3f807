/* One level of YOLO26's Detect head (yolo26.md 3.8): the box branch (Conv
 * 3x3, Conv 3x3, Conv2d 1x1 -> 4 with bias) and the class branch ((DWConv
 * 3x3, Conv 1x1) twice, Conv2d 1x1 -> nc with bias) on the same feature.
 * The head is three levels, twice: the one-to-many branches and their
 * one-to-one copies, which see detached features (detached: their input
 * gradient is not passed back; their parameters still learn).
 *
 * Memory as in conv_module.h. */
#ifndef UL_NN_DETECT_LEVEL_H
#define UL_NN_DETECT_LEVEL_H

#include "nn/conv_module.h"

/* A Conv2d with bias and no BatchNorm: the branches' last layer. */
struct ul_biased_conv {
	struct ul_conv2d conv;
	const float *weight, *bias;
	float *dweight, *dbias;
};

struct ul_detect_level {
	struct ul_conv_module box[2];
	struct ul_biased_conv box_out;    /* -> 4 */
	struct ul_conv_module cls[4];     /* DWConv, Conv, DWConv, Conv */
	struct ul_biased_conv cls_out;    /* -> nc */
	bool detached;                    /* one-to-one: no input gradient */
};

size_t ul_detect_level_saved(const struct ul_detect_level *d);
size_t ul_detect_level_workspace(const struct ul_detect_level *d);

/* box (n, h, w, 4) and cls (n, h, w, nc) from the level's feature x. */
void ul_detect_level_forward(const struct ul_detect_level *d, const float *x, float *box, float *cls, float *saved,
			     float *workspace, bool train);

/* dx is ADDED to (the levels' branches share x), unless detached; NULL
 * skips it. Parameter gradients accumulate. */
void ul_detect_level_backward(const struct ul_detect_level *d, const float *x, const float *saved, const float *dbox,
			      const float *dcls, float *dx, float *workspace);

#endif
