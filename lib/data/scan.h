/* Scanning a dataset: every image of every split, its label file, and
 * whether the whole is ready to train.
 *
 * The result is the body of a `dataset` record (ul-records(7)): root, yaml,
 * task, names, nc, kpt_shape, flip_idx, splits with their counts, status
 * ("ready" or "invalid") and problems. A dataset is ready when it has a
 * usable train image, a usable val or test image, and a labeled image, and
 * nothing in its description is wrong. */
#ifndef UL_DATA_SCAN_H
#define UL_DATA_SCAN_H

#include <jv.h>

#include "data/labels.h"

/* Problems listed in the record at most; the rest are counted. */
#define UL_SCAN_MAX_PROBLEMS 200

struct ul_scan_options {
	enum ul_task task;  /* UL_TASK_UNKNOWN: from the description, then the labels */
};

/* Scans the dataset described by spec (see data/dataset_spec.h; consumed).
 * Returns the record body, or an invalid jv with a message when scanning
 * could not run at all (stopped by a signal). */
jv ul_dataset_scan(jv spec, const struct ul_scan_options *options);

#endif
