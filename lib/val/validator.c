#include "val/validator.h"

#include <stdlib.h>
#include <string.h>

#include "config/run_args.h"
#include "core/clock.h"
#include "core/error.h"
#include "nn/backend.h"
#include "nn/net.h"
#include "train/e2e_loss.h"
#include "val/e2e_decode.h"

int ul_val_options_from_args(struct ul_val_options *o, jv args, jv *err)
{
	double max_det;
	*o = (struct ul_val_options){ .conf = UL_VAL_CONF, .max_det = UL_VAL_MAX_DET };
	jv conf = jv_object_get(jv_copy(args), jv_string("conf"));
	bool given = jv_get_kind(conf) == JV_KIND_NUMBER;
	jv_free(conf);
	if ((given && ul_run_number(args, "conf", &o->conf, err)) || ul_run_number(args, "max_det", &max_det, err) ||
	    ul_run_number(args, "box", &o->box, err) || ul_run_number(args, "cls", &o->cls, err) ||
	    ul_run_number(args, "dfl", &o->dfl, err) || ul_run_number(args, "label_smoothing", &o->label_smoothing, err))
		return -1;
	o->max_det = (int)max_det;
	return 0;
}

int ul_batch_boxes(const struct ul_batch *batch, int b, struct ul_gt_box *gt)
{
	int n = 0;
	for (size_t k = 0; k < batch->nlabels; k++) {
		const struct ul_label *l = &batch->labels[k];
		if (l->image == b)
			gt[n++] = (struct ul_gt_box){ l->cls, { (l->cx - l->w / 2) * batch->w, (l->cy - l->h / 2) * batch->h,
							      (l->cx + l->w / 2) * batch->w, (l->cy + l->h / 2) * batch->h } };
	}
	return n;
}

/* What one validation holds while it runs: the kept net and weights, and
 * the per-image buffers. */
struct val_run {
	struct ul_val_keep *keep;
	struct ul_detection *dets;
	struct ul_gt_box *gt;
	size_t cap_gt;
	struct ul_decode_scratch decode;
	struct ul_e2e_loss loss;
};

/* The kept net for this batch's frame shape. */
static struct ul_net *net_for(struct ul_val_keep *k, const struct ul_graph *g, const struct ul_batch *batch, jv *err)
{
	/* a net that fails is freed, its layers NULL again */
	if (k->net.layers ? ul_net_reshape(&k->net, batch->n, batch->h, batch->w, err)
			  : ul_net_create(&k->net, g, &k->device, batch->n, batch->h, batch->w, 0, err))
		return NULL;
	return &k->net;
}

static int val_batch(struct val_run *v, const struct ul_graph *g, const struct ul_batch *batch,
		     const struct ul_val_options *o, struct ul_val_result *r, jv *err)
{
	struct ul_net *net = net_for(v->keep, g, batch, err);
	if (!net)
		return -1;
	if (batch->nlabels + 1 > v->cap_gt) {
		free(v->gt);
		if (!(v->gt = malloc(sizeof *v->gt * (v->cap_gt = batch->nlabels + 1))))
			return ul_invalid(err, "out of memory");
	}
	ul_net_forward(net, batch->images, false);
	struct ul_detect_head head;
	if (ul_e2e_head(net, "one2one", &head))
		return ul_invalid(err, "the model is not a detector");
	struct ul_detect_items items;
	double total;
	if (ul_e2e_loss(&v->loss, net, batch->labels, batch->nlabels, &items, &total))
		return ul_invalid(err, "out of memory");
	r->loss.box += items.box, r->loss.cls += items.cls, r->loss.l1 += items.l1;
	r->batches++;
	for (int b = 0; b < batch->n; b++) {
		int ndet = ul_decode_e2e(&head, b, o->max_det, o->conf, v->dets, &v->decode);
		int ngt = ul_batch_boxes(batch, b, v->gt);
		if (ndet < 0 || ul_val_stats_add(&r->stats, v->dets, ndet, v->gt, ngt) ||
		    ul_confusion_add(&r->confusion, v->dets, ndet, v->gt, ngt, UL_CONFUSION_CONF, UL_CONFUSION_IOU))
			return ul_invalid(err, "out of memory");
	}
	return 0;
}

/* keep made ready for w: its mirror of w, up to date, for its net. */
static int keep_for(struct ul_val_keep *k, const struct ul_weights *w, jv *err)
{
	if (!k->of.graph || k->of.params != w->params || k->of.buffers != w->buffers) {
		ul_val_keep_free(k);
		if (ul_weights_mirror(&k->device, w))
			return ul_invalid(err, "out of %s memory for the weights", ul_ops->name);
		k->of = *w;
		return 0;
	}
	ul_weights_upload(&k->device, w);
	return 0;
}

int ul_validate(const struct ul_graph *g, const struct ul_weights *w, struct ul_loader *loader,
		const struct ul_val_options *o, struct ul_val_keep *keep, struct ul_val_result *r, jv *err)
{
	double start = ul_seconds();
	memset(r, 0, sizeof *r);
	struct ul_val_keep own = { 0 };
	struct val_run v = { .keep = keep ? keep : &own, .dets = malloc(sizeof *v.dets * (o->max_det > 0 ? o->max_det : 1)) };
	ul_e2e_loss_init(&v.loss, 1, o->box, o->cls, o->dfl);
	ul_e2e_loss_classes(&v.loss, o->class_weights, o->label_smoothing);
	int rc = keep_for(v.keep, w, err);
	if (!rc)
		rc = v.dets && !ul_confusion_init(&r->confusion, g->nc) ? ul_loader_start(loader, 0, err)
								       : ul_invalid(err, "out of memory");
	struct ul_batch *batch;
	char why[256];
	while (!rc && !r->interrupted && (batch = ul_loader_next(loader, err))) {
		rc = val_batch(&v, g, batch, o, r, err);
		if (!rc && ul_ops->sync(why, sizeof why))
			rc = ul_invalid(err, "the %s failed: %s", ul_ops->name, why);
		ul_loader_release(loader, batch);
		r->interrupted = o->interrupt && o->interrupt();
	}
	if (!rc && jv_invalid_has_msg(jv_copy(*err)))
		rc = -1;
	if (!rc && r->batches > 0 && !r->interrupted)
		r->loss.box /= r->batches, r->loss.cls /= r->batches, r->loss.l1 /= r->batches;
	if (!rc && !r->interrupted && (o->curves ? ul_val_metrics_curves : ul_val_metrics)(&r->stats, &r->metrics))
		rc = ul_invalid(err, "out of memory");
	ul_e2e_loss_free(&v.loss);
	ul_decode_scratch_free(&v.decode);
	free(v.dets), free(v.gt);
	ul_val_keep_free(&own);
	r->seconds = ul_seconds() - start;
	return rc;
}

void ul_val_keep_free(struct ul_val_keep *k)
{
	if (k->net.layers)
		ul_net_free(&k->net);
	if (k->of.graph)
		ul_weights_mirror_free(&k->device, &k->of);
	*k = (struct ul_val_keep){ 0 };
}

void ul_val_result_free(struct ul_val_result *r)
{
	ul_val_stats_free(&r->stats);
	ul_val_metrics_free(&r->metrics);
	ul_confusion_free(&r->confusion);
}
