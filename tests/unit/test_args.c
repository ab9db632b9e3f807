/* key=value parsing: typing, defaults, cfg files, precedence and errors. */
#include "core/args.h"
#include "core/error.h"
#include "core/human.h"
#include "tap.h"

static const struct ul_arg test_args[] = {
	{ "epochs", UL_ARG_INT, "100" },
	{ "batch", UL_ARG_INT, "16" },
	{ "lr0", UL_ARG_FLOAT, "0.01" },
	{ "amp", UL_ARG_BOOL, "true" },
	{ "name", UL_ARG_STRING, "null" },
	{ "optimizer", UL_ARG_STRING, "auto" },
	{ "imgsz", UL_ARG_LIST, "null" },
	{ NULL },
};

/* A manual as mk/manual-c renders one. */
static const char test_manual[] =
	"NAME\n       ul-test - a test\n\n"
	"SYNOPSIS\n       ul-test [key=value ...]\n\n"
	"DESCRIPTION\n       Long prose.\n\n"
	"ARGUMENTS\n       epochs=N\n              How many.\n\n"
	"SEE ALSO\n       ul(7)\n";

static const struct ul_tool tool = { .name = "ul-test", .manual = test_manual, .args = test_args, .max_words = 1 };

/* Parses a NULL-terminated list of arguments; stdout and stderr are
 * captured into *out and *err (freed by the caller). */
static int parse(struct ul_args *a, char **out, char **err, ...)
{
	char *argv[32] = { "ul-test" };
	int argc = 1;
	va_list ap;
	va_start(ap, err);
	for (char *s; argc < 31 && (s = va_arg(ap, char *)); )
		argv[argc++] = s;
	va_end(ap);
	capture_begin(1);
	capture_begin(2);
	int rc = ul_args_parse(a, &tool, argc, argv);
	*err = capture_end(2);
	*out = capture_end(1);
	return rc;
}

static char *write_temp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/ul-args-XXXXXX.yaml");
	int fd = mkstemps(path, 5);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

int main(void)
{
	ul_set_program("ul-test");
	struct ul_args a;
	char *out, *err;

	int rc = parse(&a, &out, &err, NULL);
	is_int(rc, -1, "no arguments: go on");
	is_int(ul_arg_int(&a, "epochs"), 100, "defaults are filled");
	is_double(ul_arg_float(&a, "lr0"), 0.01, 0, "float default");
	ok(ul_arg_bool(&a, "amp"), "bool default");
	ok(ul_arg_str(&a, "name") == NULL, "a null default reads as NULL");
	is_str(ul_arg_str(&a, "optimizer"), "auto", "string default");
	is_int(jv_object_length(jv_copy(a.given)), 0, "nothing given");
	ok(!ul_arg_bool(&a, "quiet"), "every tool has quiet");
	ul_args_free(&a);
	free(out), free(err);

	rc = parse(&a, &out, &err, "epochs=50", "lr0=1e-3", "amp=False", "name=001", "optimizer=AdamW",
		   "imgsz=640,480", "batch=8.0", "epochs=60", NULL);
	is_int(rc, -1, "typed values parse");
	is_int(ul_arg_int(&a, "epochs"), 60, "a key given twice keeps the last");
	is_int(ul_arg_int(&a, "batch"), 8, "8.0 is an integer");
	is_double(ul_arg_float(&a, "lr0"), 0.001, 1e-15, "1e-3 is a float");
	ok(!ul_arg_bool(&a, "amp"), "False is false");
	is_str(ul_arg_str(&a, "name"), "001", "a string argument keeps its text");
	is_str(ul_arg_str(&a, "optimizer"), "AdamW", "string kept as written");
	jv imgsz = ul_arg_get(&a, "imgsz");
	jv text = jv_dump_string(imgsz, 0);
	is_str(jv_string_value(text), "[640,480]", "a,b is a list");
	jv_free(text);
	ok(jv_object_has(jv_copy(a.given), jv_string("epochs")) && jv_object_has(jv_copy(a.given), jv_string("amp")) &&
	   !jv_object_has(jv_copy(a.given), jv_string("quiet")), "given records what was set, and only that");
	is_str(out, "", "nothing on stdout");
	ul_args_free(&a);
	free(out), free(err);

	rc = parse(&a, &out, &err, "imgsz=[640, 640]", "name=none", "quiet=true", "train", NULL);
	is_int(rc, -1, "flow list, none and one bare word");
	ok(ul_arg_str(&a, "name") == NULL, "none is null for a nullable string");
	ok(ul_human_quiet(), "quiet=true silences human output");
	is_int(jv_array_length(jv_copy(a.words)), 1, "the bare word is kept");
	ul_human_set_quiet(false);
	ul_args_free(&a);
	free(out), free(err);

	/* usage errors: exit 2, an error record on stdout, a line on stderr */
	rc = parse(&a, &out, &err, "epoch=3", NULL);
	is_int(rc, UL_EXIT_USAGE, "unknown key: exit 2");
	contains(out, "\"type\":\"error\"", "an error record on stdout");
	contains(out, "\"code\":\"usage\"", "code usage");
	contains(out, "\"param\":\"epoch\"", "it names the param");
	contains(err, "ul-test: error: unknown argument 'epoch'; did you mean 'epochs'?", "did you mean");
	contains(err, "ul-test --help", "the hint points to --help");
	ul_args_free(&a);
	free(out), free(err);

	rc = parse(&a, &out, &err, "zzzzzz=1", NULL);
	is_int(rc, UL_EXIT_USAGE, "a far-off key: exit 2");
	ok(strstr(err, "did you mean") == NULL, "no suggestion when nothing is close");
	ul_args_free(&a);
	free(out), free(err);

	const char *bad[][2] = {
		{ "epochs=3.5", "epochs must be an integer, not 3.5" },
		{ "epochs=ten", "epochs must be an integer, not \"ten\"" },
		{ "amp=maybe", "amp must be a boolean" },
		{ "lr0=fast", "lr0 must be a number" },
		{ "lr0=.inf", "lr0 must be a number" },
		{ "lr0=1e999", "lr0 must be a number, not \"1e999\"" },
		{ "epochs=1e20", "epochs must be an integer of at most 2^53 in size, not 1e+20" },
		{ "batch=", "batch must be an integer" },
		{ "imgsz=[640,", "imgsz=[640, is not a valid list" },
		{ "=3", "unexpected argument '=3'" },
		{ "-x", "unexpected argument '-x'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = parse(&a, &out, &err, bad[i][0], NULL);
		is_int(rc, UL_EXIT_USAGE, "'%s': exit 2", bad[i][0]);
		contains(err, bad[i][1], "'%s': says why", bad[i][0]);
		ul_args_free(&a);
		free(out), free(err);
	}
	rc = parse(&a, &out, &err, "train", "val", NULL);
	is_int(rc, UL_EXIT_USAGE, "more bare words than the tool takes: exit 2");
	ul_args_free(&a);
	free(out), free(err);

	/* leading dashes are forgiven, with a warning */
	rc = parse(&a, &out, &err, "--epochs=5", NULL);
	is_int(rc, -1, "--epochs=5 parses");
	is_int(ul_arg_int(&a, "epochs"), 5, "as epochs=5");
	contains(err, "needs no leading dashes", "with a warning");
	ul_args_free(&a);
	free(out), free(err);

	/* cfg=FILE: the file sets values, the command line wins, wherever it stands */
	char *cfg = write_temp("epochs: 30\nbatch: 32\nname: '007'\namp: no\nlr0: 0.02\n");
	char cfg_arg[128];
	snprintf(cfg_arg, sizeof cfg_arg, "cfg=%s", cfg);
	rc = parse(&a, &out, &err, "epochs=7", cfg_arg, NULL);
	is_int(rc, -1, "cfg file parses");
	is_int(ul_arg_int(&a, "epochs"), 7, "the command line beats the file");
	is_int(ul_arg_int(&a, "batch"), 32, "the file sets batch");
	is_str(ul_arg_str(&a, "name"), "007", "a quoted name stays text");
	ok(!ul_arg_bool(&a, "amp"), "amp: no is false");
	jv where = jv_object_get(jv_copy(a.given), jv_string("batch"));
	is_str(jv_string_value(where), cfg, "given says batch came from the file");
	jv_free(where);
	ul_args_free(&a);
	free(out), free(err);
	unlink(cfg);

	cfg = write_temp("epochs: 30\nbtach: 4\n");
	snprintf(cfg_arg, sizeof cfg_arg, "cfg=%s", cfg);
	rc = parse(&a, &out, &err, cfg_arg, NULL);
	is_int(rc, UL_EXIT_USAGE, "an unknown key in the file: exit 2");
	contains(err, cfg, "the message names the file");
	contains(err, "did you mean 'batch'", "and suggests");
	ul_args_free(&a);
	free(out), free(err);
	unlink(cfg);

	cfg = write_temp("epochs: 30\n\tbatch: 4\n");
	snprintf(cfg_arg, sizeof cfg_arg, "cfg=%s", cfg);
	rc = parse(&a, &out, &err, cfg_arg, NULL);
	is_int(rc, UL_EXIT_USAGE, "a tab in the file: exit 2");
	contains(err, ":2:1:", "the message has line and column");
	ul_args_free(&a);
	free(out), free(err);
	unlink(cfg);

	cfg = write_temp("- epochs\n- 3\n");
	snprintf(cfg_arg, sizeof cfg_arg, "cfg=%s", cfg);
	rc = parse(&a, &out, &err, cfg_arg, NULL);
	is_int(rc, UL_EXIT_USAGE, "a list instead of a map: exit 2");
	contains(err, "expected a map", "says a map was expected");
	ul_args_free(&a);
	free(out), free(err);
	unlink(cfg);

	rc = parse(&a, &out, &err, "cfg=/nonexistent/run.yaml", NULL);
	is_int(rc, UL_EXIT_USAGE, "a missing cfg file: exit 2");
	contains(err, "/nonexistent/run.yaml: No such file", "names the file and the reason");
	ul_args_free(&a);
	free(out), free(err);

	/* an open tool keeps what it does not declare, typed, for a schema to judge */
	static const struct ul_tool open_tool = { .name = "ul-open", .args = test_args, .open = true };
	char *argv_open[] = { "ul-open", "epochs=5", "lr0x=0.5", "mosaic=off", "freeze=[0, 1]", "name=exp", "x=[1," };
	capture_begin(1);
	rc = ul_args_parse(&a, &open_tool, 7, argv_open);
	free(capture_end(1));
	is_int(rc, -1, "an open tool takes unknown keys");
	is_int(ul_arg_int(&a, "epochs"), 5, "declared ones are typed as usual");
	jv extra = jv_dump_string(jv_copy(a.extra), 0);
	is_str(jv_string_value(extra), "{\"lr0x\":\"0.5\",\"mosaic\":\"off\",\"freeze\":\"[0, 1]\",\"x\":\"[1,\"}",
	       "the others are kept in extra as the text given");
	jv_free(extra);
	ok(jv_object_has(jv_copy(a.given), jv_string("lr0x")), "and counted as given");
	ul_args_free(&a);

	/* --help and --version go to stdout and end the tool with 0 */
	rc = parse(&a, &out, &err, "epochs=3", "--help", NULL);
	is_int(rc, UL_EXIT_OK, "--help: exit 0");
	contains(out, "NAME\n       ul-test - a test\n\nSYNOPSIS\n       ul-test [key=value ...]\n\n"
		 "ARGUMENTS\n       epochs=N\n              How many.\n\n",
		 "--help prints the manual's name, synopsis and arguments");
	ok(!strstr(out, "Long prose") && !strstr(out, "SEE ALSO"), "but not its other sections");
	ul_args_free(&a);
	free(out), free(err);
	rc = parse(&a, &out, &err, "--manual", "epochs=x", NULL);
	is_int(rc, UL_EXIT_OK, "--manual: exit 0, whatever else is on the line");
	is_str(out, test_manual, "--manual prints the whole page");
	ul_args_free(&a);
	free(out), free(err);
	rc = parse(&a, &out, &err, "--version", NULL);
	is_int(rc, UL_EXIT_OK, "--version: exit 0");
	contains(out, "ul-test 0.", "--version prints the version");
	ul_args_free(&a);
	free(out), free(err);

	return done_testing();
}
