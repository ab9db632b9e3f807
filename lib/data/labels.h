/* Checking one YOLO label file, line by line, the way Ultralytics'
 * loader does, so that what we call usable is what it would train on.
 *
 * A line is `class x y ...` with coordinates normalised to the image:
 *   detect   class cx cy w h
 *   segment  class x1 y1 x2 y2 x3 y3 ...   (a polygon, 3 points or more)
 *   obb      class x1 y1 x2 y2 x3 y3 x4 y4 (4 corners)
 *   pose     class cx cy w h, then kpt_shape[0] keypoints of kpt_shape[1] values
 * A line with more than 6 values (outside pose) is a polygon and is checked
 * through the box around it, so corners slightly outside the image, as in
 * dota8, are accepted; oriented boxes are polygons too, and a file may not
 * mix polygons with plain boxes. Coordinates may stray 1% outside [0, 1];
 * for pose only the keypoints' x and y meet the upper bound. One bad line
 * makes the whole file unusable, as in Ultralytics; duplicate lines are
 * dropped and counted. A class must be a whole number (Ultralytics would
 * truncate 1.5; we call it an error). */
#ifndef UL_DATA_LABELS_H
#define UL_DATA_LABELS_H

#include <stdbool.h>
#include <stddef.h>

enum ul_task { UL_TASK_UNKNOWN, UL_TASK_DETECT, UL_TASK_SEGMENT, UL_TASK_POSE, UL_TASK_OBB, UL_TASK_CLASSIFY };

const char *ul_task_name(enum ul_task task);
enum ul_task ul_task_from_name(const char *name);  /* UL_TASK_UNKNOWN if not a task */

struct ul_label_rules {
	enum ul_task task;  /* UL_TASK_UNKNOWN: only look, for ul_task_guess */
	int nc;             /* class indices must be below this */
	int kpt_count, kpt_dims;  /* pose */
};

/* What a label file holds. */
struct ul_label_check {
	int instances;      /* usable lines, duplicates removed */
	int duplicates;
	int bad_line;       /* 1-based line of the first problem, 0 if none */
	char problem[160];  /* what is wrong with it */
	int out_of_range;   /* values a little outside [0, 1], accepted */
	/* the shape of the lines, for guessing the task */
	int box_lines, polygon_lines, corner_lines;  /* 5 values; over 6; exactly 9 */
};

/* Checks the text of one label file (len bytes, need not end in NUL). */
void ul_labels_check(const char *text, size_t len, const struct ul_label_rules *rules, struct ul_label_check *out);

/* One box of a label file: its image's index in the batch or the set,
 * and the box normalised to that image (centre and size). */
struct ul_label {
	int image, cls;
	float cx, cy, w, h;
};

/* The same check, then every usable row (duplicates dropped) handed to
 * row(ctx, values, count) in file order, its class first. 0, or -1 when
 * the file is unusable (out->problem says why) or row fails (out of
 * memory). */
int ul_labels_rows(const char *text, size_t len, const struct ul_label_rules *rules, struct ul_label_check *out,
		   int (*row)(void *ctx, const double *v, int n), void *ctx);

/* A row's box (cx, cy, w, h): its first four values after the class, or
 * for a polygon the box around its points (Ultralytics' segments2boxes). */
void ul_label_row_box(const double *v, int n, const struct ul_label_rules *rules, double box[4]);

/* The same check, and the file's boxes appended to *boxes (n used of cap,
 * grown as needed) with `image` as their image: the box of a plain row,
 * the box around a polygon, the box of a pose row. 0, or -1 when the file
 * is unusable (out->problem says why) or memory ran out. */
int ul_labels_boxes(const char *text, size_t len, const struct ul_label_rules *rules, int image,
		    struct ul_label_check *out, struct ul_label **boxes, size_t *n, size_t *cap);

#endif
