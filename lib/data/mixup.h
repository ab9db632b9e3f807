/* Ultralytics' MixUp and CutMix: a second sample mixed into the first, both
 * out of the same transforms (mosaic and perspective), so the same size.
 * Whether to mix at all (p = mixup, p = cutmix) and which image to mix in
 * are the caller's draws, made before the second sample is loaded.
 *
 * MixUp: a ratio r ~ Beta(32, 32); every byte becomes a r + b (1 - r) in
 * double, truncated (numpy's astype(uint8)), and b's instances follow a's.
 * Beta(32, 32) is drawn as G1 / (G1 + G2), each Gamma(32) the sum of 32
 * exponentials -log(1 - u): 64 draws, G1's first.
 *
 * CutMix, as v8_transforms builds it (beta 1, 3 areas): three candidate
 * areas, each from 3 draws: lam ~ Beta(1, 1), which is uniform, sides
 * int(w sqrt(1 - lam)) and int(h sqrt(1 - lam)), a centre (cx, cy) with
 * cx = int(u w), cy = int(u h) (randint), corners cx -+ cut_w // 2 and
 * cy -+ cut_h // 2 clipped to the image. Only an area that touches none of
 * a's boxes may be used (no area: nothing changes, nothing more drawn); one
 * of those is picked (1 draw). b's instances whose box has at least 0.1 of
 * its area inside it (0.01 when a has instances with polygons) come along,
 * clipped to the area; none: nothing changes. Otherwise b's pixels of the
 * area replace a's, and those instances follow a's. Areas and boxes are
 * compared in float32 (intersection / (box area + 1e-7)), as bbox_ioa does. */
#ifndef UL_DATA_MIXUP_H
#define UL_DATA_MIXUP_H

#include <stdint.h>

#include "data/sample.h"

/* One Beta(32, 32) draw: MixUp's ratio. */
double ul_mixup_ratio(uint64_t *rng);

/* MixUp of b into a (same image size, same instance shape). 0, or -1 when
 * out of memory. */
int ul_mixup(struct ul_sample *a, const struct ul_sample *b, uint64_t *rng);

/* CutMix's three candidate areas for a w x h image, x1 y1 x2 y2 each (9 draws). */
void ul_cutmix_areas(uint64_t *rng, int w, int h, int areas[3][4]);

/* b's pixels and instances in area (x1 y1 x2 y2) into a, by CutMix's rule
 * for which instances come along. 1 when it mixed, 0 when none qualified
 * (a unchanged), -1 when out of memory. */
int ul_cutmix_at(struct ul_sample *a, const struct ul_sample *b, const int area[4]);

/* CutMix of b into a (same image size, same instance shape): 1 when it
 * mixed, 0 when it found no area or no instance to bring (a unchanged), -1
 * when out of memory. */
int ul_cutmix(struct ul_sample *a, const struct ul_sample *b, uint64_t *rng);

#endif
