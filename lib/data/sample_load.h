/* A sample as Ultralytics' dataset hands it to the augmentations: the
 * image decoded and its long side resized to imgsz (load_image), each
 * label row an instance in the resized image's pixels, polygons resampled
 * to the sample's point count as resample_segments does (a plain box row
 * of a dataset with polygons gets its box's corners as its polygon), pose
 * keypoints denormalised. */
#ifndef UL_DATA_SAMPLE_LOAD_H
#define UL_DATA_SAMPLE_LOAD_H

#include <jv.h>

#include "data/labels.h"
#include "data/sample.h"

/* Fills s (initialised for its point counts; its old contents replaced)
 * from the image at path and its label text (NULL for a background image).
 * 0, or -1 with a message in *err (the image does not decode, the labels
 * break the rules, out of memory). */
int ul_sample_load(struct ul_sample *s, const char *path, const char *labels, size_t len,
		   const struct ul_label_rules *rules, int imgsz, jv *err);

/* The instances of label text (NULL: none) in the pixels of the image s
 * already holds, replacing its instances. 0, or -1 with a message. */
int ul_sample_set_labels(struct ul_sample *s, const char *labels, size_t len, const struct ul_label_rules *rules,
			 jv *err);

/* Resamples the closed polygon of m points (x, y pairs) to n points by
 * linear interpolation along its vertices' index, keeping the vertices
 * when m + 1 < n (Ultralytics' resample_segments). out holds 2 n floats. */
void ul_resample_polygon(const double *xy, int m, int n, float *out);

#endif
