#include "val/e2e_decode.h"

#include <math.h>
#include <stdlib.h>

#include "core/grow.h"

void ul_decode_scratch_free(struct ul_decode_scratch *s)
{
	free(s->order), free(s->score), free(s->pairs);
	*s = (struct ul_decode_scratch){ 0 };
}

static float sigmoid(float x)
{
	return 1 / (1 + expf(-x));
}

/* Descending by score; equal scores keep the lower index first, so the
 * order is the same on every machine. */
static int by_score(const void *pa, const void *pb, void *scores)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	float x = ((const float *)scores)[a], y = ((const float *)scores)[b];
	return x > y ? -1 : x < y ? 1 : (a > b) - (a < b);
}

/* The indices of the n scores, best first. */
static void rank(int *order, const float *scores, size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (int)i;
	qsort_r(order, n, sizeof *order, by_score, (void *)scores);
}

int ul_decode_e2e(const struct ul_detect_head *head, int b, int max_det, double conf, struct ul_detection *out,
		  struct ul_decode_scratch *s)
{
	int anchors = 0, nc = head->nc;
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		anchors += head->h[l] * head->w[l];
	int keep = max_det < anchors ? max_det : anchors;
	size_t npairs = (size_t)keep * nc, most = npairs > (size_t)anchors ? npairs : (size_t)anchors;
	if (ul_grow(&s->order, &s->cap_order, most, sizeof *s->order) ||
	    ul_grow(&s->score, &s->cap_score, most, sizeof *s->score) ||
	    ul_grow(&s->pairs, &s->cap_pairs, npairs, sizeof *s->pairs))
		return -1;
	/* each anchor's best score: the sigmoid of its best logit */
	for (int l = 0, a = 0; l < UL_DETECT_LEVELS; l++) {
		size_t cells = (size_t)head->h[l] * head->w[l];
		const float *cls = head->cls[l] + (size_t)b * cells * nc;
		for (size_t i = 0; i < cells; i++, a++) {
			float best = -INFINITY;
			for (int c = 0; c < nc; c++)
				best = fmaxf(best, cls[i * nc + c]);
			s->score[a] = sigmoid(best);
		}
	}
	rank(s->order, s->score, anchors);

	/* the kept anchors' (anchor, class) pairs, anchor-major */
	for (int k = 0, p = 0; k < keep; k++) {
		int cell = s->order[k], l = 0;
		while (cell >= head->h[l] * head->w[l])
			cell -= head->h[l] * head->w[l], l++;
		size_t at = (size_t)b * head->h[l] * head->w[l] + cell;
		const float *d = head->box[l] + 4 * at, *cls = head->cls[l] + at * nc;
		float st = head->stride[l], ax = cell % head->w[l] + 0.5f, ay = cell / head->w[l] + 0.5f;
		struct ul_detection det = { { (ax - d[0]) * st, (ay - d[1]) * st, (ax + d[2]) * st, (ay + d[3]) * st }, 0, 0 };
		for (int c = 0; c < nc; c++, p++) {
			det.score = sigmoid(cls[c]), det.cls = c;
			s->pairs[p] = det;
		}
	}
	for (size_t p = 0; p < npairs; p++)
		s->score[p] = s->pairs[p].score;
	rank(s->order, s->score, npairs);
	int n = 0;
	for (int k = 0; k < keep && s->pairs[s->order[k]].score > conf; k++)
		out[n++] = s->pairs[s->order[k]];
	return n;
}
