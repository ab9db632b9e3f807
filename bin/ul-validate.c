/* ul-validate: check a run's configuration before any GPU time is spent.
 *
 *   ul-fetch data=coco8.yaml | ul-validate model=yolo26n.yaml epochs=50 | ...
 *
 * Reads the `dataset` record (or fetches data= itself), checks every
 * parameter against share/ul/params.yaml, the model against the dataset,
 * and writes one `config` record with every parameter filled in, or one
 * `error` record for each problem found. Every record that arrives is
 * passed on; an upstream `error` stops the validation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "config/params.h"
#include "config/run_config.h"
#include "core/args.h"
#include "core/error.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "data/fetch.h"
#include "nn/graph.h"

static const struct ul_arg validate_args[] = {
	{ "model", UL_ARG_STRING, "null" },
	{ "data", UL_ARG_STRING, "null" },
	{ "task", UL_ARG_STRING, "null" },
	{ NULL },
};

static const struct ul_tool validate_tool = {
	.name = "ul-validate",
	.manual = ul_manual,
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
	{ "model", UL_ARG_STRING, "yolo26n.yaml" },
	{ "imgsz", UL_ARG_INT, "640" },
	{ "nc", UL_ARG_INT, "0" },
	{ NULL },
};

static const struct ul_tool summary_tool = {
	.name = "ul-validate",
	.manual = ul_manual,
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

	jv config = ul_run_config(dataset, ul_arg_str(&args, "model"), ul_arg_str(&args, "task"), jv_copy(args.extra), &errors);
	if (jv_is_valid(config)) {
		jv warnings = jv_object_get(jv_copy(config), jv_string("warnings"));
		ul_write_record(config);
		jv_array_foreach(warnings, i, w) {
			ul_warn("%s", jv_string_value(w));
			jv_free(w);
		}
		jv_free(warnings);
	} else {
		jv_free(config);
		jv_array_foreach(errors, i, e)
			ul_fail(UL_EXIT_FAILED, e);
		rc = UL_EXIT_FAILED;
	}
done:
	jv_free(dataset);
	jv_free(errors);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
