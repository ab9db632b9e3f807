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
 * order), ul_mosaic4 2 (yc, then xc). Whether to make a mosaic at all (p =
 * mosaic) is the caller's draw, made before the others are loaded.
 *
 * Ultralytics picks the others from its dataset's buffer of the images it
 * loaded last (BaseDataset.load_image, Mosaic.get_indexes), unless
 * cache=ram, when it picks them from the whole set. ul_mosaic_buffer
 * replays that buffer in the order the dataset meets its images: a list of
 * distinct images, oldest first; an image not in it enters when loaded,
 * and then, when the list has reached min(N, 8 batch, 1000) entries, the
 * oldest leaves (never the only one). An image in it, loaded again,
 * changes nothing. Every list it holds is a window of one log that only
 * grows until ul_mosaic_buffer_rewind, so a sample planned ahead keeps
 * the list it will pick from as a pointer and a length. */
#ifndef UL_DATA_MOSAIC_H
#define UL_DATA_MOSAIC_H

#include <stdbool.h>
#include <stdint.h>

#include "data/sample.h"

/* One image's place: canvas pixels [x1, x2) x [y1, y2) are the image's
 * from (src_x, src_y), so its instances move by (x1 - src_x, y1 - src_y). */
struct ul_mosaic_tile {
	int x1, y1, x2, y2;
	int src_x, src_y;
};

/* Ultralytics' max_buffer_length for a set of n images in batches of batch. */
int ul_mosaic_buffer_length(int n, int batch);

struct ul_mosaic_buffer {
	int *log;          /* the entries, in order: the list is log[head, end); NULL: cache=ram, no list */
	int head, end;
	bool *held;        /* each image: in the list */
	int n, max;        /* images in the set, ul_mosaic_buffer_length */
};

/* An empty buffer for n images in batches of batch, or with enabled false
 * (cache=ram) none: every pick from the whole set. Room for `loads` loads
 * between rewinds. 0, or -1 when out of memory. */
int ul_mosaic_buffer_init(struct ul_mosaic_buffer *b, int n, int batch, bool enabled, int loads);
void ul_mosaic_buffer_free(struct ul_mosaic_buffer *b);

/* Empty again, as a new dataset's. */
void ul_mosaic_buffer_clear(struct ul_mosaic_buffer *b);

/* The list moved to the log's start, making room for `loads` loads again;
 * every list handed out before points at nothing meaningful. */
void ul_mosaic_buffer_rewind(struct ul_mosaic_buffer *b);

/* Image i loaded (load_image(i)): the list after it, the pool a mosaic
 * made then picks from (*pool NULL: the whole set, *len images). */
void ul_mosaic_buffer_load(struct ul_mosaic_buffer *b, int i, const int **pool, int *len);

/* The 3 other images of a mosaic, each uniform over pool[0..len)
 * (random.choices), or with pool NULL over [0, len); the sample's own
 * image may be among them, as Ultralytics may pick it. */
void ul_mosaic_pick(uint64_t *rng, const int *pool, int len, int others[3]);

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
