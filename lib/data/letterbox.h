/* Resizing and letterboxing, byte for byte as Ultralytics does them with
 * OpenCV, so a network sees the same input from us as from it.
 *
 * cv2.resize with INTER_LINEAR on 8-bit images is bilinear on half-pixel
 * centres (source position (d + 0.5) * src / dst - 0.5) in fixed point:
 * weights rounded to 11 bits, a horizontal pass summed exactly in integers,
 * then a vertical one that drops low bits twice before its last rounding
 * (the arithmetic of OpenCV's vectorised code, which it uses on every
 * pixel); an exact halving both ways is its INTER_AREA instead, the rounded
 * mean of each 2x2 block. ul_resize_linear does the same arithmetic and
 * matches OpenCV 4.6 on every byte tested (tests/reference/make_resize_vectors.py). */
#ifndef UL_DATA_LETTERBOX_H
#define UL_DATA_LETTERBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "data/decode.h"

/* What padding Ultralytics' letterbox puts around a resized image. */
#define UL_LETTERBOX_PAD 114

/* cv2.resize(src, (dst_w, dst_h), interpolation=cv2.INTER_LINEAR) of RGB
 * pixels, rows src_stride and dst_stride bytes apart. 0, or -1 when out of
 * memory. */
int ul_resize_linear(const unsigned char *src, int src_w, int src_h, size_t src_stride,
		     unsigned char *dst, int dst_w, int dst_h, size_t dst_stride);

/* The size Ultralytics' load_image gives an image: the long side to imgsz,
 * the aspect kept, r = imgsz / max(w, h) and each side min(ceil(side * r),
 * imgsz) in double (so 100x75 at 224 is 224x169), unchanged when r is 1. */
void ul_long_side_size(int w, int h, int imgsz, int *new_w, int *new_h);

/* load_image: img resized to that size (INTER_LINEAR, up or down), into
 * out (ul_image_free releases it). 0, or -1 when out of memory. */
int ul_image_long_side(const struct ul_image *img, int imgsz, struct ul_image *out);

/* Where an image lands in a letterboxed frame. */
struct ul_letterbox {
	int src_w, src_h;              /* the image */
	int dst_w, dst_h;              /* the frame (Ultralytics' new_shape) */
	double ratio;                  /* frame pixels per image pixel */
	int new_w, new_h;              /* the image once resized */
	int left, top, right, bottom;  /* the padding around it */
};

/* Ultralytics' LetterBox, centred, auto and scale_fill off: ratio =
 * min(dst_h / src_h, dst_w / src_w), at most 1 without scaleup (as in
 * validation); new size round(src * ratio), half to even as Python rounds;
 * the padding dw = dst_w - new_w split round(dw / 2 - 0.1) left and
 * round(dw / 2 + 0.1) right (the odd pixel goes right), top and bottom
 * likewise. */
struct ul_letterbox ul_letterbox_plan(int src_w, int src_h, int dst_w, int dst_h, bool scaleup);

/* img (of lb's src size) resized into the frame and padded with
 * UL_LETTERBOX_PAD: dst_h rows of dst_w RGB pixels. 0, or -1 when out of
 * memory. */
int ul_letterbox_u8(const struct ul_image *img, const struct ul_letterbox *lb, unsigned char *out);

/* The same as float32 value / 255 (what Ultralytics feeds the network),
 * HWC RGB: one image of an NHWC batch. */
int ul_letterbox_f32(const struct ul_image *img, const struct ul_letterbox *lb, float *out);

/* A label box, normalised (cx, cy, w, h) relative to the image, in frame
 * pixels (cx, cy, w, h). Scaled by ratio, not by new size over old, as
 * Ultralytics scales labels; it goes through corners in float32, so the two
 * agree to float32 rounding. */
void ul_letterbox_box(const struct ul_letterbox *lb, const float box[4], float out[4]);

#endif
