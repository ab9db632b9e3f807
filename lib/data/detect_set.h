/* A detection split held in memory, ready to batch: every image decoded,
 * its long side resized to imgsz and letterboxed into an imgsz x imgsz
 * frame (the frame Ultralytics' loader makes before its augmentations, and
 * the one its validator makes for square batches), kept as bytes, with its
 * boxes mapped into that frame. This is the loader's first form, without
 * augmentation: enough to train and validate a detector end to end.
 *
 * An image that does not decode, or whose label file is unusable, is
 * skipped, counted and named, never fatal; an image without a label file
 * is a background image. */
#ifndef UL_DATA_DETECT_SET_H
#define UL_DATA_DETECT_SET_H

#include <stddef.h>
#include <stdint.h>

#include <jv.h>

#include "data/labels.h"

struct ul_detect_set {
	int n, imgsz;
	unsigned char *frames;    /* n frames of imgsz x imgsz RGB */
	struct ul_label *labels;  /* by image; boxes normalised to the frame */
	size_t nlabels, cap_labels;
	size_t *first;            /* image i's labels: [first[i], first[i + 1]) */
	jv skipped;               /* [{"path", "problem"}] */
};

/* Loads the images of a split's entries (a dataset description's array of
 * folders, lists or images, borrowed) under rules' classes. 0, or -1 with a
 * message in *err when nothing usable is left or memory runs out. */
int ul_detect_set_load(struct ul_detect_set *s, jv entries, const struct ul_label_rules *rules, int imgsz, jv *err);
void ul_detect_set_free(struct ul_detect_set *s);

/* Images order[0..n) of the set as one batch: NHWC float in [0, 1] into
 * images, their boxes into labels (room for the set's nlabels), each with
 * its place in the batch as its image. The number of labels written. */
size_t ul_detect_set_batch(const struct ul_detect_set *s, const int *order, int n, float *images,
			   struct ul_label *labels);

/* The set's images in a seeded order for epoch `epoch`: a permutation
 * that the seed and the epoch alone decide. */
void ul_detect_set_shuffle(const struct ul_detect_set *s, uint64_t seed, int epoch, int *order);

#endif
