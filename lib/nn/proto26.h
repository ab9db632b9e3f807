/* Proto26, Segment26's mask prototypes (yolo26.md 3.9), from the three
 * level features P3, P4, P5 (ch0, ch1, ch2 channels):
 *
 *   feat  = P3 + up2(feat_refine.0(P4)) + up4(feat_refine.1(P5))
 *   proto = cv3(cv2(upsample(cv1(feat_fuse(feat)))))          stride 4
 *   semseg = semseg.2(semseg.1(semseg.0(feat)))                training only
 *
 * feat_refine.i is a 1x1 Conv to ch0 at its own level's size, then nearest
 * upsampling by 2 or 4; feat_fuse a 3x3 Conv ch0 -> npr; cv1, cv2 3x3 and
 * cv3 1x1 Convs (npr -> npr, npr -> npr, npr -> nm); upsample a
 * ConvTranspose2d(npr, npr, 2, 2) with bias; semseg.0 a 3x3 Conv ch0 ->
 * npr, semseg.1 3x3 npr -> npr, semseg.2 a biased 1x1 Conv2d npr -> nc. All
 * Convs have BatchNorm and SiLU.
 *
 * Segment26 runs Proto26 once, on the features as they are (not detached),
 * so P3, P4 and P5 get its gradient on top of the Detect and cv4 branches';
 * the one-to-one loss reads detached copies of proto and semseg, so only
 * the one-to-many loss's gradients come back here. Fused for inference the
 * semseg branch is dropped.
 *
 * Memory as in conv_module.h; "saved" holds the maps in eval too, but eval
 * needs only its first ul_proto26_saved(p, false) floats: semseg's part
 * comes last. */
#ifndef UL_NN_PROTO26_H
#define UL_NN_PROTO26_H

#include "nn/conv_transpose2d.h"
#include "nn/detect_level.h"

struct ul_proto26 {
	struct ul_conv_module refine[2];   /* feat_refine.0 on P4, .1 on P5 */
	struct ul_conv_module fuse;        /* feat_fuse */
	struct ul_conv_module cv1;
	struct ul_conv_transpose2d up;     /* upsample, stride 8 -> 4 */
	const float *up_weight, *up_bias;
	float *dup_weight, *dup_bias;      /* accumulated into */
	struct ul_conv_module cv2, cv3;
	struct ul_conv_module semseg[2];
	struct ul_biased_conv semseg_out;  /* semseg.2 -> nc */
};

/* train: with the semseg branch. */
size_t ul_proto26_saved(const struct ul_proto26 *p, bool train);
size_t ul_proto26_workspace(const struct ul_proto26 *p);

/* x = {P3, P4, P5}. proto (n, 2 h3, 2 w3, nm); in training also semseg
 * (n, h3, w3, nc), which eval neither writes nor needs (NULL). */
void ul_proto26_forward(const struct ul_proto26 *p, const float *const *x, float *proto, float *semseg, float *saved,
			float *workspace, bool train);

/* From dproto and dsemseg: each dx[i] is ADDED to (the levels' features
 * are shared with the other branches). Parameter gradients accumulate. */
void ul_proto26_backward(const struct ul_proto26 *p, const float *const *x, const float *saved, const float *dproto,
			 const float *dsemseg, float *const *dx, float *workspace);

#endif
