#include "data/sample.h"

#include <stdlib.h>
#include <string.h>

void ul_sample_init(struct ul_sample *s, int seg_points, int kpt_count, int kpt_dims)
{
	*s = (struct ul_sample){ .seg_points = seg_points, .kpt_count = kpt_count, .kpt_dims = kpt_dims };
}

void ul_sample_free(struct ul_sample *s)
{
	ul_image_free(&s->img);
	free(s->cls), free(s->boxes), free(s->segments), free(s->keypoints);
	ul_sample_init(s, s->seg_points, s->kpt_count, s->kpt_dims);
}

static size_t seg_floats(const struct ul_sample *s)
{
	return (size_t)s->seg_points * 2;
}

static size_t kpt_floats(const struct ul_sample *s)
{
	return (size_t)s->kpt_count * s->kpt_dims;
}

/* Grows one array to cap instances of `per` values of `size` bytes. */
static int grow(void *p, int cap, size_t per, size_t size)
{
	if (per == 0)
		return 0;
	void *q = realloc(*(void **)p, (size_t)cap * per * size);
	if (!q)
		return -1;
	*(void **)p = q;
	return 0;
}

int ul_sample_reserve(struct ul_sample *s, int n)
{
	if (n <= s->cap)
		return 0;
	int cap = s->cap * 2 > n ? s->cap * 2 : n;
	if (grow(&s->cls, cap, 1, sizeof *s->cls) || grow(&s->boxes, cap, 4, sizeof *s->boxes) ||
	    grow(&s->segments, cap, seg_floats(s), sizeof *s->segments) ||
	    grow(&s->keypoints, cap, kpt_floats(s), sizeof *s->keypoints))
		return -1;
	s->cap = cap;
	return 0;
}

int ul_sample_append(struct ul_sample *dst, const struct ul_sample *src, float dx, float dy)
{
	if (ul_sample_reserve(dst, dst->n + src->n))
		return -1;
	size_t sp = seg_floats(src), kp = kpt_floats(src);
	for (int i = 0; i < src->n; i++) {
		int j = dst->n + i;
		dst->cls[j] = src->cls[i];
		for (int k = 0; k < 4; k++)
			dst->boxes[4 * j + k] = src->boxes[4 * i + k] + (k % 2 ? dy : dx);
		for (size_t k = 0; k < sp; k++)
			dst->segments[sp * j + k] = src->segments[sp * i + k] + (k % 2 ? dy : dx);
		for (size_t k = 0; k < kp; k++) {
			int d = (int)(k % src->kpt_dims);
			dst->keypoints[kp * j + k] = src->keypoints[kp * i + k] + (d == 0 ? dx : d == 1 ? dy : 0);
		}
	}
	dst->n += src->n;
	return 0;
}

/* dst[k] = src[order[k]] for arrays of `per` floats an instance. */
static void permute(float *dst, const float *src, const int *order, int n, size_t per)
{
	for (int k = 0; k < n; k++)
		memcpy(dst + per * k, src + per * order[k], per * sizeof *dst);
}

int ul_sample_reorder(struct ul_sample *s, const int *order)
{
	size_t sp = seg_floats(s), kp = kpt_floats(s), most = 4 > sp ? 4 : sp;
	most = most > kp ? most : kp;
	float *tmp = malloc(sizeof *tmp * most * (s->n + 1));
	int *cls = malloc(sizeof *cls * (s->n + 1));
	if (!tmp || !cls) {
		free(tmp), free(cls);
		return -1;
	}
	for (int k = 0; k < s->n; k++)
		cls[k] = s->cls[order[k]];
	memcpy(s->cls, cls, sizeof *cls * s->n);
	float *arrays[3] = { s->boxes, s->segments, s->keypoints };
	size_t per[3] = { 4, sp, kp };
	for (int a = 0; a < 3; a++)
		if (per[a]) {
			permute(tmp, arrays[a], order, s->n, per[a]);
			memcpy(arrays[a], tmp, sizeof *tmp * per[a] * s->n);
		}
	free(tmp), free(cls);
	return 0;
}

void ul_sample_keep(struct ul_sample *s, const bool *keep)
{
	size_t sp = seg_floats(s), kp = kpt_floats(s);
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		if (!keep[i])
			continue;
		if (n != i) {
			s->cls[n] = s->cls[i];
			memmove(s->boxes + 4 * n, s->boxes + 4 * i, 4 * sizeof *s->boxes);
			if (sp)
				memmove(s->segments + sp * n, s->segments + sp * i, sp * sizeof *s->segments);
			if (kp)
				memmove(s->keypoints + kp * n, s->keypoints + kp * i, kp * sizeof *s->keypoints);
		}
		n++;
	}
	s->n = n;
}

static float clampf(float v, float hi)
{
	return v < 0 ? 0 : v > hi ? hi : v;
}

void ul_sample_clip(struct ul_sample *s, float w, float h)
{
	size_t sp = seg_floats(s), kp = kpt_floats(s);
	for (int i = 0; i < s->n; i++) {
		float *b = s->boxes + 4 * i;
		b[0] = clampf(b[0], w), b[1] = clampf(b[1], h), b[2] = clampf(b[2], w), b[3] = clampf(b[3], h);
		for (size_t k = 0; k < sp; k += 2)
			s->segments[sp * i + k] = clampf(s->segments[sp * i + k], w),
			s->segments[sp * i + k + 1] = clampf(s->segments[sp * i + k + 1], h);
		for (size_t k = 0; k < kp; k += (size_t)s->kpt_dims) {
			float *p = s->keypoints + kp * i + k;
			if (s->kpt_dims == 3 && (p[0] < 0 || p[0] > w || p[1] < 0 || p[1] > h))
				p[2] = 0;
			p[0] = clampf(p[0], w), p[1] = clampf(p[1], h);
		}
	}
}
