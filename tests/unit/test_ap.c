/* The validation metrics (lib/val/ap) on hand-worked cases. Ultralytics'
 * AP of a perfect curve is 0.995, not 1: its sentinels put precision 0 at
 * recall 1, and the 101-point trapezoid's last step halves the final
 * hundredth. Each value below was worked by hand from the formulas of
 * yolo26.md 6 (and agrees with numpy running them). */
#include <math.h>

#include "reference_read.h"
#include "tap.h"
#include "val/ap.h"
#include "val/val_table.h"

static struct ul_detection det(float x1, float y1, float x2, float y2, float conf, int cls)
{
	return (struct ul_detection){ { x1, y1, x2, y2 }, conf, cls };
}

static double metrics_of(struct ul_val_stats *s, struct ul_val_metrics *m)
{
	if (ul_val_metrics(s, m))
		return -1;
	return m->map50;
}

/* The numpy reference of the same definitions (tests/reference/make_ap_vectors.py,
 * which agrees with Ultralytics' ap_per_class on the same data to 6
 * digits) on 60 random images: ours within 1e-6. */
static void reference_case(void)
{
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, "tests/reference/vectors/ap_random.safetensors", &err)) {
		ok(0, "the AP vectors open");
		jv_free(err);
		return;
	}
	size_t nd, ng, nm, na;
	float *dets = read_tensor(&st, "dets", &nd), *gts = read_tensor(&st, "gts", &ng);
	float *want = read_tensor(&st, "metrics", &nm), *ap = read_tensor(&st, "ap", &na);
	struct ul_val_stats s = { 0 };
	struct ul_detection det[32];
	struct ul_gt_box gt[16];
	size_t d = 0, g = 0;
	for (int image = 0; image < 60; image++) {
		int nd_i = 0, ng_i = 0;
		for (; d < nd / 7 && (int)dets[7 * d] == image; d++, nd_i++) {
			const float *x = dets + 7 * d;
			det[nd_i] = (struct ul_detection){ { x[2], x[3], x[4], x[5] }, x[6], (int)x[1] };
		}
		for (; g < ng / 6 && (int)gts[6 * g] == image; g++, ng_i++) {
			const float *x = gts + 6 * g;
			gt[ng_i] = (struct ul_gt_box){ (int)x[1], { x[2], x[3], x[4], x[5] } };
		}
		ul_val_stats_add(&s, det, nd_i, gt, ng_i);
	}
	struct ul_val_metrics m;
	ok(d == nd / 7 && g == ng / 6 && ul_val_metrics(&s, &m) == 0, "60 random images collected");
	double got[4] = { m.mp, m.mr, m.map50, m.map }, worst = 0;
	for (int k = 0; k < 4; k++)
		worst = fmax(worst, fabs(got[k] - want[k]));
	ok(worst < 1e-6, "P, R, mAP50 and mAP50-95 as the reference (%.6f %.6f %.6f %.6f; worst %.2g)", m.mp, m.mr, m.map50,
	   m.map, worst);
	double worst_ap = 0;
	for (int c = 0; c < m.nclasses && (size_t)c * 10 < na; c++)
		for (int t = 0; t < 10; t++)
			worst_ap = fmax(worst_ap, fabs(m.ap[c][t] - ap[c * 10 + t]));
	ok(m.nclasses == (int)(na / 10) && worst_ap < 1e-6, "and every class's AP at every threshold (worst %.2g)", worst_ap);
	ul_val_metrics_free(&m), ul_val_stats_free(&s);
	free(dets), free(gts), free(want), free(ap);
	ul_safetensors_close(&st);
}

/* The closing table, as Ultralytics' print_results formats it (these
 * lines are Python's % of its formats on the same numbers). */
static void table_case(void)
{
	struct ul_gt_box both[2] = { { 0, { 0, 0, 10, 10 } }, { 1, { 20, 20, 40, 40 } } }, one = { 0, { 5, 5, 15, 15 } };
	struct ul_detection d1[2] = { det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 40, 40, 0.8f, 1) }, d2[1] = { det(5, 5, 15, 15, 0.7f, 0) };
	struct ul_val_stats s = { 0 };
	struct ul_val_metrics m;
	ul_val_stats_add(&s, d1, 2, both, 2);
	ul_val_stats_add(&s, d2, 1, &one, 1);
	ul_val_metrics(&s, &m);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *names[2] = { "person", NULL };
	ul_val_table(f, &s, &m, names, 2, true);
	fclose(f);
	const char *want = "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)\n"
			   "                   all          2          3          1          1      0.995      0.995\n"
			   "                person          2          2          1          1      0.995      0.995\n"
			   "                     1          1          1          1          1      0.995      0.995\n";
	is_str(text, want, "the table: header, all, then each class (its number when unnamed)");
	free(text);
	ul_val_metrics_free(&m), ul_val_stats_free(&s);
}

/* The curves the plots draw (ul_val_metrics_curves), on cases worked by
 * hand from Ultralytics' ap_per_class: the same metrics as without them,
 * the precision envelope on the recall grid (np.interp at recall 1 takes
 * the sentinel's 0, so every curve ends there), recall against
 * confidence as a step at each detection's score. */
static void curves_case(void)
{
	struct ul_gt_box a = { 0, { 0, 0, 10, 10 } }, b = { 1, { 20, 20, 40, 40 } }, c = { 0, { 50, 50, 60, 60 } };
	struct ul_gt_box both[2] = { a, b }, two_a[2] = { a, c };
	struct ul_detection perfect[2] = { det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 40, 40, 0.8f, 1) };
	struct ul_detection mixed[3] = { det(0, 0, 10, 10, 0.7f, 0), det(70, 70, 80, 80, 0.6f, 1), det(20, 20, 40, 38, 0.3f, 1) };
	struct ul_val_stats s = { 0 };
	struct ul_val_metrics m, plain;
	ul_val_stats_add(&s, perfect, 2, both, 2);
	ul_val_stats_add(&s, mixed, 3, both, 2);
	ok(ul_val_metrics_curves(&s, &m) == 0 && ul_val_metrics(&s, &plain) == 0, "metrics with and without curves");
	ok(m.map == plain.map && m.map50 == plain.map50 && m.mp == plain.mp && m.mr == plain.mr && m.conf == plain.conf &&
	   !memcmp(m.ap, plain.ap, sizeof *m.ap * m.nclasses), "the same numbers, to the bit");
	ok(plain.curves.pr == NULL && m.curves.pr && m.curves.p && m.curves.r && m.curves.f1, "curves only when asked");
	ul_val_metrics_free(&m), ul_val_metrics_free(&plain), ul_val_stats_free(&s);

	ul_val_stats_add(&s, perfect, 2, both, 2);
	ul_val_metrics_curves(&s, &m);
	int flat = 1, step = 1, p_one = 1, f1_one = 1;
	for (int k = 0; k < 2; k++)
		for (int g = 0; g < UL_CURVE_POINTS; g++) {
			double conf = (double)g / (UL_CURVE_POINTS - 1), score = k ? 0.8f : 0.9f;
			flat &= m.curves.pr[k][g] == (g < UL_CURVE_POINTS - 1);
			step &= m.curves.r[k][g] == (conf <= score);
			p_one &= m.curves.p[k][g] == 1;
			f1_one &= fabs(m.curves.f1[k][g] - (conf <= score)) < 1e-12;
		}
	ok(flat, "perfect: precision 1 at every recall but the last point, 0 there");
	ok(step, "recall 1 up to each detection's confidence, 0 above");
	ok(p_one, "precision 1 at every confidence (1 above the highest, as Ultralytics' left=1)");
	ok(f1_one, "and F1 follows recall");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* one of two boxes found: precision 1 to recall 0.5, then 0 */
	struct ul_detection one[1] = { det(0, 0, 10, 10, 0.9f, 0) };
	ul_val_stats_add(&s, one, 1, two_a, 2);
	ul_val_metrics_curves(&s, &m);
	ok(m.curves.pr[0][0] == 1 && m.curves.pr[0][499] == 1 && m.curves.pr[0][500] == 0, "half the boxes: 1 to recall 0.4995, 0 from 0.5005");
	is_double(m.curves.r[0][0], 0.5, 1e-12, "recall 0.5 at confidence 0");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* a class never predicted: all its curves 0 */
	ul_val_stats_add(&s, one, 1, both, 2);
	ul_val_metrics_curves(&s, &m);
	double sum = 0;
	for (int g = 0; g < UL_CURVE_POINTS; g++)
		sum += m.curves.pr[1][g] + m.curves.p[1][g] + m.curves.r[1][g] + m.curves.f1[1][g];
	ok(m.nclasses == 2 && sum == 0, "a class never predicted: every curve 0");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);
}

int main(void)
{
	reference_case();
	curves_case();
	table_case();
	double r1[1] = { 1 }, p1[1] = { 1 }, r2[2] = { 0, 1 }, p2[2] = { 0, 0.5 }, r3[2] = { 0.5, 1 }, p3[2] = { 1, 2.0 / 3 };
	is_double(ul_average_precision(r1, p1, 1), 0.995, 1e-12, "a perfect curve: 0.995");
	is_double(ul_average_precision(r2, p2, 2), 0.4975, 1e-12, "a false positive first, then the box: 0.4975");
	is_double(ul_average_precision(r3, p3, 2), 0.91333333333333333, 1e-12, "half, then all with a miss between: 0.9133");
	is_double(ul_iou_threshold(9), 0.95, 1e-12, "the last threshold is 0.95");

	struct ul_gt_box a = { 0, { 0, 0, 10, 10 } }, b = { 1, { 20, 20, 40, 40 } };
	struct ul_gt_box both[2] = { a, b };
	struct ul_val_metrics m;

	/* perfect predictions */
	struct ul_val_stats s = { 0 };
	struct ul_detection perfect[2] = { det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 40, 40, 0.8f, 1) };
	ul_val_stats_add(&s, perfect, 2, both, 2);
	is_double(metrics_of(&s, &m), 0.995, 1e-12, "perfect: mAP50 0.995");
	is_double(m.map, 0.995, 1e-12, "and mAP50-95 0.995");
	ok(m.nclasses == 2 && m.mp == 1 && m.mr == 1, "P and R 1 at the chosen confidence (%g)", m.conf);
	is_double(m.fitness, m.map, 0, "fitness is mAP50-95");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* no predictions; an image with no ground truth */
	ul_val_stats_add(&s, NULL, 0, both, 2);
	is_double(metrics_of(&s, &m), 0, 0, "no predictions: 0");
	ok(m.mp == 0 && m.mr == 0 && m.nclasses == 2, "P and R 0, both classes counted");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* one class never predicted: the mean over both classes halves */
	struct ul_detection only_a[1] = { det(0, 0, 10, 10, 0.9f, 0) };
	ul_val_stats_add(&s, only_a, 1, both, 2);
	is_double(metrics_of(&s, &m), 0.995 / 2, 1e-12, "class 1 missing: mAP50 0.4975");
	ok(m.p[1] == 0 && m.r[1] == 0 && m.r[0] == 1, "its P and R 0, the other's recall 1");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* a duplicate below the first: the envelope keeps precision 1 to recall 1 */
	struct ul_detection twice[2] = { det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 9.5f, 0.8f, 0) };
	ul_val_stats_add(&s, twice, 2, &a, 1);
	is_double(metrics_of(&s, &m), 0.995, 1e-12, "a duplicate after the match costs no AP");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* a false positive above it, on an image without boxes */
	struct ul_detection stray[1] = { det(50, 50, 60, 60, 0.95f, 0) };
	ul_val_stats_add(&s, stray, 1, NULL, 0);
	ul_val_stats_add(&s, only_a, 1, &a, 1);
	is_double(metrics_of(&s, &m), 0.4975, 1e-12, "a stray detection scoring higher on an empty image: 0.4975");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* IoU 0.62: a true positive at 0.50, 0.55 and 0.60 only */
	struct ul_detection loose[1] = { det(0, 0, 10, 6.2f, 0.9f, 0) };
	ul_val_stats_add(&s, loose, 1, &a, 1);
	is_double(metrics_of(&s, &m), 0.995, 1e-12, "IoU 0.62 counts at 0.5");
	is_double(m.map, 0.995 * 3 / 10, 1e-12, "and at 3 of the 10 thresholds: mAP50-95 0.2985");
	ok(s.dets[0].tp[2] && !s.dets[0].tp[3], "matched at 0.60, not at 0.65");
	ul_val_metrics_free(&m), ul_val_stats_free(&s);

	/* equal confidences: a miss and a hit tied */
	struct ul_detection tie[2] = { det(50, 50, 60, 60, 0.5f, 0), det(0, 0, 10, 10, 0.5f, 0) };
	ul_val_stats_add(&s, tie, 2, &a, 1);
	double tied = metrics_of(&s, &m);
	ok(tied > 0.49 && tied < 0.996, "tied confidences give an AP between the two orders (%g)", tied);
	ul_val_metrics_free(&m), ul_val_stats_free(&s);
	return done_testing();
}
