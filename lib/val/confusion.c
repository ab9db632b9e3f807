#include "val/confusion.h"

#include <stdlib.h>

#include "core/grow.h"
#include "val/match.h"

int ul_confusion_init(struct ul_confusion *m, int nc)
{
	*m = (struct ul_confusion){ .nc = nc };
	m->counts = calloc((size_t)(nc + 1) * (nc + 1), sizeof *m->counts);
	return m->counts ? 0 : -1;
}

void ul_confusion_free(struct ul_confusion *m)
{
	free(m->counts), free(m->kept), free(m->det_gt), free(m->det_iou), free(m->gt_det);
	*m = (struct ul_confusion){ 0 };
}

long long ul_confusion_at(const struct ul_confusion *m, int predicted, int truth)
{
	return m->counts[(size_t)predicted * (m->nc + 1) + truth];
}

static void count(struct ul_confusion *m, int predicted, int truth)
{
	m->counts[(size_t)predicted * (m->nc + 1) + truth]++;
}

int ul_confusion_add(struct ul_confusion *m, const struct ul_detection *det, int ndet, const struct ul_gt_box *gt,
		     int ngt, double conf, double iou)
{
	if (ul_grow(&m->kept, &m->cap_kept, (size_t)ndet + 1, sizeof *m->kept) ||
	    ul_grow(&m->det_gt, &m->cap_det_gt, (size_t)ndet + 1, sizeof *m->det_gt) ||
	    ul_grow(&m->det_iou, &m->cap_det_iou, (size_t)ndet + 1, sizeof *m->det_iou) ||
	    ul_grow(&m->gt_det, &m->cap_gt_det, (size_t)ngt + 1, sizeof *m->gt_det))
		return -1;
	int n = 0;
	for (int i = 0; i < ndet; i++)
		if (det[i].score > conf)
			m->kept[n++] = i;
	/* each detection's best box; >= so that ties go to the later one */
	for (int k = 0; k < n; k++) {
		const float *f = det[m->kept[k]].box;
		double box[4] = { f[0], f[1], f[2], f[3] };
		m->det_gt[k] = -1, m->det_iou[k] = 0;
		for (int j = 0; j < ngt; j++) {
			double v = ul_box_iou(gt[j].box, box);
			if (v > iou && v >= m->det_iou[k])
				m->det_gt[k] = j, m->det_iou[k] = v;
		}
	}
	/* then each box's best among the detections that chose it */
	for (int j = 0; j < ngt; j++)
		m->gt_det[j] = -1;
	for (int k = 0; k < n; k++) {
		int j = m->det_gt[k];
		if (j >= 0 && (m->gt_det[j] < 0 || m->det_iou[k] >= m->det_iou[m->gt_det[j]]))
			m->gt_det[j] = k;
	}
	for (int j = 0; j < ngt; j++) {
		int k = m->gt_det[j];
		count(m, k >= 0 ? det[m->kept[k]].cls : m->nc, gt[j].cls);
		if (k >= 0)
			m->det_gt[k] = -2;  /* matched: not counted again below */
	}
	for (int k = 0; k < n; k++)
		if (m->det_gt[k] != -2)
			count(m, det[m->kept[k]].cls, m->nc);
	return 0;
}

void ul_confusion_normalised(const struct ul_confusion *m, double *out)
{
	int side = m->nc + 1;
	for (int t = 0; t < side; t++) {
		long long sum = 0;
		for (int p = 0; p < side; p++)
			sum += ul_confusion_at(m, p, t);
		for (int p = 0; p < side; p++)
			out[(size_t)p * side + t] = (double)ul_confusion_at(m, p, t) / ((double)sum + 1e-9);
	}
}
