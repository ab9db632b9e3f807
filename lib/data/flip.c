#include "data/flip.h"

#include <stdlib.h>
#include <string.h>

#include "core/random.h"

static void swap_bytes(unsigned char *a, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char t = a[i];
		a[i] = b[i], b[i] = t;
	}
}

static void flip_image(struct ul_image *img, enum ul_flip direction)
{
	size_t row = (size_t)img->w * 3;
	if (direction == UL_FLIP_VERTICAL) {
		for (int y = 0; y < img->h / 2; y++)
			swap_bytes(img->rgb + row * y, img->rgb + row * (img->h - 1 - y), row);
		return;
	}
	for (int y = 0; y < img->h; y++) {
		unsigned char *line = img->rgb + row * y;
		for (int x = 0; x < img->w / 2; x++)
			swap_bytes(line + 3 * x, line + 3 * (img->w - 1 - x), 3);
	}
}

/* c -> size - c for every n-th float from the first, count of them. */
static void mirror(float *v, size_t count, size_t n, float size)
{
	for (size_t i = 0; i < count; i++)
		v[i * n] = size - v[i * n];
}

/* Every instance's keypoints reordered: keypoint k becomes what flip_idx[k]
 * was, through one instance's worth of room. */
static void reorder(struct ul_sample *s, const int *flip_idx, float *room)
{
	size_t d = (size_t)s->kpt_dims, per = (size_t)s->kpt_count * d;
	for (int i = 0; i < s->n; i++) {
		float *kp = s->keypoints + per * i;
		memcpy(room, kp, per * sizeof *room);
		for (int k = 0; k < s->kpt_count; k++)
			memcpy(kp + d * k, room + d * flip_idx[k], d * sizeof *kp);
	}
}

int ul_flip_sample(struct ul_sample *s, enum ul_flip direction, const int *flip_idx)
{
	float *room = NULL;
	if (flip_idx && s->kpt_count > 0 && !(room = malloc((size_t)s->kpt_count * s->kpt_dims * sizeof *room)))
		return -1;
	flip_image(&s->img, direction);
	bool across = direction == UL_FLIP_HORIZONTAL;
	float size = (float)(across ? s->img.w : s->img.h);
	size_t axis = across ? 0 : 1, n = (size_t)s->n;
	for (size_t i = 0; i < n; i++) {
		float *b = s->boxes + 4 * i, lo = b[axis];
		b[axis] = size - b[axis + 2], b[axis + 2] = size - lo;
	}
	if (s->seg_points > 0)
		mirror(s->segments + axis, n * s->seg_points, 2, size);
	if (s->kpt_count > 0)
		mirror(s->keypoints + axis, n * s->kpt_count, (size_t)s->kpt_dims, size);
	if (room)
		reorder(s, flip_idx, room);
	free(room);
	return 0;
}

int ul_random_flip(struct ul_sample *s, enum ul_flip direction, double p, const int *flip_idx, uint64_t *rng)
{
	return ul_random_unit(rng) < p ? ul_flip_sample(s, direction, flip_idx) : 0;
}

int ul_random_flips(struct ul_sample *s, double flipud, double fliplr, const int *flip_idx, uint64_t *rng)
{
	return ul_random_flip(s, UL_FLIP_VERTICAL, flipud, flip_idx, rng) ||
	       ul_random_flip(s, UL_FLIP_HORIZONTAL, fliplr, flip_idx, rng) ? -1 : 0;
}
