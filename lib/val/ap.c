#include "val/ap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

#define GRID UL_CURVE_POINTS /* the grid of the P, R, F1 and PR curves */
#define SMOOTH 101             /* the F1 box filter: round(1000 x 0.1 x 2) // 2 + 1 points */
#define EPS 1e-16

void ul_val_stats_free(struct ul_val_stats *s)
{
	free(s->dets), free(s->target_cls), free(s->correct), free(s->class_images);
	ul_match_scratch_free(&s->match);
	*s = (struct ul_val_stats){ 0 };
}

void ul_val_metrics_free(struct ul_val_metrics *m)
{
	free(m->classes), free(m->ap), free(m->p), free(m->r);
	free(m->curves.pr), free(m->curves.p), free(m->curves.r), free(m->curves.f1);
	*m = (struct ul_val_metrics){ 0 };
}

double ul_iou_threshold(int t)
{
	return 0.5 + 0.05 * t;
}

int ul_val_stats_add(struct ul_val_stats *s, const struct ul_detection *det, int ndet, const struct ul_gt_box *gt,
		     int ngt)
{
	if (ul_grow(&s->dets, &s->cap_dets, s->ndets + (size_t)ndet + 1, sizeof *s->dets) ||
	    ul_grow(&s->target_cls, &s->cap_targets, s->ntargets + (size_t)ngt + 1, sizeof *s->target_cls) ||
	    ul_grow(&s->correct, &s->cap_correct, (size_t)ndet + 1, sizeof *s->correct))
		return -1;
	struct ul_val_detection *d = s->dets + s->ndets;
	for (int i = 0; i < ndet; i++)
		d[i] = (struct ul_val_detection){ .conf = det[i].score, .cls = det[i].cls };
	for (int t = 0; t < UL_IOU_THRESHOLDS; t++) {
		if (ul_match(det, ndet, gt, ngt, ul_iou_threshold(t), s->correct, &s->match) < 0)
			return -1;
		for (int i = 0; i < ndet; i++)
			d[i].tp[t] = s->correct[i];
	}
	for (int j = 0; j < ngt; j++) {
		int cls = gt[j].cls, seen = 0;
		for (int k = 0; k < j; k++)
			seen |= gt[k].cls == cls;
		if (cls >= 0 && (size_t)cls >= s->cap_class_images) {
			size_t cap = s->cap_class_images;
			if (ul_grow(&s->class_images, &cap, (size_t)cls + 1, sizeof *s->class_images))
				return -1;
			for (size_t k = s->cap_class_images; k < cap; k++)
				s->class_images[k] = 0;
			s->cap_class_images = cap;
		}
		if (cls >= 0 && !seen)
			s->class_images[cls]++;
		s->target_cls[s->ntargets++] = cls;
	}
	s->images++;
	s->ndets += (size_t)ndet;
	return 0;
}

/* numpy's interp at x over n points (xp rising, repeats allowed): left of
 * the first, left_value; right of the last, the last value; on a point,
 * the last of its repeats' values; between, the straight line. */
static double interp(double x, const double *xp, const double *fp, size_t n, double left_value)
{
	if (n == 0 || x < xp[0])
		return left_value;
	if (x > xp[n - 1])
		return fp[n - 1];
	size_t lo = 0, hi = n - 1;  /* the last j with xp[j] <= x */
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		if (xp[mid] <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (x == xp[lo] || lo == n - 1)
		return fp[lo];
	double slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
	return slope * (x - xp[lo]) + fp[lo];
}

/* The curve AP integrates, n + 3 points into mrec and mpre: sentinels
 * (recall from 0, then its last value and 1; precision from 1 down to 0),
 * then the envelope, the running max from the right. */
static void envelope(const double *recall, const double *precision, size_t n, double *mrec, double *mpre)
{
	size_t m = n + 3;
	mrec[0] = 0, mpre[0] = 1;
	for (size_t i = 0; i < n; i++)
		mrec[i + 1] = recall[i], mpre[i + 1] = precision[i];
	mrec[n + 1] = n ? recall[n - 1] : 1, mrec[n + 2] = 1;
	mpre[n + 1] = 0, mpre[n + 2] = 0;
	for (size_t i = m - 1; i > 0; i--)
		if (mpre[i] > mpre[i - 1])
			mpre[i - 1] = mpre[i];
}

double ul_average_precision(const double *recall, const double *precision, size_t n)
{
	size_t m = n + 3;
	double *mrec = malloc(sizeof *mrec * m), *mpre = malloc(sizeof *mpre * m);
	if (!mrec || !mpre) {
		free(mrec), free(mpre);
		return 0;
	}
	envelope(recall, precision, n, mrec, mpre);
	/* the trapezoid rule over 101 recall points */
	double ap = 0, prev = interp(0, mrec, mpre, m, mpre[0]);
	for (int k = 1; k <= 100; k++) {
		double y = interp(k / 100.0, mrec, mpre, m, mpre[0]);
		ap += (prev + y) / 2 * 0.01;
		prev = y;
	}
	free(mrec), free(mpre);
	return ap;
}

static int by_cls(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Detections by confidence, highest first; equal ones in collection order
 * (a stable sort, as numpy's argsort is not: ties are rare in floats). */
static int by_conf(const void *a, const void *b, void *dets)
{
	const struct ul_val_detection *d = dets;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (d[i].conf != d[j].conf)
		return d[i].conf > d[j].conf ? -1 : 1;
	return (i > j) - (i < j);
}

/* One class's AP from its n detections (mine: their indices, by
 * confidence), its P and R curves on the grid and, unless pr_curve is
 * NULL, its precision envelope at IoU 0.50 on the recall grid. */
static void class_curves(const struct ul_val_stats *s, const size_t *mine, size_t n, size_t labels, double ap[],
			 double *p_curve, double *r_curve, double *pr_curve, double *scratch)
{
	double *conf = scratch, *recall = conf + s->ndets, *precision = recall + s->ndets * UL_IOU_THRESHOLDS;
	double *mrec = precision + s->ndets * UL_IOU_THRESHOLDS, *mpre = mrec + s->ndets + 3;
	for (size_t k = 0; k < n; k++)
		conf[k] = -s->dets[mine[k]].conf;  /* negated: rising, as interp wants */
	memset(ap, 0, sizeof *ap * UL_IOU_THRESHOLDS);
	for (int g = 0; g < GRID; g++)
		p_curve[g] = 0, r_curve[g] = 0;
	for (int g = 0; pr_curve && g < GRID; g++)
		pr_curve[g] = 0;
	if (n == 0 || labels == 0)
		return;
	for (int t = 0; t < UL_IOU_THRESHOLDS; t++) {
		double tpc = 0, fpc = 0;
		for (size_t i = 0; i < n; i++) {
			const struct ul_val_detection *d = &s->dets[mine[i]];
			tpc += d->tp[t], fpc += !d->tp[t];
			recall[t * s->ndets + i] = tpc / (labels + EPS);
			precision[t * s->ndets + i] = tpc / (tpc + fpc);
		}
		ap[t] = ul_average_precision(recall + t * s->ndets, precision + t * s->ndets, n);
	}
	for (int g = 0; g < GRID; g++) {
		double x = -(double)g / (GRID - 1);
		r_curve[g] = interp(x, conf, recall, n, 0);
		p_curve[g] = interp(x, conf, precision, n, 1);
	}
	if (!pr_curve)
		return;
	envelope(recall, precision, n, mrec, mpre);
	for (int g = 0; g < GRID; g++)
		pr_curve[g] = interp((double)g / (GRID - 1), mrec, mpre, n + 3, mpre[0]);
}

static int metrics(const struct ul_val_stats *s, struct ul_val_metrics *m, bool keep_curves)
{
	*m = (struct ul_val_metrics){ 0 };
	int *cls = malloc(sizeof *cls * (s->ntargets + 1));
	size_t *order = malloc(sizeof *order * (s->ndets + 1));
	double *scratch = malloc(sizeof *scratch * (s->ndets * (3 + 2 * UL_IOU_THRESHOLDS) + 6));
	double *curves = NULL, *f1 = calloc(GRID, sizeof *f1);
	size_t *start = NULL, *mine = NULL;  /* per class, where its detections start in mine */
	if (!cls || !order || !scratch || !f1)
		goto oom;
	memcpy(cls, s->target_cls, sizeof *cls * s->ntargets);
	qsort(cls, s->ntargets, sizeof *cls, by_cls);
	int nc = 0;
	for (size_t i = 0; i < s->ntargets; i++)
		if (i == 0 || cls[i] != cls[i - 1])
			cls[nc++] = cls[i];
	m->nclasses = nc;
	m->classes = malloc(sizeof *m->classes * (nc + 1));
	m->ap = malloc(sizeof *m->ap * (nc + 1));
	m->p = calloc(nc + 1, sizeof *m->p), m->r = calloc(nc + 1, sizeof *m->r);
	curves = malloc(sizeof *curves * 2 * GRID * (nc + 1));
	if (!m->classes || !m->ap || !m->p || !m->r || !curves)
		goto oom;
	struct ul_val_curves *kept = &m->curves;
	if (keep_curves) {
		kept->pr = malloc(sizeof *kept->pr * (nc + 1)), kept->p = malloc(sizeof *kept->p * (nc + 1));
		kept->r = malloc(sizeof *kept->r * (nc + 1)), kept->f1 = malloc(sizeof *kept->f1 * (nc + 1));
		if (!kept->pr || !kept->p || !kept->r || !kept->f1)
			goto oom;
	}
	memcpy(m->classes, cls, sizeof *cls * nc);
	for (size_t k = 0; k < s->ndets; k++)
		order[k] = k;
	qsort_r(order, s->ndets, sizeof *order, by_conf, s->dets);
	/* the detections of each class together, each class's still by confidence */
	int top = nc ? m->classes[nc - 1] : 0;
	for (size_t k = 0; k < s->ndets; k++)
		top = s->dets[k].cls > top ? s->dets[k].cls : top;
	start = calloc((size_t)top + 2, sizeof *start);
	mine = malloc(sizeof *mine * (s->ndets + 1));
	if (!start || !mine)
		goto oom;
	for (size_t k = 0; k < s->ndets; k++)
		start[s->dets[k].cls + 1]++;
	for (int c = 0; c <= top; c++)
		start[c + 1] += start[c];
	for (size_t k = 0; k < s->ndets; k++)
		mine[start[s->dets[order[k]].cls]++] = order[k];
	for (int c = top; c >= 0; c--)  /* back to each class's first */
		start[c + 1] = start[c];
	start[0] = 0;
	for (int c = 0; c < nc; c++) {
		size_t labels = 0;
		for (size_t i = 0; i < s->ntargets; i++)
			labels += s->target_cls[i] == m->classes[c];
		double *pc = curves + 2 * GRID * c, *rc = pc + GRID;
		int k = m->classes[c];
		bool any = k >= 0 && k <= top;  /* a class no detection has */
		class_curves(s, mine + (any ? start[k] : 0), any ? start[k + 1] - start[k] : 0, labels, m->ap[c], pc, rc,
			     keep_curves ? kept->pr[c] : NULL, scratch);
		for (int g = 0; g < GRID; g++)
			f1[g] += 2 * pc[g] * rc[g] / (pc[g] + rc[g] + EPS) / nc;
		if (!keep_curves)
			continue;
		memcpy(kept->p[c], pc, sizeof kept->p[c]), memcpy(kept->r[c], rc, sizeof kept->r[c]);
		for (int g = 0; g < GRID; g++)
			kept->f1[c][g] = 2 * pc[g] * rc[g] / (pc[g] + rc[g] + EPS);
	}
	/* the confidence of the largest smoothed mean F1, the first if tied */
	int best = 0;
	double best_f1 = -1;
	for (int g = 0; nc && g < GRID; g++) {
		double sum = 0;
		for (int k = g - SMOOTH / 2; k <= g + SMOOTH / 2; k++)
			sum += f1[k < 0 ? 0 : k >= GRID ? GRID - 1 : k] / SMOOTH;
		if (sum > best_f1)
			best_f1 = sum, best = g;
	}
	m->conf = (double)best / (GRID - 1);
	for (int c = 0; c < nc; c++) {
		m->p[c] = curves[2 * GRID * c + best], m->r[c] = curves[2 * GRID * c + GRID + best];
		m->mp += m->p[c] / nc, m->mr += m->r[c] / nc;
		m->map50 += m->ap[c][0] / nc;
		for (int t = 0; t < UL_IOU_THRESHOLDS; t++)
			m->map += m->ap[c][t] / nc / UL_IOU_THRESHOLDS;
	}
	m->fitness = m->map;
	free(cls), free(order), free(scratch), free(curves), free(f1), free(start), free(mine);
	return 0;
oom:
	free(cls), free(order), free(scratch), free(curves), free(f1), free(start), free(mine);
	ul_val_metrics_free(m);
	return -1;
}

int ul_val_metrics(const struct ul_val_stats *s, struct ul_val_metrics *m)
{
	return metrics(s, m, false);
}

int ul_val_metrics_curves(const struct ul_val_stats *s, struct ul_val_metrics *m)
{
	return metrics(s, m, true);
}
