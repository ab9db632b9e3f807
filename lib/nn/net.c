#include "nn/net.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/sizes.h"
#include "nn/bind.h"
#include "nn/c2psa.h"
#include "nn/c3k2.h"
#include "nn/classify.h"
#include "nn/concat.h"
#include "nn/head.h"
#include "nn/plan.h"
#include "nn/sppf.h"
#include "nn/upsample.h"

enum kind { CONV, C3K2, SPPF, C2PSA, UPSAMPLE, CONCAT, DETECT, CLASSIFY };

struct ul_net_layer {
	enum kind kind;
	union {
		struct ul_conv_module conv;
		struct ul_c3k2 c3k2;
		struct ul_sppf sppf;
		struct ul_c2psa c2psa;
		struct ul_upsample upsample;
		struct ul_concat concat;
		struct ul_classify classify;
		struct ul_head head;
	} m;
	int concat_c[UL_MAX_FROM];
	int n, h, w, c;                 /* output */
	float *y, *dy, *saved;
	bool filled;                    /* dy holds a contribution in this backward pass */
};

/* ---- creation ---- */

int ul_net_add_output(struct ul_net *net, const char *name, int n, int h, int w, int c, int stride)
{
	struct ul_net_output *o = &net->outputs[net->noutputs];
	snprintf(o->name, sizeof o->name, "%s", name);
	o->n = n, o->h = h, o->w = w, o->c = c, o->stride = stride;
	return net->noutputs++;
}

/* Binds layer i; its inputs' shapes are known. */
static void bind_layer(struct ul_net *net, struct ul_binder *b, int i)
{
	const struct ul_layer *L = &net->graph->layers[i];
	struct ul_net_layer *N = &net->layers[i];
	int f = L->from[0];
	int n = net->batch, h = f < 0 ? net->h : net->layers[f].h, w = f < 0 ? net->w : net->layers[f].w;
	char prefix[UL_TENSOR_NAME];
	snprintf(prefix, sizeof prefix, "model.%d", i);
	N->n = n, N->h = h, N->w = w, N->c = L->c2;
	const char *m = L->module;
	if (!strcmp(m, "Conv")) {
		N->kind = CONV;
		ul_bind_conv(b, prefix, &N->m.conv, n, h, w, L->c1, L->s, true);
	} else if (!strcmp(m, "C3k2")) {
		N->kind = C3K2;
		ul_bind_c3k2(b, prefix, L, &N->m.c3k2, n, h, w);
	} else if (!strcmp(m, "SPPF")) {
		N->kind = SPPF;
		struct ul_sppf *s = &N->m.sppf;
		ul_bind_cv1(b, prefix, &s->cv1, n, h, w, L->c1, false);
		ul_bind_beside(b, prefix, "cv2", &s->cv2, &s->cv1.conv, (UL_SPPF_POOLS + 1) * s->cv1.conv.c_out, true);
		s->pool_k = L->k;
		s->add = L->shortcut && L->c1 == L->c2;
	} else if (!strcmp(m, "C2PSA")) {
		N->kind = C2PSA;
		struct ul_c2psa *c = &N->m.c2psa;
		ul_bind_cv1(b, prefix, &c->cv1, n, h, w, L->c1, true);
		ul_bind_beside(b, prefix, "cv2", &c->cv2, &c->cv1.conv, c->cv1.conv.c_out, true);
		c->n = L->repeats;
		int half = c->cv1.conv.c_out / 2;
		if (c->n > UL_C2PSA_MAX || half < 64)
			ul_bind_fail(b, "%s: C2PSA takes at most %d blocks of at least 64 channels", prefix, UL_C2PSA_MAX);
		for (int k = 0; !b->failed && k < c->n; k++) {
			char sub[UL_TENSOR_NAME];
			ul_bind_join(b, sub, "%s.m.%d", prefix, k);
			ul_bind_psablock(b, sub, &c->m[k], &c->cv1.conv, half, half / 64);
		}
	} else if (!strcmp(m, "nn.Upsample")) {
		N->kind = UPSAMPLE;
		N->m.upsample = (struct ul_upsample){ n, h, w, L->c1, L->factor };
	} else if (!strcmp(m, "Concat")) {
		N->kind = CONCAT;
		for (int k = 0; k < L->nfrom; k++) {
			int j = L->from[k];
			N->concat_c[k] = j < 0 ? net->graph->channels : net->layers[j].c;
			if ((j < 0 ? net->h : net->layers[j].h) != h || (j < 0 ? net->w : net->layers[j].w) != w)
				ul_bind_fail(b, "%s: Concat of maps of different sizes", prefix);
		}
		N->m.concat = (struct ul_concat){ (size_t)n * h * w, L->nfrom, N->concat_c };
	} else if (!strcmp(m, "Detect") || !strcmp(m, "Segment26") || !strcmp(m, "Pose26") || !strcmp(m, "OBB26")) {
		N->kind = DETECT;
		N->c = 0;
		int in[UL_HEAD_LEVELS][4];
		for (int l = 0; l < UL_HEAD_LEVELS; l++) {
			const struct ul_net_layer *from = L->from[l] < 0 ? NULL : &net->layers[L->from[l]];
			if (!from)
				ul_bind_fail(b, "%s: %s's inputs are layers, not the image", prefix, m);
			else
				in[l][0] = from->n, in[l][1] = from->h, in[l][2] = from->w, in[l][3] = from->c;
		}
		if (!b->failed)
			ul_head_bind(&N->m.head, b, net, L, i, (const int (*)[4])in);
	} else if (!strcmp(m, "Classify")) {
		N->kind = CLASSIFY;
		struct ul_classify *c = &N->m.classify;
		char sub[UL_TENSOR_NAME];
		ul_bind_join(b, sub, "%s.conv", prefix);
		ul_bind_conv(b, sub, &c->conv, n, h, w, L->c1, 1, true);
		ul_bind_join(b, sub, "%s.linear", prefix);
		const struct ul_tensor_spec *wt = ul_bind_need(b, sub, "weight", 2), *bias = ul_bind_need(b, sub, "bias", 1);
		if (!b->failed) {
			c->nc = wt->shape[0];
			c->weight = ul_bind_param(b, wt), c->dweight = ul_bind_grad(b, wt);
			c->bias = ul_bind_param(b, bias), c->dbias = ul_bind_grad(b, bias);
			c->dropout = net->dropout;
		}
		N->h = N->w = 1;
		ul_net_add_output(net, "logits", n, 1, 1, L->c2, 0);
	} else {
		ul_bind_fail(b, "layer %d: the engine cannot run %s", i, m);
	}
	if (N->kind == CONV && !b->failed)
		N->h = ul_conv2d_out_h(&N->m.conv.conv), N->w = ul_conv2d_out_w(&N->m.conv.conv);
	else if (N->kind == UPSAMPLE)
		N->h = h * L->factor, N->w = w * L->factor;
	if (i == net->graph->nlayers - 1 && N->kind != DETECT && N->kind != CLASSIFY)
		ul_net_add_output(net, "output", n, N->h, N->w, N->c, L->stride);
}

static size_t layer_workspace(const struct ul_net_layer *N)
{
	switch (N->kind) {
	case CONV: return ul_conv_module_workspace(&N->m.conv);
	case C3K2: return ul_c3k2_workspace(&N->m.c3k2);
	case SPPF: return ul_sppf_workspace(&N->m.sppf);
	case C2PSA: return ul_c2psa_workspace(&N->m.c2psa);
	case CLASSIFY: return ul_classify_workspace(&N->m.classify);
	case DETECT: return ul_head_workspace(&N->m.head);
	default: return 0;
	}
}

/* What a layer keeps from forward to backward (the head plans its own). */
static size_t layer_saved(const struct ul_net_layer *N)
{
	switch (N->kind) {
	case CONV: return ul_conv_module_saved(&N->m.conv);
	case C3K2: return ul_c3k2_saved(&N->m.c3k2);
	case SPPF: return ul_sppf_saved(&N->m.sppf);
	case C2PSA: return ul_c2psa_saved(&N->m.c2psa);
	case CLASSIFY: return ul_classify_saved(&N->m.classify);
	default: return 0;
	}
}

static size_t out_floats(const struct ul_net_layer *N)
{
	return (size_t)N->n * N->h * N->w * N->c;
}

static size_t output_floats(const struct ul_net_output *o)
{
	return (size_t)o->n * o->h * o->w * o->c;
}

/* Every block of the arena with its lifetime. */
static int plan_memory(struct ul_net *net, struct ul_plan *p)
{
	const struct ul_graph *g = net->graph;
	int L = g->nlayers;
	int rc = 0;
	for (int i = 0; i < L; i++) {
		struct ul_net_layer *N = &net->layers[i];
		int first = L, last = -1;  /* the consumers of i */
		for (int j = i + 1; j < L; j++)
			for (int k = 0; k < g->layers[j].nfrom; k++)
				if (g->layers[j].from[k] == i)
					first = j < first ? j : first, last = j > last ? j : last;
		if (N->kind == DETECT) {
			rc |= ul_head_plan(&N->m.head, p, i, 2 * L - i);
			continue;
		}
		bool is_output = i == L - 1;
		int y_end = is_output ? 2 * L + 1 : last < 0 ? i : 2 * L - first;
		rc |= ul_plan_add(p, out_floats(N), i, y_end, &N->y);
		rc |= ul_plan_add(p, layer_saved(N), i, 2 * L - i, &N->saved);
		rc |= ul_plan_add(p, out_floats(N), is_output ? L : last < 0 ? 2 * L - i : 2 * L - last, 2 * L - i, &N->dy);
	}
	/* a detection head's maps; any other last layer's output is its y */
	int head = L - 1;
	for (int k = 0; net->layers[head].kind == DETECT && k < net->noutputs; k++) {
		struct ul_net_output *o = &net->outputs[k];
		rc |= ul_plan_add(p, output_floats(o), head, 2 * L + 1, &o->dev_data);
		rc |= ul_plan_add(p, output_floats(o), L, 2 * L - head, &o->dev_grad);
	}
	return rc;
}

static size_t image_bytes(const struct ul_net *net)
{
	return sizeof(float) * net->batch * net->h * net->w * net->graph->channels;
}

/* Where the host reads the outputs and writes their gradients: in place
 * when the backend's memory is the host's, else copies, with the images'
 * copy and the counters' 1 in the backend's memory. */
static int host_copies(struct ul_net *net)
{
	for (int k = 0; k < net->noutputs; k++) {
		struct ul_net_output *o = &net->outputs[k];
		if (ul_ops->host_memory) {
			o->data = o->dev_data, o->grad = o->dev_grad;
		} else if (!(o->data = calloc(output_floats(o), sizeof(float))) ||
			   !(o->grad = calloc(output_floats(o), sizeof(float)))) {
			return -1;
		}
	}
	static const float one = 1;
	net->one = ul_ops->alloc(sizeof one);
	if (!net->one)
		return -1;
	ul_ops->to_device(net->one, &one, sizeof one);
	if (ul_ops->host_memory)
		return 0;
	net->dev_images = ul_ops->alloc(image_bytes(net));
	return net->dev_images ? 0 : -1;
}

/* *at if it holds floats (and one more, so no block is empty), else a new
 * buffer in its place: a reshaped net keeps memory already mapped and
 * touched. NULL when out of memory. */
static float *hold(float **at, size_t *cap, size_t floats)
{
	if (*at && *cap > floats)
		return *at;
	ul_ops->release(*at);
	*cap = floats + 1;
	return *at = ul_ops->alloc(sizeof(float) * *cap);
}

/* Binds, plans and places net's graph for its shape, in the buffers it
 * holds where they are big enough. */
static int build(struct ul_net *net, jv *err)
{
	const struct ul_graph *g = net->graph;
	int batch = net->batch, h = net->h, w_ = net->w;
	struct ul_binder b = { net->weights, err, 0 };
	int stride = 1;
	for (int i = 0; i < g->nlayers; i++)
		stride = g->layers[i].stride > stride ? g->layers[i].stride : stride;
	if (g->nlayers < 1)
		ul_bind_fail(&b, "the model has no layers");
	else if (batch < 1 || h < stride || w_ < stride || h % stride || w_ % stride)
		ul_bind_fail(&b, "images of %dx%d in batches of %d: sides must be multiples of %d", h, w_, batch, stride);
	else if (!(net->layers = calloc((size_t)g->nlayers, sizeof *net->layers)))
		ul_bind_fail(&b, "out of memory");
	for (int i = 0; !b.failed && i < g->nlayers; i++)
		bind_layer(net, &b, i);
	struct ul_plan p = { 0 };
	if (!b.failed && plan_memory(net, &p))
		ul_bind_fail(&b, "out of memory");
	if (!b.failed) {
		net->arena_floats = ul_plan_place(&p);
		net->scratch_floats = (size_t)batch * h * w_ * g->channels;  /* a discarded image gradient */
		for (int i = 0; i < g->nlayers; i++) {
			net->workspace_floats = ul_size_max(net->workspace_floats, layer_workspace(&net->layers[i]));
			net->scratch_floats = ul_size_max(net->scratch_floats, out_floats(&net->layers[i]));
		}
		if (!hold(&net->arena, &net->arena_cap, net->arena_floats) ||
		    !hold(&net->workspace, &net->workspace_cap, net->workspace_floats) ||
		    !hold(&net->scratch, &net->scratch_cap, net->scratch_floats))
			ul_bind_fail(&b, "out of %s memory for %zu MB of activations", ul_ops->name,
				  (net->arena_floats + net->workspace_floats + net->scratch_floats) * sizeof(float) >> 20);
		if (!b.failed)
			ul_plan_bind(&p, net->arena);
	}
	ul_plan_free(&p);
	if (!b.failed) {
		const struct ul_net_layer *head = &net->layers[g->nlayers - 1];
		if (head->kind != DETECT)
			net->outputs[0].dev_data = head->y, net->outputs[0].dev_grad = head->dy;
		if (host_copies(net))
			ul_bind_fail(&b, "out of memory for the outputs");
	}
	if (b.failed) {
		ul_net_free(net);
		return -1;
	}
	return 0;
}

int ul_net_create(struct ul_net *net, const struct ul_graph *g, const struct ul_weights *w, int batch, int h, int w_,
		  float dropout, jv *err)
{
	*net = (struct ul_net){ .graph = g, .weights = w, .batch = batch, .h = h, .w = w_, .dropout = dropout };
	return build(net, err);
}

/* All but the three planned buffers. */
static void free_binding(struct ul_net *net)
{
	for (int i = 0; net->layers && i < net->graph->nlayers; i++)
		if (net->layers[i].kind == C3K2)
			free(net->layers[i].m.c3k2.m);
	free(net->layers);
	ul_ops->release(net->one);
	ul_ops->release(net->dev_images);
	for (int k = 0; k < net->noutputs; k++)
		if (net->outputs[k].data != net->outputs[k].dev_data) {
			free(net->outputs[k].data);
			free(net->outputs[k].grad);
		}
}

int ul_net_reshape(struct ul_net *net, int batch, int h, int w, jv *err)
{
	if (net->batch == batch && net->h == h && net->w == w)
		return 0;
	free_binding(net);
	*net = (struct ul_net){ .graph = net->graph, .weights = net->weights, .batch = batch, .h = h, .w = w,
				.dropout = net->dropout, .arena = net->arena, .workspace = net->workspace,
				.scratch = net->scratch, .arena_cap = net->arena_cap,
				.workspace_cap = net->workspace_cap, .scratch_cap = net->scratch_cap };
	return build(net, err);
}

void ul_net_free(struct ul_net *net)
{
	free_binding(net);
	ul_ops->release(net->arena);
	ul_ops->release(net->workspace);
	ul_ops->release(net->scratch);
	memset(net, 0, sizeof *net);
}

size_t ul_net_floats(const struct ul_net *net)
{
	return net->arena_floats + net->workspace_floats + net->scratch_floats;
}

struct ul_net_output *ul_net_output(struct ul_net *net, const char *name)
{
	for (int k = 0; k < net->noutputs; k++)
		if (!strcmp(net->outputs[k].name, name))
			return &net->outputs[k];
	return NULL;
}

/* ---- running ---- */

static const float *input_of(const struct ul_net *net, const float *images, int j)
{
	return j < 0 ? images : net->layers[j].y;
}

/* PyTorch counts the training batches each BatchNorm has seen; the
 * counters are in the backend's memory, so its add does it. */
static void count_batches(const struct ul_net *net)
{
	const struct ul_tensor_table *t = &net->graph->tensors;
	for (size_t i = 0; i < t->n; i++)
		if (t->specs[i].buffer && t->specs[i].ndim == 0)
			ul_ops->add(1, net->one, net->weights->buffers + t->specs[i].offset);
}

void ul_net_forward(struct ul_net *net, const float *images, bool train)
{
	const struct ul_graph *g = net->graph;
	float *ws = net->workspace;
	if (net->dev_images) {
		ul_ops->to_device(net->dev_images, images, image_bytes(net));
		images = net->dev_images;
	}
	net->images = images;
	for (int i = 0; i < g->nlayers; i++) {
		const struct ul_layer *L = &g->layers[i];
		struct ul_net_layer *N = &net->layers[i];
		const float *x = input_of(net, images, L->from[0]);
		switch (N->kind) {
		case CONV: ul_conv_module_forward(&N->m.conv, x, N->y, N->saved, ws, train); break;
		case C3K2: ul_c3k2_forward(&N->m.c3k2, x, N->y, N->saved, ws, train); break;
		case SPPF: ul_sppf_forward(&N->m.sppf, x, N->y, N->saved, ws, train); break;
		case C2PSA: ul_c2psa_forward(&N->m.c2psa, x, N->y, N->saved, ws, train); break;
		case UPSAMPLE: ul_ops->upsample_forward(&N->m.upsample, x, N->y); break;
		case CLASSIFY: ul_classify_forward(&N->m.classify, x, N->y, N->saved, ws, train, net->seed); break;
		case CONCAT: {
			const float *parts[UL_MAX_FROM];
			for (int k = 0; k < L->nfrom; k++)
				parts[k] = input_of(net, images, L->from[k]);
			ul_concat_forward(&N->m.concat, parts, N->y);
			break;
		}
		case DETECT: {
			const float *x3[UL_HEAD_LEVELS];
			for (int l = 0; l < UL_HEAD_LEVELS; l++)
				x3[l] = input_of(net, images, L->from[l]);
			ul_head_forward(&N->m.head, net, x3, train);
			break;
		}
		}
	}
	if (train)
		count_batches(net);
	for (int k = 0; net->dev_images && k < net->noutputs; k++)
		ul_ops->to_host(net->outputs[k].data, net->outputs[k].dev_data, output_floats(&net->outputs[k]) * sizeof(float));
}

/* Where a consumer writes the gradient of layer j's output. The first
 * contribution of a pass goes straight into dy (a module that adds gets
 * it zeroed first); later ones from a module that overwrites go to
 * scratch, and finish_grad adds them in. The image needs none: NULL. */
/* The gradient of layer j's output (j < 0: the image's, when asked for),
 * its size, and whether this pass has written it yet. */
static float *grad_of(struct ul_net *net, int j, size_t *n, bool **filled)
{
	if (j < 0) {
		*n = image_bytes(net) / sizeof(float);
		*filled = &net->dimages_filled;
		return net->dimages;
	}
	struct ul_net_layer *N = &net->layers[j];
	*n = out_floats(N);
	*filled = &N->filled;
	return N->dy;
}

static float *grad_target(struct ul_net *net, int j, bool adds)
{
	size_t n;
	bool *filled;
	float *dy = grad_of(net, j, &n, &filled);
	if (!dy)
		return NULL;
	if (!*filled) {
		*filled = true;
		if (adds)
			ul_ops->zero(n, dy);
		return dy;
	}
	return adds ? dy : net->scratch;
}

static void finish_grad(struct ul_net *net, int j, const float *target)
{
	size_t n;
	bool *filled;
	float *dy = grad_of(net, j, &n, &filled);
	if (!dy || target != net->scratch)
		return;
	ul_ops->add(n, net->scratch, dy);
}

/* Modules that need a dx even for the image get the scratch, discarded. */
static float *required(struct ul_net *net, float *target)
{
	return target ? target : net->scratch;
}

static void backward_layer(struct ul_net *net, int i)
{
	const struct ul_layer *L = &net->graph->layers[i];
	struct ul_net_layer *N = &net->layers[i];
	float *ws = net->workspace;
	const float *x = input_of(net, net->images, L->from[0]);
	int f = L->from[0];
	if (N->kind != DETECT && !N->filled)
		ul_ops->zero(out_floats(N), N->dy);  /* nothing consumed this output */
	if (N->kind == DETECT) {
		const float *x3[UL_HEAD_LEVELS];
		float *dx3[UL_HEAD_LEVELS];
		for (int l = 0; l < UL_HEAD_LEVELS; l++)
			x3[l] = net->layers[L->from[l]].y, dx3[l] = grad_target(net, L->from[l], true);
		ul_head_backward(&N->m.head, net, x3, dx3);
		return;
	}
	if (N->kind == CONCAT) {
		for (int k = 0; k < L->nfrom; k++) {
			float *parts[UL_MAX_FROM] = { 0 };
			int j = L->from[k];
			parts[k] = grad_target(net, j, false);
			if (parts[k])
				ul_concat_backward(&N->m.concat, N->dy, parts);
			finish_grad(net, j, parts[k]);
		}
		return;
	}
	float *dx = grad_target(net, f, false);
	switch (N->kind) {
	case CONV: ul_conv_module_backward(&N->m.conv, x, N->saved, N->dy, dx, ws); break;
	case C3K2: ul_c3k2_backward(&N->m.c3k2, x, N->saved, N->dy, required(net, dx), ws); break;
	case SPPF: ul_sppf_backward(&N->m.sppf, x, N->saved, N->dy, required(net, dx), ws); break;
	case C2PSA: ul_c2psa_backward(&N->m.c2psa, x, N->saved, N->dy, required(net, dx), ws); break;
	case CLASSIFY: ul_classify_backward(&N->m.classify, x, N->saved, N->dy, required(net, dx), ws); break;
	case UPSAMPLE:
		if (dx)
			ul_ops->upsample_backward(&N->m.upsample, N->dy, dx);
		break;
	default: break;
	}
	finish_grad(net, f, dx);
}

void ul_net_backward(struct ul_net *net)
{
	int L = net->graph->nlayers;
	for (int i = 0; i < L; i++)
		net->layers[i].filled = false;
	net->dimages_filled = false;
	net->layers[L - 1].filled = true;  /* the head's gradient comes from the loss */
	for (int k = 0; net->dev_images && k < net->noutputs; k++)
		ul_ops->to_device(net->outputs[k].dev_grad, net->outputs[k].grad, output_floats(&net->outputs[k]) * sizeof(float));
	for (int i = L - 1; i >= 0; i--)
		backward_layer(net, i);
}
