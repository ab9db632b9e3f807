#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/writer.h"

static const char *program = "ul";

void ul_set_program(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (argv0 && *argv0)
		program = slash ? slash + 1 : argv0;
}

const char *ul_program(void)
{
	return program;
}

static void say(const char *level, const char *fmt, va_list ap)
{
	/* One fprintf per line keeps lines whole when several tools of a
	 * pipeline share the terminal. */
	char text[4096];
	vsnprintf(text, sizeof text, fmt, ap);
	fprintf(stderr, "%s: %s: %s\n", program, level, text);
}

int ul_invalidv(jv *err, const char *fmt, va_list ap)
{
	char message[1024];
	vsnprintf(message, sizeof message, fmt, ap);
	*err = jv_invalid_with_msg(jv_string(message));
	return -1;
}

int ul_invalid(jv *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ul_invalidv(err, fmt, ap);
	va_end(ap);
	return -1;
}

void ul_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
}

void ul_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

jv ul_error_record(const char *code, const char *message, const char *hint)
{
	jv err = jv_object();
	err = jv_object_set(err, jv_string("type"), jv_string("error"));
	err = jv_object_set(err, jv_string("v"), jv_number(UL_RECORD_VERSION));
	err = jv_object_set(err, jv_string("tool"), jv_string(program));
	err = jv_object_set(err, jv_string("code"), jv_string(code));
	err = jv_object_set(err, jv_string("message"), jv_string(message));
	if (hint)
		err = jv_object_set(err, jv_string("hint"), jv_string(hint));
	return err;
}

int ul_fail(int exit_code, jv err)
{
	jv message = jv_object_get(jv_copy(err), jv_string("message"));
	jv hint = jv_object_get(jv_copy(err), jv_string("hint"));
	fprintf(stderr, "%s: error: %s\n", program,
		jv_get_kind(message) == JV_KIND_STRING ? jv_string_value(message) : "failed");
	if (jv_get_kind(hint) == JV_KIND_STRING)
		fprintf(stderr, "%s: hint: %s\n", program, jv_string_value(hint));
	jv_free(message);
	jv_free(hint);
	ul_write_record(err);
	return exit_code;
}
