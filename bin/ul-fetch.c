/* ul-fetch: find a dataset, check it, and say whether it is ready to train.
 *
 *   ul-fetch data=coco8.yaml | ul-validate ...
 *
 * Writes one `dataset` record (ul-records(7)) after passing through any
 * records that arrive on stdin, and exits 0 when the dataset is ready, 1
 * when it is not. An upstream `error` record is passed on and nothing is
 * fetched. */
#include <stdio.h>
#include <string.h>

#include "core/args.h"
#include "core/error.h"
#include "core/signals.h"
#include "core/tool.h"
#include "core/upstream.h"
#include "core/writer.h"
#include "data/fetch.h"

static const struct ul_arg fetch_args[] = {
	{ "data", UL_ARG_STRING, "null" },
	{ "task", UL_ARG_STRING, "null" },
	{ "sha256", UL_ARG_STRING, "null" },
	{ "max_gb", UL_ARG_FLOAT, "100" },
	{ "count", UL_ARG_INT, "64" },
	{ "imgsz", UL_ARG_INT, "160" },
	{ "seed", UL_ARG_INT, "0" },
	{ NULL },
};

static const struct ul_tool fetch_tool = {
	.name = "ul-fetch",
	.manual = ul_manual,
	.args = fetch_args,
};

/* A usage error from the shapes generator names its own field; say which
 * of our arguments it was. */
static bool usage_error(jv *err)
{
	static const char *const ours[][2] = { { "train", "count" }, { "val", "count" }, { "imgsz", "imgsz" }, { "task", "task" } };
	jv code = jv_object_get(jv_copy(*err), jv_string("code"));
	bool usage = jv_get_kind(code) == JV_KIND_STRING && !strcmp(jv_string_value(code), "usage");
	jv_free(code);
	jv param = jv_object_get(jv_copy(*err), jv_string("param"));
	for (size_t i = 0; usage && jv_get_kind(param) == JV_KIND_STRING && i < sizeof ours / sizeof ours[0]; i++)
		if (!strcmp(jv_string_value(param), ours[i][0])) {
			*err = jv_object_set(*err, jv_string("param"), jv_string(ours[i][1]));
			break;
		}
	jv_free(param);
	return usage;
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	struct ul_args args;
	int rc = ul_args_parse(&args, &fetch_tool, argc, argv);
	if (rc >= 0)
		goto done;
	rc = UL_EXIT_OK;
	const char *data = ul_arg_str(&args, "data");
	const char *task_name = ul_arg_str(&args, "task");
	enum ul_task task = UL_TASK_UNKNOWN;
	if (!data || !*data) {
		rc = ul_fail(UL_EXIT_USAGE, jv_object_set(ul_error_record("usage", "no dataset given",
			"name one with data=, for example data=coco8.yaml or data=shapes"), jv_string("param"), jv_string("data")));
		goto done;
	}
	if (task_name) {
		task = ul_task_from_name(task_name);
		if (task == UL_TASK_UNKNOWN) {
			jv err = ul_error_record("usage", "task must be detect, segment, pose, obb or classify", NULL);
			rc = ul_fail(UL_EXIT_USAGE, jv_object_set(err, jv_string("param"), jv_string("task")));
			goto done;
		}
	}
	if (!ul_pass_upstream(NULL, NULL, &rc) || ul_stop_requested()) {
		rc = UL_EXIT_FAILED;
		goto done;
	}

	struct ul_source_options source = {
		.task = task, .sha256 = ul_arg_str(&args, "sha256"),
		.max_bytes = (long long)(ul_arg_float(&args, "max_gb") * 1e9),
		.shapes_count = (int)ul_arg_int(&args, "count"), .shapes_imgsz = (int)ul_arg_int(&args, "imgsz"),
		.shapes_seed = (unsigned)ul_arg_int(&args, "seed"),
	};
	jv err = jv_invalid();
	jv record = ul_fetch_dataset(data, &source, &err);
	if (!jv_is_valid(record)) {
		rc = ul_fail(usage_error(&err) ? UL_EXIT_USAGE : UL_EXIT_FAILED, err);
		goto done;
	}
	jv status = jv_object_get(jv_copy(record), jv_string("status"));
	bool ready = !strcmp(jv_string_value(status), "ready");
	jv_free(status);
	ul_write_record(record);
	rc = ready ? UL_EXIT_OK : UL_EXIT_FAILED;
done:
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
