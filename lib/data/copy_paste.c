#include "data/copy_paste.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/masks.h"

/* A mirrored instance free to paste, by the most it covers of any box. */
struct candidate {
	float cover;
	int index;
};

/* np.argsort of the covers, equal ones in index order. */
static int by_cover(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;
	if (a->cover != b->cover)
		return a->cover < b->cover ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

/* bbox_ioa in float32: the part of box b that box a covers. */
static float ioa(const float *a, const float *b)
{
	float iw = fmaxf(fminf(a[2], b[2]) - fmaxf(a[0], b[0]), 0);
	float ih = fmaxf(fminf(a[3], b[3]) - fmaxf(a[1], b[1]), 0);
	return iw * ih / ((b[2] - b[0]) * (b[3] - b[1]) + 1e-7f);
}

static void mirror_box(const float *b, float w, float *out)
{
	out[0] = w - b[2], out[1] = b[1], out[2] = w - b[0], out[3] = b[3];
}

/* The mirrored instances that cover under UL_COPY_PASTE_IOA of every box,
 * into out (s->n of room), least covering first; how many. */
static int free_instances(const struct ul_sample *s, struct candidate *out)
{
	int count = 0;
	for (int j = 0; j < s->n; j++) {
		float m[4], most = 0;
		mirror_box(s->boxes + 4 * j, (float)s->img.w, m);
		bool under = true;
		for (int k = 0; k < s->n; k++) {
			float v = ioa(m, s->boxes + 4 * k);
			under = under && v < UL_COPY_PASTE_IOA;
			most = k ? fmaxf(most, v) : v;
		}
		if (under)
			out[count++] = (struct candidate){ most, j };
	}
	qsort(out, (size_t)count, sizeof *out, by_cover);
	return count;
}

/* Instance `from` of s mirrored into slot `to` (reserved). */
static void add_mirrored(struct ul_sample *s, int from, int to)
{
	float w = (float)s->img.w;
	size_t sp = (size_t)s->seg_points * 2, kp = (size_t)s->kpt_count * s->kpt_dims;
	s->cls[to] = s->cls[from];
	mirror_box(s->boxes + 4 * from, w, s->boxes + 4 * to);
	for (size_t k = 0; k < sp; k++)
		s->segments[sp * to + k] = k % 2 ? s->segments[sp * from + k] : w - s->segments[sp * from + k];
	for (size_t k = 0; k < kp; k++)
		s->keypoints[kp * to + k] = k % (size_t)s->kpt_dims ? s->keypoints[kp * from + k] : w - s->keypoints[kp * from + k];
}

/* Where mask is set, the pixel of the image mirrored: each pair of
 * columns x and w - 1 - x swaps, or one takes the other's, so every pixel
 * comes from the image as it was. */
static void paste_mirrored(struct ul_image *img, const unsigned char *mask)
{
	for (int y = 0; y < img->h; y++) {
		unsigned char *row = img->rgb + (size_t)y * img->w * 3;
		const unsigned char *m = mask + (size_t)y * img->w;
		for (int x = 0, xr = img->w - 1; x < xr; x++, xr--) {
			unsigned char *a = row + 3 * (size_t)x, *b = row + 3 * (size_t)xr, t[3];
			if (m[x] && m[xr])
				memcpy(t, a, 3), memcpy(a, b, 3), memcpy(b, t, 3);
			else if (m[x])
				memcpy(a, b, 3);
			else if (m[xr])
				memcpy(b, a, 3);
		}
	}
}

int ul_copy_paste(struct ul_sample *s, double p)
{
	int n = s->n, w = s->img.w, h = s->img.h;
	if (p <= 0 || s->seg_points == 0 || n == 0)
		return 0;
	struct candidate *chosen = malloc(sizeof *chosen * (size_t)n);
	if (!chosen)
		return -1;
	int count = free_instances(s, chosen);
	int take = (int)rint(p * count);  /* Python's round: half to even, as rint rounds by default */
	take = take < count ? take : count;
	unsigned char *mask = take ? calloc((size_t)w * h, 1) : NULL;
	int rc = take && (!mask || ul_sample_reserve(s, n + take)) ? -1 : 0;
	for (int k = 0; !rc && k < take; k++) {
		add_mirrored(s, chosen[k].index, n + k);
		rc = ul_fill_polygon(mask, w, h, s->segments + (size_t)s->seg_points * 2 * (n + k), s->seg_points, 1);
	}
	if (!rc && take) {
		paste_mirrored(&s->img, mask);
		s->n = n + take;
	}
	free(mask);
	free(chosen);
	return rc ? -1 : take;
}
