/* The optimizers against PyTorch (tests/reference/make_optim_vectors.py):
 * seven steps of each kind from the same parameters, fresh gradients each
 * step, every group's lr and momentum changed between steps as warmup does
 * (momentum written into every group, so the Adam family is seen to keep
 * its beta1), each tensor in the group the reference put it in. Then the
 * groups of the real yolo26n (and -seg for proto.semseg), counted here
 * from the names by rules of the test's own; "auto"; names; refused
 * hyperparameters; frozen tensors; gradient clipping.
 *
 * Tolerance for the replay: 1e-5 of how far each tensor moves over the run
 * (the L2 norm of its error over that of its displacement). The reference
 * is float64, ours float32 as PyTorch's own float32 run would be: rounding
 * a tensor to float32 at each step costs ~6e-8 of its size, and here
 * tensors move about as far as they are large, so the errors measured sit
 * between 2e-7 and 1.5e-6, MuSGD's float32 Newton-Schulz included. Formula
 * mistakes tried by hand (a Newton-Schulz coefficient, Nesterov dropped,
 * decay coupled, eps moved, RAdam's threshold, NAdam's 2.0 mu_product)
 * moved some tensor by 5e-3 to 2 of its displacement. */
#include <math.h>
#include <stdbool.h>

#include "core/yaml_load.h"
#include "nn/graph.h"
#include "numeric.h"
#include "reference_read.h"
#include "tap.h"
#include "train/optim.h"

#define VECTORS "tests/reference/vectors/"
#define REPLAY_TOLERANCE 1e-5

static double meta_number(const struct ul_safetensors *st, const char *key)
{
	jv v = meta(st, key);
	double n = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	return n;
}

/* The table the reference describes: [name, shape, buffer] rows. */
static void table_from(jv rows, struct ul_tensor_table *t)
{
	ul_tensor_table_init(t);
	jv_array_foreach(rows, i, row) {
		jv name = jv_array_get(jv_copy(row), 0), shape = jv_array_get(jv_copy(row), 1);
		int dims[4] = { 0 }, ndim = jv_array_length(jv_copy(shape));
		for (int d = 0; d < ndim && d < 4; d++)
			dims[d] = (int)jv_number_value(jv_array_get(jv_copy(shape), d));
		bool buffer = jv_get_kind(jv_array_get(row, 2)) == JV_KIND_TRUE;
		ul_tensor_add(t, buffer, jv_string_value(name), ndim, dims[0], dims[1], dims[2], dims[3]);
		jv_free(name);
		jv_free(shape);
	}
	jv_free(rows);
}

static void replay(const char *file)
{
	char path[256];
	snprintf(path, sizeof path, VECTORS "optim_%s.safetensors", file);
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, path, &err)) {
		ok(0, "%s opens", path);
		jv_free(err);
		return;
	}
	jv kind_text = jv_object_get(jv_copy(st.metadata), jv_string("kind"));
	char name[16];
	snprintf(name, sizeof name, "%s", jv_string_value(kind_text));
	jv_free(kind_text);
	enum ul_optim_kind kind;
	if (ul_optim_kind_from_name(name, &kind)) {
		ok(0, "%s: a known kind", name);
		ul_safetensors_close(&st);
		return;
	}
	struct ul_tensor_table t;
	table_from(meta(&st, "tensors"), &t);
	int steps = (int)meta_number(&st, "steps");
	size_t n = 0, nlr = 0, nmom = 0;
	float *start = read_tensor(&st, "params", &n), *grads = read_tensor(&st, "grads", &n);
	float *after = read_tensor(&st, "after", &n), *lr = read_tensor(&st, "lr", &nlr);
	float *momentum = read_tensor(&st, "momentum", &nmom);
	ok(start && grads && after && lr && momentum && n == (size_t)steps * t.params, "%s: the reference reads", name);

	struct ul_optim o;
	int rc = ul_optim_create(&o, kind, &t, NULL, meta_number(&st, "lr0"), meta_number(&st, "momentum0"),
				 meta_number(&st, "weight_decay"), &err);
	ok(rc == 0, "%s: builds", name);
	if (rc) {
		jv_free(err);
		goto done;
	}
	jv groups = meta(&st, "groups"), group_names = meta(&st, "group_names");
	int misplaced = 0, misnamed = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (t.specs[i].buffer) {
			misplaced += o.group[i] != -1;
			continue;
		}
		jv want = jv_object_get(jv_copy(groups), jv_string(t.specs[i].name));
		misplaced += o.group[i] != (int)jv_number_value(want);
		jv_free(want);
	}
	for (int j = 0; j < o.ngroups; j++) {
		jv want = jv_array_get(jv_copy(group_names), j);
		misnamed += jv_get_kind(want) != JV_KIND_STRING || strcmp(o.groups[j].name, jv_string_value(want));
		jv_free(want);
	}
	ok(o.ngroups == jv_array_length(group_names) && nlr == (size_t)steps * o.ngroups && nmom == nlr,
	   "%s: %d groups, an lr and a momentum for each at each step", name, o.ngroups);
	ok(misplaced == 0 && misnamed == 0, "%s: every tensor in the reference's group (%d differ), named as it is", name,
	   misplaced);
	jv_free(groups);

	float *params = malloc(sizeof *params * t.params);
	memcpy(params, start, sizeof *params * t.params);
	double worst = 0;
	for (int k = 0; k < steps; k++) {
		for (int j = 0; j < o.ngroups; j++) {
			o.groups[j].lr = lr[k * o.ngroups + j];
			o.groups[j].momentum = momentum[k * o.ngroups + j];
		}
		ul_optim_step(&o, params, grads + (size_t)k * t.params);
		const float *want = after + (size_t)k * t.params, *last = after + (size_t)(steps - 1) * t.params;
		for (size_t i = 0; i < t.n; i++) {
			const struct ul_tensor_spec *s = &t.specs[i];
			if (s->buffer)
				continue;
			double diff = 0, moved = 0;
			for (size_t e = s->offset; e < s->offset + ul_tensor_numel(s); e++) {
				diff += ((double)params[e] - want[e]) * ((double)params[e] - want[e]);
				moved += ((double)last[e] - start[e]) * ((double)last[e] - start[e]);
			}
			worst = worse(worst, sqrt(diff) / sqrt(moved));
		}
	}
	ok(worst < REPLAY_TOLERANCE, "%s: %d steps match PyTorch (worst %.2g of a tensor's displacement)", name, steps,
	   worst);
	free(params);
	ul_optim_free(&o);
done:
	free(start), free(grads), free(after), free(lr), free(momentum);
	ul_tensor_table_free(&t);
	ul_safetensors_close(&st);
}

/* --- the groups of a real model ------------------------------------------- */

static bool under(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* The rules of the test: yolo26's head is layer 23 and every norm layer is
 * a Conv's "bn"; the head's classification branches are cv3 and
 * one2one_cv3; Segment26's semantic branch is proto.semseg. */
static bool norm_weight(const char *name)
{
	size_t len = strlen(name);
	return len > 10 && !strcmp(name + len - 10, ".bn.weight");
}

static bool boosted_name(const char *name)
{
	return under(name, "model.23.cv3.") || under(name, "model.23.one2one_cv3.") || strstr(name, "proto.semseg");
}

static int build_model(struct ul_graph *g, const char *yaml)
{
	jv err = jv_invalid(), y = ul_yaml_load_file(yaml);
	int rc = ul_graph_build(g, y, 'n', 80, 640, &err);
	if (rc)
		jv_free(err);
	jv_free(y);
	return rc;
}

static void adamw_groups(const struct ul_graph *g)
{
	struct ul_optim o;
	jv err = jv_invalid();
	if (ul_optim_create(&o, UL_OPTIM_ADAMW, &g->tensors, NULL, 0.001429, 0.9, 5e-4, &err)) {
		ok(0, "AdamW on yolo26n builds");
		jv_free(err);
		return;
	}
	size_t want[3] = { 0 }, wrong = 0;
	for (size_t i = 0; i < g->tensors.n; i++) {
		const struct ul_tensor_spec *s = &g->tensors.specs[i];
		if (s->buffer) {
			wrong += o.group[i] != -1;
			continue;
		}
		int j = strstr(s->name, "bias") ? 2 : norm_weight(s->name) ? 1 : 0;
		want[j]++;
		wrong += o.group[i] != j;
	}
	is_int(o.ngroups, 3, "AdamW on yolo26n: three groups");
	ok(wrong == 0, "AdamW: every BatchNorm weight in bn, every bias in bias, the rest in weight (%zu differ)", wrong);
	ok(o.groups[0].ntensors == want[0] && o.groups[1].ntensors == want[1] && o.groups[2].ntensors == want[2],
	   "AdamW: %zu weight, %zu bn, %zu bias tensors (want %zu %zu %zu)", o.groups[0].ntensors, o.groups[1].ntensors,
	   o.groups[2].ntensors, want[0], want[1], want[2]);
	ok(o.groups[0].weight_decay == 5e-4 && o.groups[1].weight_decay == 0 && o.groups[2].weight_decay == 0,
	   "AdamW: decay on weight only");
	ok(!strcmp(o.groups[0].name, "weight") && !strcmp(o.groups[1].name, "bn") && !strcmp(o.groups[2].name, "bias"),
	   "AdamW: groups named weight, bn, bias");
	ok(o.groups[0].betas[0] == 0.9 && o.groups[0].betas[1] == 0.999 && !o.groups[0].has_momentum,
	   "AdamW: betas (0.9, 0.999), no momentum for warmup to ramp");
	ul_optim_free(&o);
}

static void musgd_groups(const struct ul_graph *g, const char *model)
{
	struct ul_optim o;
	jv err = jv_invalid();
	if (ul_optim_create(&o, UL_OPTIM_MUSGD, &g->tensors, NULL, 0.01, 0.9, 5e-4, &err)) {
		ok(0, "MuSGD on %s builds", model);
		jv_free(err);
		return;
	}
	size_t want[8] = { 0 }, wrong = 0, semseg = 0;
	for (size_t i = 0; i < g->tensors.n; i++) {
		const struct ul_tensor_spec *s = &g->tensors.specs[i];
		if (s->buffer)
			continue;
		int base = s->ndim == 4 || s->ndim == 2 ? 3 : strstr(s->name, "bias") ? 2 : norm_weight(s->name) ? 1 : 0;
		int j = 2 * base + !boosted_name(s->name);
		want[j]++;
		wrong += o.group[i] != j;
		semseg += strstr(s->name, "proto.semseg") != NULL;
	}
	is_int(o.ngroups, 8, "MuSGD on %s: eight groups", model);
	ok(wrong == 0, "MuSGD on %s: every tensor where the names put it (%zu differ)", model, wrong);
	int counts_differ = 0;
	for (int j = 0; j < 8; j++)
		counts_differ += o.groups[j].ntensors != want[j];
	ok(counts_differ == 0,
	   "MuSGD on %s: counts %zu %zu %zu %zu %zu %zu %zu %zu (want %zu %zu %zu %zu %zu %zu %zu %zu)", model,
	   o.groups[0].ntensors, o.groups[1].ntensors, o.groups[2].ntensors, o.groups[3].ntensors, o.groups[4].ntensors,
	   o.groups[5].ntensors, o.groups[6].ntensors, o.groups[7].ntensors, want[0], want[1], want[2], want[3],
	   want[4], want[5], want[6], want[7]);
	ok(want[6] > 0 && want[2] > 0 && want[4] > 0, "MuSGD on %s: the head's cv3 fills the 3x muon, bn and bias groups",
	   model);
	if (semseg)
		ok(semseg > 0, "MuSGD on %s: its %zu proto.semseg tensors are among them", model, semseg);
	bool lrs = true, flags = true;
	for (int j = 0; j < 8; j++) {
		const struct ul_optim_group *grp = &o.groups[j];
		lrs = lrs && fabs(grp->initial_lr - (j % 2 ? 0.01 : 0.03)) < 1e-15 && grp->lr == grp->initial_lr;
		flags = flags && grp->boosted == (j % 2 == 0) && grp->muon == (j >= 6) && grp->has_momentum &&
			grp->weight_decay == (j < 2 || j >= 6 ? 5e-4 : 0);
	}
	ok(lrs, "MuSGD on %s: even groups at 3x lr", model);
	ok(flags, "MuSGD on %s: boosted, muon and decay flags by group", model);
	ul_optim_free(&o);
}

static void model_groups(void)
{
	struct ul_graph g;
	if (build_model(&g, "share/ul/models/yolo26.yaml")) {
		ok(0, "yolo26n builds");
		return;
	}
	adamw_groups(&g);
	musgd_groups(&g, "yolo26n");
	ul_graph_free(&g);
	if (build_model(&g, "share/ul/models/yolo26-seg.yaml")) {
		ok(0, "yolo26n-seg builds");
		return;
	}
	musgd_groups(&g, "yolo26n-seg");
	ul_graph_free(&g);
}

/* --- choosing ------------------------------------------------------------- */

static void choosing(void)
{
	struct ul_optim_choice c = ul_optim_auto(32, 8, 64, 2, 3);
	ok(c.kind == UL_OPTIM_ADAMW && c.lr == 0.001429 && c.momentum == 0.9 && c.auto_chosen,
	   "auto, 3 classes, few iterations: AdamW lr 0.001429 momentum 0.9 (got %s %.17g)", ul_optim_kind_name(c.kind),
	   c.lr);
	c = ul_optim_auto(640, 16, 64, 1000, 80);
	ok(c.kind == UL_OPTIM_ADAMW && c.lr == 0.000119, "auto: exactly 10000 iterations is still AdamW, lr 0.000119");
	c = ul_optim_auto(640, 16, 64, 1001, 80);
	ok(c.kind == UL_OPTIM_MUSGD && c.lr == 0.01 && c.momentum == 0.9 && c.auto_chosen,
	   "auto: 10010 iterations is MuSGD lr 0.01 momentum 0.9");
	c = ul_optim_auto(1281, 128, 64, 1000, 80);
	ok(c.kind == UL_OPTIM_MUSGD, "auto: a batch above nbs counts iterations by the batch (11 x 1000)");
	c = ul_optim_auto(118287, 16, 64, 100, 80);
	ok(c.kind == UL_OPTIM_MUSGD, "auto: COCO for 100 epochs is MuSGD");

	enum ul_optim_kind k = UL_OPTIM_SGD;
	ok(ul_optim_kind_from_name("adamw", &k) == 0 && k == UL_OPTIM_ADAMW, "adamw names AdamW");
	ok(ul_optim_kind_from_name("MUSGD", &k) == 0 && k == UL_OPTIM_MUSGD, "MUSGD names MuSGD");
	ok(ul_optim_kind_from_name("auto", &k) == -1 && ul_optim_kind_from_name("Lion", &k) == -1,
	   "auto and Lion are not kinds");
	bool round_trip = true;
	for (int i = UL_OPTIM_SGD; i <= UL_OPTIM_ADAMAX; i++)
		round_trip = round_trip && ul_optim_kind_from_name(ul_optim_kind_name((enum ul_optim_kind)i), &k) == 0 &&
			     k == (enum ul_optim_kind)i;
	ok(round_trip, "every kind's name reads back as that kind");
	is_str(ul_optim_kind_name(UL_OPTIM_RMSPROP), "RMSprop", "RMSprop spelled as Ultralytics does");
}

static void small_table(struct ul_tensor_table *t)
{
	ul_tensor_table_init(t);
	ul_tensor_add(t, false, "model.0.conv.weight", 4, 4, 3, 3, 3);
	ul_tensor_add(t, false, "model.0.bn.weight", 1, 4);
	ul_tensor_add(t, false, "model.0.bn.bias", 1, 4);
	ul_tensor_add(t, true, "model.0.bn.running_mean", 1, 4);
	ul_tensor_add(t, true, "model.0.bn.running_var", 1, 4);
	ul_tensor_add(t, false, "model.1.conv.weight", 4, 8, 4, 1, 1);
	ul_tensor_add(t, false, "model.1.conv.bias", 1, 8);
	ul_tensor_add(t, false, "model.2.linear.weight", 2, 3, 8);
}

static void refusals(void)
{
	struct ul_tensor_table t;
	small_table(&t);
	struct ul_optim o;
	static const struct {
		enum ul_optim_kind kind;
		double lr, momentum, decay;
		const char *says;
	} bad[] = {
		{ UL_OPTIM_SGD, 0.01, 0, 5e-4, "Nesterov" },
		{ UL_OPTIM_ADAM, 0.01, 1, 5e-4, "beta1" },
		{ UL_OPTIM_ADAMW, -0.01, 0.9, 5e-4, "lr" },
		{ UL_OPTIM_RMSPROP, 0.01, 0.9, -1, "weight_decay" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		jv err = jv_invalid();
		int rc = ul_optim_create(&o, bad[i].kind, &t, NULL, bad[i].lr, bad[i].momentum, bad[i].decay, &err);
		jv msg = jv_invalid_get_msg(err);
		ok(rc == -1 && jv_get_kind(msg) == JV_KIND_STRING && strstr(jv_string_value(msg), bad[i].says),
		   "%s refuses lr %g momentum %g decay %g, saying %s", ul_optim_kind_name(bad[i].kind), bad[i].lr,
		   bad[i].momentum, bad[i].decay, bad[i].says);
		jv_free(msg);
	}
	ul_tensor_table_free(&t);
}

/* Every kind, three steps with decay: the frozen tensors keep their bits
 * and their state stays zero; the others move. */
static void frozen(void)
{
	struct ul_tensor_table t;
	small_table(&t);
	bool freeze[8] = { [0] = true, [2] = true };  /* the conv weight and the BatchNorm bias */
	float *start = randoms(t.params, 0, 0.5f), *params = malloc(sizeof(float) * t.params);
	float *grads = randoms(t.params, 0, 0.1f);
	for (int kind = UL_OPTIM_SGD; kind <= UL_OPTIM_ADAMAX; kind++) {
		struct ul_optim o;
		jv err = jv_invalid();
		if (ul_optim_create(&o, (enum ul_optim_kind)kind, &t, freeze, 0.01, 0.9, 0.05, &err)) {
			ok(0, "%s builds", ul_optim_kind_name((enum ul_optim_kind)kind));
			jv_free(err);
			continue;
		}
		memcpy(params, start, sizeof(float) * t.params);
		for (int step = 0; step < 3; step++)
			ul_optim_step(&o, params, grads);
		bool kept = true, moved = true;
		for (size_t i = 0; i < t.n; i++) {
			const struct ul_tensor_spec *s = &t.specs[i];
			if (s->buffer)
				continue;
			bool same = !memcmp(params + s->offset, start + s->offset, sizeof(float) * ul_tensor_numel(s));
			for (int k = 0; k < UL_OPTIM_STATES && freeze[i]; k++)
				for (size_t e = 0; o.state[k] && e < ul_tensor_numel(s); e++)
					same = same && o.state[k][s->offset + e] == 0;
			if (freeze[i])
				kept = kept && same;
			else
				moved = moved && !same;
		}
		size_t counted = 0;
		for (int j = 0; j < o.ngroups; j++)
			counted += o.groups[j].ntensors;
		ok(kept && moved && counted == 6, "%s: frozen tensors untouched, state and all; the rest move; all six counted",
		   ul_optim_kind_name((enum ul_optim_kind)kind));
		ul_optim_free(&o);
	}
	free(start), free(params), free(grads);
	ul_tensor_table_free(&t);
}

static double direct_norm(const float *g, const struct ul_tensor_table *t, const bool *skip)
{
	double sum = 0;
	for (size_t i = 0; i < t->n; i++)
		for (size_t e = 0; !t->specs[i].buffer && !skip[i] && e < ul_tensor_numel(&t->specs[i]); e++)
			sum += (double)g[t->specs[i].offset + e] * g[t->specs[i].offset + e];
	return sqrt(sum);
}

static void clipping(void)
{
	struct ul_tensor_table t;
	small_table(&t);
	bool freeze[8] = { [5] = true };  /* model.1.conv.weight */
	float *grads = randoms(t.params, 0, 3), *keep = malloc(sizeof(float) * t.params);
	const struct ul_tensor_spec *frozen_spec = &t.specs[5];
	for (size_t e = 0; e < ul_tensor_numel(frozen_spec); e++)
		grads[frozen_spec->offset + e] = 1000;  /* would dominate the norm if counted */
	memcpy(keep, grads, sizeof(float) * t.params);
	double want = direct_norm(grads, &t, freeze);
	double norm = ul_clip_grad_norm(grads, &t, freeze, 10.0);
	ok(want > 10 && fabs(norm - want) <= 1e-12 * want, "clip: the norm before clipping, frozen tensors left out (%.6g)",
	   norm);
	double after = direct_norm(grads, &t, freeze), worst = 0;
	for (size_t i = 0; i < t.n; i++)
		for (size_t e = 0; !t.specs[i].buffer && !freeze[i] && e < ul_tensor_numel(&t.specs[i]); e++) {
			size_t k = t.specs[i].offset + e;
			worst = worse(worst, fabs(grads[k] - keep[k] * 10.0 / (want + 1e-6)));
		}
	ok(fabs(after - 10) < 1e-5 && worst < 1e-6, "clip: scaled by 10 / (norm + 1e-6) to norm %.8g (worst %.2g)", after,
	   worst);
	ok(!memcmp(grads + frozen_spec->offset, keep + frozen_spec->offset, sizeof(float) * ul_tensor_numel(frozen_spec)),
	   "clip: a frozen tensor's gradient is not scaled");
	memcpy(keep, grads, sizeof(float) * t.params);
	norm = ul_clip_grad_norm(grads, &t, NULL, 1e6);
	ok(!memcmp(grads, keep, sizeof(float) * t.params) && norm > after,
	   "clip: under max_norm nothing changes; without frozen flags every tensor counts");
	double tiny = direct_norm(grads, &t, freeze) / 1e-6;
	for (size_t k = 0; k < t.params; k++)
		grads[k] = (float)(grads[k] / tiny);
	norm = ul_clip_grad_norm(grads, &t, freeze, 1e-6);
	after = direct_norm(grads, &t, freeze);
	ok(fabs(after - 0.5e-6) < 1e-12, "clip: the 1e-6 beside the norm counts: norm 1e-6 under max_norm 1e-6 halves (%.6g)",
	   after);
	free(grads), free(keep);
	ul_tensor_table_free(&t);
}

int main(void)
{
	static const char *const files[] = { "sgd", "musgd", "adam", "adamw", "nadam", "radam", "rmsprop", "adamax" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		replay(files[i]);
	model_groups();
	choosing();
	refusals();
	frozen();
	clipping();
	return done_testing();
}
