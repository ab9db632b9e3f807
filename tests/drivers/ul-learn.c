/* ul-learn: issue 6's learning check, a test driver until ul-train exists.
 *
 *   ul-fetch data=D | ul-validate model=M epochs=... | ul-learn [on=val|train]
 *
 * Trains the config's detector on the dataset's train split with the
 * training loop of lib/train and the loader of lib/data (its transforms as
 * far as they are built), writing one `epoch` record per epoch, then runs
 * the EMA weights over the validation images (on=train: the training
 * images), in rect frames as Ultralytics' validator does, and writes a
 * `learned` record: precision, recall, mAP50 and mAP50-95 as Ultralytics
 * computes them (lib/val/ap), the ground-truth boxes and how many of them a
 * detection of the right class found at IoU 0.5 at the confidence those P
 * and R are taken at, and the training's seconds and images per second;
 * Ultralytics' closing table goes to stderr. backend=guarded runs every
 * net on tests/guarded_backend.h, a stand-in for a GPU whose memory the
 * host cannot touch. each_epoch=true also validates after every epoch
 * through one kept net, as ul-train does, and the record says whether the
 * last of those equals the closing validation's fresh net, bit for bit
 * (`kept_same`). Built for the tests only, never installed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/model.h"
#include "core/args.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "data/dataset_spec.h"
#include "data/loader.h"
#include "guarded_backend.h"
#include "train/trainer.h"
#include "val/val_table.h"
#include "val/validator.h"

static const struct ul_arg learn_args[] = {
	{ "on", UL_ARG_STRING, "val" },
	{ "conf", UL_ARG_FLOAT, "0.001" },
	{ "backend", UL_ARG_STRING, "cpu" },
	{ "each_epoch", UL_ARG_BOOL, "false" },
	{ NULL },
};

static const struct ul_tool learn_tool = {
	.name = "ul-learn",
	.args = learn_args,
};

static int fail(const char *code, jv err)
{
	jv msg = jv_invalid_has_msg(jv_copy(err)) ? jv_invalid_get_msg(err) : (jv_free(err), jv_string("out of memory"));
	int rc = ul_fail(UL_EXIT_FAILED, ul_error_record(code, jv_string_value(msg), NULL));
	jv_free(msg);
	return rc;
}

/* The mean of the epoch's one-to-one items, and the rates of its groups. */
static jv epoch_record(const struct ul_trainer *t, const struct ul_detect_items *sum, int batches, double seconds)
{
	jv losses = jv_object();
	losses = jv_object_set(losses, jv_string("box"), jv_number(sum->box / batches));
	losses = jv_object_set(losses, jv_string("cls"), jv_number(sum->cls / batches));
	losses = jv_object_set(losses, jv_string("l1"), jv_number(sum->l1 / batches));
	jv lr = jv_array();
	for (int j = 0; j < t->optim.ngroups; j++)
		lr = jv_array_append(lr, jv_number(t->optim.groups[j].lr));
	jv r = ul_record("epoch");
	r = jv_object_set(r, jv_string("epoch"), jv_number(t->epoch + 1));
	r = jv_object_set(r, jv_string("epochs"), jv_number(t->options.epochs));
	r = jv_object_set(r, jv_string("losses"), losses);
	r = jv_object_set(r, jv_string("lr"), lr);
	r = jv_object_set(r, jv_string("steps"), jv_number((double)t->steps));
	return jv_object_set(r, jv_string("seconds"), jv_number(seconds));
}

/* close_mosaic: the mixing transforms stop for the last epochs. */
static void close_mosaic(struct ul_loader *l)
{
	l->o.augment.mosaic = l->o.augment.mixup = l->o.augment.cutmix = l->o.augment.copy_paste = 0;
}

/* The validations: their loader and options; with each_epoch, the net
 * the epochs' validations keep and the last one's result. */
struct validations {
	struct ul_loader *loader;
	struct ul_val_options o;
	bool each_epoch;
	struct ul_val_keep keep;
	struct ul_val_result last;
};

static int train(struct ul_trainer *t, struct ul_loader *loader, int close_at, struct validations *val, double *seconds,
		 jv *err)
{
	int rc = 0;
	double start = ul_seconds();
	for (int e = 0; !rc && e < t->options.epochs; e++) {
		double t0 = ul_seconds();
		struct ul_detect_items sum = { 0 };
		int batches = 0;
		if (e == close_at)
			close_mosaic(loader);
		rc = ul_loader_start(loader, e, err);
		struct ul_batch *b;
		while (!rc && (b = ul_loader_next(loader, err))) {
			struct ul_detect_items items;
			double total;
			rc = ul_trainer_batch(t, b->n, b->h, b->w, b->images, b->labels, b->nlabels, &items, &total, err);
			sum.box += items.box, sum.cls += items.cls, sum.l1 += items.l1, batches++;
			ul_loader_release(loader, b);
		}
		if (!rc && jv_invalid_has_msg(jv_copy(*err)))
			rc = -1;
		/* the record holds the epoch's rates: write it before the next epoch's are set */
		if (!rc)
			ul_write_record(epoch_record(t, &sum, batches, ul_seconds() - t0));
		ul_trainer_epoch_end(t);
		if (!rc && val->each_epoch) {
			ul_val_result_free(&val->last);
			rc = ul_validate(t->graph, &t->ema.weights, val->loader, &val->o, &val->keep, &val->last, err);
		}
	}
	*seconds = ul_seconds() - start;
	return rc;
}

/* The EMA over the validation batches (lib/val/validator), into the
 * `learned` record begun in found, with the closing table on stderr. */
static int validate(const struct ul_trainer *t, struct validations *val, jv names, jv found, jv *result, jv *err)
{
	struct ul_val_result v;
	if (ul_validate(t->graph, &t->ema.weights, val->loader, &val->o, NULL, &v, err)) {
		ul_val_result_free(&v);
		jv_free(found);
		return -1;
	}
	const struct ul_val_metrics *m = &v.metrics;
	int nc = t->graph->nc;
	const char **labels = calloc((size_t)nc + 1, sizeof *labels);
	jv kept = jv_array();
	for (int c = 0; labels && c < nc; c++) {
		char key[16];
		snprintf(key, sizeof key, "%d", c);
		jv name = jv_object_get(jv_copy(names), jv_string(key));
		if (jv_get_kind(name) == JV_KIND_STRING)
			labels[c] = jv_string_value(name), kept = jv_array_append(kept, name);
		else
			jv_free(name);
	}
	ul_val_table(stderr, &v.stats, m, labels, nc, true);
	free(labels);
	jv_free(kept);
	/* the boxes found at the chosen confidence, class by class, as
	 * Ultralytics counts its true positives: round(r x labels) */
	double hits = 0;
	for (int c = 0; c < m->nclasses; c++) {
		size_t count = 0;
		for (size_t i = 0; i < v.stats.ntargets; i++)
			count += v.stats.target_cls[i] == m->classes[c];
		hits += nearbyint(m->r[c] * count);
	}
	jv r = found;
	r = jv_object_set(r, jv_string("boxes"), jv_number((double)v.stats.ntargets));
	r = jv_object_set(r, jv_string("found"), jv_number(hits));
	r = jv_object_set(r, jv_string("conf"), jv_number(m->conf));
	jv metrics = jv_object();
	metrics = jv_object_set(metrics, jv_string("precision"), jv_number(m->mp));
	metrics = jv_object_set(metrics, jv_string("recall"), jv_number(m->mr));
	metrics = jv_object_set(metrics, jv_string("mAP50"), jv_number(m->map50));
	metrics = jv_object_set(metrics, jv_string("mAP50_95"), jv_number(m->map));
	r = jv_object_set(r, jv_string("metrics"), metrics);
	jv losses = jv_object();
	losses = jv_object_set(losses, jv_string("box"), jv_number(v.loss.box));
	losses = jv_object_set(losses, jv_string("cls"), jv_number(v.loss.cls));
	losses = jv_object_set(losses, jv_string("l1"), jv_number(v.loss.l1));
	r = jv_object_set(r, jv_string("val_losses"), losses);
	if (val->each_epoch) {
		const struct ul_val_metrics *k = &val->last.metrics;
		bool same = k->mp == m->mp && k->mr == m->mr && k->map50 == m->map50 && k->map == m->map &&
			    !memcmp(&val->last.loss, &v.loss, sizeof v.loss);
		r = jv_object_set(r, jv_string("kept_same"), jv_bool(same));
	}
	*result = r;
	ul_val_result_free(&v);
	return 0;
}

static int run(const struct ul_args *args, jv dataset, jv config)
{
	jv targs = jv_object_get(jv_copy(config), jv_string("args")), facts = jv_object_get(jv_copy(config), jv_string("model_info"));
	jv imgsz_v = jv_object_get(jv_copy(targs), jv_string("imgsz")), nc_v = jv_object_get(jv_copy(dataset), jv_string("nc"));
	jv close_v = jv_object_get(jv_copy(targs), jv_string("close_mosaic"));
	int imgsz = jv_get_kind(imgsz_v) == JV_KIND_NUMBER ? (int)jv_number_value(imgsz_v) : 640;
	int nc = jv_get_kind(nc_v) == JV_KIND_NUMBER ? (int)jv_number_value(nc_v) : 0;
	int close = jv_get_kind(close_v) == JV_KIND_NUMBER ? (int)jv_number_value(close_v) : 0;
	jv_free(imgsz_v), jv_free(nc_v), jv_free(close_v);
	struct ul_graph g = { 0 };
	struct ul_loader train_loader = { .skipped = jv_null() }, val_loader = { .skipped = jv_null() };
	bool train_open = false, val_open = false;
	struct ul_loader_options to, vo;
	struct ul_trainer t = { 0 };
	struct ul_train_options o;
	struct ul_label_rules rules = { UL_TASK_DETECT, nc, 0, 0 };
	jv err = jv_invalid(), why = jv_null();
	int rc = 0;
	const char *on = ul_arg_str(args, "on");
	struct validations val = { .loader = &val_loader, .each_epoch = ul_arg_bool(args, "each_epoch") };
	jv train_entries = ul_dataset_split(dataset, "train"), val_entries = ul_dataset_split(dataset, strcmp(on, "train") ? "val" : "train");
	if (ul_model_graph(facts, dataset, imgsz, &g, &why)) {
		rc = fail("model", jv_invalid_with_msg(why));
		why = jv_null();
	} else if (!jv_is_valid(train_entries) || !jv_is_valid(val_entries)) {
		rc = fail("dataset", jv_copy(jv_is_valid(train_entries) ? val_entries : train_entries));
	} else if (ul_loader_options_from_args(&to, targs, true, &rules, 0, 0, 0, &err) ||
		   ul_loader_options_from_args(&vo, targs, false, &rules, 0, 0, 0, &err)) {
		rc = fail("config", err);
	} else if (!(train_open = !ul_loader_open(&train_loader, train_entries, &to, &err)) ||
		   !(val_open = !ul_loader_open(&val_loader, val_entries, &vo, &err))) {
		rc = fail("dataset", err);
	} else if (ul_train_options_from_args(&o, targs, train_loader.n, &err) || ul_trainer_create(&t, &g, &o, &err)) {
		rc = fail("config", err);
	} else if (ul_val_options_from_args(&val.o, targs, &err)) {
		rc = fail("config", err);
	} else {
		double seconds;
		jv result;
		val.o.conf = ul_arg_float(args, "conf");
		if (train(&t, &train_loader, close > 0 ? o.epochs - close : -1, &val, &seconds, &err)) {
			rc = fail("training", err);
		} else {
			jv r = ul_record("learned");
			r = jv_object_set(r, jv_string("optimizer"), jv_string(ul_optim_kind_name(t.choice.kind)));
			r = jv_object_set(r, jv_string("seconds"), jv_number(seconds));
			r = jv_object_set(r, jv_string("images_per_second"),
					  jv_number((double)train_loader.n * o.epochs / seconds));
			r = jv_object_set(r, jv_string("steps"), jv_number((double)t.steps));
			r = jv_object_set(r, jv_string("on"), jv_string(on));
			jv names = jv_get_kind(dataset) == JV_KIND_OBJECT ? jv_object_get(jv_copy(dataset), jv_string("names")) : jv_null();
			if (validate(&t, &val, names, r, &result, &err))
				rc = fail("validation", err);
			else
				ul_write_record(result);
			jv_free(names);
		}
	}
	jv_free(why), jv_free(train_entries), jv_free(val_entries), jv_free(targs), jv_free(facts);
	ul_val_result_free(&val.last);
	ul_val_keep_free(&val.keep);
	ul_trainer_free(&t);
	if (train_open)
		ul_loader_close(&train_loader);
	if (val_open)
		ul_loader_close(&val_loader);
	ul_graph_free(&g);
	return rc;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	struct ul_args args;
	int rc = ul_args_parse(&args, &learn_tool, argc, argv);
	if (rc >= 0) {
		ul_args_free(&args);
		return ul_tool_exit(rc);
	}
	rc = UL_EXIT_OK;
	jv kept[2] = { jv_null(), jv_null() };
	if (!ul_pass_upstream((const char *const[]){ "dataset", "config", NULL }, kept, &rc))
		rc = UL_EXIT_FAILED;
	else if (jv_get_kind(kept[0]) != JV_KIND_OBJECT || jv_get_kind(kept[1]) != JV_KIND_OBJECT)
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "ul-learn needs a dataset and a config record on stdin",
							  "ul-fetch data=... | ul-validate ... | ul-learn"));
	else if (strcmp(ul_arg_str(&args, "backend"), "cpu") && strcmp(ul_arg_str(&args, "backend"), "guarded"))
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "backend= is cpu or guarded", NULL));
	else {
		if (!strcmp(ul_arg_str(&args, "backend"), "guarded"))
			ul_ops = guarded_backend();
		rc = run(&args, kept[0], kept[1]);
	}
	jv_free(kept[0]), jv_free(kept[1]);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
