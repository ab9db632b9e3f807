#include "val/match.h"

#include <math.h>
#include <stdlib.h>

#include "core/grow.h"

struct ul_match_pair {
	int det, gt;
	double iou;
};

void ul_match_scratch_free(struct ul_match_scratch *s)
{
	free(s->pairs), free(s->taken);
	*s = (struct ul_match_scratch){ 0 };
}

double ul_box_iou(const double a[4], const double b[4])
{
	double w = fmin(a[2], b[2]) - fmax(a[0], b[0]), h = fmin(a[3], b[3]) - fmax(a[1], b[1]);
	if (w <= 0 || h <= 0)
		return 0;
	double inter = w * h, area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
	return inter / area;
}

/* By IoU from the highest; equal ones by detection, then box, so the
 * result does not depend on the sort. */
static int by_iou(const void *pa, const void *pb)
{
	const struct ul_match_pair *a = pa, *b = pb;
	if (a->iou != b->iou)
		return a->iou > b->iou ? -1 : 1;
	return a->det != b->det ? (a->det > b->det) - (a->det < b->det) : (a->gt > b->gt) - (a->gt < b->gt);
}

static int by_detection(const void *pa, const void *pb)
{
	const struct ul_match_pair *a = pa, *b = pb;
	return (a->det > b->det) - (a->det < b->det);
}

int ul_match(const struct ul_detection *det, int ndet, const struct ul_gt_box *gt, int ngt, double threshold,
	     bool *correct, struct ul_match_scratch *s)
{
	size_t most = (size_t)ndet * ngt, n = 0;
	if (ul_grow(&s->pairs, &s->cap_pairs, most + 1, sizeof *s->pairs) ||
	    ul_grow(&s->taken, &s->cap_taken, (size_t)ndet + ngt + 1, sizeof *s->taken))
		return -1;
	for (int i = 0; i < ndet; i++)
		correct[i] = false;
	for (int i = 0; i < ndet; i++) {
		double box[4] = { det[i].box[0], det[i].box[1], det[i].box[2], det[i].box[3] };
		for (int j = 0; j < ngt; j++) {
			double iou = det[i].cls == gt[j].cls ? ul_box_iou(box, gt[j].box) : 0;
			if (iou >= threshold && iou > 0)
				s->pairs[n++] = (struct ul_match_pair){ i, j, iou };
		}
	}
	qsort(s->pairs, n, sizeof *s->pairs, by_iou);
	/* each detection's best pair, then back in detection order, as
	 * numpy's unique returns them */
	size_t kept = 0;
	for (int i = 0; i < ndet; i++)
		s->taken[i] = false;
	for (size_t p = 0; p < n; p++)
		if (!s->taken[s->pairs[p].det])
			s->taken[s->pairs[p].det] = true, s->pairs[kept++] = s->pairs[p];
	qsort(s->pairs, kept, sizeof *s->pairs, by_detection);
	/* then each box goes to the first of those that chose it: the
	 * highest-scoring, detections coming best first */
	int tp = 0;
	for (int j = 0; j < ngt; j++)
		s->taken[j] = false;
	for (size_t p = 0; p < kept; p++)
		if (!s->taken[s->pairs[p].gt])
			s->taken[s->pairs[p].gt] = true, correct[s->pairs[p].det] = true, tp++;
	return tp;
}
