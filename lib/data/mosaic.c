#include "data/mosaic.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"
#include "data/letterbox.h"

#define MAX_BUFFER 1000  /* Ultralytics' cap on its buffer */

int ul_mosaic_buffer_length(int n, int batch)
{
	int len = n < 8 * batch ? n : 8 * batch;
	return len < MAX_BUFFER ? len : MAX_BUFFER;
}

int ul_mosaic_buffer_init(struct ul_mosaic_buffer *b, int n, int batch, bool enabled, int loads)
{
	*b = (struct ul_mosaic_buffer){ .n = n, .max = ul_mosaic_buffer_length(n, batch) };
	if (!enabled)
		return 0;
	/* the list stays below max entries, or at one when max is 1 */
	b->log = malloc(sizeof *b->log * (size_t)(b->max + loads));
	b->held = calloc(n, sizeof *b->held);
	if (b->log && b->held)
		return 0;
	ul_mosaic_buffer_free(b);
	return -1;
}

void ul_mosaic_buffer_free(struct ul_mosaic_buffer *b)
{
	free(b->log), free(b->held);
	*b = (struct ul_mosaic_buffer){ 0 };
}

void ul_mosaic_buffer_clear(struct ul_mosaic_buffer *b)
{
	for (int k = b->head; k < b->end; k++)
		b->held[b->log[k]] = false;
	b->head = b->end = 0;
}

void ul_mosaic_buffer_rewind(struct ul_mosaic_buffer *b)
{
	if (b->log)
		memmove(b->log, b->log + b->head, sizeof *b->log * (size_t)(b->end - b->head));
	b->end -= b->head, b->head = 0;
}

void ul_mosaic_buffer_load(struct ul_mosaic_buffer *b, int i, const int **pool, int *len)
{
	if (!b->log) {
		*pool = NULL, *len = b->n;
		return;
	}
	if (!b->held[i]) {
		b->log[b->end++] = i, b->held[i] = true;
		/* Python's 1 < len(buffer) >= max_buffer_length */
		if (b->end - b->head > 1 && b->end - b->head >= b->max)
			b->held[b->log[b->head++]] = false;
	}
	*pool = b->log + b->head, *len = b->end - b->head;
}

void ul_mosaic_pick(uint64_t *rng, const int *pool, int len, int others[3])
{
	for (int k = 0; k < 3; k++) {
		int at = (int)(ul_random_unit(rng) * len);
		others[k] = pool ? pool[at] : at;
	}
}

void ul_mosaic_centre(uint64_t *rng, int s, int *xc, int *yc)
{
	int lo = (s + 1) / 2, hi = 2 * s - lo;  /* -border: Python's -s // 2 rounds down */
	*yc = (int)(lo + (double)(hi - lo) * ul_random_unit(rng));
	*xc = (int)(lo + (double)(hi - lo) * ul_random_unit(rng));
}

/* One axis of a tile: an image of len pixels ending at the centre c
 * (before) or starting there, cut to [0, canvas); where on the canvas, and
 * the image pixel its first one shows. */
static void span(int c, int len, int canvas, bool before, int *a1, int *a2, int *src)
{
	if (before) {
		*a1 = c - len > 0 ? c - len : 0, *a2 = c;
		*src = len - (*a2 - *a1);
	} else {
		*a1 = c, *a2 = c + len < canvas ? c + len : canvas;
		*src = 0;
	}
}

void ul_mosaic_layout(int s, int xc, int yc, const int w[4], const int h[4], struct ul_mosaic_tile tiles[4])
{
	for (int i = 0; i < 4; i++) {
		struct ul_mosaic_tile *t = &tiles[i];
		/* 0 top left, 1 top right, 2 bottom left, 3 bottom right */
		span(xc, w[i], 2 * s, i % 2 == 0, &t->x1, &t->x2, &t->src_x);
		span(yc, h[i], 2 * s, i < 2, &t->y1, &t->y2, &t->src_y);
	}
}

/* Ultralytics' remove_zero_area_boxes: an instance whose box was clipped to
 * nothing goes, with its polygon and keypoints. */
static int drop_empty(struct ul_sample *s)
{
	bool *keep = malloc(sizeof *keep * (size_t)(s->n > 0 ? s->n : 1));
	if (!keep)
		return -1;
	for (int i = 0; i < s->n; i++) {
		const float *b = s->boxes + 4 * i;
		keep[i] = (b[2] - b[0]) * (b[3] - b[1]) > 0;
	}
	ul_sample_keep(s, keep);
	free(keep);
	return 0;
}

int ul_mosaic4_at(const struct ul_sample *const parts[4], int s, int xc, int yc, struct ul_sample *out)
{
	int w[4], h[4], side = 2 * s;
	for (int i = 0; i < 4; i++)
		w[i] = parts[i]->img.w, h[i] = parts[i]->img.h;
	struct ul_mosaic_tile tiles[4];
	ul_mosaic_layout(s, xc, yc, w, h, tiles);

	size_t stride = (size_t)side * 3;
	out->img = (struct ul_image){ side, side, malloc(stride * side) };
	if (!out->img.rgb)
		goto fail;
	memset(out->img.rgb, UL_LETTERBOX_PAD, stride * side);
	for (int i = 0; i < 4; i++) {
		const struct ul_mosaic_tile *t = &tiles[i];
		const struct ul_image *img = &parts[i]->img;
		for (int y = t->y1; y < t->y2; y++)
			memcpy(out->img.rgb + (size_t)y * stride + (size_t)t->x1 * 3,
			       img->rgb + ((size_t)(t->src_y + y - t->y1) * img->w + t->src_x) * 3, (size_t)(t->x2 - t->x1) * 3);
		if (ul_sample_append(out, parts[i], (float)(t->x1 - t->src_x), (float)(t->y1 - t->src_y)))
			goto fail;
	}
	ul_sample_clip(out, (float)side, (float)side);
	if (drop_empty(out))
		goto fail;
	return 0;
fail:
	ul_sample_free(out);
	return -1;
}

int ul_mosaic4(const struct ul_sample *const parts[4], int s, uint64_t *rng, struct ul_sample *out)
{
	int xc, yc;
	ul_mosaic_centre(rng, s, &xc, &yc);
	return ul_mosaic4_at(parts, s, xc, yc, out);
}
