/* A CSV file of numbers under a header of column names, as Ultralytics
 * and ul-train write results.csv: no quoting, spaces around a field
 * ignored (older Ultralytics padded its header), an empty field read as
 * NaN, CRLF line ends accepted. A row with the wrong count of fields, a
 * field that is not a number, or a file with no row is an error naming
 * the file and the line. */
#ifndef UL_PLOT_CSV_H
#define UL_PLOT_CSV_H

#include <jv.h>

struct ul_csv {
	int cols, rows;
	char **names;  /* cols */
	double *v;     /* rows x cols, row-major */
};

/* 0, or -1 with a message in *err and t holding nothing. */
int ul_csv_read(const char *path, struct ul_csv *t, jv *err);
void ul_csv_free(struct ul_csv *t);

#endif
