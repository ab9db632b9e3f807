/* The validation metrics users compare (yolo26.md 6), computed the way
 * Ultralytics' ap_per_class does: detections from every image collected
 * with, for each of the 10 IoU thresholds 0.50:0.05:0.95, whether they
 * matched a box (val/match.h); then per class with ground truth, sorted by
 * confidence, the cumulative precision and recall, AP at each threshold by
 * the 101-point interpolation (COCO) of the precision envelope, and the
 * precision and recall curves on a 1000-point confidence grid, whose
 * class-mean F1, box-smoothed over a tenth of the grid, picks the one
 * confidence at which P and R are reported. On request it keeps the
 * curves Ultralytics plots after validation (val/plots.h). */
#ifndef UL_VAL_AP_H
#define UL_VAL_AP_H

#include <stdbool.h>
#include <stddef.h>

#include "train/assigner.h"
#include "val/match.h"

#define UL_IOU_THRESHOLDS 10

/* One detection as the metrics keep it. */
struct ul_val_detection {
	float conf;
	int cls;
	bool tp[UL_IOU_THRESHOLDS];
};

/* What validation collects, image after image. */
struct ul_val_stats {
	struct ul_val_detection *dets;
	size_t ndets, cap_dets;
	int *target_cls;
	size_t ntargets, cap_targets;
	bool *correct;
	size_t cap_correct;
	long images;                /* images seen */
	long *class_images;         /* per class: images holding one of its boxes */
	size_t cap_class_images;
	struct ul_match_scratch match;
};

void ul_val_stats_free(struct ul_val_stats *s);

/* The IoU threshold of index t: 0.50 + 0.05 t. */
double ul_iou_threshold(int t);

/* One image's detections and boxes (the same pixels), matched at every
 * threshold. 0, or -1 when out of memory. */
int ul_val_stats_add(struct ul_val_stats *s, const struct ul_detection *det, int ndet, const struct ul_gt_box *gt,
		     int ngt);

/* The curves behind the plots, per class with ground truth (in the order
 * of ul_val_metrics' classes), each on a grid of UL_CURVE_POINTS from 0
 * to 1: precision against recall at IoU 0.50, read from the precision
 * envelope that gives AP (Ultralytics' prec_values), and precision,
 * recall and F1 against confidence. A class never predicted is all 0. */
#define UL_CURVE_POINTS 1000
struct ul_val_curves {
	double (*pr)[UL_CURVE_POINTS];
	double (*p)[UL_CURVE_POINTS];
	double (*r)[UL_CURVE_POINTS];
	double (*f1)[UL_CURVE_POINTS];
};

struct ul_val_metrics {
	int nclasses;                             /* classes with ground truth */
	int *classes;                             /* their indices, ascending */
	double (*ap)[UL_IOU_THRESHOLDS];          /* per class and threshold */
	double *p, *r;                            /* per class, at the chosen confidence */
	double mp, mr, map50, map;                /* means over the classes */
	double conf;                              /* the confidence of maximum mean F1 */
	double fitness;                           /* detect: map (mAP50-95) */
	struct ul_val_curves curves;              /* NULLs unless ul_val_metrics_curves */
};

void ul_val_metrics_free(struct ul_val_metrics *m);

/* The metrics of what s collected. 0, or -1 when out of memory. */
int ul_val_metrics(const struct ul_val_stats *s, struct ul_val_metrics *m);

/* The same, and m->curves too (the same numbers either way). */
int ul_val_metrics_curves(const struct ul_val_stats *s, struct ul_val_metrics *m);

/* The AP of one precision-recall curve of n points (recall rising):
 * COCO's 101-point interpolation of the precision envelope. */
double ul_average_precision(const double *recall, const double *precision, size_t n);

#endif
