/* ul-validate: check a run's configuration before any GPU time is spent.
 *
 *   ul-fetch data=coco8.yaml | ul-validate model=yolo26n.yaml epochs=50 | ...
 *
 * Reads the `dataset` record (or fetches data= itself), checks every
 * parameter against share/ul/params.yaml, the model against the dataset,
 * and writes one `config` record with every parameter filled in, or one
 * `error` record for each problem found. Every record that arrives is
 * passed on; an upstream `error` stops the validation. */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/model.h"
#include "config/params.h"
#include "core/args.h"
#include "core/error.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "core/yaml_load.h"
#include "data/fetch.h"
#include "nn/graph.h"

static const struct ul_arg validate_args[] = {
	{ "model", UL_ARG_STRING, "null", "yolo26n.yaml ... yolo26x-cls.yaml, a model YAML or a checkpoint (default: yolo26n for the dataset's task)" },
	{ "data", UL_ARG_STRING, "null", "a dataset to fetch when no dataset record arrives, as ul-fetch data=" },
	{ "task", UL_ARG_STRING, "null", "the run's task: it must agree with the model and the dataset" },
	{ NULL },
};

static const struct ul_tool validate_tool = {
	.name = "ul-validate",
	.summary = "check a run's parameters, model and dataset before training",
	.usage = "ul-validate [model=M] [key=value ...] [cfg=FILE.yaml] < dataset | ul-validate --schema | --defaults"
		 " | --summary [model=M] [imgsz=N] [nc=N]",
	.args = validate_args,
	.open = true,  /* every training parameter, checked against the schema */
};

/* --schema: the schema as one record; --defaults: the defaults as YAML. */
static int print_schema(bool as_yaml)
{
	jv schema = ul_params_load();
	if (!jv_is_valid(schema)) {
		jv why = jv_invalid_get_msg(schema);
		int rc = ul_fail(UL_EXIT_FAILED, ul_error_record("io", jv_string_value(why), NULL));
		jv_free(why);
		return rc;
	}
	if (!as_yaml) {
		ul_write_record(jv_object_set(ul_record("schema"), jv_string("params"), schema));
		return UL_EXIT_OK;
	}
	printf("# The default value of every training parameter (ul-validate --defaults).\n"
	       "# Edit and pass back with cfg=FILE.yaml.\n");
	jv_object_foreach(schema, name, spec) {
		/* a JSON scalar or list is YAML too */
		jv text = jv_dump_string(jv_object_get(spec, jv_string("default")), 0);
		printf("%s: %s\n", jv_string_value(name), jv_string_value(text));
		jv_free(text);
		jv_free(name);
	}
	jv_free(schema);
	return UL_EXIT_OK;
}

static void add_error(jv *errors, const char *code, const char *param, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_error(jv *errors, const char *code, const char *param, const char *hint, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	jv err = ul_error_record(code, message, hint);
	if (param)
		err = jv_object_set(err, jv_string("param"), jv_string(param));
	*errors = jv_array_append(*errors, err);
}

static const char *str(jv object, const char *key, char *buf, size_t cap)
{
	jv v = jv_object_get(jv_copy(object), jv_string(key));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		jv_free(v);
		return NULL;
	}
	snprintf(buf, cap, "%s", jv_string_value(v));
	jv_free(v);
	return buf;
}

/* resume=true needs a last checkpoint under the runs folder; resume=PATH
 * and pretrained=PATH need that file. */
static void check_files(jv args, const char *task, jv *errors)
{
	char buf[4096];
	jv resume = jv_object_get(jv_copy(args), jv_string("resume"));
	if (jv_get_kind(resume) == JV_KIND_TRUE) {
		/* runs/TASK, as ul-train names run folders, or project= */
		char runs[2048], pattern[2100];
		if (!str(args, "project", runs, sizeof runs))
			snprintf(runs, sizeof runs, "runs/%s", task);
		snprintf(pattern, sizeof pattern, "%s/*/weights/last.safetensors", runs);
		glob_t g;
		if (glob(pattern, 0, NULL, &g) != 0)
			add_error(errors, "resume", "resume", "start a new run, or name a checkpoint: resume=PATH",
				  "nothing to resume: no %s", pattern);
		else
			globfree(&g);
	}
	static const char *const files[] = { "resume", "pretrained" };
	for (int i = 0; i < 2; i++) {
		struct stat st;
		if (str(args, files[i], buf, sizeof buf) && stat(buf, &st) != 0)
			add_error(errors, files[i], files[i], NULL, "%s=%s: no such checkpoint", files[i], buf);
	}
	jv_free(resume);
}

/* Adds what the model costs to its facts: parameters, GFLOPs per image,
 * and the layer table. A model that does not build is an error. */
static jv with_summary(jv model, jv dataset, jv args, jv *errors)
{
	jv imgsz = jv_object_get(jv_copy(args), jv_string("imgsz"));
	struct ul_graph g;
	jv why;
	if (ul_model_graph(model, dataset, jv_get_kind(imgsz) == JV_KIND_NUMBER ? (int)jv_number_value(imgsz) : 640, &g, &why)) {
		add_error(errors, "model", "model", NULL, "%s", jv_string_value(why));
		jv_free(why);
	} else {
		model = jv_object_set(model, jv_string("parameters"), jv_number((double)ul_graph_parameters(&g)));
		model = jv_object_set(model, jv_string("gflops"), jv_number(round(g.gflops * 10) / 10));
		model = jv_object_set(model, jv_string("layers"), ul_graph_layers(&g));
	}
	ul_graph_free(&g);
	jv_free(imgsz);
	return model;
}

/* 2572280 as "2,572,280". */
static void with_commas(size_t n, char *out, size_t cap)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%zu", n), o = 0;
	for (int i = 0; i < len && (size_t)o + 2 < cap; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
}

static const struct ul_arg summary_args[] = {
	{ "model", UL_ARG_STRING, "yolo26n.yaml", "an official model, or a model YAML" },
	{ "imgsz", UL_ARG_INT, "640", "the image side the GFLOPs are counted for, 32 to 8192" },
	{ "nc", UL_ARG_INT, "0", "classes, as a dataset would give them (0: the config's)" },
	{ NULL },
};

static const struct ul_tool summary_tool = {
	.name = "ul-validate",
	.summary = "print a model's layers, parameters and GFLOPs",
	.usage = "ul-validate --summary [model=M] [imgsz=N] [nc=N]",
	.args = summary_args,
};

/* --summary: the model's layer table and totals, as text, like
 * Ultralytics' model.info(). */
static int print_summary(int argc, char **argv)
{
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	int n = 0;
	for (int i = 0; rest && i < argc; i++)
		if (strcmp(argv[i], "--summary"))
			rest[n++] = argv[i];
	struct ul_args a;
	int rc = rest ? ul_args_parse(&a, &summary_tool, n, rest) : UL_EXIT_FAILED;
	free(rest);
	if (rc >= 0) {
		ul_args_free(&a);
		return rc;
	}
	const char *name = ul_arg_str(&a, "model");
	long long imgsz = ul_arg_int(&a, "imgsz"), nc = ul_arg_int(&a, "nc");
	if (imgsz < 32 || imgsz > 8192 || nc < 0 || nc > 100000) {
		ul_args_free(&a);
		return ul_fail(UL_EXIT_USAGE, ul_error_record("param_range", "imgsz must be 32 to 8192 and nc 0 to 100000",
							      "ul-validate --summary model=yolo26s.yaml imgsz=640"));
	}
	jv dataset = nc ? jv_object_set(jv_object(), jv_string("nc"), jv_number(nc)) : jv_null();
	jv model = ul_model_resolve(name), why;
	struct ul_graph g;
	if (!jv_is_valid(model) || ul_model_graph(model, dataset, (int)imgsz, &g, &why)) {
		jv msg = jv_is_valid(model) ? why : jv_invalid_get_msg(jv_copy(model));
		rc = ul_fail(UL_EXIT_FAILED, ul_error_record("model", jv_string_value(msg), NULL));
		jv_free(msg);
		jv_free(model);
		jv_free(dataset);
		ul_args_free(&a);
		return rc;
	}
	printf("%4s  %-16s %3s %10s  %-12s %s\n", "", "from", "n", "params", "module", "channels, stride");
	jv rows = ul_graph_layers(&g);
	jv_array_foreach(rows, i, row) {
		jv from = jv_dump_string(jv_object_get(jv_copy(row), jv_string("from")), 0);
		jv module = jv_object_get(jv_copy(row), jv_string("module"));
		double values[5];
		static const char *const keys[] = { "repeats", "parameters", "c1", "c2", "stride" };
		for (int k = 0; k < 5; k++) {
			jv v = jv_object_get(jv_copy(row), jv_string(keys[k]));
			values[k] = jv_number_value(v);
			jv_free(v);
		}
		char params[32];
		with_commas((size_t)values[1], params, sizeof params);
		printf("%4d  %-16s %3.0f %10s  %-12s %.0f -> %.0f, %.0f\n", i, jv_string_value(from), values[0], params,
		       jv_string_value(module), values[2], values[3], values[4]);
		jv_free(from);
		jv_free(module);
		jv_free(row);
	}
	char total[32];
	with_commas(ul_graph_parameters(&g), total, sizeof total);
	printf("%s summary: %d layers, %s parameters, %.1f GFLOPs at imgsz %lld (%s, nc %d)\n", name, g.nlayers, total,
	       g.gflops, imgsz, g.task, g.nc);
	jv_free(rows);
	ul_graph_free(&g);
	jv_free(model);
	jv_free(dataset);
	ul_args_free(&a);
	return UL_EXIT_OK;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--schema") || !strcmp(argv[i], "--defaults"))
			return ul_tool_exit(print_schema(!strcmp(argv[i], "--defaults")));
		else if (!strcmp(argv[i], "--summary"))
			return ul_tool_exit(print_summary(argc, argv));

	struct ul_args args;
	jv dataset = jv_null(), errors = jv_array();
	int rc = ul_args_parse(&args, &validate_tool, argc, argv);
	if (rc >= 0)
		goto done;
	rc = UL_EXIT_OK;
	if (!ul_pass_upstream((const char *const[]){ "dataset", NULL }, &dataset, &rc)) {
		rc = UL_EXIT_FAILED;  /* the upstream error is passed on; no work of ours */
		goto done;
	}
	const char *data = ul_arg_str(&args, "data");
	if (jv_get_kind(dataset) == JV_KIND_NULL && data) {
		struct ul_source_options source = { .shapes_count = 64, .shapes_imgsz = 160 };
		jv err = jv_invalid();
		dataset = ul_fetch_dataset(data, &source, &err);
		if (!jv_is_valid(dataset)) {
			rc = ul_fail(UL_EXIT_FAILED, err);
			goto done;
		}
		ul_write_record(jv_copy(dataset));
	}
	if (jv_get_kind(dataset) == JV_KIND_NULL) {
		rc = ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "no dataset: no dataset record arrived and no data= was given",
			"pipe ul-fetch into it, or give data="));
		goto done;
	}

	char data_task[32] = "detect", buf[4096];
	str(dataset, "task", data_task, sizeof data_task);
	const char *task_arg = ul_arg_str(&args, "task");
	const char *task = task_arg ? task_arg : data_task;
	jv model_name = ul_arg_str(&args, "model") ? jv_string(ul_arg_str(&args, "model"))
		: ul_model_official_name(task, 'n');
	jv warnings = jv_array();
	if (!ul_arg_str(&args, "model") && jv_is_valid(model_name))
		warnings = jv_array_append(warnings, jv_string_fmt("no model= given: %s, for this %s dataset", jv_string_value(model_name), task));
	jv model = jv_is_valid(model_name) ? ul_model_resolve(jv_string_value(model_name)) : jv_copy(model_name);
	char model_task[32] = "";
	if (!jv_is_valid(model)) {
		jv why = jv_invalid_get_msg(jv_copy(model));
		add_error(&errors, "model", "model", "official models are yolo26{n,s,m,l,x}{,-seg,-pose,-obb,-cls}.yaml",
			  "%s", jv_string_value(why));
		jv_free(why);
	} else {
		str(model, "task", model_task, sizeof model_task);
		if (str(model, "note", buf, sizeof buf))
			warnings = jv_array_append(warnings, jv_string(buf));
		if (strcmp(model_task, data_task) != 0)
			add_error(&errors, "task_mismatch", "model", "use a model made for the dataset's task, or a dataset for the model's",
				  "the model %s is for %s but the dataset is for %s; training would fail", jv_string_value(model_name),
				  model_task, data_task);
		if (task_arg && strcmp(task_arg, model_task) != 0)
			add_error(&errors, "task_mismatch", "task", NULL, "task=%s but the model %s is for %s", task_arg,
				  jv_string_value(model_name), model_task);
	}
	char status[16] = "";
	str(dataset, "status", status, sizeof status);
	if (strcmp(status, "ready") != 0) {
		jv problems = jv_object_get(jv_copy(dataset), jv_string("problems"));
		if (jv_get_kind(problems) != JV_KIND_ARRAY) {  /* a record from elsewhere may hold anything */
			jv_free(problems);
			problems = jv_array();
		}
		jv list = jv_string("");
		jv_array_foreach(problems, i, p) {
			bool object = jv_get_kind(p) == JV_KIND_OBJECT;
			jv level = object ? jv_object_get(jv_copy(p), jv_string("level")) : jv_null();
			jv msg = object ? jv_object_get(jv_copy(p), jv_string("message")) : jv_null();
			jv_free(p);
			if (jv_get_kind(level) == JV_KIND_STRING && !strcmp(jv_string_value(level), "error") &&
			    jv_get_kind(msg) == JV_KIND_STRING) {
				jv longer = jv_string_fmt("%s%s%s", jv_string_value(list),
							  jv_string_length_bytes(jv_copy(list)) ? "; " : "", jv_string_value(msg));
				jv_free(list);
				list = longer;
			}
			jv_free(level);
			jv_free(msg);
		}
		add_error(&errors, "dataset_invalid", "data", "fix the dataset and run ul-fetch again", "the dataset is not ready: %s",
			  jv_string_value(list));
		jv_free(list);
		jv_free(problems);
	}

	jv schema = ul_params_load();
	if (!jv_is_valid(schema)) {
		jv why = jv_invalid_get_msg(schema);
		rc = ul_fail(UL_EXIT_FAILED, ul_error_record("io", jv_string_value(why), NULL));
		jv_free(why);
		jv_free(model);
		jv_free(model_name);
		jv_free(warnings);
		goto done;
	}
	struct ul_param_check check;
	ul_params_check(schema, jv_copy(args.extra), task, &check);
	jv_array_foreach(check.errors, i, e)
		errors = jv_array_append(errors, e);
	jv_array_foreach(check.warnings, i, w)
		warnings = jv_array_append(warnings, w);

	/* imgsz up to a multiple of the model's stride, as Ultralytics does */
	jv imgsz = jv_object_get(jv_copy(check.args), jv_string("imgsz"));
	int stride = 32;
	if (jv_get_kind(imgsz) == JV_KIND_NUMBER && (int)jv_number_value(imgsz) % stride) {
		int up = ((int)jv_number_value(imgsz) + stride - 1) / stride * stride;
		warnings = jv_array_append(warnings, jv_string_fmt("imgsz=%d is not a multiple of the model's stride %d; using %d",
			(int)jv_number_value(imgsz), stride, up));
		check.args = jv_object_set(check.args, jv_string("imgsz"), jv_number(up));
		check.modified = jv_object_set(check.modified, jv_string("imgsz"), jv_number(up));
	}
	jv_free(imgsz);
	/* classes= must name classes the dataset has */
	jv classes = jv_object_get(jv_copy(check.args), jv_string("classes"));
	jv nc = jv_object_get(jv_copy(dataset), jv_string("nc"));
	if (jv_get_kind(classes) == JV_KIND_ARRAY) {
		jv_array_foreach(classes, i, c) {
			if (jv_get_kind(c) != JV_KIND_NUMBER || jv_number_value(c) < 0 ||
			    (jv_get_kind(nc) == JV_KIND_NUMBER && jv_number_value(c) >= jv_number_value(nc))) {
				jv shown = jv_dump_string(jv_copy(c), 0);
				add_error(&errors, "param_range", "classes", NULL, "classes: %s is not a class index of this dataset (nc=%g)",
					  jv_string_value(shown), jv_get_kind(nc) == JV_KIND_NUMBER ? jv_number_value(nc) : 0);
				jv_free(shown);
			}
			jv_free(c);
		}
	}
	jv_free(classes);
	jv_free(nc);
	check_files(check.args, task, &errors);

	if (jv_array_length(jv_copy(errors)) == 0)
		model = with_summary(model, dataset, check.args, &errors);
	if (jv_array_length(jv_copy(errors)) > 0) {
		jv_array_foreach(errors, i, e)
			ul_fail(UL_EXIT_FAILED, e);
		rc = UL_EXIT_FAILED;
	} else {
		jv config = ul_record("config");
		config = jv_object_set(config, jv_string("model"), jv_copy(model_name));
		config = jv_object_set(config, jv_string("task"), jv_string(task));
		jv yaml = jv_object_get(jv_copy(dataset), jv_string("yaml"));
		config = jv_object_set(config, jv_string("data"), jv_get_kind(yaml) == JV_KIND_STRING ? yaml
			: (jv_free(yaml), jv_object_get(jv_copy(dataset), jv_string("root"))));
		config = jv_object_set(config, jv_string("model_info"), jv_copy(model));
		config = jv_object_set(config, jv_string("args"), jv_copy(check.args));
		config = jv_object_set(config, jv_string("modified"), jv_copy(check.modified));
		config = jv_object_set(config, jv_string("warnings"), jv_copy(warnings));
		ul_write_record(config);
		jv_array_foreach(warnings, i, w) {
			ul_warn("%s", jv_string_value(w));
			jv_free(w);
		}
	}
	jv_free(check.args);
	jv_free(check.modified);
	jv_free(check.warnings);
	jv_free(check.errors);
	jv_free(schema);
	jv_free(model);
	jv_free(model_name);
	jv_free(warnings);
done:
	jv_free(dataset);
	jv_free(errors);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
