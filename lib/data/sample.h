/* One training image on its way through the augmentations, with what must
 * follow its pixels: each instance's class and box, and where the task
 * has them its polygon and its keypoints, all in the image's pixels (as
 * Ultralytics' Instances in "xyxy", denormalised). Every transform of
 * lib/data takes a sample and leaves a sample.
 *
 *   boxes      n x 4: x1 y1 x2 y2
 *   segments   n x seg_points x 2: x y (seg_points 0: no polygons)
 *   keypoints  n x kpt_count x kpt_dims: x y [visibility] (kpt_count 0: none)
 *
 * Polygons are resampled to a fixed number of points when a sample is
 * made (Ultralytics' 1000, resample_segments), so they stack as arrays. */
#ifndef UL_DATA_SAMPLE_H
#define UL_DATA_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>

#include "data/decode.h"

#define UL_SEGMENT_POINTS 1000

struct ul_sample {
	struct ul_image img;
	int n;
	int *cls;
	float *boxes, *segments, *keypoints;
	int seg_points, kpt_count, kpt_dims;
	int cap;  /* instances the arrays have room for */
};

/* An empty sample for instances of that shape (no image yet). */
void ul_sample_init(struct ul_sample *s, int seg_points, int kpt_count, int kpt_dims);
void ul_sample_free(struct ul_sample *s);

/* Room for n instances. 0, or -1 when out of memory. */
int ul_sample_reserve(struct ul_sample *s, int n);

/* Appends src's instances (of the same shape) moved by (dx, dy). 0 or -1. */
int ul_sample_append(struct ul_sample *dst, const struct ul_sample *src, float dx, float dy);

/* Puts the instances in that order: instance k becomes the one that was
 * order[k] (a permutation of 0 .. n-1). 0, or -1 when out of memory (s
 * then unchanged). */
int ul_sample_reorder(struct ul_sample *s, const int *order);

/* Keeps the instances whose keep[i] is true, in order. */
void ul_sample_keep(struct ul_sample *s, const bool *keep);

/* Clips boxes, polygons and keypoints into [0, w] x [0, h], as Instances.clip;
 * a keypoint that falls outside gets visibility 0 when it has one. */
void ul_sample_clip(struct ul_sample *s, float w, float h);

#endif
