/* The training transforms in Ultralytics' order (v8_transforms, yolo26.md
 * 5.7), and the validation letterbox, on samples:
 *
 *   mosaic (p) of 4, or the image as loaded
 *   copy-paste (p) of its own instances mirrored, segmentation only
 *   random perspective (degrees, translate, scale, shear, perspective)
 *     into imgsz x imgsz
 *   mixup (p) with another image through the same two steps
 *   cutmix (p)
 *   HSV jitter (hsv_h, hsv_s, hsv_v)
 *   vertical flip (flipud), horizontal flip (fliplr, keypoints by flip_idx)
 *   the red and blue channels swapped (bgr)
 *
 * Which images a sample loads, and the pool each of its mosaics picks its
 * others from, are planned ahead in the order the dataset meets its
 * samples (ul_augment_plan, Ultralytics' buffer in data/mosaic.h); every
 * other draw comes from the rng handed to ul_augment_train, so a sample's
 * transforms depend on its plan and its seed alone. */
#ifndef UL_DATA_AUGMENT_H
#define UL_DATA_AUGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "data/mosaic.h"
#include "data/sample.h"

struct ul_augment {
	double mosaic, mixup, cutmix, copy_paste;
	double degrees, translate, scale, shear, perspective;
	double hsv_h, hsv_s, hsv_v;
	double flipud, fliplr;
	double bgr;                /* the chance of swapping red and blue */
	const int *flip_idx;       /* pose: each keypoint's mirror, or NULL */
};

/* Where the transforms get the other images they mix in. */
struct ul_sample_source {
	/* image `index` as loaded (long side to imgsz), into out (initialised) */
	int (*load)(void *ctx, int index, struct ul_sample *out, jv *err);
	void *ctx;
};

/* An image a sample loads, and the pool a mosaic made on it picks its
 * others from (ul_mosaic_buffer_load: the buffer after that load, or with
 * pool NULL the whole set of len). */
struct ul_mix_part {
	int image;                 /* -1: the transform does not run */
	const int *pool;
	int len;
};

/* A sample's images: its own, then MixUp's and CutMix's when they run. */
struct ul_mix_plan {
	struct ul_mix_part own, mixup, cutmix;
};

/* Images a sample loads at most: its own, MixUp's, CutMix's. */
#define UL_AUGMENT_LOADS 3

/* The plan of the sample on image `index`, as Ultralytics' transforms
 * load their images: its own into buf, then MixUp and CutMix each (p
 * mixup, cutmix: one draw from rng) loading one image uniform over the set
 * (BaseMixTransform.get_indexes: a second draw) into buf. */
void ul_augment_plan(const struct ul_augment *a, struct ul_mosaic_buffer *buf, int index, uint64_t *rng,
		     struct ul_mix_plan *plan);

/* The sample of plan (its own image loaded at imgsz) through the training
 * transforms, into out (initialised for the source's point counts), a
 * w x h frame: imgsz square, or a rect training batch's shape. 0, or -1
 * with a message in *err. */
int ul_augment_train(const struct ul_augment *a, int imgsz, int w, int h, const struct ul_sample_source *src,
		     const struct ul_mix_plan *plan, uint64_t *rng, struct ul_sample *out, jv *err);

/* Ultralytics' LetterBox on a sample: the image resized into w x h (not
 * above its size without scaleup), centred on 114, its instances moved
 * with it. 0, or -1 when out of memory. */
int ul_letterbox_sample(struct ul_sample *s, int w, int h, bool scaleup);

#endif
