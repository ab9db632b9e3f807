/* results.csv, one row per epoch, written exactly as Ultralytics'
 * trainer writes it (save_metrics), so the tools that read its files read
 * ours: a header of "epoch,time," and the metric names the first time,
 * then each row's values in "%.6g" (epoch 1-based, time in seconds since
 * training began), losses and metrics first rounded to 5 decimals as
 * Ultralytics rounds them, learning rates as they are, appended. */
#ifndef UL_VAL_RESULTS_CSV_H
#define UL_VAL_RESULTS_CSV_H

#include <jv.h>

#define UL_DETECT_RESULT_COLUMNS 10  /* before the learning rates */

/* The detect columns after epoch and time: train losses, metrics, val
 * losses, then lr/pg0 .. lr/pg<groups - 1> (3, or 8 with MuSGD), into
 * names (room for UL_DETECT_RESULT_COLUMNS + groups; the lr names are
 * written into lr_names, 24 bytes each). The count of names. */
int ul_detect_result_names(int groups, const char **names, char (*lr_names)[24]);

/* Appends a row (and the header first when the file is new or empty).
 * 0, or -1 with a message in *err. */
int ul_results_csv_append(const char *path, int epoch, double seconds, const char *const *names, const double *values,
			  int n, jv *err);

#endif
