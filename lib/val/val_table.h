/* The table Ultralytics prints at the end of validation, in its columns
 * (%22s, then %11i twice and %11.3g four times): Class, Images, Instances,
 * Box(P, R, mAP50, mAP50-95); a row for all classes, then, when asked, one
 * per class with boxes, named by the dataset. */
#ifndef UL_VAL_VAL_TABLE_H
#define UL_VAL_VAL_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "val/ap.h"

/* names: nc class names (NULL, or a NULL entry: the class number). */
void ul_val_table(FILE *out, const struct ul_val_stats *s, const struct ul_val_metrics *m, const char *const *names,
		  int nc, bool per_class);

#endif
