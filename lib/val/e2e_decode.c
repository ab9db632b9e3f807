#include "val/e2e_decode.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

void ul_decode_scratch_free(struct ul_decode_scratch *s)
{
	free(s->order), free(s->score), free(s->pair_score), free(s->work), free(s->kept);
	*s = (struct ul_decode_scratch){ 0 };
}

static float sigmoid(float x)
{
	return 1 / (1 + expf(-x));
}

#define MAX_LANES 16

/* The largest of n logits, in lanes that the vectoriser can keep in one
 * register: a maximum is the same in any order. */
static float max_logit(const float *x, int n)
{
	float lane[MAX_LANES];
	for (int j = 0; j < MAX_LANES; j++)
		lane[j] = -INFINITY;
	int c = 0;
	for (; c + MAX_LANES <= n; c += MAX_LANES)
		for (int j = 0; j < MAX_LANES; j++)
			lane[j] = x[c + j] > lane[j] ? x[c + j] : lane[j];
	for (; c < n; c++)
		lane[0] = x[c] > lane[0] ? x[c] : lane[0];
	float best = lane[0];
	for (int j = 1; j < MAX_LANES; j++)
		best = lane[j] > best ? lane[j] : best;
	return best;
}

/* a before b: the higher logit, and of equal ones the lower index, so the
 * order is total and the same on every machine. */
static bool before(const float *scores, int a, int b)
{
	return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
}

static int by_score(const void *pa, const void *pb, void *scores)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	return before(scores, a, b) ? -1 : before(scores, b, a) ? 1 : 0;
}

static void swap_floats(float *v, size_t i, size_t j)
{
	float t = v[i];
	v[i] = v[j], v[j] = t;
}

static float median3(float a, float b, float c)
{
	return a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
}

/* The k-th largest of the n values (1 <= k <= n; v is reordered): a
 * selection by three-way partitions, so that runs of equal values cost
 * nothing. */
static float kth_largest(float *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n, want = k - 1;
	while (hi - lo > 1) {
		float pivot = median3(v[lo], v[lo + (hi - lo) / 2], v[hi - 1]);
		size_t above = lo, i = lo, below = hi;  /* [lo, above) > pivot, [below, hi) < pivot */
		while (i < below) {
			if (v[i] > pivot)
				swap_floats(v, above++, i++);
			else if (v[i] < pivot)
				swap_floats(v, i, --below);
			else
				i++;
		}
		if (want < above)
			hi = above;
		else if (want >= below)
			lo = below;
		else
			return pivot;
	}
	return v[lo];
}

#define SAMPLE_STRIDE 8

/* The indices of the k best of the n scores, best first, in order[0..k).
 * A floor first, from every 8th score: the value ranked k/4 among them,
 * which about 2k scores reach; the indices at or above it (all, when fewer
 * than k are) are the candidates, taken in index order. Then among them
 * the k-th best value by selection (on a copy in work), the candidates
 * above it, those equal to it in index order until there are k, and only
 * the k sorted. Every score above the floor being a candidate, and the
 * order total, they are the k a full sort would put first. */
static void rank(int *order, const float *scores, float *work, size_t n, size_t k)
{
	k = k < n ? k : n;
	if (k == 0)
		return;
	float floor = -INFINITY;
	size_t m = 0;
	if (n / SAMPLE_STRIDE >= k) {
		for (size_t i = 0; i < n; i += SAMPLE_STRIDE)
			work[m++] = scores[i];
		floor = kth_largest(work, m, k / 4 + 1);
	}
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (scores[i] >= floor)
			order[m++] = (int)i;
	if (m < k) {
		m = n;
		for (size_t i = 0; i < n; i++)
			order[i] = (int)i;
	}
	for (size_t i = 0; i < m; i++)
		work[i] = scores[order[i]];
	float kth = kth_largest(work, m, k);
	size_t above = 0;
	for (size_t i = 0; i < m; i++)
		above += scores[order[i]] > kth;
	/* in place, keeping index order: all above kth, the first k - above equal to it */
	for (size_t i = 0, kept = 0, equal = 0; i < m; i++) {
		float v = scores[order[i]];
		if (v > kth || (v == kth && equal++ < k - above))
			order[kept++] = order[i];
	}
	qsort_r(order, k, sizeof *order, by_score, (void *)scores);
}

/* Where anchor a (counted across the levels) of image b is. */
struct place {
	int level, x, y;
	size_t cell;  /* in the level's maps, the batch's images before it */
};

static struct place place_of(const struct ul_detect_head *head, int b, int a)
{
	int l = 0;
	while (a >= head->h[l] * head->w[l])
		a -= head->h[l] * head->w[l], l++;
	return (struct place){ l, a % head->w[l], a / head->w[l], (size_t)b * head->h[l] * head->w[l] + a };
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
	    ul_grow(&s->score, &s->cap_score, (size_t)anchors, sizeof *s->score) ||
	    ul_grow(&s->pair_score, &s->cap_pair_score, npairs, sizeof *s->pair_score) ||
	    ul_grow(&s->work, &s->cap_work, most, sizeof *s->work) ||
	    ul_grow(&s->kept, &s->cap_kept, (size_t)keep + 1, sizeof *s->kept))
		return -1;
	/* each anchor's best logit: ranking logits ranks their sigmoids, which
	 * are worked out only for the detections kept */
	for (int l = 0, a = 0; l < UL_DETECT_LEVELS; l++) {
		size_t cells = (size_t)head->h[l] * head->w[l];
		const float *cls = head->cls[l] + (size_t)b * cells * nc;
		for (size_t i = 0; i < cells; i++, a++)
			s->score[a] = max_logit(cls + i * nc, nc);
	}
	rank(s->order, s->score, s->work, (size_t)anchors, (size_t)keep);

	/* the kept anchors' (anchor, class) pairs' logits, anchor-major */
	for (int k = 0; k < keep; k++) {
		struct place at = place_of(head, b, s->order[k]);
		const float *cls = head->cls[at.level] + at.cell * nc;
		for (int c = 0; c < nc; c++)
			s->pair_score[(size_t)k * nc + c] = cls[c] == cls[c] ? cls[c] : -INFINITY;  /* a NaN ranks last */
		s->kept[k] = s->order[k];
	}
	rank(s->order, s->pair_score, s->work, npairs, (size_t)keep);
	int n = 0;
	for (int k = 0; k < keep && sigmoid(s->pair_score[s->order[k]]) > conf; k++) {
		int pair = s->order[k], c = pair % nc;
		struct place at = place_of(head, b, s->kept[pair / nc]);
		const float *d = head->box[at.level] + 4 * at.cell;
		float st = head->stride[at.level], ax = at.x + 0.5f, ay = at.y + 0.5f;
		out[n++] = (struct ul_detection){ { (ax - d[0]) * st, (ay - d[1]) * st, (ax + d[2]) * st, (ay + d[3]) * st },
						  sigmoid(s->pair_score[pair]), c };
	}
	return n;
}
