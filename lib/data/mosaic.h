/* Ultralytics' Mosaic of 4 (Mosaic._mosaic4) on samples.
 *
 * Four images as loaded (long side s), the sample's own first, are laid
 * around a centre (xc, yc) on a 2s x 2s canvas of 114: the first to the
 * top left of the centre, the others top right, bottom left and bottom
 * right, each cut where it leaves the canvas. Their instances move with
 * them, are put together in that order, clipped to the canvas, and those
 * left with no area (outside it) are dropped, as Ultralytics' _cat_labels
 * does. RandomPerspective then takes the 2s x 2s sample back to s x s
 * (its border -s/2).
 *
 * Draws, one ul_random_unit each: ul_mosaic_pick 3 (the other images, in
 * order), ul_mosaic4 2 (yc, then xc). Ultralytics picks the others from a
 * buffer of recently loaded images (random.choices over min(N, 8 batch,
 * 1000) of them) unless cache=ram; we pick from the whole set, as it does
 * with cache=ram. Whether to make a mosaic at all (p = mosaic) is the
 * caller's draw, made before the others are loaded. */
#ifndef UL_DATA_MOSAIC_H
#define UL_DATA_MOSAIC_H

#include <stdint.h>

#include "data/sample.h"

/* One image's place: canvas pixels [x1, x2) x [y1, y2) are the image's
 * from (src_x, src_y), so its instances move by (x1 - src_x, y1 - src_y). */
struct ul_mosaic_tile {
	int x1, y1, x2, y2;
	int src_x, src_y;
};

/* The 3 other images of a set of count: each uniform in [0, count), the
 * sample's own included, as Ultralytics may pick it. */
void ul_mosaic_pick(uint64_t *rng, int count, int others[3]);

/* The centre: yc then xc, each int(uniform(b, 2s - b)) with b = ceil(s / 2)
 * (Ultralytics' border -s // 2): in [s/2, 3s/2]. */
void ul_mosaic_centre(uint64_t *rng, int s, int *xc, int *yc);

/* Where images of those sizes land around (xc, yc), Ultralytics' x1a ...
 * y2b arithmetic: each reaches the centre with its inner corner and is cut
 * at the canvas's edges. */
void ul_mosaic_layout(int s, int xc, int yc, const int w[4], const int h[4], struct ul_mosaic_tile tiles[4]);

/* The mosaic of parts[0..3] (same instance shape) around (xc, yc), into
 * out: an empty sample of that shape (ul_sample_init). 0, or -1 when out
 * of memory, out left empty. */
int ul_mosaic4_at(const struct ul_sample *const parts[4], int s, int xc, int yc, struct ul_sample *out);

/* The same around a centre drawn from rng (ul_mosaic_centre). */
int ul_mosaic4(const struct ul_sample *const parts[4], int s, uint64_t *rng, struct ul_sample *out);

#endif
