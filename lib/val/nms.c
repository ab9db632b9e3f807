#include "val/nms.h"

#include <stdlib.h>

#include "core/grow.h"
#include "val/match.h"

struct ul_nms_rank {
	float score;
	int cand;
};

void ul_nms_scratch_free(struct ul_nms_scratch *s)
{
	free(s->order), free(s->kept), free(s->prev), free(s->last);
	*s = (struct ul_nms_scratch){ 0 };
}

/* By score from the highest; equal ones by candidate, first first. */
static int by_score(const void *pa, const void *pb)
{
	const struct ul_nms_rank *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return (a->cand > b->cand) - (a->cand < b->cand);
}

int ul_nms(const struct ul_detection *cand, int n, const struct ul_nms_config *cfg, struct ul_detection *out,
	   struct ul_nms_scratch *s)
{
	if (ul_grow(&s->order, &s->cap_order, (size_t)n + 1, sizeof *s->order))
		return -1;
	int m = 0, classes = 1;
	for (int i = 0; i < n; i++)
		if (cand[i].score > cfg->conf) {
			s->order[m++] = (struct ul_nms_rank){ cand[i].score, i };
			if (!cfg->agnostic && cand[i].cls >= classes)
				classes = cand[i].cls + 1;
		}
	qsort(s->order, (size_t)m, sizeof *s->order, by_score);
	if (m > cfg->max_nms)
		m = cfg->max_nms;
	int room = cfg->max_det < m ? cfg->max_det : m;
	if (room <= 0)
		return 0;
	if (ul_grow(&s->kept, &s->cap_kept, (size_t)room, sizeof *s->kept) ||
	    ul_grow(&s->prev, &s->cap_prev, (size_t)room, sizeof *s->prev) ||
	    ul_grow(&s->last, &s->cap_last, (size_t)classes, sizeof *s->last))
		return -1;
	for (int c = 0; c < classes; c++)
		s->last[c] = -1;
	/* a candidate is suppressed only by kept ones (the suppressed never
	 * suppress), so each is compared with the kept boxes of its class,
	 * chained through prev, and the loop ends once max_det are kept */
	int kept = 0;
	for (int r = 0; r < m && kept < room; r++) {
		const struct ul_detection *d = &cand[s->order[r].cand];
		double box[4] = { d->box[0], d->box[1], d->box[2], d->box[3] };
		int bucket = cfg->agnostic ? 0 : d->cls, k = s->last[bucket];
		while (k >= 0 && ul_box_iou(box, s->kept[k]) <= cfg->iou)
			k = s->prev[k];
		if (k >= 0)
			continue;
		for (int j = 0; j < 4; j++)
			s->kept[kept][j] = box[j];
		s->prev[kept] = s->last[bucket], s->last[bucket] = kept;
		out[kept++] = *d;
	}
	return kept;
}
