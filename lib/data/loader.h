/* The data loader: a split's images made into batches for the trainer or
 * the validator, by worker threads ahead of the consumer.
 *
 * Training batches go through the augmentations (data/augment.h) and are
 * imgsz x imgsz; validation batches are letterboxed without upscaling,
 * into rect shapes when asked (the images sorted by aspect, each batch's
 * frame the smallest stride multiple around its widest image, plus pad).
 * Batches come out in order, each in one contiguous NHWC float buffer,
 * with its labels normalised to its frame.
 *
 * Every random draw comes from the seed, the epoch and the image's place
 * in the epoch: the same seed gives the same batches whatever the number
 * of workers. The images each training sample mixes in follow
 * Ultralytics' buffer (data/mosaic.h) as a single-process run meets its
 * images: each epoch's samples are planned in its order before the
 * workers start (data/augment.h), the buffer carried from one epoch to
 * the next; a loader asked for an epoch other than the next (rebuilt on
 * resume) first replays the buffer through every earlier epoch's order,
 * so it picks what one that ran through would have. Label files are read
 * once, at open; with cache=ram each image is decoded and resized once,
 * the first time it is used; without, the last min(N, 8 batch, 1000)
 * images loaded stay decoded, and with cache=disk they are read from the
 * state directory's image cache (data/image_cache.h).
 *
 * A classification split (rules.task UL_TASK_CLASSIFY) has no label
 * files: each image's class is its folder's (data/classify_batch.h), and
 * its batches carry each image's class index instead of labels. Training
 * images go through the classification transforms, validation ones are
 * resized and centre-cropped (data/classify_augment.h), always imgsz
 * square. They are transformed from the decoded original, which cache=ram
 * keeps and cache=disk stores, as Ultralytics' ClassificationDataset does;
 * without either, nothing stays decoded. */
#ifndef UL_DATA_LOADER_H
#define UL_DATA_LOADER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jv.h>

#include "data/augment.h"
#include "data/classify_augment.h"
#include "data/labels.h"
#include "data/sample.h"

enum ul_cache { UL_CACHE_NONE, UL_CACHE_RAM, UL_CACHE_DISK };

#define UL_LOADER_CLASS_WORDS 64  /* classes= names indices below 64 x 64 */

struct ul_loader_options {
	int imgsz, batch, workers, stride;
	bool train;                /* augment, or letterbox for validation */
	bool rect;                 /* rect batches */
	double pad;                /* rect frames' padding, in strides: 0.5 for validation */
	bool shuffle;              /* a new order every epoch (training) */
	struct ul_augment augment; /* training only */
	int close_at;              /* training: the epoch the trainer stops the mixing transforms from (close_mosaic),
				      which a replay of the buffer follows */
	double fraction;           /* of the split's images, its leading part */
	double multi_scale;        /* training: each batch resized around imgsz (data/multi_scale.h) */
	bool single_cls;           /* every class becomes 0 */
	bool only_classes;         /* classes=: only the instances of the classes in `classes` are kept */
	uint64_t classes[UL_LOADER_CLASS_WORDS];  /* a bit per class index */
	int mask_ratio;            /* segment: masks at 1 / mask_ratio of the frame (0: no masks) */
	bool overlap_mask;         /* one mask an image, instances numbered in it (data/masks.h) */
	enum ul_cache cache;
	uint64_t seed;
	struct ul_label_rules rules;
	int seg_points, kpt_count, kpt_dims;
	struct ul_classify_augment classify; /* classify training */
	jv names;                  /* classify: the classes (borrowed, read at open; see data/classify_batch.h) */
};

struct ul_batch {
	int n, h, w;
	float *images;             /* n x h x w x 3, in [0, 1] */
	struct ul_label *labels;   /* image: the place in the batch; boxes normalised to the frame */
	float *keypoints;          /* pose: each label's kpt_count x kpt_dims, x and y normalised to the frame */
	size_t nlabels, cap_labels;
	uint16_t *masks;           /* segment: mask_h x mask_w an image (overlap_mask) or a label, in order */
	int mask_h, mask_w;
	size_t cap_masks;          /* masks' room, in masks */
	int *index;                /* each image's index in the set */
	int *cls;                  /* classify: each image's class index */
	/* the loader's own */
	float *resized;            /* multi_scale: the other buffer */
	int slot, id;              /* its place in the ring, the batch it holds */
	bool ready;
	jv error;                  /* a message when it could not be made */
};

struct ul_loader_image {
	char *path;
	char *labels;              /* the label file's text, NULL for a background image */
	size_t len;
	int w, h;                  /* from its header, for rect shapes */
	struct ul_image cached;    /* once loaded, while in the cache */
	bool bad;                  /* it failed to load: not tried again */
	int cls;                   /* classify: its class */
	pthread_mutex_t lock;
};

struct ul_loader {
	struct ul_loader_options o;
	int n;                     /* images */
	struct ul_loader_image *images;
	jv skipped;                /* [{"path", "problem"}]: images left out at open */
	int *buffer, buffer_cap;   /* without cache=ram: the images cached last, oldest at buffer_head */
	int buffered, buffer_head;
	struct ul_augment opened;  /* training: the options as opened, before any close_mosaic */
	struct ul_mosaic_buffer mosaic;  /* training: Ultralytics' buffer, replayed in sample order */
	struct ul_mix_plan *plans; /* training: each place's of the epoch under way */
	int planned;               /* the epoch the buffer stands at the start of */
	int batches;               /* per epoch */
	int (*shapes)[2];          /* rect: each batch's frame (h, w) */
	/* the epoch under way */
	int epoch, *order;
	int next_job, next_out, consumed;
	int depth;                 /* batches in flight at most */
	struct ul_batch *slots;
	pthread_t *threads;
	int nthreads;
	bool stop;
	pthread_mutex_t lock;
	pthread_cond_t changed;
};

/* The options of a config record's "args" (borrowed) for the training
 * split (train true: augmentations, shuffling, fraction) or for validation
 * (rect frames padded 0.5, twice the batch), with the dataset's label
 * rules and point counts; workers capped at the machine's cores. For
 * classify: the classification transforms (erasing, auto_augment), never
 * rect nor multi_scale; names stays unset. 0, or -1 with a message in *err. */
int ul_loader_options_from_args(struct ul_loader_options *o, jv args, bool train, const struct ul_label_rules *rules,
				int seg_points, int kpt_count, int kpt_dims, jv *err);

/* Opens the images of a split's entries (borrowed): label files read and
 * checked, headers probed; unusable images are left out and named in
 * skipped. 0, or -1 with a message in *err (no usable image, out of memory). */
int ul_loader_open(struct ul_loader *l, jv entries, const struct ul_loader_options *o, jv *err);
void ul_loader_close(struct ul_loader *l);

/* The instances of each class below nc over the loader's images, as the
 * batches will hold them (classes= and single_cls applied), into counts.
 * 0, or -1 when out of memory. */
int ul_loader_class_counts(const struct ul_loader *l, int nc, double *counts);

/* Starts epoch `epoch` (0-based): its order, and the workers on its
 * batches. The previous epoch must have been read to its end or abandoned. */
int ul_loader_start(struct ul_loader *l, int epoch, jv *err);

/* The epoch's next batch, in order, or NULL at its end. NULL with *err
 * set when a batch could not be made (out of memory). Give each batch back
 * with ul_loader_release before asking for more than depth of them. */
struct ul_batch *ul_loader_next(struct ul_loader *l, jv *err);
void ul_loader_release(struct ul_loader *l, struct ul_batch *b);

#endif
