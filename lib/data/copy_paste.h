/* Ultralytics' CopyPaste in its default mode, "flip" (copy_paste_mode), on
 * a sample: the sample's own instances mirrored left to right, and those
 * of the mirrored ones that land on free ground pasted, pixels and labels.
 * v8_transforms runs it right after the mosaic (or the image as loaded,
 * when there is no mosaic) and before the random perspective, so on the
 * mosaic's 2 imgsz canvas, and in MixUp's and CutMix's second image too.
 *
 *   skipped   when p is 0 or the sample has no polygons (seg_points 0 or
 *             no instances): only segmentation data is pasted
 *   mirrored  every instance, x -> w - x: box (w - x2, y1, w - x1, y2),
 *             polygon and keypoints (their order kept: no flip_idx)
 *   free      a mirrored box covers under 0.30 of every original box,
 *             its own included (bbox_ioa: intersection over the original's
 *             area + 1e-7, in float32)
 *   chosen    the free ones sorted by the most they cover of any box,
 *             least first (ties in index order), and the first round(p n)
 *             of those n taken, half to even as Python rounds
 *   pixels    the chosen polygons filled with cv2.drawContours (the same
 *             fill as cv2.fillPoly, lib/data/masks.h) into one mask; where
 *             it is set the image takes the mirrored image's pixel
 *   labels    the chosen instances follow the originals, in that order,
 *             with their classes
 *
 * No draws: since 8.3.0 Ultralytics' flip mode takes the least overlapping
 * instances rather than random.sample of them, and makes no draw for p
 * either (CopyPaste overrides the mixing transforms' call that would). Its
 * np.argsort keeps equal overlaps in index order up to 16 free instances;
 * beyond, the order among them depends on numpy's sort kernel, and this
 * keeps index order. Mode "mixup" (pasting another image's instances) is
 * not here. */
#ifndef UL_DATA_COPY_PASTE_H
#define UL_DATA_COPY_PASTE_H

#include "data/sample.h"

/* The IoA under which a mirrored instance is free to paste. */
#define UL_COPY_PASTE_IOA 0.30f

/* CopyPaste(p) in flip mode on s, p in [0, 1]: how many instances it
 * pasted, or -1 when out of memory (s then unchanged). */
int ul_copy_paste(struct ul_sample *s, double p);

#endif
