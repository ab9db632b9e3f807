#include "config/run_config.h"

#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config/model.h"
#include "config/params.h"
#include "core/error.h"
#include "core/writer.h"
#include "nn/graph.h"

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

jv ul_run_config(jv dataset, const char *model_arg, const char *task_arg, jv extra, jv *errors)
{
	jv config = jv_invalid();
	char data_task[32] = "detect", buf[4096];
	str(dataset, "task", data_task, sizeof data_task);
	const char *task = task_arg ? task_arg : data_task;
	jv model_name = model_arg ? jv_string(model_arg)
		: ul_model_official_name(task, 'n');
	jv warnings = jv_array();
	if (!model_arg && jv_is_valid(model_name))
		warnings = jv_array_append(warnings, jv_string_fmt("no model= given: %s, for this %s dataset", jv_string_value(model_name), task));
	jv model = jv_is_valid(model_name) ? ul_model_resolve(jv_string_value(model_name)) : jv_copy(model_name);
	char model_task[32] = "";
	if (!jv_is_valid(model)) {
		jv why = jv_invalid_get_msg(jv_copy(model));
		add_error(errors, "model", "model", "official models are yolo26{n,s,m,l,x}{,-seg,-pose,-obb,-cls}.yaml",
			  "%s", jv_string_value(why));
		jv_free(why);
	} else {
		str(model, "task", model_task, sizeof model_task);
		if (str(model, "note", buf, sizeof buf))
			warnings = jv_array_append(warnings, jv_string(buf));
		if (strcmp(model_task, data_task) != 0)
			add_error(errors, "task_mismatch", "model", "use a model made for the dataset's task, or a dataset for the model's",
				  "the model %s is for %s but the dataset is for %s; training would fail", jv_string_value(model_name),
				  model_task, data_task);
		if (task_arg && strcmp(task_arg, model_task) != 0)
			add_error(errors, "task_mismatch", "task", NULL, "task=%s but the model %s is for %s", task_arg,
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
		add_error(errors, "dataset_invalid", "data", "fix the dataset and run ul-fetch again", "the dataset is not ready: %s",
			  jv_string_value(list));
		jv_free(list);
		jv_free(problems);
	}

	jv schema = ul_params_load();
	if (!jv_is_valid(schema)) {
		jv why = jv_invalid_get_msg(schema);
		*errors = jv_array_append(*errors, ul_error_record("io", jv_string_value(why), NULL));
		jv_free(why);
		jv_free(model);
		jv_free(model_name);
		jv_free(warnings);
		jv_free(extra);
		return config;
	}
	struct ul_param_check check;
	ul_params_check(schema, jv_copy(extra), task, &check);
	jv_array_foreach(check.errors, i, e)
		*errors = jv_array_append(*errors, e);
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
				add_error(errors, "param_range", "classes", NULL, "classes: %s is not a class index of this dataset (nc=%g)",
					  jv_string_value(shown), jv_get_kind(nc) == JV_KIND_NUMBER ? jv_number_value(nc) : 0);
				jv_free(shown);
			}
			jv_free(c);
		}
	}
	jv_free(classes);
	jv_free(nc);
	check_files(check.args, task, errors);

	if (jv_array_length(jv_copy(*errors)) == 0)
		model = with_summary(model, dataset, check.args, errors);
	if (jv_array_length(jv_copy(*errors)) == 0) {
		config = ul_record("config");
		config = jv_object_set(config, jv_string("model"), jv_copy(model_name));
		config = jv_object_set(config, jv_string("task"), jv_string(task));
		jv yaml = jv_object_get(jv_copy(dataset), jv_string("yaml"));
		config = jv_object_set(config, jv_string("data"), jv_get_kind(yaml) == JV_KIND_STRING ? yaml
			: (jv_free(yaml), jv_object_get(jv_copy(dataset), jv_string("root"))));
		config = jv_object_set(config, jv_string("model_info"), jv_copy(model));
		config = jv_object_set(config, jv_string("args"), jv_copy(check.args));
		config = jv_object_set(config, jv_string("modified"), jv_copy(check.modified));
		config = jv_object_set(config, jv_string("warnings"), jv_copy(warnings));
	}
	jv_free(check.args);
	jv_free(check.modified);
	jv_free(check.warnings);
	jv_free(check.errors);
	jv_free(schema);
	jv_free(model);
	jv_free(model_name);
	jv_free(warnings);
	jv_free(extra);
	return config;
}
