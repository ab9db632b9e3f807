/* The plots Ultralytics leaves in a run folder after training and
 * validation, drawn with the project's own plotting code (lib/plot) and
 * laid out as Ultralytics lays them out:
 *
 *   results.png            each loss and metric of results.csv against
 *                          the epoch, a chart each, 2 rows, with the
 *                          Gaussian-smoothed (sigma 3) series dotted
 *   BoxPR_curve.png        precision against recall at IoU 0.50, per
 *                          class and their mean (labelled with mAP50)
 *   BoxF1_curve.png, BoxP_curve.png, BoxR_curve.png
 *                          F1, precision, recall against confidence, per
 *                          class and their smoothed mean, labelled with
 *                          its best value and the confidence of it
 *   confusion_matrix.png, confusion_matrix_normalized.png
 *                          the counts, and each true class's column as
 *                          shares, in blues
 *
 * Fewer than 21 classes get a colour and a legend line each; more are
 * drawn grey, unlabelled. A confusion matrix of 100 classes or more keeps
 * every k-th (k = nc / 60, at least 2) and background.
 *
 * Each PNG is written whole or not at all. names: the dataset's class
 * names, nnames of them (NULL, or a NULL entry: the class's number). */
#ifndef UL_VAL_PLOTS_H
#define UL_VAL_PLOTS_H

#include <jv.h>

#include "val/ap.h"
#include "val/confusion.h"

/* Each function: 0, or -1 with a message in *err. */
int ul_plot_results(const char *csv_path, const char *png_path, jv *err);

/* m from ul_val_metrics_curves; the four curves into dir. */
int ul_plot_curves(const struct ul_val_metrics *m, const char *const *names, int nnames, const char *dir, jv *err);

/* Both matrices into dir; names has c->nc entries. */
int ul_plot_confusion(const struct ul_confusion *c, const char *const *names, const char *dir, jv *err);

#endif
