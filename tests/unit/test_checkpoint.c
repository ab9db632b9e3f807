/* Checkpoints (lib/train/checkpoint) on yolo26n at 64 x 64: a run stopped
 * after an epoch, saved, loaded into a new trainer and continued ends with
 * the same bits as the run never stopped (NAdam and MuSGD, with warmup and
 * gradient accumulation crossing the epoch's end, and a short last batch);
 * the file holds the EMA under Ultralytics' names and the state beside it,
 * and Python reads it; fine-tuning onto another class count keeps only the
 * head's class outputs fresh; F16 weights load; truncated, damaged and
 * foreign files are refused with a message; and a write that fails (a
 * full disk, made with RLIMIT_FSIZE) leaves the old file whole. */
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/version.h"
#include "core/yaml_load.h"
#include "scratch_files.h"
#include "run_output.h"
#include "tap.h"
#include "train/checkpoint.h"

#define SIDE 64
#define IMAGES 5  /* at batch 2: batches of 2, 2 and 1 */

static const char *const ARGS =
	"{\"epochs\":3,\"batch\":2,\"nbs\":4,\"seed\":1,\"optimizer\":\"NAdam\",\"lr0\":0.002,\"lrf\":0.01,"
	"\"momentum\":0.937,\"weight_decay\":0.0005,\"warmup_epochs\":1.5,\"warmup_momentum\":0.8,"
	"\"warmup_bias_lr\":0.1,\"box\":7.5,\"cls\":0.5,\"dfl\":1.5,\"cls_pw\":0,\"label_smoothing\":0,\"cos_lr\":false,\"freeze\":null}";

static jv args_with(const char *key, jv value)
{
	return jv_object_set(jv_parse(ARGS), jv_string(key), value);
}

static void say(jv err)
{
	jv msg = jv_invalid_get_msg(err);
	printf("# %s\n", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(no message)");
	jv_free(msg);
}

/* The error's message; the caller frees it. */
static char *message(jv err)
{
	jv msg = jv_invalid_get_msg(err);
	char *text = strdup(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(no message)");
	jv_free(msg);
	return text;
}

/* Batch i of an epoch: n images, a square in each that moves with the
 * epoch and the batch, and its label. */
static void batch_of(int epoch, int i, int n, float *img, struct ul_label *labels)
{
	memset(img, 0, sizeof(float) * (size_t)n * SIDE * SIDE * 3);
	for (int b = 0; b < n; b++) {
		int x0 = 4 + 9 * i + 13 * b, y0 = 6 + 7 * epoch, side = 20 + 2 * b;
		for (int y = y0; y < y0 + side; y++)
			for (int x = x0; x < x0 + side; x++)
				for (int c = 0; c < 3; c++)
					img[(((size_t)b * SIDE + y) * SIDE + x) * 3 + c] = c == (i + b) % 3 ? 0.9f : 0.3f;
		labels[b] = (struct ul_label){ b, (i + b) % 3, (x0 + side / 2.0f) / SIDE, (y0 + side / 2.0f) / SIDE,
					       (float)side / SIDE, (float)side / SIDE };
	}
}

/* A trainer for args (consumed) on g. */
static int create(struct ul_trainer *t, const struct ul_graph *g, jv args)
{
	struct ul_train_options o;
	jv err;
	int rc = ul_train_options_from_args(&o, args, IMAGES, &err) || ul_trainer_create(t, g, &o, &err) ? -1 : 0;
	if (rc)
		say(err);
	jv_free(args);
	return rc;
}

static int run_epochs(struct ul_trainer *t, int epochs)
{
	float *img = malloc(sizeof(float) * 2 * SIDE * SIDE * 3);
	struct ul_label labels[2];
	int rc = 0;
	for (int e = 0; !rc && e < epochs; e++) {
		for (int i = 0; !rc && i < t->batches; i++) {
			int n = i * 2 + 2 <= IMAGES ? 2 : IMAGES - 2 * i;
			struct ul_detect_items items;
			double total;
			jv err;
			batch_of(t->epoch, i, n, img, labels);
			if ((rc = ul_trainer_batch(t, n, SIDE, SIDE, img, labels, (size_t)n, &items, &total, &err)))
				say(err);
		}
		ul_trainer_epoch_end(t);
	}
	free(img);
	return rc;
}

static bool same_floats(const float *a, const float *b, size_t n, const char *what)
{
	bool same = !memcmp(a, b, sizeof(float) * n);
	if (!same)
		printf("# %s differ\n", what);
	return same;
}

/* Every piece of state, bit for bit. */
static bool same_state(const struct ul_trainer *a, const struct ul_trainer *b)
{
	const struct ul_tensor_table *t = &a->graph->tensors;
	bool same = same_floats(a->weights.params, b->weights.params, t->params, "params") &
		    same_floats(a->weights.buffers, b->weights.buffers, t->buffers, "buffers") &
		    same_floats(a->weights.grads, b->weights.grads, t->params, "grads") &
		    same_floats(a->ema.weights.params, b->ema.weights.params, t->params, "EMA params") &
		    same_floats(a->ema.weights.buffers, b->ema.weights.buffers, t->buffers, "EMA buffers");
	for (int k = 0; k < UL_OPTIM_STATES && a->optim.state[k]; k++)
		same &= same_floats(a->optim.state[k], b->optim.state[k], t->params, a->optim.state_names[k]);
	for (int j = 0; j < a->optim.ngroups; j++) {
		const struct ul_optim_group *x = &a->optim.groups[j], *y = &b->optim.groups[j];
		if (memcmp(&x->lr, &y->lr, sizeof x->lr) || memcmp(&x->momentum, &y->momentum, sizeof x->momentum) ||
		    memcmp(&x->mu_product, &y->mu_product, sizeof x->mu_product))
			same = false, printf("# group %d's lr, momentum or mu_product differ\n", j);
	}
	if (a->epoch != b->epoch || a->ni != b->ni || a->last_step != b->last_step || a->steps != b->steps ||
	    a->ema.updates != b->ema.updates || a->optim.step != b->optim.step || a->loss.updates != b->loss.updates ||
	    memcmp(&a->grad_norm, &b->grad_norm, sizeof a->grad_norm))
		same = false, printf("# counters differ\n");
	return same;
}

static bool all_zero(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (x[i] != 0)
			return false;
	return true;
}

static jv model_yaml(void)
{
	return ul_yaml_load_file("share/ul/models/yolo26.yaml");
}

#define PATH 300

/* scratch_dir/name in path. */
static const char *in_scratch(char path[PATH], const char *name)
{
	snprintf(path, PATH, "%s/%s", scratch_dir, name);
	return path;
}

static int save(const char *path, const struct ul_trainer *t, jv *err)
{
	jv args = jv_parse(ARGS), model = model_yaml();
	struct ul_checkpoint_run run = { .run = "run-1", .args = args, .data = "/data/shapes.yaml", .model = model,
					 .best_fitness = 0.123456789012345678, .best_epoch = 1 };
	int rc = ul_checkpoint_save(path, t, &run, err);
	jv_free(args);
	jv_free(model);
	return rc;
}

/* A run of optimizer stopped after one epoch and resumed equals one never
 * stopped, after its three. Leaves the stopped trainer's checkpoint at
 * path. */
static void resume_equivalence(const struct ul_graph *g, const char *optimizer, const char *path)
{
	struct ul_trainer whole, first, rest;
	jv err;
	if (create(&whole, g, args_with("optimizer", jv_string(optimizer))) || run_epochs(&whole, 3) ||
	    create(&first, g, args_with("optimizer", jv_string(optimizer))) || run_epochs(&first, 1)) {
		ok(0, "%s: trains", optimizer);
		return;
	}
	ok(!all_zero(first.weights.grads, g->tensors.params) && first.ni < first.warmup,
	   "%s: stopped with gradients accumulated and the warmup under way", optimizer);
	ok(save(path, &first, &err) == 0, "%s: saved after epoch 1", optimizer);
	if (create(&rest, g, args_with("optimizer", jv_string(optimizer)))) {
		ok(0, "a new trainer");
		return;
	}
	struct ul_checkpoint c;
	int rc = ul_checkpoint_open(&c, path, &err) || ul_checkpoint_resume(&c, &rest, &err) ? -1 : 0;
	if (rc)
		say(err);
	else
		ul_checkpoint_close(&c);
	ok(rc == 0 && same_state(&rest, &first), "%s: loaded into a new trainer, every piece of state is the same",
	   optimizer);
	ul_trainer_free(&first);
	ok(run_epochs(&rest, 2) == 0 && same_state(&rest, &whole),
	   "%s: two more epochs give the bits of the run never stopped (params, EMA, optimizer state)", optimizer);
	ul_trainer_free(&rest);
	ul_trainer_free(&whole);
}

static const char *meta_of(const struct ul_safetensors *st, const char *key, char *buf, size_t cap)
{
	jv v = jv_object_get(jv_copy(st->metadata), jv_string(key));
	snprintf(buf, cap, "%s", jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : "(missing)");
	jv_free(v);
	return buf;
}

/* What the file holds, read back with the plain safetensors reader. */
static void file_contents(const struct ul_trainer *t, const char *path)
{
	const struct ul_tensor_table *table = &t->graph->tensors;
	struct ul_safetensors st;
	jv err;
	if (ul_safetensors_open(&st, path, &err)) {
		say(err);
		ok(0, "the checkpoint opens as safetensors");
		return;
	}
	bool model = true;
	float *buf = malloc(sizeof(float) * (table->params + 1));
	for (size_t i = 0; model && i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		struct ul_safetensor f;
		model = ul_safetensors_get(&st, s->name, &f, &err) == 0 && f.ndim == s->ndim &&
			!memcmp(f.bytes, ul_weights_data(&t->ema.weights, s), f.nbytes);
		for (int d = 0; model && d < s->ndim; d++)
			model = f.shape[d] == s->shape[d];
		if (!model)
			printf("# %s\n", s->name);
	}
	ok(model, "every tensor of the table under its Ultralytics name and shape, holding the EMA");
	ok(ul_safetensors_read_f32(&st, "train/params", buf, table->params, &err) == 0 &&
	   !memcmp(buf, t->weights.params, sizeof(float) * table->params), "train/params: the raw model");
	ok(ul_safetensors_read_f32(&st, "train/exp_avg_sq", buf, table->params, &err) == 0 &&
	   !memcmp(buf, t->optim.state[1], sizeof(float) * table->params), "train/exp_avg_sq: the optimizer's state");
	char text[4096];
	is_str(meta_of(&st, "format", text, sizeof text), "pt", "format pt");
	is_str(meta_of(&st, "ul_checkpoint", text, sizeof text), "1", "ul_checkpoint 1");
	is_str(meta_of(&st, "run", text, sizeof text), "run-1", "the run id");
	is_str(meta_of(&st, "task", text, sizeof text), "detect", "the task");
	is_str(meta_of(&st, "epoch", text, sizeof text), "1", "epochs finished");
	is_str(meta_of(&st, "ul_version", text, sizeof text), ul_version_string(), "ul's version");
	int y, mo, d, h, mi, s;
	char z = 0;
	ok(sscanf(meta_of(&st, "date", text, sizeof text), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 &&
	   z == 'Z' && y >= 2024, "the date in ISO 8601, UTC (%s)", text);
	jv args = jv_parse(meta_of(&st, "args", text, sizeof text)), want = jv_parse(ARGS);
	ok(jv_equal(args, want), "the run's arguments as JSON");
	free(buf);
	ul_safetensors_close(&st);

	struct ul_checkpoint c;
	if (ul_checkpoint_open(&c, path, &err)) {
		say(err);
		ok(0, "opens as a checkpoint");
		return;
	}
	jv model_want = model_yaml();
	double best = 0.123456789012345678;
	ok(c.has_state && c.epoch == 1 && c.nc == 3 && c.scale == 'n' && c.best_epoch == 1 &&
	   !memcmp(&c.best_fitness, &best, sizeof best) && !strcmp(jv_string_value(c.run), "run-1") &&
	   !strcmp(jv_string_value(c.task), "detect") && !strcmp(jv_string_value(c.data), "/data/shapes.yaml"),
	   "ul_checkpoint_open reads what it says, best_fitness to the bit, and the dataset it trained on");
	ok(jv_equal(jv_copy(c.model), model_want) && jv_equal(jv_copy(c.args), jv_parse(ARGS)),
	   "with the model YAML and the arguments to rebuild the run");
	ul_checkpoint_close(&c);
}

/* Python, without any package: the rules safetensors' own loader checks
 * (JSON header of strings-only metadata, tensors packed from offset 0 with
 * no gap and no byte left over); with the safetensors package when there
 * is one. Prints what it read. */
static const char *const PYTHON =
	"import json, struct, sys\n"
	"path = sys.argv[1]\n"
	"try:\n"
	"    from safetensors import safe_open\n"
	"    with safe_open(path, framework='numpy') as f:\n"
	"        names, meta = list(f.keys()), f.metadata()\n"
	"        shape = list(f.get_slice('model.0.conv.weight').get_shape())\n"
	"    how = 'safetensors'\n"
	"except ImportError:\n"
	"    data = open(path, 'rb').read()\n"
	"    n = struct.unpack('<Q', data[:8])[0]\n"
	"    header = json.loads(data[8:8 + n])\n"
	"    meta = header.pop('__metadata__')\n"
	"    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())\n"
	"    end = 0\n"
	"    for name, e in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):\n"
	"        begin, stop = e['data_offsets']\n"
	"        numel = 1\n"
	"        for d in e['shape']:\n"
	"            numel *= d\n"
	"        assert e['dtype'] == 'F32' and begin == end and stop - begin == 4 * numel, name\n"
	"        end = stop\n"
	"    assert end == len(data) - 8 - n and n % 8 == 0\n"
	"    names, shape, how = list(header), header['model.0.conv.weight']['shape'], 'json'\n"
	"print(how, len(names), meta['task'], meta['epoch'], json.loads(meta['args'])['optimizer'], shape)\n";

/* python's output for path; its exit status, 127 when it is not there. */
static int run_python(const char *python, const char *path, char *out, size_t cap)
{
	char *argv[] = { (char *)python, "-c", (char *)PYTHON, (char *)path, NULL };
	return run_output(argv, out, cap);
}

static void python_reads(const struct ul_graph *g, const char *path)
{
	static const char *const pythons[] = { "python3", "/usr/bin/python3" };
	char want[128];
	snprintf(want, sizeof want, " %zu detect 1 NAdam [16, 3, 3, 3]\n", g->tensors.n + 5);
	int ran = 0;
	for (size_t i = 0; i < sizeof pythons / sizeof pythons[0]; i++) {
		char out[512];
		if (run_python(pythons[i], path, out, sizeof out) == 127)
			continue;
		char *space = strchr(out, ' ');
		ok(space && !strcmp(space, want), "%s reads it (%s)", pythons[i],
		   !strncmp(out, "safetensors ", 12) ? "with the safetensors package" : "no safetensors package: by its rules");
		if (!space || strcmp(space, want))
			printf("# got '%s'\n# want '%s'\n", out, want);
		ran++;
	}
	if (!ran)
		ok(1, "# skip no python3");
}

/* A model file of F16 values: value i of each tensor is the half 0x3c00 +
 * i % 1024, i.e. 1 + (i % 1024) / 1024, but the smallest subnormal where i
 * % 97 == 5. */
static int write_half_file(const char *path, const struct ul_tensor_table *t)
{
	jv header = jv_object();
	size_t offset = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		jv shape = jv_array();
		for (int d = 0; d < s->ndim; d++)
			shape = jv_array_append(shape, jv_number(s->shape[d]));
		size_t bytes = 2 * ul_tensor_numel(s);
		jv e = jv_object_set(jv_object(), jv_string("dtype"), jv_string("F16"));
		e = jv_object_set(e, jv_string("shape"), shape);
		e = jv_object_set(e, jv_string("data_offsets"),
				  jv_array_append(jv_array_append(jv_array(), jv_number((double)offset)),
						  jv_number((double)(offset + bytes))));
		header = jv_object_set(header, jv_string(s->name), e);
		offset += bytes;
	}
	jv text = jv_dump_string(header, 0);
	uint64_t len = (uint64_t)jv_string_length_bytes(jv_copy(text));
	FILE *f = fopen(path, "wb");
	for (int b = 0; f && b < 8; b++)
		fputc((int)(len >> 8 * b & 0xff), f);
	if (f)
		fwrite(jv_string_value(text), 1, len, f);
	for (size_t i = 0; f && i < t->n; i++)
		for (size_t k = 0; k < ul_tensor_numel(&t->specs[i]); k++) {
			uint16_t h = k % 97 == 5 ? 0x0001 : (uint16_t)(0x3c00 + k % 1024);
			fwrite(&h, 2, 1, f);
		}
	jv_free(text);
	return f && fclose(f) == 0 ? 0 : -1;
}

static void fine_tune(const struct ul_graph *g3, const struct ul_graph *g5, const char *path)
{
	struct ul_trainer saved, t5, fresh, t3;
	jv err, skipped = jv_null();
	struct ul_checkpoint c;
	if (create(&saved, g3, jv_parse(ARGS)) || run_epochs(&saved, 1) || save(path, &saved, &err) ||
	    create(&t5, g5, jv_parse(ARGS)) || create(&fresh, g5, jv_parse(ARGS)) || ul_checkpoint_open(&c, path, &err)) {
		ok(0, "a checkpoint to fine-tune from");
		return;
	}
	int rc = ul_checkpoint_load_weights(&c, &t5, &skipped, &err);
	if (rc)
		say(err);
	ok(rc == 0, "a 3-class checkpoint loads into a 5-class model");
	const struct ul_tensor_table *t = &g5->tensors;
	char head[32];
	snprintf(head, sizeof head, "model.%d.", g5->nlayers - 1);
	bool classes = jv_get_kind(skipped) == JV_KIND_ARRAY && jv_array_length(jv_copy(skipped)) > 0, kept = true,
	     loaded = true;
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		bool skip = false;
		jv_array_foreach(skipped, k, name) {
			skip |= !strcmp(jv_string_value(name), s->name);
			jv_free(name);
			(void)k;
		}
		const struct ul_tensor_spec *s3 = ul_tensor_find(&g3->tensors, s->name);
		size_t n = ul_tensor_numel(s);
		if (skip) {
			classes &= !strncmp(s->name, head, strlen(head)) && strstr(s->name, "cv3") && s3 &&
				   s3->shape[0] == 3 && s->shape[0] == 5;
			kept &= !memcmp(ul_weights_data(&t5.weights, s), ul_weights_data(&fresh.weights, s), sizeof(float) * n);
		} else {
			loaded &= s3 && !memcmp(ul_weights_data(&t5.weights, s), ul_weights_data(&saved.ema.weights, s3),
						sizeof(float) * n);
		}
	}
	ok(classes, "skipped: only the head's class outputs, 3 rows there and 5 here (%d tensors)",
	   jv_get_kind(skipped) == JV_KIND_ARRAY ? jv_array_length(jv_copy(skipped)) : -1);
	ok(kept, "which keep their fresh initialisation");
	ok(loaded, "every other tensor holds the checkpoint's EMA");
	ok(same_floats(t5.ema.weights.params, t5.weights.params, t->params, "EMA") && t5.ema.updates == 0 &&
	   t5.optim.step == 0 && t5.epoch == 0 && all_zero(t5.optim.state[0], t->params),
	   "the EMA starts from the loaded model; the training state stays fresh");
	jv_free(skipped);
	skipped = jv_null();

	ok(create(&t3, g3, jv_parse(ARGS)) == 0 && ul_checkpoint_load_weights(&c, &t3, &skipped, &err) == 0 &&
	   jv_array_length(jv_copy(skipped)) == 0 &&
	   same_floats(t3.weights.params, saved.ema.weights.params, g3->tensors.params, "params") &&
	   same_floats(t3.weights.buffers, saved.ema.weights.buffers, g3->tensors.buffers, "buffers"),
	   "into the same model: nothing skipped, the EMA's parameters and statistics");
	jv_free(skipped);

	/* the model alone, as the final validation reads best */
	struct ul_weights alone = { 0 }, other = { 0 };
	ok(ul_weights_alloc(&alone, g3) == 0 && ul_checkpoint_read_model(&c, &alone, &err) == 0 &&
	   same_floats(alone.params, saved.ema.weights.params, g3->tensors.params, "params") &&
	   same_floats(alone.buffers, saved.ema.weights.buffers, g3->tensors.buffers, "buffers"),
	   "read_model: the EMA's parameters and statistics, into weights of their own");
	bool refused = ul_weights_alloc(&other, g5) == 0 && ul_checkpoint_read_model(&c, &other, &err) == -1;
	char *why = refused ? message(err) : NULL;
	ok(refused && strstr(why, "is not a checkpoint of this model") && all_zero(other.params, g5->tensors.params) &&
	   all_zero(other.buffers, g5->tensors.buffers),
	   "into another model's weights: refused (%s), the weights untouched", why ? why : "no error");
	free(why);
	ul_weights_free(&alone);
	ul_weights_free(&other);
	ul_checkpoint_close(&c);

	/* a run's final file: the model alone */
	char final[PATH];
	in_scratch(final, "final.safetensors");
	jv args = jv_parse(ARGS);
	struct ul_checkpoint_run run = { .run = "run-1", .args = args, .model = jv_null(), .best_fitness = 0.5, .best_epoch = 1,
					 .weights_only = true };
	const struct ul_tensor_table *t3t = &g3->tensors;
	bool stripped = ul_checkpoint_save(final, &saved, &run, &err) == 0 && ul_checkpoint_open(&c, final, &err) == 0;
	ok(stripped && !c.has_state && c.epoch == 1 && c.best_fitness == 0.5 &&
	   c.file.size == sizeof(float) * (t3t->params + t3t->buffers), "weights_only: the EMA alone, and what describes it");
	ok(stripped && ul_checkpoint_load_weights(&c, &t3, NULL, &err) == 0 &&
	   same_floats(t3.weights.params, saved.ema.weights.params, t3t->params, "params"), "which fine-tunes");
	ok(stripped && ul_checkpoint_resume(&c, &t3, &err) == -1, "but does not resume");
	if (stripped) {
		jv_free(err);
		ul_checkpoint_close(&c);
	}
	jv_free(args);

	/* F16, as a PyTorch half model converted to safetensors */
	char half[PATH];
	in_scratch(half, "half.safetensors");
	bool converted = write_half_file(half, &g3->tensors) == 0 && ul_checkpoint_open(&c, half, &err) == 0 &&
			 !c.has_state && ul_checkpoint_load_weights(&c, &t3, NULL, &err) == 0;
	for (size_t i = 0; converted && i < g3->tensors.n; i++) {
		const struct ul_tensor_spec *s = &g3->tensors.specs[i];
		const float *x = ul_weights_data(&t3.weights, s);
		for (size_t k = 0; converted && k < ul_tensor_numel(s); k++)
			converted = x[k] == (k % 97 == 5 ? 0x1p-24f : 1 + (float)(k % 1024) / 1024);
	}
	if (converted)
		ul_checkpoint_close(&c);
	ok(converted, "an F16 file of weights, without metadata, loads converted (subnormals too)");
	ul_trainer_free(&t3);
	ul_trainer_free(&fresh);
	ul_trainer_free(&t5);
	ul_trainer_free(&saved);
}

/* path's bytes; the caller frees them. */
static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	*n = 0;
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long size = ftell(f);
		rewind(f);
		buf = malloc((size_t)size + 1);
		*n = fread(buf, 1, (size_t)size, f);
	}
	if (f)
		fclose(f);
	return buf;
}

/* Opening, then resume (or weights-only) into t fails with a message
 * holding want. */
static void refused(const char *path, struct ul_trainer *t, bool weights, const char *want, const char *what)
{
	struct ul_checkpoint c;
	jv err;
	int rc = ul_checkpoint_open(&c, path, &err);
	if (rc == 0) {
		rc = weights ? ul_checkpoint_load_weights(&c, t, NULL, &err) : ul_checkpoint_resume(&c, t, &err);
		ul_checkpoint_close(&c);
	}
	if (rc == 0) {
		ok(0, "%s is refused", what);
		return;
	}
	char *msg = message(err);
	ok(strstr(msg, want) != NULL, "%s is refused: %s", what, msg);
	free(msg);
}

static void damaged(const struct ul_graph *g3, const struct ul_graph *g5, const char *good)
{
	struct ul_trainer t, t5, other;
	if (create(&t, g3, jv_parse(ARGS)) || create(&t5, g5, jv_parse(ARGS)) ||
	    create(&other, g3, args_with("optimizer", jv_string("AdamW")))) {
		ok(0, "trainers");
		return;
	}
	size_t n;
	char *bytes = slurp(good, &n);
	char bad[PATH], none[PATH];
	in_scratch(bad, "bad.safetensors");
	write_file("bad.safetensors", bytes, n / 2);
	refused(bad, &t, false, "runs past", "a file cut in half");
	write_file("bad.safetensors", bytes, 5);
	refused(bad, &t, false, "fewer than the 8", "a file of 5 bytes");
	write_file("bad.safetensors", bytes, 200);
	refused(bad, &t, false, "cut short", "a file cut inside its header");
	bytes[8] = '[';
	write_file("bad.safetensors", bytes, n);
	refused(bad, &t, false, "not a safetensors file", "a damaged header");
	bytes[8] = '{';
	uint64_t header;
	memcpy(&header, bytes, 8);
	memcpy(bytes + 8 + header + 16, "\xff\xff\xff\x7f", 4);  /* a NaN in the first tensor */
	write_file("bad.safetensors", bytes, n);
	refused(bad, &t, false, "not finite", "a NaN in the data");
	free(bytes);

	float *init = malloc(sizeof(float) * g5->tensors.params);
	memcpy(init, t5.weights.params, sizeof(float) * g5->tensors.params);
	refused(good, &t5, false, "is (3, 64, 1, 1) there, (5, 64, 1, 1) here", "resuming into another class count");
	ok(!memcmp(init, t5.weights.params, sizeof(float) * g5->tensors.params), "leaving the trainer as it was");
	free(init);
	refused(good, &other, false, "trained with NAdam, this run with AdamW", "resuming with another optimizer");
	refused(in_scratch(none, "none.safetensors"), &t, false, "No such file", "a file that is not there");

	/* foreign files, written with the plain writer */
	const struct ul_tensor_table *table = &g3->tensors;
	struct ul_safetensors_entry *e = calloc(table->n, sizeof *e);
	int narrow[4] = { 8, 3, 3, 3 };
	for (size_t i = 0; i < table->n; i++) {
		const struct ul_tensor_spec *s = &table->specs[i];
		e[i] = (struct ul_safetensors_entry){ s->name, s->ndim, s->shape, ul_weights_data(&t.weights, s) };
	}
	jv err;
	ul_safetensors_write(bad, e, table->n, jv_null(), &err);
	refused(bad, &t, false, "weights only", "resuming from a file of weights");
	ul_safetensors_write(bad, e, 1, jv_null(), &err);
	refused(bad, &t, true, "has no tensor model.0.bn.weight", "a file missing tensors");
	e[0].shape = narrow;
	ul_safetensors_write(bad, e, table->n, jv_null(), &err);
	refused(bad, &t, true, "only the head's class outputs may differ", "a file of another model");
	e[0].shape = table->specs[0].shape;
	ul_safetensors_write(bad, e, table->n, jv_parse("{\"ul_checkpoint\":\"2\"}"), &err);
	refused(bad, &t, true, "newer ul", "a checkpoint of a newer format");
	struct ul_safetensors st;
	if (ul_safetensors_open_header(&st, good, &err) == 0) {
		ul_safetensors_write(bad, e, table->n, jv_object_set(jv_copy(st.metadata), jv_string("epoch"), jv_string("1x")),
				     &err);
		refused(bad, &t, true, "its metadata epoch is \"1x\", not a whole number", "a damaged counter");
		ul_safetensors_close(&st);
	}
	free(e);
	ul_trainer_free(&other);
	ul_trainer_free(&t5);
	ul_trainer_free(&t);
}

static int count_tmp_files(void)
{
	DIR *d = opendir(scratch_dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return n;
}

/* A save that runs out of room (RLIMIT_FSIZE in a child: EFBIG, as a full
 * disk gives ENOSPC) fails with a message and leaves the old file. */
static void failed_writes(const struct ul_graph *g, const char *good)
{
	struct ul_trainer t;
	if (create(&t, g, jv_parse(ARGS))) {
		ok(0, "a trainer");
		return;
	}
	jv err;
	char missing[PATH];
	ok(save(in_scratch(missing, "no/such/folder/last.safetensors"), &t, &err) == -1, "saving into a missing folder fails");
	char *msg = message(err);
	contains(msg, "cannot write", "saying so");
	free(msg);

	size_t before_n, after_n;
	char *before = slurp(good, &before_n);
	int fd[2];
	if (pipe(fd)) {
		ok(0, "a pipe");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit small = { 1 << 16, 1 << 16 };
		setrlimit(RLIMIT_FSIZE, &small);
		int rc = save(good, &t, &err);
		char *text = rc ? message(err) : strdup("saved");
		ssize_t w = write(fd[1], text, strlen(text));
		_exit(w > 0 && rc == -1 ? 0 : 1);
	}
	close(fd[1]);
	char text[512] = "";
	ssize_t got = read(fd[0], text, sizeof text - 1);
	close(fd[0]);
	text[got > 0 ? got : 0] = '\0';
	int status;
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 && strstr(text, "cannot write"),
	   "a save past the room left fails: %s", text);
	char *after = slurp(good, &after_n);
	ok(before && after && before_n == after_n && !memcmp(before, after, before_n), "the old file is whole");
	is_int(count_tmp_files(), 0, "and no temporary file is left");
	free(before);
	free(after);
	ul_trainer_free(&t);
}

int main(void)
{
	struct ul_graph g3, g5;
	jv err, yaml = model_yaml();
	int failed = ul_graph_build(&g3, yaml, 'n', 3, SIDE, &err) || ul_graph_build(&g5, yaml, 'n', 5, SIDE, &err);
	jv_free(yaml);
	if (failed || !scratch_begin()) {
		ok(0, "yolo26n builds, a scratch folder");
		return done_testing();
	}
	char path[PATH], other[PATH];
	resume_equivalence(&g3, "MuSGD", in_scratch(other, "musgd.safetensors"));
	in_scratch(path, "last.safetensors");
	resume_equivalence(&g3, "NAdam", path);

	struct ul_trainer t;
	if (create(&t, &g3, jv_parse(ARGS)) == 0 && run_epochs(&t, 1) == 0) {
		file_contents(&t, path);
		ul_trainer_free(&t);
	}
	python_reads(&g3, path);
	fine_tune(&g3, &g5, in_scratch(other, "tuned.safetensors"));
	damaged(&g3, &g5, path);
	failed_writes(&g3, path);

	ul_graph_free(&g3);
	ul_graph_free(&g5);
	scratch_end();
	return done_testing();
}
