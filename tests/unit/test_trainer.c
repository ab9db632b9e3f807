/* The training loop (lib/train/trainer) on yolo26n at 64 x 64: options
 * read from a config record's args; accumulation steps the optimizer every
 * nbs / batch batches and the EMA follows each step; gradients are cleared
 * after a step; the same seed gives the same bits and another seed other
 * bits, on one thread as on the pool; frozen layers keep their weights while the rest move; and on one
 * fixed batch with boxes to find, the loss falls. */
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/parallel.h"
#include "core/yaml_load.h"
#include "numeric.h"
#include "tap.h"
#include "train/trainer.h"

#define SIDE 64
#define BATCH 2

static const char *const ARGS =
	"{\"epochs\":3,\"batch\":2,\"nbs\":4,\"seed\":1,\"optimizer\":\"AdamW\",\"lr0\":0.002,\"lrf\":0.01,"
	"\"momentum\":0.937,\"weight_decay\":0.0005,\"warmup_epochs\":0,\"warmup_momentum\":0.8,"
	"\"warmup_bias_lr\":0.1,\"box\":7.5,\"cls\":0.5,\"dfl\":1.5,\"cls_pw\":0,\"label_smoothing\":0,\"cos_lr\":false,\"freeze\":null}";

static jv args_with(const char *key, jv value)
{
	return jv_object_set(jv_parse(ARGS), jv_string(key), value);
}

/* Two images, a bright square in each, and its label. */
static float *scene(struct ul_label labels[2])
{
	float *img = calloc((size_t)BATCH * SIDE * SIDE * 3, sizeof *img);
	for (int b = 0; b < BATCH; b++) {
		int x0 = 8 + 20 * b, y0 = 12, side = 24;
		for (int y = y0; y < y0 + side; y++)
			for (int x = x0; x < x0 + side; x++)
				for (int c = 0; c < 3; c++)
					img[(((size_t)b * SIDE + y) * SIDE + x) * 3 + c] = c == b ? 1.0f : 0.2f;
		labels[b] = (struct ul_label){ b, b, (x0 + side / 2.0f) / SIDE, (y0 + side / 2.0f) / SIDE,
					       (float)side / SIDE, (float)side / SIDE };
	}
	return img;
}

/* ul_train_options_from_args on args, which it then frees. */
static int options(struct ul_train_options *o, jv args, long images, jv *err)
{
	int rc = ul_train_options_from_args(o, args, images, err);
	jv_free(args);
	return rc;
}

static int train(struct ul_trainer *t, const struct ul_graph *g, jv args, int epochs, const float *img,
		 const struct ul_label *labels, double *first, double *last)
{
	struct ul_train_options o;
	jv err = jv_invalid();
	if (ul_train_options_from_args(&o, args, 2 * BATCH, &err) || ul_trainer_create(t, g, &o, &err)) {
		jv msg = jv_invalid_get_msg(err);
		printf("# %s\n", jv_string_value(msg));
		jv_free(msg);
		jv_free(args);
		return -1;
	}
	jv_free(args);
	for (int e = 0; e < epochs; e++) {
		for (int i = 0; i < t->batches; i++) {
			struct ul_detect_items items;
			double total;
			if (ul_trainer_batch(t, BATCH, SIDE, SIDE, img, labels, BATCH, &items, &total, &err))
				return -1;
			if (first && e == 0 && i == 0)
				*first = total;
			if (last)
				*last = total;
		}
		ul_trainer_epoch_end(t);
	}
	return 0;
}

/* The same run as main's first, in a child started before any pool
 * exists (a fork copies no worker thread) whose pool then has one thread
 * (UL_THREADS, read at its first use); its weights come back through a
 * pipe. Returns the read end, -1 on failure. */
static int start_one_thread_run(const struct ul_graph *g, const float *img, const struct ul_label *labels, pid_t *pid)
{
	size_t bytes = sizeof(float) * g->tensors.params;
	int fd[2];
	if (pipe(fd))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(fd[0]);
		setenv("UL_THREADS", "1", 1);
		struct ul_trainer t;
		int rc = train(&t, g, jv_parse(ARGS), 3, img, labels, NULL, NULL) || ul_parallel_threads() != 1;
		for (size_t off = 0; !rc && off < bytes;) {
			ssize_t n = write(fd[1], (const char *)t.weights.params + off, bytes - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		_exit(rc);
	}
	close(fd[1]);
	return *pid > 0 ? fd[0] : -1;
}

static bool same_as_child(int fd, pid_t pid, const float *params, size_t floats)
{
	size_t bytes = sizeof(float) * floats, have = 0;
	char *got = malloc(bytes);
	ssize_t n;
	while (fd >= 0 && have < bytes && (n = read(fd, got + have, bytes - have)) > 0)
		have += (size_t)n;
	if (fd >= 0)
		close(fd);
	int status;
	bool same = fd >= 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    have == bytes && !memcmp(got, params, bytes);
	free(got);
	return same;
}

static bool all_zero(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (x[i] != 0)
			return false;
	return true;
}

/* Whether every tensor of layer `layer` equals its value in `before`. */
static bool layer_same(const struct ul_graph *g, const float *params, const float *before, int layer)
{
	char prefix[32];
	int len = snprintf(prefix, sizeof prefix, "model.%d.", layer);
	for (size_t k = 0; k < g->tensors.n; k++) {
		const struct ul_tensor_spec *s = &g->tensors.specs[k];
		if (!s->buffer && !strncmp(s->name, prefix, (size_t)len) &&
		    memcmp(params + s->offset, before + s->offset, sizeof(float) * ul_tensor_numel(s)))
			return false;
	}
	return true;
}

int main(void)
{
	struct ul_graph g;
	jv err = jv_invalid(), yaml = ul_yaml_load_file("share/ul/models/yolo26.yaml");
	int failed = ul_graph_build(&g, yaml, 'n', 3, SIDE, &err);
	jv_free(yaml);
	if (failed) {
		ok(0, "yolo26n builds");
		return done_testing();
	}
	struct ul_label labels[2];
	float *img = scene(labels);
	size_t nparams = g.tensors.params;
	pid_t child = -1;
	int from_child = start_one_thread_run(&g, img, labels, &child);

	/* options */
	struct ul_train_options o;
	ok(options(&o, jv_parse(ARGS), 10, &err) == 0, "options from a config's args");
	ok(o.epochs == 3 && o.batch == 2 && o.nbs == 4 && o.lr0 == 0.002 && o.nfreeze == 0 && !o.cos_lr &&
	   !strcmp(o.optimizer, "AdamW"), "with their values");
	jv a = args_with("freeze", jv_number(3));
	ok(ul_train_options_from_args(&o, a, 10, &err) == 0 && o.nfreeze == 3 && o.freeze[2] == 2, "freeze=3: layers 0-2");
	jv_free(a);
	a = args_with("freeze", jv_parse("[4, 9]"));
	ok(ul_train_options_from_args(&o, a, 10, &err) == 0 && o.nfreeze == 2 && o.freeze[1] == 9, "freeze=[4,9]");
	jv_free(a);
	a = jv_object_delete(jv_parse(ARGS), jv_string("lr0"));
	ok(ul_train_options_from_args(&o, a, 10, &err) == -1, "a config without lr0 is refused");
	jv msg = jv_invalid_get_msg(err);
	ok(strstr(jv_string_value(msg), "lr0") != NULL, "naming it (%s)", jv_string_value(msg));
	jv_free(msg);
	jv_free(a);

	/* accumulation, EMA, cleared gradients */
	struct ul_trainer t;
	if (train(&t, &g, jv_parse(ARGS), 3, img, labels, NULL, NULL)) {
		ok(0, "trains");
		return done_testing();
	}
	is_int(t.batches, 2, "4 images at batch 2: 2 batches an epoch");
	is_int(t.steps, 3, "6 batches accumulating nbs / batch = 2: 3 steps");
	is_int(t.ema.updates, 3, "the EMA updated at every step");
	ok(all_zero(t.weights.grads, nparams), "gradients cleared after the last step");
	ok(t.grad_norm > 0 && isfinite(t.grad_norm), "a gradient norm was measured (%g)", t.grad_norm);
	ok(memcmp(t.ema.weights.params, t.weights.params, sizeof(float) * nparams) != 0, "the EMA is not the model");
	is_double(t.optim.groups[0].lr, 0.002 * ul_lr_factor(&t.schedule, 3), 1e-12, "the rate of epoch 4 is set");

	/* the same seed, the same bits; another seed, others */
	struct ul_trainer again, other;
	train(&again, &g, jv_parse(ARGS), 3, img, labels, NULL, NULL);
	ok(!memcmp(again.weights.params, t.weights.params, sizeof(float) * nparams) &&
	   !memcmp(again.weights.buffers, t.weights.buffers, sizeof(float) * g.tensors.buffers) &&
	   !memcmp(again.ema.weights.params, t.ema.weights.params, sizeof(float) * nparams),
	   "the same seed gives bit-identical weights, statistics and EMA");
	train(&other, &g, args_with("seed", jv_number(2)), 3, img, labels, NULL, NULL);
	ok(memcmp(other.weights.params, t.weights.params, sizeof(float) * nparams) != 0, "another seed, other weights");
	ok(same_as_child(from_child, child, t.weights.params, nparams), "and the same bits on one thread as on %d",
	   ul_parallel_threads());
	ul_trainer_free(&again);
	ul_trainer_free(&other);

	/* freeze */
	struct ul_trainer frozen;
	float *initial = malloc(sizeof(float) * nparams);
	struct ul_train_options fresh;
	options(&fresh, jv_parse(ARGS), 2 * BATCH, &err);
	ul_trainer_create(&frozen, &g, &fresh, &err);
	memcpy(initial, frozen.weights.params, sizeof(float) * nparams);
	ul_trainer_free(&frozen);
	train(&frozen, &g, args_with("freeze", jv_parse("[0, 1]")), 3, img, labels, NULL, NULL);
	ok(layer_same(&g, frozen.weights.params, initial, 0) && layer_same(&g, frozen.weights.params, initial, 1),
	   "frozen layers 0 and 1 keep their weights");
	ok(!layer_same(&g, frozen.weights.params, initial, 2) && !layer_same(&g, frozen.weights.params, initial, 23),
	   "layers 2 and 23 move");
	ul_trainer_free(&frozen);
	a = args_with("freeze", jv_number(24));
	ul_train_options_from_args(&o, a, 2 * BATCH, &err);
	jv_free(a);
	ok(ul_trainer_create(&frozen, &g, &o, &err) == -1, "freezing every layer is refused");
	msg = jv_invalid_get_msg(err);
	ok(strstr(jv_string_value(msg), "no parameter") != NULL, "saying so (%s)", jv_string_value(msg));
	jv_free(msg);
	a = args_with("optimizer", jv_string("Adagrad"));
	ul_train_options_from_args(&o, a, 2 * BATCH, &err);
	jv_free(a);
	ok(ul_trainer_create(&frozen, &g, &o, &err) == -1, "an unknown optimizer is refused");
	jv_free(jv_invalid_get_msg(err));

	/* an epoch of 3 images at batch 2: a full batch, then a short one on a
	 * net of its own, both kept from epoch to epoch */
	struct ul_trainer ragged;
	options(&o, jv_parse(ARGS), 3, &err);
	ok(ul_trainer_create(&ragged, &g, &o, &err) == 0, "a run of 3 images at batch 2");
	int failures = 0;
	for (int e = 0; e < 2; e++) {
		struct ul_detect_items items;
		double total;
		failures += ul_trainer_batch(&ragged, 2, SIDE, SIDE, img, labels, 2, &items, &total, &err) != 0;
		failures += ul_trainer_batch(&ragged, 1, SIDE, SIDE, img, labels, 1, &items, &total, &err) != 0;
		ul_trainer_epoch_end(&ragged);
	}
	ok(failures == 0 && ragged.batches == 2 && ragged.has_net[0] && ragged.has_net[1] &&
	   ragged.nets[0].batch + ragged.nets[1].batch == 3, "trains on two nets, one per batch shape");
	float *ragged_params = ragged.weights.params;
	struct ul_net *kept = &ragged.nets[ragged.net == 0 ? 1 : 0];
	int kept_batch = kept->batch;
	struct ul_detect_items items;
	double total;
	ok(ul_trainer_batch(&ragged, 2, SIDE / 2, SIDE / 2, img, labels, 2, &items, &total, &err) == 0 &&
	   kept->batch == kept_batch && ragged.nets[ragged.net].h == SIDE / 2 && ragged_params == ragged.weights.params,
	   "a third shape replaces the net not used last");
	ul_trainer_free(&ragged);

	/* it learns: 40 steps on one batch */
	struct ul_trainer learn;
	double first = 0, last = 0;
	jv fit = args_with("nbs", jv_number(2));
	fit = jv_object_set(fit, jv_string("epochs"), jv_number(20));
	fit = jv_object_set(fit, jv_string("lr0"), jv_number(0.01));
	train(&learn, &g, fit, 20, img, labels, &first, &last);
	is_int(learn.steps, 40, "40 optimizer steps");
	ok(last < 0.5 * first, "the loss falls by more than half (%.3f -> %.3f)", first, last);
	ul_trainer_free(&learn);

	ul_trainer_free(&t);
	free(initial);
	free(img);
	ul_graph_free(&g);
	return done_testing();
}
