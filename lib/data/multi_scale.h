/* multi_scale: each training batch resized to a random size around imgsz,
 * as Ultralytics' detection trainer does it before the forward pass
 * (preprocess_batch): a size sz = randrange(max(stride, int(imgsz (1 -
 * ms))), int(imgsz (1 + ms) + stride)) // stride x stride, the long side
 * scaled to it and each side rounded up to the stride, the images resized
 * bilinearly as torch's interpolate does (align_corners false). Labels,
 * normalised to the frame, need nothing. */
#ifndef UL_DATA_MULTI_SCALE_H
#define UL_DATA_MULTI_SCALE_H

#include <stdint.h>

/* The largest side a batch of imgsz can reach with multi_scale ms. */
int ul_multi_scale_max(int imgsz, double ms, int stride);

/* The frame (h, w) for a batch of h x w images: one draw from rng. */
void ul_multi_scale_shape(uint64_t *rng, int imgsz, double ms, int stride, int h, int w, int *new_h, int *new_w);

/* n images h x w x 3 (NHWC float) resized into out, new_h x new_w each:
 * torch's bilinear with half-pixel centres, clamped at the edges. 0, or -1
 * when out of memory. */
int ul_resize_bilinear_f32(const float *in, int n, int h, int w, float *out, int new_h, int new_w);

#endif
