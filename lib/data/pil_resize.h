/* Resizing as PIL's Image.resize does it with BILINEAR, the resize of
 * torchvision's transforms on the PIL images Ultralytics' classification
 * dataset hands them (OpenCV's is data/letterbox.h; the two differ).
 *
 * PIL resamples with a triangle filter stretched by the scale when it
 * shrinks (so downscaling is antialiased: each output pixel averages every
 * source pixel its support covers) and of support 1 when it enlarges. The
 * weights are computed in double on pixel centres, normalised to sum 1,
 * rounded to 22-bit fixed point, and the image is resampled across into
 * bytes first, then down: two passes, each rounded and clipped to a byte.
 * This does the same arithmetic and matches Pillow 9.4 on every byte tested
 * (tests/reference/make_classify_vectors.py). */
#ifndef UL_DATA_PIL_RESIZE_H
#define UL_DATA_PIL_RESIZE_H

#include <stddef.h>

/* img.resize((dst_w, dst_h), Image.BILINEAR) of the src_w x src_h RGB
 * pixels at src, rows src_stride bytes apart (a crop is a pointer into a
 * larger image: PIL's crop then resize, which reads nothing outside the
 * crop), into dst_w x dst_h packed RGB pixels. 0, or -1 when out of memory. */
int ul_pil_resize(const unsigned char *src, int src_w, int src_h, size_t src_stride, unsigned char *dst, int dst_w,
		  int dst_h);

#endif
