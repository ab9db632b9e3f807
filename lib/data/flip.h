/* Ultralytics' RandomFlip on a sample: the image mirrored left to right
 * (horizontal) or top to bottom (vertical), and every box, polygon and
 * keypoint with it, x -> w - x or y -> h - y (Instances.fliplr, flipud).
 *
 * A pose dataset's flip_idx (each keypoint's mirror: after a flip keypoint
 * k is what keypoint flip_idx[k] was) reorders the keypoints on every flip,
 * the vertical one too: Ultralytics 8.4.117 applies it whatever the
 * direction (earlier versions only on horizontal flips). NULL when the
 * dataset has none.
 *
 * RandomFlip(p) draws one ul_random_unit u whatever p is and flips when
 * u < p, so p 0 never flips and p 1 always does. v8_transforms ends with
 * the vertical flip (flipud), then the horizontal one (fliplr). */
#ifndef UL_DATA_FLIP_H
#define UL_DATA_FLIP_H

#include <stdint.h>

#include "data/sample.h"

enum ul_flip {
	UL_FLIP_VERTICAL,
	UL_FLIP_HORIZONTAL,
};

/* Flips s that way, in place. 0, or -1 when out of memory (only a flip_idx
 * needs any; s is then unchanged). */
int ul_flip_sample(struct ul_sample *s, enum ul_flip direction, const int *flip_idx);

/* RandomFlip(direction, p): one draw from rng, the flip when it is under p. */
int ul_random_flip(struct ul_sample *s, enum ul_flip direction, double p, const int *flip_idx, uint64_t *rng);

/* v8_transforms' two: vertical with p flipud, then horizontal with p fliplr. */
int ul_random_flips(struct ul_sample *s, double flipud, double fliplr, const int *flip_idx, uint64_t *rng);

#endif
