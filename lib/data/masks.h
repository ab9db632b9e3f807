/* Polygons into masks: OpenCV's fillPoly, and the segmentation masks
 * Ultralytics' Format makes from a sample's polygons (polygon2mask,
 * polygons2masks, polygons2masks_overlap).
 *
 * The fill is cv2.fillPoly(mask, [points], colour) with lineType 8 and
 * shift 0, byte for byte as OpenCV 4.6 (tests/reference/make_mask_vectors.py):
 *   points   float32 pixels truncated toward zero, as numpy's
 *            astype(np.int32) casts them (-0.5 is 0, not -1)
 *   outline  every edge, the closing one included, drawn as an 8-connected
 *            line (OpenCV's LineIterator, clipped to the mask), so a
 *            polygon of one distinct point sets one pixel, of two a line
 *   inside   each non-horizontal edge covers rows [top, bottom), its x in
 *            16.16 fixed point stepping by (x1 - x0) / (y1 - y0) truncated;
 *            on each row the edges' x, sorted, are taken in pairs and
 *            filled from the ceiling of the first to the floor of the
 *            second: even-odd, so where a self-intersecting polygon covers
 *            itself twice only its outline is set
 *   outside  lines are clipped to the mask (OpenCV's clipLine) before
 *            they are drawn; the edges that fill keep their own ends,
 *            however far outside (later versions of OpenCV take an edge's
 *            slope from its clipped ends, which moves pixels next to the
 *            mask's sides)
 * cv2.drawContours(mask, [points], -1, colour, cv2.FILLED) of one contour
 * fills the same pixels (CopyPaste's). Coordinates are first clamped to
 * +-2^20, which only polygons a million pixels away notice, to keep the
 * fixed point in range.
 *
 * polygon2mask draws each polygon at the image's size and then shrinks the
 * mask with cv2.resize (INTER_LINEAR, ul_resize_linear's arithmetic) to
 * (h / mask_ratio) x (w / mask_ratio), sides rounded down: the points are
 * not scaled first. */
#ifndef UL_DATA_MASKS_H
#define UL_DATA_MASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "data/sample.h"

/* The most instances an overlap mask can number: they are uint16_t. */
#define UL_MASK_MAX_INSTANCES 65535

/* cv2.fillPoly of the n points xy (x y pairs, pixels) into a w x h 8-bit
 * mask (rows w bytes apart) with colour; the other pixels are left as they
 * are. 0, or -1 when out of memory (mask unchanged). */
int ul_fill_polygon(unsigned char *mask, int w, int h, const float *xy, int n, unsigned char colour);

/* Ultralytics' masks of s's polygons (s->seg_points > 0) for its image, w x
 * h = s->img.w x s->img.h, each mask (h / mask_ratio) x (w / mask_ratio),
 * 1 <= mask_ratio <= min(w, h), rows of (w / mask_ratio) values:
 *
 *   overlap false  polygons2masks: s->n masks one after the other, instance
 *                  i's 1 where its polygon2mask is, 0 elsewhere; order[i] = i
 *   overlap true   polygons2masks_overlap: one mask, the instances sorted by
 *                  the area of their masks (pixels at 1), largest first and
 *                  ties in index order, the ones with an empty mask before
 *                  all (numpy negates the uint64 areas, so 0 sorts first);
 *                  each pixel is k + 1 for the last of them, k-th in that
 *                  order, whose mask covers it, else 0: smaller objects end
 *                  on top. order[k] is the instance k-th in that order, which
 *                  Format gives the sample (its classes, boxes and polygons
 *                  go to instances[order], so instance k is the one marked
 *                  k + 1). With no instances the mask is all 0.
 *
 * masks and order (s->n ints) are the caller's: masks of a batch may lie in
 * one buffer. Ultralytics' masks are uint8 (int32 past 255 instances);
 * these are uint16_t both ways, so a batch has one type whatever the flag.
 * numpy's argsort keeps ties in order up to 16 instances; beyond, its order
 * among equal areas depends on its sort kernel, and this keeps index order.
 * 0, or -1 (masks and order then undefined) when out of memory, past
 * UL_MASK_MAX_INSTANCES with overlap, or mask_ratio outside its range. */
int ul_sample_masks(const struct ul_sample *s, int mask_ratio, bool overlap, uint16_t *masks, int *order);

#endif
