#include "train/checkpoint.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/version.h"

#define FLAT (3 + UL_OPTIM_STATES)  /* train/params, buffers, grads, and the optimizer's states */

/* A buffer of the training state, saved whole as one tensor. */
struct flat {
	char name[64];
	float *data;
	size_t n;
};

/* t's flat buffers; returns how many (an optimizer keeps 1 or 2 states). */
static int flat_tensors(const struct ul_trainer *t, struct flat f[FLAT])
{
	const struct ul_tensor_table *table = &t->graph->tensors;
	int n = 0;
	f[n++] = (struct flat){ "train/params", t->weights.params, table->params };
	f[n++] = (struct flat){ "train/buffers", t->weights.buffers, table->buffers };
	f[n++] = (struct flat){ "train/grads", t->weights.grads, table->params };
	for (int k = 0; k < UL_OPTIM_STATES && t->optim.state[k]; k++) {
		f[n] = (struct flat){ .data = t->optim.state[k], .n = table->params };
		snprintf(f[n++].name, sizeof f->name, "train/%s", t->optim.state_names[k]);
	}
	return n;
}

/* --- writing ---------------------------------------------------------------- */

static jv put(jv m, const char *key, jv text)
{
	return jv_object_set(m, jv_string(key), text);
}

/* %.17g: strtod gives back the same double */
static jv exact(double x)
{
	return jv_string_fmt("%.17g", x);
}

/* One value per optimizer group, space-separated: lr (0), momentum (1) or
 * NAdam's mu_product (2). */
static jv per_group(const struct ul_optim *o, int which)
{
	jv text = jv_string("");
	for (int j = 0; j < o->ngroups; j++) {
		const struct ul_optim_group *g = &o->groups[j];
		double x = which == 0 ? g->lr : which == 1 ? g->momentum : g->mu_product;
		text = jv_string_append_str(text, j ? " " : "");
		text = jv_string_concat(text, exact(x));
	}
	return text;
}

static jv metadata_of(const struct ul_trainer *t, const struct ul_checkpoint_run *r)
{
	char date[32];
	time_t now = time(NULL);
	struct tm utc;
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &utc));
	jv m = jv_object();
	m = put(m, "format", jv_string("pt"));  /* the framework mark PyTorch-side safetensors tools look for */
	m = put(m, "ul_checkpoint", jv_string_fmt("%d", UL_CHECKPOINT_VERSION));
	m = put(m, "ul_version", jv_string(ul_version_string()));
	m = put(m, "date", jv_string(date));
	m = put(m, "run", jv_string(r->run ? r->run : ""));
	m = put(m, "task", jv_string(t->graph->task));
	if (r->data)
		m = put(m, "data", jv_string(r->data));
	m = put(m, "scale", jv_string_fmt("%c", t->graph->scale));
	m = put(m, "nc", jv_string_fmt("%d", t->graph->nc));
	if (jv_get_kind(r->model) != JV_KIND_NULL && jv_get_kind(r->model) != JV_KIND_INVALID)
		m = put(m, "model", jv_dump_string(jv_copy(r->model), 0));
	m = put(m, "args", jv_dump_string(jv_get_kind(r->args) == JV_KIND_OBJECT ? jv_copy(r->args) : jv_object(), 0));
	m = put(m, "epoch", jv_string_fmt("%d", t->epoch));
	m = put(m, "best_fitness", exact(r->best_fitness));
	m = put(m, "best_epoch", jv_string_fmt("%d", r->best_epoch));
	if (r->weights_only)
		return m;
	m = put(m, "ni", jv_string_fmt("%ld", t->ni));
	m = put(m, "last_step", jv_string_fmt("%ld", t->last_step));
	m = put(m, "steps", jv_string_fmt("%ld", t->steps));
	m = put(m, "grad_norm", exact(t->grad_norm));
	m = put(m, "ema_updates", jv_string_fmt("%ld", t->ema.updates));
	m = put(m, "loss_updates", jv_string_fmt("%d", t->loss.updates));
	m = put(m, "optimizer", jv_string(ul_optim_kind_name(t->optim.kind)));
	m = put(m, "optim_step", jv_string_fmt("%ld", t->optim.step));
	m = put(m, "optim_lr", per_group(&t->optim, 0));
	m = put(m, "optim_momentum", per_group(&t->optim, 1));
	return put(m, "optim_mu_product", per_group(&t->optim, 2));
}

int ul_checkpoint_save(const char *path, const struct ul_trainer *t, const struct ul_checkpoint_run *r, jv *err)
{
	const struct ul_tensor_table *table = &t->graph->tensors;
	if (table->params > INT_MAX || table->buffers > INT_MAX)
		return ul_invalid(err, "cannot write %s: a model of %zu parameters is beyond the format's sizes", path,
				  table->params);
	struct flat flat[FLAT];
	int nflat = r->weights_only ? 0 : flat_tensors(t, flat);
	int shape[FLAT];
	struct ul_safetensors_entry *e = calloc(table->n + FLAT, sizeof *e);
	if (!e)
		return ul_invalid(err, "cannot write %s: out of memory", path);
	size_t n = 0;
	for (size_t i = 0; i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		e[n++] = (struct ul_safetensors_entry){ s->name, s->ndim, s->shape, ul_weights_data(&t->ema.weights, s) };
	}
	for (int k = 0; k < nflat; k++) {
		shape[k] = (int)flat[k].n;
		e[n++] = (struct ul_safetensors_entry){ flat[k].name, 1, &shape[k], flat[k].data };
	}
	int rc = ul_safetensors_write(path, e, n, metadata_of(t, r), err);
	free(e);
	return rc;
}

/* --- opening ---------------------------------------------------------------- */

/* The metadata string of key, or NULL. The object keeps it alive, so the
 * pointer lasts as long as the file is open. */
static const char *meta(const struct ul_checkpoint *c, const char *key)
{
	jv v = jv_object_get(jv_copy(c->file.metadata), jv_string(key));
	const char *text = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
	jv_free(v);
	return text;
}

static int meta_missing(const struct ul_checkpoint *c, const char *key, jv *err)
{
	return ul_invalid(err, "%s: its metadata has no %s: is the file damaged?", c->file.path, key);
}

static int meta_long(const struct ul_checkpoint *c, const char *key, long *out, jv *err)
{
	const char *text = meta(c, key);
	if (!text)
		return meta_missing(c, key, err);
	char *end;
	errno = 0;
	*out = strtol(text, &end, 10);
	if (end == text || *end || errno)
		return ul_invalid(err, "%s: its metadata %s is \"%.40s\", not a whole number: is the file damaged?",
				  c->file.path, key, text);
	return 0;
}

static int meta_int(const struct ul_checkpoint *c, const char *key, int *out, jv *err)
{
	long x;
	if (meta_long(c, key, &x, err))
		return -1;
	if (x < INT_MIN || x > INT_MAX)
		return ul_invalid(err, "%s: its metadata %s (%ld) is out of range", c->file.path, key, x);
	*out = (int)x;
	return 0;
}

/* n doubles, space-separated (one alone for n = 1). */
static int meta_doubles(const struct ul_checkpoint *c, const char *key, double *out, int n, jv *err)
{
	const char *text = meta(c, key), *p = text;
	if (!text)
		return meta_missing(c, key, err);
	int got = 0;
	for (; got < n; got++) {
		char *end;
		out[got] = strtod(p, &end);
		if (end == p)
			break;
		p = *end == ' ' && got + 1 < n ? end + 1 : end;
	}
	if (got != n || *p)
		return ul_invalid(err, "%s: its metadata %s is not %d number%s: is the file damaged?", c->file.path, key, n,
				  n == 1 ? "" : "s");
	return 0;
}

/* A JSON text of the metadata, parsed; null when absent. */
static int meta_json(const struct ul_checkpoint *c, const char *key, jv *out, jv *err)
{
	const char *text = meta(c, key);
	*out = text ? jv_parse(text) : jv_null();
	if (jv_is_valid(*out))
		return 0;
	jv_free(*out);
	*out = jv_null();
	return ul_invalid(err, "%s: its metadata %s is not JSON: is the file damaged?", c->file.path, key);
}

int ul_checkpoint_open(struct ul_checkpoint *c, const char *path, jv *err)
{
	*c = (struct ul_checkpoint){ .run = jv_null(), .task = jv_null(), .data = jv_null(), .model = jv_null(),
				     .args = jv_object(), .best_fitness = NAN };
	if (ul_safetensors_open(&c->file, path, err)) {
		ul_checkpoint_close(c);
		return -1;
	}
	if (!meta(c, "ul_checkpoint"))
		return 0;  /* weights only, from elsewhere */
	long version;
	double best;
	const char *scale = meta(c, "scale");
	int rc = meta_long(c, "ul_checkpoint", &version, err);
	if (!rc && version > UL_CHECKPOINT_VERSION)
		rc = ul_invalid(err, "%s was written by a newer ul (checkpoint format %ld; this one reads %d): update ul", path,
				version, UL_CHECKPOINT_VERSION);
	jv_free(c->args);
	c->args = jv_null();
	if (!rc)
		rc = meta_json(c, "model", &c->model, err) || meta_json(c, "args", &c->args, err) ||
		     meta_int(c, "nc", &c->nc, err) || meta_int(c, "epoch", &c->epoch, err) ||
		     meta_int(c, "best_epoch", &c->best_epoch, err) || meta_doubles(c, "best_fitness", &best, 1, err) ? -1 : 0;
	if (!rc && jv_get_kind(c->args) != JV_KIND_OBJECT)
		rc = ul_invalid(err, "%s: its metadata args is not an object of arguments", path);
	if (rc) {
		ul_checkpoint_close(c);
		return -1;
	}
	c->best_fitness = best;
	c->scale = scale && strlen(scale) == 1 ? scale[0] : 0;
	c->run = meta(c, "run") ? jv_string(meta(c, "run")) : jv_null();
	c->task = meta(c, "task") ? jv_string(meta(c, "task")) : jv_null();
	c->data = meta(c, "data") ? jv_string(meta(c, "data")) : jv_null();
	c->has_state = meta(c, "optimizer") != NULL;
	return 0;
}

void ul_checkpoint_close(struct ul_checkpoint *c)
{
	ul_safetensors_close(&c->file);
	jv_free(c->run);
	jv_free(c->task);
	jv_free(c->data);
	jv_free(c->model);
	jv_free(c->args);
	*c = (struct ul_checkpoint){ .run = jv_null(), .task = jv_null(), .data = jv_null(), .model = jv_null(), .args = jv_null() };
}

/* --- checking tensors ------------------------------------------------------- */

/* "(16, 3, 3, 3)" */
static jv shape_text(int ndim, const int64_t *shape)
{
	jv text = jv_string("(");
	for (int d = 0; d < ndim; d++)
		text = jv_string_concat(text, jv_string_fmt(d ? ", %lld" : "%lld", (long long)shape[d]));
	return jv_string_append_str(text, ")");
}

/* F32 or F16 values, read where they lie (not always aligned). */
static bool finite_values(const struct ul_safetensor *t)
{
	if (!strcmp(t->dtype, "F16")) {
		for (size_t i = 0; i < t->numel; i++) {
			uint16_t h;
			memcpy(&h, t->bytes + 2 * i, sizeof h);
			if ((h & 0x7c00) == 0x7c00)
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < t->numel; i++) {
		float x;
		memcpy(&x, t->bytes + 4 * i, sizeof x);
		if (!isfinite(x))
			return false;
	}
	return true;
}

/* A finite IEEE half (finite_values refused the others) as a float. */
static float from_half(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = h >> 10 & 0x1f, man = h & 0x3ff;
	if (!exp) {  /* zero or subnormal: man x 2^-24 */
		float x = ldexpf((float)man, -24);
		return sign ? -x : x;
	}
	uint32_t bits = sign | (exp + 112) << 23 | man << 13;
	float x;
	memcpy(&x, &bits, sizeof x);
	return x;
}

enum fit { SAME, OTHER_SHAPE };

/* The file's tensor for spec s into *t, checked: present, F32 (or F16 when
 * half_ok), finite. SAME or OTHER_SHAPE, or -1 with a message. */
static int find(const struct ul_checkpoint *c, const struct ul_tensor_spec *s, bool half_ok, struct ul_safetensor *t,
		jv *err)
{
	if (ul_safetensors_get(&c->file, s->name, t, err) < 0) {
		jv_free(*err);
		return ul_invalid(err, "%s has no tensor %s: it is not a checkpoint of this model", c->file.path, s->name);
	}
	bool half = !strcmp(t->dtype, "F16");
	if (strcmp(t->dtype, "F32") && !(half_ok && half))
		return ul_invalid(err, "%s: tensor %s is %s; ul reads F32%s", c->file.path, s->name, t->dtype,
				  half_ok ? " and F16" : "");
	bool same = t->ndim == s->ndim;
	for (int d = 0; same && d < s->ndim; d++)
		same = t->shape[d] == s->shape[d];
	if (!finite_values(t))
		return ul_invalid(err, "%s: tensor %s holds values that are not finite: is the file damaged?", c->file.path,
				  s->name);
	return same ? SAME : OTHER_SHAPE;
}

static int shape_error(const struct ul_checkpoint *c, const struct ul_tensor_spec *s, const struct ul_safetensor *t,
		       const char *why, jv *err)
{
	int64_t want[4];
	for (int d = 0; d < s->ndim; d++)
		want[d] = s->shape[d];
	jv there = shape_text(t->ndim, t->shape), here = shape_text(s->ndim, want);
	ul_invalid(err, "%s is not a checkpoint of this model: tensor %s is %s there, %s here%s", c->file.path, s->name,
		   jv_string_value(there), jv_string_value(here), why);
	jv_free(there);
	jv_free(here);
	return -1;
}

static void copy_values(const struct ul_safetensor *t, float *out)
{
	if (!strcmp(t->dtype, "F32")) {
		memcpy(out, t->bytes, t->nbytes);
		return;
	}
	for (size_t i = 0; i < t->numel; i++) {
		uint16_t h;
		memcpy(&h, t->bytes + 2 * i, sizeof h);
		out[i] = from_half(h);
	}
}

/* --- resuming --------------------------------------------------------------- */

/* The trainer's counters as the file has them. */
struct counters {
	int epoch, loss_updates;
	long ni, last_step, steps, ema_updates, optim_step;
	double grad_norm;
	double lr[UL_OPTIM_GROUPS], momentum[UL_OPTIM_GROUPS], mu_product[UL_OPTIM_GROUPS];
};

static int read_counters(const struct ul_checkpoint *c, const struct ul_trainer *t, struct counters *k, jv *err)
{
	const char *kind = meta(c, "optimizer"), *ours = ul_optim_kind_name(t->optim.kind);
	if (strcmp(kind, ours))
		return ul_invalid(err, "%s was trained with %s, this run with %s: resume with the checkpoint's arguments",
				  c->file.path, kind, ours);
	int n = t->optim.ngroups;
	if (meta_int(c, "epoch", &k->epoch, err) || meta_int(c, "loss_updates", &k->loss_updates, err) ||
	    meta_long(c, "ni", &k->ni, err) || meta_long(c, "last_step", &k->last_step, err) ||
	    meta_long(c, "steps", &k->steps, err) || meta_long(c, "ema_updates", &k->ema_updates, err) ||
	    meta_long(c, "optim_step", &k->optim_step, err) || meta_doubles(c, "grad_norm", &k->grad_norm, 1, err) ||
	    meta_doubles(c, "optim_lr", k->lr, n, err) || meta_doubles(c, "optim_momentum", k->momentum, n, err) ||
	    meta_doubles(c, "optim_mu_product", k->mu_product, n, err))
		return -1;
	if (k->epoch < 0 || k->ni < 0 || k->steps < 0 || k->ema_updates < 0 || k->optim_step < 0)
		return ul_invalid(err, "%s: its counters are negative: is the file damaged?", c->file.path);
	return 0;
}

int ul_checkpoint_resume(const struct ul_checkpoint *c, struct ul_trainer *t, jv *err)
{
	const char *path = c->file.path;
	if (!c->has_state)
		return ul_invalid(err, "%s holds weights only, no training state to resume: start a run from it with model=",
				  path);
	const struct ul_tensor_table *table = &t->graph->tensors;
	struct ul_safetensor f;
	for (size_t i = 0; i < table->n; i++) {
		int fit = find(c, &table->specs[i], false, &f, err);
		if (fit < 0)
			return -1;
		if (fit == OTHER_SHAPE)
			return shape_error(c, &table->specs[i], &f, "", err);
	}
	struct flat flat[FLAT];
	int nflat = flat_tensors(t, flat);
	for (int k = 0; k < nflat; k++) {
		if (ul_safetensors_get(&c->file, flat[k].name, &f, err) < 0)
			return -1;
		if (strcmp(f.dtype, "F32") || f.ndim != 1 || f.numel != flat[k].n)
			return ul_invalid(err, "%s: its training state %s is not %zu F32 values: a damaged file", path,
					  flat[k].name, flat[k].n);
		if (!finite_values(&f))
			return ul_invalid(err, "%s: its training state %s holds values that are not finite: is the file "
					  "damaged?", path, flat[k].name);
	}
	struct counters k;
	if (read_counters(c, t, &k, err))
		return -1;

	/* every check passed: nothing below can fail */
	for (size_t i = 0; i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		ul_safetensors_get(&c->file, s->name, &f, err);
		copy_values(&f, ul_weights_data(&t->ema.weights, s));
	}
	for (int j = 0; j < nflat; j++) {
		ul_safetensors_get(&c->file, flat[j].name, &f, err);
		copy_values(&f, flat[j].data);
	}
	t->epoch = k.epoch, t->ni = k.ni, t->last_step = k.last_step, t->steps = k.steps, t->grad_norm = k.grad_norm;
	t->ema.updates = k.ema_updates;
	t->loss.updates = k.loss_updates;
	t->optim.step = k.optim_step;
	for (int j = 0; j < t->optim.ngroups; j++) {
		struct ul_optim_group *g = &t->optim.groups[j];
		g->lr = k.lr[j], g->momentum = k.momentum[j], g->mu_product = k.mu_product[j];
	}
	return 0;
}

/* --- the model alone --------------------------------------------------------- */

int ul_checkpoint_read_model(const struct ul_checkpoint *c, struct ul_weights *w, jv *err)
{
	const struct ul_tensor_table *table = &w->graph->tensors;
	struct ul_safetensor f;
	for (size_t i = 0; i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		int fit = find(c, s, true, &f, err);
		if (fit == OTHER_SHAPE)
			fit = shape_error(c, s, &f, "", err);
		if (fit < 0)
			return -1;
	}
	for (size_t i = 0; i < table->n; i++) {
		ul_safetensors_get(&c->file, table->specs[i].name, &f, err);
		copy_values(&f, ul_weights_data(w, &table->specs[i]));
	}
	return 0;
}

/* --- fine-tuning ------------------------------------------------------------ */

int ul_checkpoint_load_weights(const struct ul_checkpoint *c, struct ul_trainer *t, jv *skipped, jv *err)
{
	const struct ul_graph *g = t->graph;
	const struct ul_tensor_table *table = &g->tensors;
	char head[32];
	int head_len = snprintf(head, sizeof head, "model.%d.", g->nlayers - 1);
	bool *skip = calloc(table->n + 1, sizeof *skip);
	if (!skip)
		return ul_invalid(err, "out of memory");
	struct ul_safetensor f;
	int rc = 0;
	for (size_t i = 0; !rc && i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		int fit = find(c, s, true, &f, err);
		if (fit == OTHER_SHAPE && strncmp(s->name, head, (size_t)head_len))
			fit = shape_error(c, s, &f, " (only the head's class outputs may differ)", err);
		rc = fit < 0 ? -1 : 0;
		skip[i] = fit == OTHER_SHAPE;
	}
	jv names = jv_array();
	for (size_t i = 0; !rc && i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		if (skip[i]) {
			names = jv_array_append(names, jv_string(s->name));
			continue;
		}
		ul_safetensors_get(&c->file, s->name, &f, err);
		copy_values(&f, ul_weights_data(&t->weights, s));
	}
	free(skip);
	if (!rc) {
		/* the EMA starts from the loaded model, as a new ModelEMA would */
		memcpy(t->ema.weights.params, t->weights.params, sizeof(float) * table->params);
		memcpy(t->ema.weights.buffers, t->weights.buffers, sizeof(float) * table->buffers);
	}
	if (skipped && !rc)
		*skipped = names;
	else
		jv_free(names);
	return rc;
}
