/* ul-echo: the smallest filter built on libul's core, for the CLI tests.
 *
 * It passes every record through byte for byte, reports bad lines as error
 * records and goes on, counts records on a progress bar when stderr is a
 * terminal, and stops cleanly on SIGINT/SIGTERM. Its arguments cover every
 * type the argument parser knows; show_args=true writes them as a record.
 * Built for the tests only, never installed. */
#include <unistd.h>

#include "core/args.h"
#include "core/error.h"
#include "core/human.h"
#include "core/reader.h"
#include "core/tool.h"
#include "core/writer.h"

static const struct ul_arg echo_args[] = {
	{ "max_line", UL_ARG_INT, "16777216" },
	{ "show_args", UL_ARG_BOOL, "false" },
	{ "epochs", UL_ARG_INT, "100" },
	{ "lr0", UL_ARG_FLOAT, "0.01" },
	{ "rect", UL_ARG_BOOL, "false" },
	{ "name", UL_ARG_STRING, "null" },
	{ "optimizer", UL_ARG_STRING, "auto" },
	{ "classes", UL_ARG_LIST, "null" },
	{ NULL },
};

static const struct ul_tool echo_tool = {
	.name = "ul-echo",
	.args = echo_args,
};

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	struct ul_args args;
	int rc = ul_args_parse(&args, &echo_tool, argc, argv);
	if (rc >= 0) {
		ul_args_free(&args);
		return ul_tool_exit(rc);
	}
	rc = UL_EXIT_OK;
	if (ul_arg_bool(&args, "show_args")) {
		jv record = ul_record("args");
		record = jv_object_set(record, jv_string("values"), jv_copy(args.values));
		record = jv_object_set(record, jv_string("given"), jv_copy(args.given));
		ul_write_record(record);
	}

	struct ul_reader reader;
	ul_reader_init(&reader, STDIN_FILENO, (size_t)ul_arg_int(&args, "max_line"));
	struct ul_progress bar;
	ul_progress_begin(&bar, "records", 0);
	long passed = 0;
	for (;;) {
		struct ul_record rec;
		enum ul_read_status status = ul_read(&reader, &rec);
		if (status == UL_READ_RECORD) {
			int written = ul_write_line(rec.line, rec.len);
			jv_free(rec.value);
			if (written < 0)
				break;
			ul_progress_update(&bar, ++passed);
		} else if (status == UL_READ_BAD) {
			rc = ul_fail(UL_EXIT_FAILED, rec.error);
		} else if (status == UL_READ_IO_ERROR) {
			rc = ul_fail(UL_EXIT_FAILED, rec.error);
			break;
		} else {
			break;  /* end of input, or asked to stop */
		}
	}
	ul_progress_end(&bar);
	ul_reader_free(&reader);
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
