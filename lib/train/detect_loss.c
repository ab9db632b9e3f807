#include "train/detect_loss.h"

#include <math.h>
#include <stdlib.h>

#include "core/grow.h"
#include "train/ciou.h"

const struct ul_detect_loss_config ul_detect_one2many = { .topk = 10, .topk2 = 10, .box = 7.5, .cls = 0.5, .dfl = 1.5 };
const struct ul_detect_loss_config ul_detect_one2one = { .topk = 7, .topk2 = 1, .box = 7.5, .cls = 0.5, .dfl = 1.5 };

/* The assigner's constants (yolo26.md 4.2): small targets below the
 * smallest stride count as the middle one. */
static struct ul_assigner assigner_of(const struct ul_detect_loss_config *cfg, const struct ul_detect_head *head)
{
	return (struct ul_assigner){ cfg->topk, cfg->topk2, head->stride[0], head->stride[1] };
}

void ul_detect_scratch_free(struct ul_detect_scratch *s)
{
	free(s->anchor_xy), free(s->anchor_stride), free(s->pred), free(s->probs), free(s->score), free(s->owner);
	free(s->gt);
	ul_assign_scratch_free(&s->assign);
	*s = (struct ul_detect_scratch){ 0 };
}

static int anchors_of(const struct ul_detect_head *head)
{
	int n = 0;
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		n += head->h[l] * head->w[l];
	return n;
}

static int reserve(struct ul_detect_scratch *s, const struct ul_detect_head *head, size_t nlabels)
{
	size_t anchors = (size_t)anchors_of(head), all = anchors * head->batch;
	/* anchor_xy: in grid units, then in pixels */
	return ul_grow(&s->anchor_xy, &s->cap_xy, 4 * anchors, sizeof(double)) ||
	       ul_grow(&s->anchor_stride, &s->cap_stride, anchors, sizeof(double)) ||
	       ul_grow(&s->pred, &s->cap_pred, 4 * anchors, sizeof(double)) ||
	       ul_grow(&s->probs, &s->cap_probs, anchors * head->nc, sizeof(double)) ||
	       ul_grow(&s->score, &s->cap_score, all, sizeof(double)) || ul_grow(&s->owner, &s->cap_owner, all, sizeof(int)) ||
	       ul_grow(&s->gt, &s->cap_gt, nlabels, sizeof(struct ul_gt_box)) ? -1 : 0;
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
		double cx = lb->cx * width, cy = lb->cy * height, w = lb->w * width, h = lb->h * height;
		gt[n++] = (struct ul_gt_box){ lb->cls, { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 } };
	}
	return n;
}

static double sigmoid(double x)
{
	return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

/* The predicted box of anchor a (grid units, xyxy) from its distances. */
static void predicted(const double *xy, const float *d, double box[4])
{
	box[0] = xy[0] - d[0], box[1] = xy[1] - d[1], box[2] = xy[0] + d[2], box[3] = xy[1] + d[3];
}

/* Assigns image b's anchors, with its predictions detached. */
static int assign_image(const struct ul_detect_loss_config *cfg, const struct ul_detect_head *head, int b, int ngt,
			struct ul_detect_scratch *s)
{
	int anchors = anchors_of(head), nc = head->nc;
	for (int a = 0; a < anchors; a++) {
		int l;
		size_t at = cell(head, b, a, &l);
		double box[4], st = s->anchor_stride[a];
		predicted(s->anchor_xy + 2 * a, head->box[l] + 4 * at, box);
		for (int k = 0; k < 4; k++)
			s->pred[4 * (size_t)a + k] = box[k] * st;
		for (int c = 0; c < nc; c++)
			s->probs[(size_t)a * nc + c] = sigmoid(head->cls[l][at * nc + c]);
	}
	struct ul_assigner as = assigner_of(cfg, head);
	return ul_assign(&as, anchors, nc, s->anchor_xy + 2 * (size_t)anchors, s->pred, s->probs, ngt, s->gt, s->owner + (size_t)b * anchors,
			 s->score + (size_t)b * anchors, &s->assign);
}

int ul_detect_loss(const struct ul_detect_loss_config *cfg, const struct ul_detect_head *head,
		   const struct ul_label *labels, size_t nlabels, double weight, struct ul_detect_items *items,
		   double *total, struct ul_detect_scratch *s)
{
	if (reserve(s, head, nlabels))
		return -1;
	int anchors = anchors_of(head), nc = head->nc;
	double height = head->h[0] * head->stride[0], width = head->w[0] * head->stride[0];
	double size[4] = { width, height, width, height };
	anchor_grid(head, s->anchor_xy, s->anchor_stride);

	double score_sum = 0;
	for (int b = 0; b < head->batch; b++) {
		int ngt = boxes_of(head, labels, nlabels, b, width, height, s->gt);
		if (assign_image(cfg, head, b, ngt, s))
			return -1;
		for (int a = 0; a < anchors; a++)
			score_sum += s->score[(size_t)b * anchors + a];
	}
	score_sum = fmax(score_sum, 1);

	double scale = head->batch * weight, cls_sum = 0, box_sum = 0, l1_sum = 0;
	double cls_grad = cfg->cls * scale / score_sum, box_grad = cfg->box * scale / score_sum;
	double l1_grad = cfg->dfl * scale / score_sum;
	for (int b = 0; b < head->batch; b++) {
		boxes_of(head, labels, nlabels, b, width, height, s->gt);
		for (int a = 0; a < anchors; a++) {
			int l, owner = s->owner[(size_t)b * anchors + a];
			size_t at = cell(head, b, a, &l);
			double w = s->score[(size_t)b * anchors + a];
			/* BCE with logits against the soft target, stable for any x */
			const float *x = head->cls[l] + at * nc;
			float *dx = head->dcls[l] + at * nc;
			for (int c = 0; c < nc; c++) {
				double t = owner >= 0 && c == s->gt[owner].cls ? w : 0;
				cls_sum += fmax(x[c], 0) - x[c] * t + log1p(exp(-fabs(x[c])));
				dx[c] += (float)((sigmoid(x[c]) - t) * cls_grad);
			}
			if (owner < 0)
				continue;
			const float *d = head->box[l] + 4 * at;
			float *dd = head->dbox[l] + 4 * at;
			double st = s->anchor_stride[a], *xy = s->anchor_xy + 2 * a, pred[4], target[4], g[4];
			predicted(xy, d, pred);
			for (int k = 0; k < 4; k++)
				target[k] = s->gt[owner].box[k] / st;
			box_sum += (1 - ul_ciou(pred, target, g)) * w;
			/* x1 = ax - left, y1 = ay - top, x2 = ax + right, y2 = ay + bottom */
			double dist[4] = { xy[0] - target[0], xy[1] - target[1], target[2] - xy[0], target[3] - xy[1] };
			for (int k = 0; k < 4; k++) {
				double diff = (d[k] - dist[k]) * st / size[k];
				l1_sum += fabs(diff) / 4 * w;
				double sign = diff > 0 ? 1 : diff < 0 ? -1 : 0;
				double dciou = k < 2 ? g[k] : -g[k];  /* d pred / d distance: -1 then +1, and loss is 1 - ciou */
				dd[k] += (float)(dciou * w * box_grad + sign * st / size[k] / 4 * w * l1_grad);
			}
		}
	}
	*items = (struct ul_detect_items){ box_sum / score_sum * cfg->box, cls_sum / score_sum * cfg->cls,
					   l1_sum / score_sum * cfg->dfl };
	*total = (items->box + items->cls + items->l1) * scale;
	return 0;
}

void ul_e2e_weights(int updates, int epochs, double *one2many, double *one2one)
{
	double span = epochs - 1 > 1 ? epochs - 1 : 1, left = 1 - updates / span;
	*one2many = (left > 0 ? left : 0) * (0.8 - 0.1) + 0.1;
	*one2one = 1 - *one2many > 0 ? 1 - *one2many : 0;
}
