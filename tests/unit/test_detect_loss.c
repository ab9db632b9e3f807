/* The detection loss of one head against the PyTorch reference written
 * from the formulas (tests/reference/make_loss_vectors.py): the assignment
 * of every anchor (which box, exactly; its target score), the logged items,
 * the head's total and its gradient with respect to every output, on
 * one-to-many and one-to-one heads, with an image without boxes, boxes
 * under 8 px, overlapping boxes, twenty boxes in an image, classes absent
 * from the batch, and a batch without any box. Also the CIoU gradient
 * against finite differences, and the one-to-many/one-to-one weights;
 * and a box whose edge falls exactly on a column of anchor centres, as
 * whole pixels do, which in Ultralytics' float32 leaves them outside.
 * On the same vectors, class weights (cls_pw) and label smoothing against
 * their formulas over the assignment the loss made, and cls_pw's weights.
 * Tolerance: 1e-5 relative (the reference is float64, the outputs and
 * gradients are stored as float32; our sums run in double). */
#include <math.h>
#include <stdbool.h>

#include "numeric.h"
#include "reference_read.h"
#include "tap.h"
#include "train/ciou.h"
#include "train/detect_loss.h"

#define VECTORS "tests/reference/vectors/"

static int meta_int(const struct ul_safetensors *st, const char *key)
{
	jv v = meta(st, key);
	int n = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : -1;
	jv_free(v);
	return n;
}

static double meta_number(const struct ul_safetensors *st, const char *key)
{
	jv v = meta(st, key);
	double n = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	return n;
}

/* |a - b| / max(|b|, floor) over n values, as L2 norms. */
static double l2_relative(const float *a, const float *b, size_t n)
{
	double diff = 0, ref = 0;
	for (size_t i = 0; i < n; i++)
		diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), ref += (double)b[i] * b[i];
	return sqrt(diff) / fmax(sqrt(ref), 1e-12);
}

/* The label of image b's k-th box, in label order (the loss's owner). */
static const struct ul_label *owner_label(const struct ul_label *labels, size_t nlabels, int b, int k)
{
	for (size_t i = 0; i < nlabels; i++)
		if (labels[i].image == b && k-- == 0)
			return &labels[i];
	return NULL;
}

/* The head again with class weights and label smoothing: its class item
 * and class gradients against BCE written out over the assignment it
 * made, with the targets t (1 - e) + e / 2 and each class's terms times
 * its weight; the box terms as they were without. */
static void weighted_and_smoothed(const char *name, const struct ul_detect_loss_config *plain,
				  const struct ul_detect_head *plain_head, const struct ul_label *labels, size_t nlabels,
				  double weight, const struct ul_detect_items *plain_items)
{
	struct ul_detect_head head = *plain_head;
	struct ul_detect_loss_config cfg = *plain;
	float *weights = malloc(sizeof *weights * (size_t)head.nc);
	for (int c = 0; c < head.nc; c++)
		weights[c] = 0.25f + 1.5f * (float)c / (float)head.nc;
	cfg.class_weights = weights, cfg.label_smoothing = 0.1;
	size_t cells[UL_DETECT_LEVELS];
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		cells[l] = (size_t)head.batch * head.h[l] * head.w[l];
		head.dbox[l] = calloc(4 * cells[l], sizeof(float)), head.dcls[l] = calloc(cells[l] * head.nc, sizeof(float));
	}
	struct ul_detect_scratch s = { 0 };
	struct ul_detect_items items;
	double total;
	int rc = ul_detect_loss(&cfg, &head, labels, nlabels, weight, &items, &total, &s);
	double score_sum = 0, bce = 0, worst = 0;
	int anchors = 0;
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		anchors += head.h[l] * head.w[l];
	for (int b = 0; !rc && b < head.batch; b++)
		for (int a = 0; a < anchors; a++)
			score_sum += s.score[(size_t)b * anchors + a];
	score_sum = fmax(score_sum, 1);
	double gain = cfg.cls * head.batch * weight / score_sum;
	for (int b = 0; !rc && b < head.batch; b++)
		for (int l = 0, a = 0; l < UL_DETECT_LEVELS; l++)
			for (int cell = 0; cell < head.h[l] * head.w[l]; cell++, a++) {
				int owner = s.owner[(size_t)b * anchors + a];
				const struct ul_label *lb = owner >= 0 ? owner_label(labels, nlabels, b, owner) : NULL;
				size_t at = ((size_t)b * head.h[l] * head.w[l] + cell) * head.nc;
				for (int c = 0; c < head.nc; c++) {
					double x = head.cls[l][at + c], t = lb && lb->cls == c ? s.score[(size_t)b * anchors + a] : 0;
					t = t * 0.9 + 0.05;
					bce += weights[c] * (fmax(x, 0) - x * t + log1p(exp(-fabs(x))));
					double want = (1 / (1 + exp(-x)) - t) * weights[c] * gain;
					worst = worse(worst, fabs(head.dcls[l][at + c] - want) / fmax(fabs(want), 1e-4 * gain));
				}
			}
	double want_cls = bce / score_sum * cfg.cls;
	ok(!rc && fabs(items.cls - want_cls) <= 1e-5 * want_cls, "%s: weighted, smoothed classes: the cls item (%.6g, want %.6g)",
	   name, items.cls, want_cls);
	ok(!rc && worst < 1e-4, "%s: and every class gradient (worst %.2g)", name, worst);
	ok(!rc && items.box == plain_items->box && items.l1 == plain_items->l1, "%s: the box terms unchanged", name);
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		free(head.dbox[l]), free(head.dcls[l]);
	free(weights);
	ul_detect_scratch_free(&s);
}

static void run(const char *name)
{
	char path[256], key[64];
	snprintf(path, sizeof path, VECTORS "loss_%s.safetensors", name);
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, path, &err)) {
		ok(0, "%s opens", path);
		jv_free(err);
		return;
	}
	struct ul_detect_head head = { .batch = meta_int(&st, "batch"), .nc = meta_int(&st, "nc") };
	jv imgsz = meta(&st, "imgsz");
	int height = (int)jv_number_value(jv_array_get(jv_copy(imgsz), 0)), width = (int)jv_number_value(jv_array_get(imgsz, 1));
	float *grad_box[UL_DETECT_LEVELS], *grad_cls[UL_DETECT_LEVELS], *want_box[UL_DETECT_LEVELS], *want_cls[UL_DETECT_LEVELS];
	size_t nbox[UL_DETECT_LEVELS], ncls[UL_DETECT_LEVELS], n;
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		head.stride[l] = 8 << l, head.h[l] = height / head.stride[l], head.w[l] = width / head.stride[l];
		snprintf(key, sizeof key, "boxes.%d", l);
		head.box[l] = read_tensor(&st, key, &nbox[l]);
		snprintf(key, sizeof key, "scores.%d", l);
		head.cls[l] = read_tensor(&st, key, &ncls[l]);
		snprintf(key, sizeof key, "grad.boxes.%d", l);
		want_box[l] = read_tensor(&st, key, &n);
		snprintf(key, sizeof key, "grad.scores.%d", l);
		want_cls[l] = read_tensor(&st, key, &n);
		head.dbox[l] = grad_box[l] = calloc(nbox[l], sizeof(float));
		head.dcls[l] = grad_cls[l] = calloc(ncls[l], sizeof(float));
	}
	size_t nrows, nitems, nfg;
	float *rows = read_tensor(&st, "labels", &nrows), *items_ref = read_tensor(&st, "items", &nitems);
	float *total_ref = read_tensor(&st, "total", &n), *fg = read_tensor(&st, "fg", &nfg);
	float *gt = read_tensor(&st, "gt", &n), *norm = read_tensor(&st, "norm", &n);
	size_t nlabels = nrows / 6;
	struct ul_label *labels = calloc(nlabels + 1, sizeof *labels);
	for (size_t i = 0; i < nlabels; i++)
		labels[i] = (struct ul_label){ (int)rows[6 * i], (int)rows[6 * i + 1], rows[6 * i + 2], rows[6 * i + 3],
					       rows[6 * i + 4], rows[6 * i + 5] };
	struct ul_detect_loss_config cfg = ul_detect_one2many;
	cfg.topk = meta_int(&st, "topk"), cfg.topk2 = meta_int(&st, "topk2");

	struct ul_detect_scratch scratch = { 0 };
	struct ul_detect_items items;
	double total;
	int rc = ul_detect_loss(&cfg, &head, labels, nlabels, meta_number(&st, "weight"), &items, &total, &scratch);
	ok(rc == 0, "%s: the loss runs", name);

	int wrong_owner = 0, positives = 0;
	double worst_norm = 0;
	for (size_t i = 0; i < nfg; i++) {
		int owner = scratch.owner[i];
		positives += owner >= 0;
		wrong_owner += (owner >= 0) != (fg[i] > 0) || (owner >= 0 && owner != (int)gt[i]);
		worst_norm = worse(worst_norm, fabs(scratch.score[i] - norm[i]));
	}
	ok(wrong_owner == 0, "%s: every anchor gets the reference's box (%d assigned, %d differ)", name, positives,
	   wrong_owner);
	ok(worst_norm < 1e-6, "%s: and its target score (worst %.2g)", name, worst_norm);
	double got[3] = { items.box, items.cls, items.l1 }, worst_item = 0;
	for (int k = 0; k < 3; k++)
		worst_item = worse(worst_item, fabs(got[k] - items_ref[k]) / fmax(fabs(items_ref[k]), 1e-6));
	ok(worst_item < 1e-5, "%s: box, cls and l1 items match (%.6g %.6g %.6g; worst %.2g)", name, items.box, items.cls,
	   items.l1, worst_item);
	ok(fabs(total - total_ref[0]) <= 1e-5 * fabs(total_ref[0]), "%s: the head's total matches (%.6g, want %.6g)",
	   name, total, total_ref[0]);
	double worst_grad = 0;
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		bool any = false;
		for (size_t i = 0; i < nbox[l]; i++)
			any = any || want_box[l][i] != 0;
		if (any)
			worst_grad = worse(worst_grad, l2_relative(grad_box[l], want_box[l], nbox[l]));
		else
			for (size_t i = 0; i < nbox[l]; i++)
				worst_grad = worse(worst_grad, fabs(grad_box[l][i]));
		worst_grad = worse(worst_grad, l2_relative(grad_cls[l], want_cls[l], ncls[l]));
	}
	ok(worst_grad < 1e-5, "%s: gradients of every box and class output match (worst %.2g)", name, worst_grad);
	weighted_and_smoothed(name, &cfg, &head, labels, nlabels, meta_number(&st, "weight"), &items);

	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		free((void *)head.box[l]), free((void *)head.cls[l]), free(want_box[l]), free(want_cls[l]);
		free(grad_box[l]), free(grad_cls[l]);
	}
	free(rows), free(items_ref), free(total_ref), free(fg), free(gt), free(norm), free(labels);
	ul_detect_scratch_free(&scratch);
	ul_safetensors_close(&st);
}

/* d CIoU / d box against central differences, on boxes that overlap,
 * that do not, and one inside the other, each pair of the same aspect
 * ratio: there the aspect term and its slope are 0, so the alpha that the
 * loss holds constant cannot make the two differ. */
static void ciou_gradient(void)
{
	static const double pairs[][2][4] = {
		{ { 1, 2, 5, 7 }, { 2, 1, 6, 6 } },
		{ { 0, 0, 2, 3 }, { 4, 5, 6, 8 } },
		{ { 1, 1, 9, 11 }, { 3, 2, 5, 4.5 } },
		{ { 3, 2, 5, 4.5 }, { 1, 1, 9, 11 } },
	};
	double worst = 0;
	for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
		double a[4], g[4];
		memcpy(a, pairs[p][0], sizeof a);
		ul_ciou(a, pairs[p][1], g);
		for (int k = 0; k < 4; k++) {
			double keep = a[k], h = 1e-6;
			a[k] = keep + h;
			double up = ul_ciou(a, pairs[p][1], NULL);
			a[k] = keep - h;
			double down = ul_ciou(a, pairs[p][1], NULL);
			a[k] = keep;
			worst = worse(worst, fabs((up - down) / (2 * h) - g[k]));
		}
	}
	ok(worst < 1e-6, "CIoU's gradient matches finite differences (worst %.2g)", worst);
	double same[4] = { 1, 2, 5, 7 };
	ok(fabs(ul_ciou(same, same, NULL) - 1) < 1e-6, "a box's CIoU with itself is 1");
}

/* A 24 x 32 px box at (20, 32)-(44, 64) of a 160 px image, given as
 * normalised floats: 0.2 x 160 must come back 32, so the right edge is 44,
 * the centres of stride 8's column 5; strictly-inside leaves the whole
 * column out. Every prediction spans one cell around its anchor but the
 * column's, which predict the box itself: were they candidates, they
 * would be the best. */
static void edge_on_anchors(void)
{
	enum { SIDE = 160, NC = 3 };
	struct ul_detect_head head = { .batch = 1, .nc = NC };
	float *maps[2 * UL_DETECT_LEVELS * 2];
	int nmaps = 0;
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		int stride = 8 << l, side = SIDE / stride;
		size_t cells = (size_t)side * side;
		head.h[l] = head.w[l] = side, head.stride[l] = stride;
		float *box = maps[nmaps++] = malloc(sizeof(float) * 4 * cells);
		float *cls = maps[nmaps++] = calloc(NC * cells, sizeof(float));
		for (size_t i = 0; i < 4 * cells; i++)
			box[i] = 1;
		for (int row = 4; l == 0 && row < 8; row++) {
			float *d = box + 4 * ((size_t)row * side + 5);  /* (l, t, r, b) from the anchor, in cells */
			d[0] = 3, d[1] = row + 0.5f - 4, d[2] = 0, d[3] = 8 - (row + 0.5f);
		}
		head.box[l] = box, head.cls[l] = cls;
		head.dbox[l] = maps[nmaps++] = calloc(4 * cells, sizeof(float));
		head.dcls[l] = maps[nmaps++] = calloc(NC * cells, sizeof(float));
	}
	struct ul_label label = { 0, 1, 0.2f, 0.3f, 0.15f, 0.2f };
	struct ul_detect_scratch s = { 0 };
	struct ul_detect_items items;
	double total;
	ok(ul_detect_loss(&ul_detect_one2many, &head, &label, 1, 1.0, &items, &total, &s) == 0, "edge case: the loss runs");
	int on_edge = 0, kept = 0;
	for (int row = 0; row < 20; row++) {
		on_edge += s.owner[row * 20 + 5] >= 0;
		for (int col = 0; col < 20; col++)
			kept += s.owner[row * 20 + col] >= 0;
	}
	ok(kept > 0 && on_edge == 0, "anchors on the box's right edge stay out (%d of them kept, %d anchors in all)", on_edge,
	   kept);
	ul_detect_scratch_free(&s);
	for (int i = 0; i < nmaps; i++)
		free(maps[i]);
}

int main(void)
{
	edge_on_anchors();
	run("basic_o2m");
	run("basic_o2o");
	run("edge_o2m");
	run("edge_o2o");
	run("empty");
	ciou_gradient();

	double m, o;
	ul_e2e_weights(0, 100, &m, &o);
	ok(fabs(m - 0.8) < 1e-12 && fabs(o - 0.2) < 1e-12, "end-to-end weights start at 0.8 / 0.2");
	ul_e2e_weights(99, 100, &m, &o);
	ok(fabs(m - 0.1) < 1e-12 && fabs(o - 0.9) < 1e-12, "and reach 0.1 / 0.9 after the last epoch's update");
	ul_e2e_weights(33, 100, &m, &o);
	ok(fabs(m - (0.8 - 0.7 * 33 / 99.0)) < 1e-12, "falling linearly between");
	ul_e2e_weights(5, 1, &m, &o);
	ok(fabs(m - 0.1) < 1e-12, "a one-epoch run does not divide by zero");

	/* counts 1, 3, 0 (counted as 1): 1, 1/3, 1 over their mean 7/9 */
	double counts[3] = { 1, 3, 0 };
	float w[3];
	ul_detect_class_weights(counts, 3, 1, w);
	ok(fabsf(w[0] - 9 / 7.0f) < 1e-6f && fabsf(w[1] - 3 / 7.0f) < 1e-6f && fabsf(w[2] - 9 / 7.0f) < 1e-6f,
	   "cls_pw=1: inverse counts over their mean (%g %g %g)", w[0], w[1], w[2]);
	double counts4[2] = { 4, 16 };
	ul_detect_class_weights(counts4, 2, 0.5, w);
	ok(fabsf(w[0] - 4 / 3.0f) < 1e-6f && fabsf(w[1] - 2 / 3.0f) < 1e-6f, "cls_pw=0.5: their square roots (%g %g)", w[0], w[1]);
	return done_testing();
}
