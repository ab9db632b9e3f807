#include "nn/head.h"

#include <stdio.h>
#include <string.h>

#include "nn/net.h"
#include "nn/sizes.h"

static const char *const copies[] = { "one2many", "one2one" };

/* The level's extra branch: cv4's two Convs, then its 1x1 outputs. */
static void bind_extra(struct ul_head *h, struct ul_binder *b, const char *prefix, const char *task, int k,
		       const int in[4])
{
	bool one2one = k >= UL_HEAD_LEVELS;
	int l = k % UL_HEAD_LEVELS;
	const char *copy = one2one ? "one2one_" : "";
	struct ul_head_branch *e = &h->extra[k];
	char branch[UL_TENSOR_NAME], sub[UL_TENSOR_NAME];
	ul_bind_join(b, branch, "%s.%scv4.%d", prefix, copy, l);
	ul_bind_join(b, sub, "%s.0", branch);
	ul_bind_conv(b, sub, &e->cv[0], in[0], in[1], in[2], in[3], 1, true);
	ul_bind_next(b, branch, "1", &e->cv[1], &e->cv[0], true);
	if (!strcmp(task, "pose")) {
		e->nout = 2;
		ul_bind_join(b, sub, "%s.%scv4_kpts.%d", prefix, copy, l);
		ul_bind_biased(b, sub, &e->out[0], &e->cv[1]);
		ul_bind_join(b, sub, "%s.%scv4_sigma.%d", prefix, copy, l);
		ul_bind_biased(b, sub, &e->out[1], &e->cv[1]);
	} else {
		e->nout = 1;
		ul_bind_join(b, sub, "%s.2", branch);
		ul_bind_biased(b, sub, &e->out[0], &e->cv[1]);
	}
	e->detached = one2one;
}

static void bind_proto(struct ul_head *h, struct ul_binder *b, const char *prefix, const int in[UL_HEAD_LEVELS][4])
{
	struct ul_proto26 *p = &h->proto;
	char proto[UL_TENSOR_NAME], sub[UL_TENSOR_NAME];
	ul_bind_join(b, proto, "%s.proto", prefix);
	for (int r = 0; r < 2; r++) {
		ul_bind_join(b, sub, "%s.feat_refine.%d", proto, r);
		ul_bind_conv(b, sub, &p->refine[r], in[r + 1][0], in[r + 1][1], in[r + 1][2], in[r + 1][3], 1, true);
	}
	const struct ul_conv2d p3 = { in[0][0], in[0][1], in[0][2], in[0][3], in[0][3], 1, 1, 0, 1 };
	ul_bind_beside(b, proto, "feat_fuse", &p->fuse, &p3, in[0][3], true);
	ul_bind_next(b, proto, "cv1", &p->cv1, &p->fuse, true);
	const struct ul_tensor_spec *uw = ul_bind_need(b, proto, "upsample.weight", 4);
	const struct ul_tensor_spec *ub = ul_bind_need(b, proto, "upsample.bias", 1);
	ul_bind_beside(b, proto, "semseg.0", &p->semseg[0], &p3, in[0][3], true);
	ul_bind_next(b, proto, "semseg.1", &p->semseg[1], &p->semseg[0], true);
	ul_bind_join(b, sub, "%s.semseg.2", proto);
	ul_bind_biased(b, sub, &p->semseg_out, &p->semseg[1]);
	if (b->failed)
		return;
	int npr = p->cv1.conv.c_out;
	p->up = (struct ul_conv_transpose2d){ in[0][0], in[0][1], in[0][2], npr, uw->shape[1], uw->shape[2], 2 };
	p->up_weight = ul_bind_param(b, uw), p->dup_weight = ul_bind_grad(b, uw);
	p->up_bias = ul_bind_param(b, ub), p->dup_bias = ul_bind_grad(b, ub);
	const struct ul_conv2d up = { in[0][0], 2 * in[0][1], 2 * in[0][2], p->up.c_out, p->up.c_out, 1, 1, 0, 1 };
	ul_bind_beside(b, proto, "cv2", &p->cv2, &up, p->up.c_out, true);
	ul_bind_next(b, proto, "cv3", &p->cv3, &p->cv2, true);
}

void ul_head_bind(struct ul_head *h, struct ul_binder *b, struct ul_net *net, const struct ul_layer *L, int i,
		  const int in[UL_HEAD_LEVELS][4])
{
	const char *task = !strcmp(L->module, "Segment26") ? "segment" : !strcmp(L->module, "Pose26") ? "pose"
							: !strcmp(L->module, "OBB26") ? "obb" : "detect";
	static const char *const extra_names[][2] = { { "mask", NULL }, { "kpts", "sigma" }, { "angle", NULL } };
	int which = !strcmp(task, "segment") ? 0 : !strcmp(task, "pose") ? 1 : 2;
	h->has_extra = strcmp(task, "detect") != 0;
	h->has_proto = !strcmp(task, "segment");
	char prefix[UL_TENSOR_NAME];
	ul_bind_join(b, prefix, "model.%d", i);
	for (int k = 0; k < UL_HEAD_BRANCHES && !b->failed; k++) {
		int l = k % UL_HEAD_LEVELS, stride = net->graph->strides[l];
		const int *s = in[l];
		ul_bind_detect_level(b, &h->detect[k], prefix, k >= UL_HEAD_LEVELS, l, s[0], s[1], s[2], s[3]);
		char name[24];
		snprintf(name, sizeof name, "%s.box.%d", copies[k / UL_HEAD_LEVELS], l);
		h->out[k][0] = ul_net_add_output(net, name, s[0], s[1], s[2], 4, stride);
		snprintf(name, sizeof name, "%s.cls.%d", copies[k / UL_HEAD_LEVELS], l);
		h->out[k][1] = ul_net_add_output(net, name, s[0], s[1], s[2], net->graph->nc, stride);
		if (!h->has_extra)
			continue;
		bind_extra(h, b, prefix, task, k, s);
		for (int o = 0; !b->failed && o < h->extra[k].nout; o++) {
			snprintf(name, sizeof name, "%s.%s.%d", copies[k / UL_HEAD_LEVELS], extra_names[which][o], l);
			h->out[k][2 + o] = ul_net_add_output(net, name, s[0], s[1], s[2], h->extra[k].out[o].conv.c_out, stride);
		}
	}
	if (h->has_proto && !b->failed) {
		bind_proto(h, b, prefix, in);
		if (!b->failed) {
			h->proto_out = ul_net_add_output(net, "proto", in[0][0], 2 * in[0][1], 2 * in[0][2],
							 h->proto.cv3.conv.c_out, net->graph->strides[0] / 2);
			h->semseg_out = ul_net_add_output(net, "semseg", in[0][0], in[0][1], in[0][2], net->graph->nc,
							  net->graph->strides[0]);
		}
	}
}

size_t ul_head_workspace(const struct ul_head *h)
{
	size_t most = h->has_proto ? ul_proto26_workspace(&h->proto) : 0;
	for (int k = 0; k < UL_HEAD_BRANCHES; k++) {
		most = ul_size_max(most, ul_detect_level_workspace(&h->detect[k]));
		if (h->has_extra)
			most = ul_size_max(most, ul_head_branch_workspace(&h->extra[k]));
	}
	return most;
}

int ul_head_plan(struct ul_head *h, struct ul_plan *p, int start, int end)
{
	int rc = 0;
	for (int k = 0; k < UL_HEAD_BRANCHES; k++) {
		rc |= ul_plan_add(p, ul_detect_level_saved(&h->detect[k]), start, end, &h->detect_saved[k]);
		if (h->has_extra)
			rc |= ul_plan_add(p, ul_head_branch_saved(&h->extra[k]), start, end, &h->extra_saved[k]);
	}
	if (h->has_proto)
		rc |= ul_plan_add(p, ul_proto26_saved(&h->proto, true), start, end, &h->proto_saved);
	return rc;
}

void ul_head_forward(const struct ul_head *h, struct ul_net *net, const float *const x[UL_HEAD_LEVELS], bool train)
{
	struct ul_net_output *o = net->outputs;
	for (int k = 0; k < UL_HEAD_BRANCHES; k++) {
		const float *in = x[k % UL_HEAD_LEVELS];
		ul_detect_level_forward(&h->detect[k], in, o[h->out[k][0]].dev_data, o[h->out[k][1]].dev_data, h->detect_saved[k],
					net->workspace, train);
		if (!h->has_extra)
			continue;
		/* sigma serves the loss only: eval skips it */
		float *y[UL_HEAD_BRANCH_OUTS] = { o[h->out[k][2]].dev_data, h->extra[k].nout > 1 && train ? o[h->out[k][3]].dev_data : NULL };
		ul_head_branch_forward(&h->extra[k], in, y, h->extra_saved[k], net->workspace, train);
	}
	if (h->has_proto)
		ul_proto26_forward(&h->proto, x, o[h->proto_out].dev_data, train ? o[h->semseg_out].dev_data : NULL, h->proto_saved,
				   net->workspace, train);
}

void ul_head_backward(const struct ul_head *h, const struct ul_net *net, const float *const x[UL_HEAD_LEVELS],
		      float *const dx[UL_HEAD_LEVELS])
{
	const struct ul_net_output *o = net->outputs;
	for (int k = 0; k < UL_HEAD_BRANCHES; k++) {
		int l = k % UL_HEAD_LEVELS;
		ul_detect_level_backward(&h->detect[k], x[l], h->detect_saved[k], o[h->out[k][0]].dev_grad, o[h->out[k][1]].dev_grad,
					 dx[l], net->workspace);
		if (!h->has_extra)
			continue;
		const float *dy[UL_HEAD_BRANCH_OUTS] = { o[h->out[k][2]].dev_grad, h->extra[k].nout > 1 ? o[h->out[k][3]].dev_grad : NULL };
		ul_head_branch_backward(&h->extra[k], x[l], h->extra_saved[k], dy, dx[l], net->workspace);
	}
	if (h->has_proto)
		ul_proto26_backward(&h->proto, x, h->proto_saved, o[h->proto_out].dev_grad, o[h->semseg_out].dev_grad, dx,
				    net->workspace);
}
