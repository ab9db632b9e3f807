/* The executor: yolo26n, -seg, -pose, -obb and -cls run forward and backward at a small
 * size with every parameter reached; the whole chain of a small detector
 * (Conv, C3k2 of each kind, C2PSA, Upsample, Concat, Detect) matches
 * finite differences; the one-to-one branch sends nothing back; bad shapes
 * are refused. The arena's plan has its own test, test_plan.
 *
 * The chain is checked along a random direction of each tensor (see
 * fd_directional), tolerance 1e-3 of the gradient's size: through a
 * dozen BatchNorms over a few values each, float rounding in the loss
 * reaches 3e-4. SPPF stays out:
 * a step that moves a max pool's winner makes the loss kinked, not wrong,
 * and SPPF's own test covers it. */
#include <math.h>

#include "core/yaml_load.h"
#include "nn/init.h"
#include "nn/net.h"
#include "numeric.h"
#include "tap.h"

#define BATCH 2

struct model {
	struct ul_graph g;
	struct ul_weights w;
	struct ul_net net;
	float *images;
};

static int build(struct model *m, jv yaml, char scale, int nc, int side, float dropout)
{
	jv err = jv_invalid();
	if (ul_graph_build(&m->g, yaml, scale, nc, side, &err) || ul_weights_alloc(&m->w, &m->g)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "# build: %s\n", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "out of memory");
		jv_free(msg);
		jv_free(yaml);
		return -1;
	}
	jv_free(yaml);
	ul_init_weights(&m->g, m->w.params, m->w.buffers, 1);
	if (ul_net_create(&m->net, &m->g, &m->w, BATCH, side, side, dropout, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "# net: %s\n", jv_string_value(msg));
		jv_free(msg);
		return -1;
	}
	m->images = randoms((size_t)BATCH * side * side * 3, 0.5f, 0.5f);
	return 0;
}

static void drop(struct model *m)
{
	ul_net_free(&m->net);
	ul_weights_free(&m->w);
	ul_graph_free(&m->g);
	free(m->images);
}

static size_t numel(const struct ul_net_output *o)
{
	return (size_t)o->n * o->h * o->w * o->c;
}

static bool all_finite(const float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/* Random output gradients, the same each time for a seed. */
static void random_grads(struct ul_net *net, const char *only)
{
	for (int k = 0; k < net->noutputs; k++) {
		struct ul_net_output *o = &net->outputs[k];
		bool chosen = !only || strstr(o->name, only);
		for (size_t i = 0; i < numel(o); i++)
			o->grad[i] = chosen ? uniform() : 0;
	}
}

/* The parameter tensors whose gradient is all zero, among those whose name
 * holds must_contain (NULL: all) and not skip (NULL: none). */
static int untouched(const struct model *m, const char *must_contain, const char *skip, bool report)
{
	int count = 0;
	const struct ul_tensor_table *t = &m->g.tensors;
	for (size_t i = 0; i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		if (s->buffer || (must_contain && !strstr(s->name, must_contain)) || (skip && strstr(s->name, skip)))
			continue;
		bool zero = true;
		for (size_t e = 0; e < ul_tensor_numel(s) && zero; e++)
			zero = m->w.grads[s->offset + e] == 0;
		if (zero && report && count < 5)
			fprintf(stderr, "# no gradient: %s\n", s->name);
		count += zero;
	}
	return count;
}

static void full_model(void)
{
	struct model m;
	if (build(&m, ul_yaml_load_file("share/ul/models/yolo26.yaml"), 'n', 3, 64, 0)) {
		ok(0, "yolo26n builds at 64");
		return;
	}
	ul_net_forward(&m.net, m.images, true);
	const struct ul_net_output *p3 = ul_net_output(&m.net, "one2many.box.0");
	const struct ul_net_output *p5 = ul_net_output(&m.net, "one2one.cls.2");
	ok(m.net.noutputs == 12 && p3 && p3->h == 8 && p3->w == 8 && p3->c == 4 && p3->stride == 8,
	   "yolo26n at 64: 12 outputs, P3's boxes 8x8x4 at stride 8");
	ok(p5 && p5->h == 2 && p5->c == 3 && p5->stride == 32, "P5's one-to-one classes 2x2x3 at stride 32");
	bool finite = true;
	for (int k = 0; k < m.net.noutputs; k++)
		finite = finite && all_finite(m.net.outputs[k].data, numel(&m.net.outputs[k]));
	ok(finite, "every output is finite");
	ok(fabsf(p3->data[0] - 2.0f) < 2.0f, "box outputs start near the bias init of 2");

	random_grads(&m.net, NULL);
	ul_net_backward(&m.net);
	ok(all_finite(m.w.grads, m.g.tensors.params), "every gradient is finite");
	ok(untouched(&m, NULL, NULL, true) == 0, "every parameter tensor of yolo26n gets a gradient");
	const struct ul_tensor_spec *nbt = ul_tensor_find(&m.g.tensors, "model.0.bn.num_batches_tracked");
	ok(nbt && m.w.buffers[nbt->offset] == 1, "a training forward counts one batch");

	/* gradients accumulate: a second identical step doubles them */
	const struct ul_tensor_spec *s = ul_tensor_find(&m.g.tensors, "model.2.cv1.conv.weight");
	float once = m.w.grads[s->offset + 3];
	ul_net_forward(&m.net, m.images, true);
	ul_net_backward(&m.net);
	ok(fabsf(m.w.grads[s->offset + 3] - 2 * once) <= 1e-5f * fabsf(once) + 1e-12f, "gradients accumulate over steps");

	/* the one-to-one head sees detached features */
	memset(m.w.grads, 0, sizeof(float) * m.g.tensors.params);
	random_grads(&m.net, "one2one");
	ul_net_backward(&m.net);
	int backbone = 0;
	for (int layer = 0; layer < 23; layer++) {
		char prefix[24];
		snprintf(prefix, sizeof prefix, "model.%d.", layer);
		backbone += untouched(&m, prefix, NULL, false);
	}
	int total = 0;
	for (size_t i = 0; i < m.g.tensors.n; i++)
		total += !m.g.tensors.specs[i].buffer && strncmp(m.g.tensors.specs[i].name, "model.23.", 9);
	ok(backbone == total, "one-to-one gradients leave all %d backbone and neck tensors at zero", total);
	ok(untouched(&m, "one2one_", NULL, true) == 0, "and reach every one-to-one tensor");

	drop(&m);
}

/* Segment26, Pose26 and OBB26 at 64: their outputs, and a gradient for
 * every parameter but the RealNVP flow's, which only the pose loss runs. */
static void task_model(const char *file, int outputs, const char *extra, int channels)
{
	struct model m;
	if (build(&m, ul_yaml_load_file(file), 'n', 3, 64, 0)) {
		ok(0, "%s builds at 64", file);
		return;
	}
	ul_net_forward(&m.net, m.images, true);
	const struct ul_net_output *e = ul_net_output(&m.net, extra);
	ok(m.net.noutputs == outputs && e && e->c == channels, "%s: %d outputs, %s with %d channels", file, outputs, extra,
	   channels);
	bool finite = true;
	for (int k = 0; k < m.net.noutputs; k++)
		finite = finite && all_finite(m.net.outputs[k].data, numel(&m.net.outputs[k]));
	ok(finite, "%s: every output is finite", file);
	random_grads(&m.net, NULL);
	ul_net_backward(&m.net);
	int missing = untouched(&m, NULL, "flow_model", true);
	ok(missing == 0 && all_finite(m.w.grads, m.g.tensors.params), "%s: every head tensor gets a finite gradient", file);
	drop(&m);
}

static void classifier(void)
{
	struct model m;
	if (build(&m, ul_yaml_load_file("share/ul/models/yolo26-cls.yaml"), 'n', 5, 64, 0.2f)) {
		ok(0, "yolo26n-cls builds at 64");
		return;
	}
	ul_net_forward(&m.net, m.images, true);
	const struct ul_net_output *logits = ul_net_output(&m.net, "logits");
	ok(m.net.noutputs == 1 && logits && logits->c == 5 && logits->h == 1, "yolo26n-cls: logits (n, 1, 1, 5)");
	ok(all_finite(logits->data, numel(logits)), "finite logits");
	random_grads(&m.net, NULL);
	ul_net_backward(&m.net);
	ok(untouched(&m, NULL, NULL, true) == 0, "every parameter tensor of yolo26n-cls gets a gradient");
	drop(&m);
}

/* A small detector with most module kinds, channel widths kept small. */
static const char small_yaml[] =
	"nc: 2\n"
	"backbone:\n"
	"  - [-1, 1, Conv, [8, 3, 2]]\n"
	"  - [-1, 1, C3k2, [8, False, 0.5]]\n"
	"  - [-1, 1, Conv, [16, 3, 2]]\n"
	"  - [-1, 1, C3k2, [16, True]]\n"
	"  - [-1, 1, Conv, [128, 3, 2]]\n"
	"  - [-1, 1, C2PSA, [128]]\n"
	"head:\n"
	"  - [-1, 1, nn.Upsample, [None, 2, nearest]]\n"
	"  - [[-1, 3], 1, Concat, [1]]\n"
	"  - [-1, 1, C3k2, [16, True, 0.5, True]]\n"
	"  - [[1, 8, 5], 1, Detect, [nc]]\n";

struct probe {
	struct model *m;
	const float *r;  /* the fixed output gradients, all outputs in a row */
};

static double loss(void *ctx)
{
	struct probe *p = ctx;
	ul_net_forward(&p->m->net, p->m->images, true);
	double sum = 0;
	const float *r = p->r;
	for (int k = 0; k < p->m->net.noutputs; k++) {
		const struct ul_net_output *o = &p->m->net.outputs[k];
		sum += dot(o->data, r, numel(o));
		r += numel(o);
	}
	return sum;
}

static double check_tensor(struct probe *p, const char *name, size_t limit)
{
	const struct ul_tensor_spec *s = ul_tensor_find(&p->m->g.tensors, name);
	if (!s)
		return INFINITY;
	size_t n = ul_tensor_numel(s) < limit ? ul_tensor_numel(s) : limit;
	double err = fd_directional(loss, p, p->m->w.params + s->offset, p->m->w.grads + s->offset, n, 3e-3f);
	fprintf(stderr, "# %s: %.2g\n", name, err);
	return err;
}

static void small_chain(void)
{
	struct model m;
	const int side = 16;
	if (build(&m, ul_yaml_load_string(small_yaml, strlen(small_yaml), "small.yaml"), 0, 0, side, 0)) {
		ok(0, "the small detector builds");
		return;
	}
	size_t total = 0;
	for (int k = 0; k < m.net.noutputs; k++)
		total += numel(&m.net.outputs[k]);
	/* Detached features make the one-to-one outputs depend on the
	 * backbone in a way backward does not follow: finite differences
	 * agree with it where their gradients are zero. */
	float *r = randoms(total, 0, 1), *at = r;
	ul_net_forward(&m.net, m.images, true);
	for (int k = 0; k < m.net.noutputs; k++) {
		if (strstr(m.net.outputs[k].name, "one2one"))
			memset(at, 0, sizeof(float) * numel(&m.net.outputs[k]));
		memcpy(m.net.outputs[k].grad, at, sizeof(float) * numel(&m.net.outputs[k]));
		at += numel(&m.net.outputs[k]);
	}
	ul_net_backward(&m.net);
	struct probe p = { &m, r };
	/* through P3 (layer 1), which both layer 2 and Detect consume, and
	 * through C2PSA, Upsample, Concat and the attention C3k2 */
	ok(check_tensor(&p, "model.0.conv.weight", 48) < 1e-3, "the first conv's weight matches finite differences");
	ok(check_tensor(&p, "model.1.cv1.bn.weight", 8) < 1e-3, "a BatchNorm weight of P3's C3k2 matches");
	ok(check_tensor(&p, "model.3.m.0.cv3.conv.weight", 24) < 1e-3, "a C3k inside C3k2 matches");
	ok(check_tensor(&p, "model.5.m.0.attn.qkv.conv.weight", 24) < 1e-3, "C2PSA's qkv matches");
	ok(check_tensor(&p, "model.8.m.0.1.ffn.0.conv.weight", 24) < 1e-3, "the attention C3k2's FFN matches");
	ok(check_tensor(&p, "model.9.cv3.1.2.bias", 2) < 1e-3, "a class bias matches");
	free(r);
	drop(&m);
}

static char *create_error(const char *yaml_text, int side)
{
	struct ul_graph g;
	struct ul_weights w = { 0 };
	struct ul_net net;
	jv err = jv_invalid();
	char *out = NULL;
	jv yaml = ul_yaml_load_string(yaml_text, strlen(yaml_text), "t.yaml");
	if (ul_graph_build(&g, yaml, 0, 0, side, &err) == 0 &&
	    ul_weights_alloc(&w, &g) == 0 && ul_net_create(&net, &g, &w, BATCH, side, side, 0, &err) == 0) {
		ul_net_free(&net);
	} else {
		jv msg = jv_invalid_get_msg(err);
		out = strdup(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
	}
	ul_weights_free(&w);
	ul_graph_free(&g);
	jv_free(yaml);
	return out;
}

/* Every output of two nets, bit for bit. */
static bool same_outputs(const struct ul_net *a, const struct ul_net *b)
{
	bool same = a->noutputs == b->noutputs;
	for (int k = 0; same && k < a->noutputs; k++)
		same = numel(&a->outputs[k]) == numel(&b->outputs[k]) &&
		       !memcmp(a->outputs[k].data, b->outputs[k].data, sizeof(float) * numel(&a->outputs[k]));
	return same;
}

/* A net reshaped from 64 to 32 to 96 and back to 64 computes what a net
 * made for each shape does, forward (eval and training) and backward, and
 * keeps its buffers when they are big enough. */
static void reshaped(void)
{
	struct model m;
	if (build(&m, ul_yaml_load_file("share/ul/models/yolo26.yaml"), 'n', 3, 64, 0)) {
		ok(0, "yolo26n builds at 64");
		return;
	}
	float *arena = m.net.arena;
	static const int sides[] = { 32, 96, 64 };
	float *images = randoms((size_t)BATCH * 96 * 96 * 3, 0.5f, 0.5f);
	size_t params = m.g.tensors.params;
	float *grads = malloc(sizeof(float) * params);
	for (int i = 0; i < 3; i++) {
		int side = sides[i];
		jv err = jv_invalid();
		is_int(ul_net_reshape(&m.net, BATCH, side, side, &err), 0, "reshaped to %d", side);
		ok(m.net.h == side && m.net.w == side && m.net.batch == BATCH, "its shape is %dx%d", side, side);
		if (side < 96)
			ok(m.net.arena == arena, "at %d it keeps the arena it had", side);
		arena = m.net.arena;
		struct ul_net fresh;
		if (ul_net_create(&fresh, &m.g, &m.w, BATCH, side, side, 0, &err)) {
			ok(0, "a fresh net at %d", side);
			continue;
		}
		ul_net_forward(&m.net, images, false);
		ul_net_forward(&fresh, images, false);
		ok(same_outputs(&m.net, &fresh), "at %d its eval outputs are a fresh net's, bit for bit", side);
		memset(m.w.grads, 0, sizeof(float) * params);
		ul_net_forward(&m.net, images, true);
		random_grads(&m.net, NULL);
		ul_net_backward(&m.net);
		memcpy(grads, m.w.grads, sizeof(float) * params);
		memset(m.w.grads, 0, sizeof(float) * params);
		ul_net_forward(&fresh, images, true);
		ok(same_outputs(&m.net, &fresh), "and its training outputs");
		for (int k = 0; k < fresh.noutputs; k++)
			memcpy(fresh.outputs[k].grad, m.net.outputs[k].grad, sizeof(float) * numel(&fresh.outputs[k]));
		ul_net_backward(&fresh);
		ok(!memcmp(grads, m.w.grads, sizeof(float) * params), "and its gradients");
		ul_net_free(&fresh);
	}
	jv err = jv_invalid();
	is_int(ul_net_reshape(&m.net, BATCH, 60, 60, &err), -1, "a shape no net can take is refused");
	ok(m.net.layers == NULL && m.net.arena == NULL, "and leaves the net freed");
	jv_free(err);
	free(grads);
	free(images);
	drop(&m);
}

static void refusals(void)
{
	char *e = create_error(small_yaml, 12);
	ok(e && strstr(e, "multiples of 8"), "a side that is no multiple of the largest stride is refused: %s", e);
	free(e);
	e = create_error("backbone:\n  - [-1, 1, Conv, [8, 3, 2]]\n  - [-1, 1, C2PSA, [16]]\n", 16);
	ok(e && strstr(e, "at least 128"), "a C2PSA too narrow for one head is refused: %s", e);
	free(e);
	e = create_error("backbone:\n  - [-1, 1, Conv, [8, 3, 2]]\n", 16);
	ok(!e, "a headless graph runs, its last map the output");
	free(e);
}

int main(void)
{
	full_model();
	task_model("share/ul/models/yolo26-seg.yaml", 20, "proto", 32);
	task_model("share/ul/models/yolo26-pose.yaml", 24, "one2one.kpts.2", 51);
	task_model("share/ul/models/yolo26-obb.yaml", 18, "one2many.angle.0", 1);
	classifier();
	reshaped();
	small_chain();
	refusals();
	return done_testing();
}
