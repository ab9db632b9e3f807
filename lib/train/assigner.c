#include "train/assigner.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/grow.h"
#include "train/ciou.h"

#define EPS 1e-9

/* A box's candidate anchor, with what the ranking needs. */
struct ul_candidate {
	int gt, anchor;
	double overlap, metric;
	bool kept;
};

void ul_assign_scratch_free(struct ul_assign_scratch *s)
{
	free(s->candidates), free(s->count), free(s->best_gt), free(s->best_overlap), free(s->best_metric);
	free(s->metric), free(s->order);
	*s = (struct ul_assign_scratch){ 0 };
}

static int reserve_anchors(struct ul_assign_scratch *s, size_t anchors)
{
	if (anchors <= s->cap_anchors)
		return 0;
	/* all six hold one value per anchor: they grow together, from the
	 * same capacity to the same new one */
	size_t cap = s->cap_anchors;
	void *ints[] = { &s->count, &s->best_gt, &s->order };
	void *doubles[] = { &s->best_overlap, &s->best_metric, &s->metric };
	for (int i = 0; i < 3; i++) {
		cap = s->cap_anchors;
		if (ul_grow(ints[i], &cap, anchors, sizeof(int)))
			return -1;
		cap = s->cap_anchors;
		if (ul_grow(doubles[i], &cap, anchors, sizeof(double)))
			return -1;
	}
	s->cap_anchors = cap;
	return 0;
}

/* Of a row of `total` anchor values that are 0 except at the n listed
 * anchors (ascending), keeps the listed ones among the k largest, the lower
 * index first among equal values: the positive values by rank, then, if
 * k is not used up, the zeros in index order, listed or not. */
static void top_k(int k, int total, int n, const int *anchor, const double *value, bool *kept)
{
	int taken = 0;
	for (int i = 0; i < n; i++)
		kept[i] = false;
	for (; taken < k; taken++) {
		int best = -1;
		for (int i = 0; i < n; i++)
			if (!kept[i] && value[i] > 0 && (best < 0 || value[i] > value[best]))
				best = i;
		if (best < 0)
			break;
		kept[best] = true;
	}
	for (int a = 0, i = 0; taken < k && a < total; a++) {
		if (i < n && anchor[i] == a) {
			if (value[i] <= 0)
				kept[i] = true, taken++;
			i++;
		} else {
			taken++;
		}
	}
}

/* The inside test, with small sides enlarged about the centre: in float,
 * step by step as Ultralytics' float32 tensors take it (corners to centre
 * and size and back), since box edges often fall exactly on anchor
 * centres (whole pixels at whole-pixel strides), where a double's extra
 * bits would decide the other way. */
static bool inside(const struct ul_assigner *cfg, const double box[4], const double *xy)
{
	float x1 = (float)box[0], y1 = (float)box[1], x2 = (float)box[2], y2 = (float)box[3];
	float cx = (x1 + x2) / 2, cy = (y1 + y2) / 2, w = x2 - x1, h = y2 - y1;
	w = w < (float)cfg->small ? (float)cfg->enlarged : w;
	h = h < (float)cfg->small ? (float)cfg->enlarged : h;
	float ax = (float)xy[0], ay = (float)xy[1], eps = (float)EPS;
	return ax - (cx - w / 2) > eps && ay - (cy - h / 2) > eps && (cx + w / 2) - ax > eps && (cy + h / 2) - ay > eps;
}

/* Candidates of every box, each box's in anchor order, its top k kept. */
static int rank_candidates(const struct ul_assigner *cfg, int anchors, int nc, const double *anchor_xy,
			   const double *boxes, const double *probs, int ngt, const struct ul_gt_box *gt,
			   struct ul_assign_scratch *s, size_t *ncand)
{
	size_t n = 0;
	for (int j = 0; j < ngt; j++) {
		size_t first = n;
		for (int a = 0; a < anchors; a++) {
			if (!inside(cfg, gt[j].box, anchor_xy + 2 * (size_t)a))
				continue;
			if (ul_grow(&s->candidates, &s->cap_candidates, n + 1, sizeof *s->candidates))
				return -1;
			double overlap = fmax(ul_ciou(gt[j].box, boxes + 4 * (size_t)a, NULL), 0);
			double p = probs[(size_t)a * nc + gt[j].cls];
			s->candidates[n++] = (struct ul_candidate){ j, a, overlap, sqrt(p) * pow(overlap, 6), false };
		}
		size_t count = n - first;  /* at most `anchors`: room enough in order and metric */
		bool kept[count ? count : 1];
		for (size_t i = 0; i < count; i++)
			s->order[i] = s->candidates[first + i].anchor, s->metric[i] = s->candidates[first + i].metric;
		top_k(cfg->topk, anchors, (int)count, s->order, s->metric, kept);
		for (size_t i = 0; i < count; i++)
			s->candidates[first + i].kept = kept[i];
	}
	*ncand = n;
	return 0;
}

int ul_assign(const struct ul_assigner *cfg, int anchors, int nc, const double *anchor_xy, const double *boxes,
	      const double *probs, int ngt, const struct ul_gt_box *gt, int *owner, double *score,
	      struct ul_assign_scratch *s)
{
	for (int a = 0; a < anchors; a++)
		owner[a] = -1, score[a] = 0;
	if (ngt == 0)
		return 0;
	size_t ncand;
	if (reserve_anchors(s, (size_t)anchors) ||
	    rank_candidates(cfg, anchors, nc, anchor_xy, boxes, probs, ngt, gt, s, &ncand))
		return -1;

	/* an anchor kept by one box is that box's; kept by several, it goes
	 * to the box it overlaps most among all boxes (box 0 when none) */
	double *overlap = s->best_overlap, *metric = s->best_metric;
	for (int a = 0; a < anchors; a++)
		s->count[a] = 0, s->best_gt[a] = 0, overlap[a] = 0, metric[a] = 0;
	for (size_t i = 0; i < ncand; i++) {
		const struct ul_candidate *c = &s->candidates[i];
		if (c->kept && s->count[c->anchor]++ == 0)
			owner[c->anchor] = c->gt, s->metric[c->anchor] = c->metric, score[c->anchor] = c->overlap;
		if (c->overlap > overlap[c->anchor])
			overlap[c->anchor] = c->overlap, metric[c->anchor] = c->metric, s->best_gt[c->anchor] = c->gt;
	}
	/* from here s->metric and score hold the owner's metric and overlap */
	for (int a = 0; a < anchors; a++)
		if (s->count[a] > 1)
			owner[a] = s->best_gt[a], s->metric[a] = metric[a], score[a] = overlap[a];

	/* each box's anchors in order: with topk2 below topk only its best
	 * stay; then their target scores */
	double *values = s->best_overlap;
	for (int j = 0; j < ngt; j++) {
		int n = 0;
		for (int a = 0; a < anchors; a++)
			if (owner[a] == j)
				s->order[n] = a, values[n] = s->metric[a], n++;
		if (n == 0)
			continue;
		if (cfg->topk2 < cfg->topk) {
			bool kept[n];
			top_k(cfg->topk2, anchors, n, s->order, values, kept);
			for (int i = 0; i < n; i++)
				if (!kept[i])
					owner[s->order[i]] = -1;
		}
		/* metric / the box's best metric x its best IoU */
		double peak = 0, best = 0;
		for (int i = 0; i < n; i++) {
			int a = s->order[i];
			if (owner[a] == j)
				peak = fmax(peak, s->metric[a]), best = fmax(best, score[a]);
		}
		for (int i = 0; i < n; i++) {
			int a = s->order[i];
			score[a] = owner[a] == j ? s->metric[a] * best / (peak + EPS) : 0;
		}
	}
	return 0;
}
