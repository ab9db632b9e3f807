#include "data/mixup.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/random.h"

/* MixUp's Beta(32, 32): an integer shape, so each Gamma is a sum of that
 * many exponentials, exact in distribution with no rejection loop and a
 * fixed count of draws. */
#define MIXUP_SHAPE 32

/* CutMix as v8_transforms makes it: Beta(1, 1) for lam, three tries. */
#define CUTMIX_AREAS 3

static double gamma_integer(uint64_t *rng, int shape)
{
	double sum = 0;
	for (int i = 0; i < shape; i++)
		sum -= log1p(-ul_random_unit(rng));  /* -log(1 - u): u may be 0, never 1 */
	return sum;
}

double ul_mixup_ratio(uint64_t *rng)
{
	double g1 = gamma_integer(rng, MIXUP_SHAPE);
	return g1 / (g1 + gamma_integer(rng, MIXUP_SHAPE));
}

int ul_mixup(struct ul_sample *a, const struct ul_sample *b, uint64_t *rng)
{
	double r = ul_mixup_ratio(rng);
	size_t n = (size_t)a->img.w * a->img.h * 3;
	for (size_t i = 0; i < n; i++)
		a->img.rgb[i] = (unsigned char)(a->img.rgb[i] * r + b->img.rgb[i] * (1 - r));
	return ul_sample_append(a, b, 0, 0);
}

static int clip_int(int v, int hi) { return v < 0 ? 0 : v > hi ? hi : v; }

void ul_cutmix_areas(uint64_t *rng, int w, int h, int areas[3][4])
{
	for (int k = 0; k < CUTMIX_AREAS; k++) {
		double cut = sqrt(1.0 - ul_random_unit(rng));
		int cut_w = (int)(w * cut), cut_h = (int)(h * cut);
		int cx = (int)(ul_random_unit(rng) * w), cy = (int)(ul_random_unit(rng) * h);
		areas[k][0] = clip_int(cx - cut_w / 2, w), areas[k][1] = clip_int(cy - cut_h / 2, h);
		areas[k][2] = clip_int(cx + cut_w / 2, w), areas[k][3] = clip_int(cy + cut_h / 2, h);
	}
}

/* bbox_ioa in float32: how much of box lies in area, over the box's area. */
static float ioa(const int area[4], const float *box)
{
	float iw = fminf((float)area[2], box[2]) - fmaxf((float)area[0], box[0]);
	float ih = fminf((float)area[3], box[3]) - fmaxf((float)area[1], box[1]);
	float inter = fmaxf(iw, 0) * fmaxf(ih, 0);
	return inter / ((box[2] - box[0]) * (box[3] - box[1]) + 1e-7f);
}

int ul_cutmix_at(struct ul_sample *a, const struct ul_sample *b, const int area[4])
{
	/* Ultralytics asks whether a has polygons by counting them: none when it has no instances */
	float least = a->seg_points && a->n ? 0.01f : 0.1f;
	bool *keep = malloc(sizeof *keep * (size_t)(b->n > 0 ? b->n : 1));
	if (!keep)
		return -1;
	int kept = 0;
	for (int i = 0; i < b->n; i++) {
		keep[i] = ioa(area, b->boxes + 4 * i) >= least;
		kept += keep[i];
	}
	if (!kept) {
		free(keep);
		return 0;
	}
	/* the instances in the area's own frame, clipped to it, then back */
	struct ul_sample moved;
	ul_sample_init(&moved, b->seg_points, b->kpt_count, b->kpt_dims);
	int x1 = area[0], y1 = area[1], x2 = area[2], y2 = area[3];
	int failed = ul_sample_append(&moved, b, (float)-x1, (float)-y1);
	if (!failed) {
		ul_sample_keep(&moved, keep);
		ul_sample_clip(&moved, (float)(x2 - x1), (float)(y2 - y1));
		failed = ul_sample_append(a, &moved, (float)x1, (float)y1);
	}
	ul_sample_free(&moved);
	free(keep);
	if (failed)
		return -1;
	size_t stride = (size_t)a->img.w * 3;
	for (int y = y1; y < y2; y++)
		memcpy(a->img.rgb + y * stride + (size_t)x1 * 3, b->img.rgb + y * stride + (size_t)x1 * 3, (size_t)(x2 - x1) * 3);
	return 1;
}

int ul_cutmix(struct ul_sample *a, const struct ul_sample *b, uint64_t *rng)
{
	int areas[CUTMIX_AREAS][4], free_areas[CUTMIX_AREAS], count = 0;
	ul_cutmix_areas(rng, a->img.w, a->img.h, areas);
	for (int k = 0; k < CUTMIX_AREAS; k++) {
		bool touches = false;
		for (int i = 0; i < a->n && !touches; i++)
			touches = ioa(areas[k], a->boxes + 4 * i) > 0;
		if (!touches)
			free_areas[count++] = k;
	}
	if (!count)
		return 0;
	return ul_cutmix_at(a, b, areas[free_areas[(int)(ul_random_unit(rng) * count)]]);
}
