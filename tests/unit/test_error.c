/* Error records, ul_fail, and the stderr messages. */
#include "core/error.h"
#include "core/writer.h"
#include "tap.h"

int main(void)
{
	ul_set_program("/usr/local/bin/ul-validate");
	is_str(ul_program(), "ul-validate", "the program name is argv[0]'s basename");

	is_int(UL_EXIT_OK, 0, "exit ok is 0");
	is_int(UL_EXIT_FAILED, 1, "exit failed is 1");
	is_int(UL_EXIT_USAGE, 2, "exit usage is 2");
	is_int(UL_EXIT_STOPPED, 3, "exit stopped is 3");
	is_int(UL_EXIT_SIGNAL, 128, "signals start at 128");

	jv err = ul_error_record("param_range", "lr0 must be in [0, 1]", "try lr0=0.01");
	jv text = jv_dump_string(err, 0);
	is_str(jv_string_value(text),
	       "{\"type\":\"error\",\"v\":1,\"tool\":\"ul-validate\",\"code\":\"param_range\","
	       "\"message\":\"lr0 must be in [0, 1]\",\"hint\":\"try lr0=0.01\"}",
	       "an error record has type, v, tool, code, message, hint");
	jv_free(text);
	err = ul_error_record("x", "no hint", NULL);
	ok(!jv_object_has(err, jv_string("hint")), "hint is left out when NULL");

	capture_begin(1);
	capture_begin(2);
	jv rec = ul_error_record("param_range", "lr0 must be in [0, 1]", "try lr0=0.01");
	rec = jv_object_set(rec, jv_string("param"), jv_string("lr0"));
	int rc = ul_fail(UL_EXIT_FAILED, rec);
	rc += 10 * ul_fail(UL_EXIT_USAGE, ul_error_record("usage", "bad epochs=-1", NULL));
	ul_warn("careful: %d", 42);
	ul_errorf("plain %s", "error");
	char *err_text = capture_end(2);
	char *out_text = capture_end(1);
	is_int(rc, 21, "ul_fail returns the exit code");
	is_str(out_text,
	       "{\"type\":\"error\",\"v\":1,\"tool\":\"ul-validate\",\"code\":\"param_range\",\"message\":\"lr0 must be in [0, 1]\","
	       "\"hint\":\"try lr0=0.01\",\"param\":\"lr0\"}\n"
	       "{\"type\":\"error\",\"v\":1,\"tool\":\"ul-validate\",\"code\":\"usage\",\"message\":\"bad epochs=-1\"}\n",
	       "the records go to stdout, one line each");
	is_str(err_text,
	       "ul-validate: error: lr0 must be in [0, 1]\nul-validate: hint: try lr0=0.01\n"
	       "ul-validate: error: bad epochs=-1\nul-validate: warning: careful: 42\nul-validate: error: plain error\n",
	       "stderr gets readable lines prefixed with the program");
	free(err_text);
	free(out_text);

	return done_testing();
}
