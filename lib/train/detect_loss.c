#include "train/detect_loss.h"

#include <math.h>
#include <stdlib.h>

#include "core/grow.h"
#include "core/parallel.h"
#include "nn/silu.h"

#define BCE_BLOCK 64  /* class logits whose BCE terms are made before they are summed */
#include "train/ciou.h"

const struct ul_detect_loss_config ul_detect_one2many = { .topk = 10, .topk2 = 10, .box = 7.5, .cls = 0.5, .dfl = 1.5 };
const struct ul_detect_loss_config ul_detect_one2one = { .topk = 7, .topk2 = 1, .box = 7.5, .cls = 0.5, .dfl = 1.5 };

void ul_detect_scratch_free(struct ul_detect_scratch *s)
{
	free(s->anchor_xy), free(s->anchor_stride), free(s->score), free(s->owner), free(s->sums), free(s->class_weight);
	for (int k = 0; k < UL_DETECT_PIECES; k++) {
		struct ul_detect_piece *p = &s->pieces[k];
		free(p->pred), free(p->probs), free(p->gt);
		ul_assign_scratch_free(&p->assign);
	}
	*s = (struct ul_detect_scratch){ 0 };
}

static int anchors_of(const struct ul_detect_head *head)
{
	int n = 0;
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		n += head->h[l] * head->w[l];
	return n;
}

static int pieces_of(const struct ul_detect_head *head)
{
	int threads = ul_parallel_threads(), n = head->batch < threads ? head->batch : threads;
	return n < UL_DETECT_PIECES ? n : UL_DETECT_PIECES;
}

static int reserve(struct ul_detect_scratch *s, const struct ul_detect_head *head, size_t nlabels)
{
	size_t anchors = (size_t)anchors_of(head), all = anchors * head->batch;
	/* anchor_xy: in grid units, then in pixels */
	if (ul_grow(&s->anchor_xy, &s->cap_xy, 4 * anchors, sizeof(double)) ||
	    ul_grow(&s->anchor_stride, &s->cap_stride, anchors, sizeof(double)) ||
	    ul_grow(&s->score, &s->cap_score, all, sizeof(double)) || ul_grow(&s->owner, &s->cap_owner, all, sizeof(int)) ||
	    ul_grow(&s->sums, &s->cap_sums, 4 * (size_t)head->batch, sizeof(double)) ||
	    ul_grow(&s->class_weight, &s->cap_class_weight, (size_t)head->nc + 1, sizeof(float)))
		return -1;
	for (int k = 0; k < pieces_of(head); k++) {
		struct ul_detect_piece *p = &s->pieces[k];
		if (ul_grow(&p->pred, &p->cap_pred, 4 * anchors, sizeof(double)) ||
		    ul_grow(&p->probs, &p->cap_probs, anchors * head->nc, sizeof(double)) ||
		    ul_grow(&p->gt, &p->cap_gt, nlabels + 1, sizeof(struct ul_gt_box)))
			return -1;
	}
	return 0;
}

/* Anchor centres in grid units, then the same in pixels, and their
 * strides. */
static void anchor_grid(const struct ul_detect_head *head, double *xy, double *stride)
{
	double *pixels = xy + 2 * (size_t)anchors_of(head);
	for (int l = 0, a = 0; l < UL_DETECT_LEVELS; l++)
		for (int y = 0; y < head->h[l]; y++)
			for (int x = 0; x < head->w[l]; x++, a++) {
				xy[2 * a] = x + 0.5, xy[2 * a + 1] = y + 0.5, stride[a] = head->stride[l];
				pixels[2 * a] = xy[2 * a] * stride[a], pixels[2 * a + 1] = xy[2 * a + 1] * stride[a];
			}
}

/* Where anchor a's outputs lie for image b: its level and cell. */
static size_t cell(const struct ul_detect_head *head, int b, int a, int *level)
{
	int l = 0;
	while (a >= head->h[l] * head->w[l])
		a -= head->h[l] * head->w[l], l++;
	*level = l;
	return (size_t)b * head->h[l] * head->w[l] + a;
}

/* Image b's labels, in order, as boxes in input pixels. */
static int boxes_of(const struct ul_detect_head *head, const struct ul_label *labels, size_t nlabels, int b,
		    double width, double height, struct ul_gt_box *gt)
{
	int n = 0;
	for (size_t i = 0; i < nlabels; i++) {
		const struct ul_label *lb = &labels[i];
		if (lb->image != b || lb->cls < 0 || lb->cls >= head->nc)
			continue;
		/* in float, as Ultralytics scales and converts them: a normalised
		 * whole pixel comes back a whole pixel */
		float cx = lb->cx * (float)width, cy = lb->cy * (float)height, w = lb->w * (float)width;
		float h = lb->h * (float)height;
		gt[n++] = (struct ul_gt_box){ lb->cls, { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 } };
	}
	return n;
}

/* The predicted box of anchor a (grid units, xyxy) from its distances. */
static void predicted(const double *xy, const float *d, double box[4])
{
	box[0] = xy[0] - d[0], box[1] = xy[1] - d[1], box[2] = xy[0] + d[2], box[3] = xy[1] + d[3];
}

/* What both passes over the images share. */
struct loss_pass {
	const struct ul_detect_loss_config *cfg;
	const struct ul_detect_head *head;
	const struct ul_label *labels;
	size_t nlabels;
	struct ul_detect_scratch *s;
	int anchors, pieces;
	double width, height;
	double cls_grad, box_grad, l1_grad;  /* the second pass's gains over the target score sum */
	float keep, lift;                    /* label smoothing: a class target t becomes t keep + lift */
	int failed;
};

/* Assigns image b's anchors, with its predictions detached; its target
 * scores' sum in sums[4 b]. */
static int assign_image(struct loss_pass *p, struct ul_detect_piece *piece, int b)
{
	const struct ul_detect_head *head = p->head;
	struct ul_detect_scratch *s = p->s;
	int anchors = p->anchors, nc = head->nc;
	int ngt = boxes_of(head, p->labels, p->nlabels, b, p->width, p->height, piece->gt);
	for (int a = 0; a < anchors; a++) {
		int l;
		size_t at = cell(head, b, a, &l);
		double box[4], st = s->anchor_stride[a];
		predicted(s->anchor_xy + 2 * a, head->box[l] + 4 * at, box);
		for (int k = 0; k < 4; k++)
			piece->pred[4 * (size_t)a + k] = box[k] * st;
		const float *x = head->cls[l] + at * nc;
		for (int c = 0; c < nc; c++)
			piece->probs[(size_t)a * nc + c] = ul_sigmoid(x[c]);
	}
	struct ul_assigner as = { p->cfg->topk, p->cfg->topk2, head->stride[0], head->stride[1] };
	double *score = s->score + (size_t)b * anchors;
	if (ul_assign(&as, anchors, nc, s->anchor_xy + 2 * (size_t)anchors, piece->pred, piece->probs, ngt, piece->gt,
		      s->owner + (size_t)b * anchors, score, &piece->assign))
		return -1;
	double sum = 0;
	for (int a = 0; a < anchors; a++)
		sum += score[a];
	s->sums[4 * b] = sum;
	return 0;
}

/* log(1 + e) for e in [0, 1], in plain arithmetic that vectorises (libm's
 * log1pf is a call per logit): 2 atanh(s) with s = e / (2 + e) <= 1/3, its
 * odd series to s^15, within 4 ulp and exact in relative terms however
 * small e is. */
static inline float log1p_unit(float e)
{
	float s = e / (2 + e), z = s * s;
	float p = 1 + z * (1.0f / 3 + z * (1.0f / 5 + z * (1.0f / 7 + z * (1.0f / 9 + z * (1.0f / 11 + z * (1.0f / 13 + z * (1.0f / 15)))))));
	return 2 * s * p;
}

/* Image b's BCE, CIoU and L1 terms into sums[4 b + 1..3], their gradients
 * added to the head's. The BCE runs in float on one exponential and one
 * logarithm per logit, both polynomials: it is most of the loss's work. */
static void image_loss(struct loss_pass *p, struct ul_detect_piece *piece, int b)
{
	const struct ul_detect_head *head = p->head;
	struct ul_detect_scratch *s = p->s;
	int anchors = p->anchors, nc = head->nc;
	double size[4] = { p->width, p->height, p->width, p->height };
	boxes_of(head, p->labels, p->nlabels, b, p->width, p->height, piece->gt);
	double cls_sum = 0, box_sum = 0, l1_sum = 0;
	float cls_grad = (float)p->cls_grad, keep = p->keep, lift = p->lift;
	const float *cw = s->class_weight;
	for (int a = 0; a < anchors; a++) {
		int l, owner = s->owner[(size_t)b * anchors + a];
		size_t at = cell(head, b, a, &l);
		double w = s->score[(size_t)b * anchors + a];
		/* BCE with logits against the soft target, stable for any x:
		 * max(x, 0) - x t + log(1 + e^-|x|) */
		const float *x = head->cls[l] + at * nc;
		float *dx = head->dcls[l] + at * nc, anchor_sum = 0;
		int target = owner >= 0 ? piece->gt[owner].cls : -1;
		/* the terms a block at a time, a loop that vectorises, then
		 * summed in class order */
		for (int c0 = 0; c0 < nc; c0 += BCE_BLOCK) {
			float term[BCE_BLOCK];
			int n = nc - c0 < BCE_BLOCK ? nc - c0 : BCE_BLOCK;
			for (int k = 0; k < n; k++) {
				int c = c0 + k;
				float t = (c == target ? (float)w : 0) * keep + lift, e = ul_exp_nonpositive(-fabsf(x[c]));
				float sig = (x[c] >= 0 ? 1 : e) / (1 + e);
				term[k] = (fmaxf(x[c], 0) - x[c] * t + log1p_unit(e)) * cw[c];
				dx[c] += (sig - t) * cls_grad * cw[c];
			}
			for (int k = 0; k < n; k++)
				anchor_sum += term[k];
		}
		cls_sum += anchor_sum;
		if (owner < 0)
			continue;
		const float *d = head->box[l] + 4 * at;
		float *dd = head->dbox[l] + 4 * at;
		double st = s->anchor_stride[a], *xy = s->anchor_xy + 2 * a, pred[4], tbox[4], g[4];
		predicted(xy, d, pred);
		for (int k = 0; k < 4; k++)
			tbox[k] = piece->gt[owner].box[k] / st;
		box_sum += (1 - ul_ciou(pred, tbox, g)) * w;
		/* x1 = ax - left, y1 = ay - top, x2 = ax + right, y2 = ay + bottom */
		double dist[4] = { xy[0] - tbox[0], xy[1] - tbox[1], tbox[2] - xy[0], tbox[3] - xy[1] };
		for (int k = 0; k < 4; k++) {
			double diff = (d[k] - dist[k]) * st / size[k];
			l1_sum += fabs(diff) / 4 * w;
			double sign = diff > 0 ? 1 : diff < 0 ? -1 : 0;
			double dciou = k < 2 ? g[k] : -g[k];  /* d pred / d distance: -1 then +1, and loss is 1 - ciou */
			dd[k] += (float)(dciou * w * p->box_grad + sign * st / size[k] / 4 * w * p->l1_grad);
		}
	}
	s->sums[4 * b + 1] = box_sum, s->sums[4 * b + 2] = cls_sum, s->sums[4 * b + 3] = l1_sum;
}

static void assign_piece(void *ctx, int k)
{
	struct loss_pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece((size_t)p->head->batch, p->pieces, k, &begin, &end);
	for (size_t b = begin; b < end; b++)
		if (assign_image(p, &p->s->pieces[k], (int)b))
			p->failed = 1;  /* any piece's failure fails the call; which one does not matter */
}

static void loss_piece(void *ctx, int k)
{
	struct loss_pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece((size_t)p->head->batch, p->pieces, k, &begin, &end);
	for (size_t b = begin; b < end; b++)
		image_loss(p, &p->s->pieces[k], (int)b);
}

int ul_detect_loss(const struct ul_detect_loss_config *cfg, const struct ul_detect_head *head,
		   const struct ul_label *labels, size_t nlabels, double weight, struct ul_detect_items *items,
		   double *total, struct ul_detect_scratch *s)
{
	if (reserve(s, head, nlabels))
		return -1;
	struct loss_pass p = { cfg, head, labels, nlabels, s, anchors_of(head), pieces_of(head),
			       head->w[0] * head->stride[0], head->h[0] * head->stride[0], 0, 0, 0,
			       (float)(1 - cfg->label_smoothing), (float)(cfg->label_smoothing / 2), 0 };
	for (int c = 0; c < head->nc; c++)
		s->class_weight[c] = cfg->class_weights ? cfg->class_weights[c] : 1;
	anchor_grid(head, s->anchor_xy, s->anchor_stride);
	ul_parallel_for(p.pieces, assign_piece, &p);
	if (p.failed)
		return -1;
	double score_sum = 0;
	for (int b = 0; b < head->batch; b++)
		score_sum += s->sums[4 * b];
	score_sum = fmax(score_sum, 1);

	double scale = head->batch * weight;
	p.cls_grad = cfg->cls * scale / score_sum, p.box_grad = cfg->box * scale / score_sum;
	p.l1_grad = cfg->dfl * scale / score_sum;
	ul_parallel_for(p.pieces, loss_piece, &p);
	double box_sum = 0, cls_sum = 0, l1_sum = 0;
	for (int b = 0; b < head->batch; b++)
		box_sum += s->sums[4 * b + 1], cls_sum += s->sums[4 * b + 2], l1_sum += s->sums[4 * b + 3];
	*items = (struct ul_detect_items){ box_sum / score_sum * cfg->box, cls_sum / score_sum * cfg->cls,
					   l1_sum / score_sum * cfg->dfl };
	*total = (items->box + items->cls + items->l1) * scale;
	return 0;
}

void ul_detect_class_weights(const double *counts, int nc, double power, float *weights)
{
	double sum = 0;
	for (int c = 0; c < nc; c++)
		sum += pow(1 / (counts[c] > 0 ? counts[c] : 1), power);
	for (int c = 0; c < nc; c++)
		weights[c] = (float)(pow(1 / (counts[c] > 0 ? counts[c] : 1), power) / (sum / nc));
}

void ul_e2e_weights(int updates, int epochs, double *one2many, double *one2one)
{
	double span = epochs - 1 > 1 ? epochs - 1 : 1, left = 1 - updates / span;
	*one2many = (left > 0 ? left : 0) * (0.8 - 0.1) + 0.1;
	*one2one = 1 - *one2many > 0 ? 1 - *one2many : 0;
}
