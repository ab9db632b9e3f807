/* ul-learn: issue 6's learning check, a test driver until ul-train exists.
 *
 *   ul-fetch data=D | ul-validate model=M epochs=... | ul-learn [on=val|train]
 *
 * Trains the config's detector on the dataset's train split with the
 * training loop of lib/train (no augmentation: the data pipeline is not
 * built yet, so the images are letterboxed as they are), writing one
 * `epoch` record per epoch, then runs the EMA weights over the validation
 * images (on=train: the training images) and writes a `learned` record:
 * the ground-truth boxes, how many a detection of the right class found
 * at IoU >= iou with a score above conf, the detections kept, and the
 * training's seconds and images per second. Built for the tests only,
 * never installed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/model.h"
#include "core/args.h"
#include "core/error.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "data/dataset_spec.h"
#include "data/detect_set.h"
#include "train/trainer.h"
#include "val/e2e_decode.h"
#include "val/match.h"

static const struct ul_arg learn_args[] = {
	{ "on", UL_ARG_STRING, "val", "the split to count found boxes on: val or train" },
	{ "conf", UL_ARG_FLOAT, "0.25", "the score a detection must pass to count" },
	{ "iou", UL_ARG_FLOAT, "0.5", "the IoU a detection must reach with its box" },
	{ NULL },
};

static const struct ul_tool learn_tool = {
	.name = "ul-learn",
	.summary = "train a detector without augmentation and count the boxes it finds (a test driver)",
	.usage = "ul-fetch ... | ul-validate ... | ul-learn [on=val|train] [conf=0.25] [iou=0.5]",
	.args = learn_args,
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

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

static int train(struct ul_trainer *t, const struct ul_detect_set *set, double *seconds, jv *err)
{
	int batch = t->options.batch, *order = malloc(sizeof *order * set->n);
	float *images = malloc(sizeof *images * (size_t)batch * set->imgsz * set->imgsz * 3);
	struct ul_label *labels = malloc(sizeof *labels * (set->nlabels + 1));
	int rc = order && images && labels ? 0 : ul_invalid(err, "out of memory for a batch");
	double start = now();
	for (int e = 0; !rc && e < t->options.epochs; e++) {
		double t0 = now();
		struct ul_detect_items sum = { 0 };
		int batches = 0;
		ul_detect_set_shuffle(set, t->options.seed, e, order);
		for (int i = 0; !rc && i < set->n; i += batch, batches++) {
			int n = set->n - i < batch ? set->n - i : batch;
			size_t nlabels = ul_detect_set_batch(set, order + i, n, images, labels);
			struct ul_detect_items items;
			double total;
			rc = ul_trainer_batch(t, n, set->imgsz, set->imgsz, images, labels, nlabels, &items, &total, err);
			sum.box += items.box, sum.cls += items.cls, sum.l1 += items.l1;
		}
		/* the record holds the epoch's rates: write it before the next epoch's are set */
		if (!rc)
			ul_write_record(epoch_record(t, &sum, batches, now() - t0));
		ul_trainer_epoch_end(t);
	}
	*seconds = now() - start;
	free(order), free(images), free(labels);
	return rc;
}

/* The EMA over the set: how many of its boxes a detection found. */
static int count_found(const struct ul_trainer *t, const struct ul_detect_set *set, double conf, double iou, jv found,
		       jv *result, jv *err)
{
	int batch = 2 * t->options.batch < set->n ? 2 * t->options.batch : set->n, side = set->imgsz;
	struct ul_net net;
	if (ul_net_create(&net, t->graph, &t->ema.weights, batch, side, side, 0, err))
		return -1;
	int *order = malloc(sizeof *order * batch);
	float *images = malloc(sizeof *images * (size_t)batch * side * side * 3);
	struct ul_label *labels = malloc(sizeof *labels * (set->nlabels + 1));
	struct ul_detection *dets = malloc(sizeof *dets * 300);
	struct ul_gt_box *gt = malloc(sizeof *gt * (set->nlabels + 1));
	bool *correct = malloc(sizeof *correct * 300);
	struct ul_decode_scratch ds = { 0 };
	struct ul_match_scratch ms = { 0 };
	long boxes = 0, hits = 0, kept = 0;
	int rc = order && images && labels && dets && gt && correct ? 0 : ul_invalid(err, "out of memory");
	for (int i = 0; !rc && i < set->n; i += batch) {
		/* a short last batch repeats the first images, counted once */
		int n = set->n - i < batch ? set->n - i : batch;
		for (int b = 0; b < batch; b++)
			order[b] = b < n ? i + b : 0;
		size_t nlabels = ul_detect_set_batch(set, order, batch, images, labels);
		ul_net_forward(&net, images, false);
		struct ul_detect_head head;
		if (ul_e2e_head(&net, "one2one", &head)) {
			rc = ul_invalid(err, "the model is not a detector");
			break;
		}
		for (int b = 0; !rc && b < n; b++) {
			int ndet = ul_decode_e2e(&head, b, 300, conf, dets, &ds), ngt = 0;
			for (size_t k = 0; k < nlabels; k++) {
				const struct ul_label *l = &labels[k];
				if (l->image == b)
					gt[ngt++] = (struct ul_gt_box){ l->cls, { (l->cx - l->w / 2) * side, (l->cy - l->h / 2) * side,
										    (l->cx + l->w / 2) * side, (l->cy + l->h / 2) * side } };
			}
			int tp = ndet < 0 ? -1 : ul_match(dets, ndet, gt, ngt, iou, correct, &ms);
			if (tp < 0)
				rc = ul_invalid(err, "out of memory");
			boxes += ngt, hits += tp, kept += ndet;
		}
	}
	if (!rc) {
		jv r = found;
		r = jv_object_set(r, jv_string("boxes"), jv_number((double)boxes));
		r = jv_object_set(r, jv_string("found"), jv_number((double)hits));
		r = jv_object_set(r, jv_string("recall"), jv_number(boxes ? (double)hits / boxes : 0));
		r = jv_object_set(r, jv_string("detections"), jv_number((double)kept));
		*result = r;
	} else {
		jv_free(found);
	}
	ul_decode_scratch_free(&ds);
	ul_match_scratch_free(&ms);
	free(order), free(images), free(labels), free(dets), free(gt), free(correct);
	ul_net_free(&net);
	return rc;
}

/* The split's entries from the dataset's description. */
static jv split_entries(jv dataset, const char *split)
{
	jv yaml = jv_object_get(jv_copy(dataset), jv_string("yaml")), root = jv_object_get(jv_copy(dataset), jv_string("root"));
	jv spec = jv_get_kind(yaml) == JV_KIND_STRING ? ul_dataset_spec_load_at(jv_string_value(yaml), jv_string_value(root))
		: ul_dataset_spec_load(jv_string_value(root));
	jv_free(yaml), jv_free(root);
	if (!jv_is_valid(spec))
		return spec;
	jv entries = jv_object_get(jv_object_get(spec, jv_string("splits")), jv_string(split));
	return jv_get_kind(entries) == JV_KIND_ARRAY ? entries : (jv_free(entries), jv_invalid_with_msg(jv_string_fmt("the dataset has no %s split", split)));
}

static int run(const struct ul_args *args, jv dataset, jv config)
{
	jv targs = jv_object_get(jv_copy(config), jv_string("args")), facts = jv_object_get(jv_copy(config), jv_string("model_info"));
	jv imgsz_v = jv_object_get(jv_copy(targs), jv_string("imgsz")), nc_v = jv_object_get(jv_copy(dataset), jv_string("nc"));
	int imgsz = jv_get_kind(imgsz_v) == JV_KIND_NUMBER ? (int)jv_number_value(imgsz_v) : 640;
	int nc = jv_get_kind(nc_v) == JV_KIND_NUMBER ? (int)jv_number_value(nc_v) : 0;
	jv_free(imgsz_v), jv_free(nc_v);
	struct ul_graph g = { 0 };
	struct ul_detect_set train_set = { .skipped = jv_null() }, val_set = { .skipped = jv_null() };
	struct ul_trainer t = { 0 };
	struct ul_train_options o;
	struct ul_label_rules rules = { UL_TASK_DETECT, nc, 0, 0 };
	jv err = jv_invalid(), why = jv_null();
	int rc = 0;
	const char *on = ul_arg_str(args, "on");
	jv train_entries = split_entries(dataset, "train"), val_entries = split_entries(dataset, strcmp(on, "train") ? "val" : "train");
	if (ul_model_graph(facts, dataset, imgsz, &g, &why)) {
		rc = fail("model", jv_invalid_with_msg(why));
		why = jv_null();
	} else if (!jv_is_valid(train_entries) || !jv_is_valid(val_entries)) {
		rc = fail("dataset", jv_copy(jv_is_valid(train_entries) ? val_entries : train_entries));
	} else if (ul_detect_set_load(&train_set, train_entries, &rules, imgsz, &err) ||
		   ul_detect_set_load(&val_set, val_entries, &rules, imgsz, &err)) {
		rc = fail("dataset", err);
	} else if (ul_train_options_from_args(&o, targs, train_set.n, &err) || ul_trainer_create(&t, &g, &o, &err)) {
		rc = fail("config", err);
	} else {
		double seconds;
		jv result;
		if (train(&t, &train_set, &seconds, &err)) {
			rc = fail("training", err);
		} else {
			jv r = ul_record("learned");
			r = jv_object_set(r, jv_string("optimizer"), jv_string(ul_optim_kind_name(t.choice.kind)));
			r = jv_object_set(r, jv_string("seconds"), jv_number(seconds));
			r = jv_object_set(r, jv_string("images_per_second"),
					  jv_number((double)train_set.n * o.epochs / seconds));
			r = jv_object_set(r, jv_string("steps"), jv_number((double)t.steps));
			r = jv_object_set(r, jv_string("on"), jv_string(on));
			if (count_found(&t, &val_set, ul_arg_float(args, "conf"), ul_arg_float(args, "iou"), r, &result, &err))
				rc = fail("validation", err);
			else
				ul_write_record(result);
		}
	}
	jv_free(why), jv_free(train_entries), jv_free(val_entries), jv_free(targs), jv_free(facts);
	ul_trainer_free(&t);
	ul_detect_set_free(&train_set);
	ul_detect_set_free(&val_set);
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
	else
		rc = run(&args, kept[0], kept[1]);
	jv_free(kept[0]), jv_free(kept[1]);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
