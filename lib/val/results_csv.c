#include "val/results_csv.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

static const char *const detect_names[UL_DETECT_RESULT_COLUMNS] = {
	"train/box_loss", "train/cls_loss", "train/l1_loss", "metrics/precision(B)", "metrics/recall(B)",
	"metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/l1_loss",
};

int ul_detect_result_names(int groups, const char **names, char (*lr_names)[24])
{
	int n = 0;
	for (int i = 0; i < UL_DETECT_RESULT_COLUMNS; i++)
		names[n++] = detect_names[i];
	for (int g = 0; g < groups; g++) {
		snprintf(lr_names[g], sizeof lr_names[g], "lr/pg%d", g);
		names[n++] = lr_names[g];
	}
	return n;
}

int ul_results_csv_append(const char *path, int epoch, double seconds, const char *const *names, const double *values,
			  int n, jv *err)
{
	struct stat st;
	bool fresh = stat(path, &st) != 0 || st.st_size == 0;
	FILE *f = fopen(path, "a");
	if (!f)
		return ul_invalid(err, "%s: %s", path, strerror(errno));
	if (fresh) {
		fputs("epoch,time", f);
		for (int i = 0; i < n; i++)
			fprintf(f, ",%s", names[i]);
		fputc('\n', f);
	}
	fprintf(f, "%.6g,%.6g", (double)epoch, seconds);
	for (int i = 0; i < n; i++) {
		/* Ultralytics rounds losses and metrics to 5 decimals (round(x, 5)) before it writes them */
		bool rate = !strncmp(names[i], "lr/", 3);
		fprintf(f, ",%.6g", rate ? values[i] : nearbyint(values[i] * 1e5) / 1e5);
	}
	fputc('\n', f);
	if (ferror(f) | (fclose(f) != 0))
		return ul_invalid(err, "%s: the row could not be written", path);
	return 0;
}
