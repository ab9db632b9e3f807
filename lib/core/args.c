#include "core/args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/human.h"
#include "core/scalar.h"
#include "core/suggest.h"
#include "core/version.h"
#include "core/yaml_load.h"

/* Arguments every tool takes, besides its own. */
static const struct ul_arg common_args[] = {
	{ "cfg", UL_ARG_STRING, "null" },
	{ "quiet", UL_ARG_BOOL, "false" },
	{ NULL },
};

static const char *type_name(enum ul_arg_type type)
{
	switch (type) {
	case UL_ARG_STRING: return "string";
	case UL_ARG_INT: return "integer";
	case UL_ARG_FLOAT: return "number";
	case UL_ARG_BOOL: return "boolean";
	case UL_ARG_LIST: return "list";
	}
	return "value";
}

static const struct ul_arg *find_in(const struct ul_arg *args, const char *name)
{
	for (; args && args->name; args++)
		if (!strcmp(args->name, name))
			return args;
	return NULL;
}

static const struct ul_arg *find_arg(const struct ul_tool *tool, const char *name)
{
	const struct ul_arg *arg = find_in(tool->args, name);
	return arg ? arg : find_in(common_args, name);
}

static int usage_error(const struct ul_tool *tool, const char *param, const char *message)
{
	char hint[256];
	snprintf(hint, sizeof hint, "run '%s --help' for the arguments it takes", tool->name);
	jv err = ul_error_record("usage", message, hint);
	if (param)
		err = jv_object_set(err, jv_string("param"), jv_string(param));
	return ul_fail(UL_EXIT_USAGE, err);
}

/* A value for arg from the command line (text) or from YAML (typed), or an
 * invalid jv with a message saying why it does not fit. */
static jv convert(const struct ul_arg *arg, jv raw)
{
	bool nullable = !strcmp(arg->fallback, "null");
	jv value = raw;
	if (jv_get_kind(raw) == JV_KIND_STRING && nullable) {
		const char *text = jv_string_value(raw);
		jv null = ul_scalar_null(text, strlen(text), UL_SCALAR_CLI);
		if (jv_is_valid(null)) {
			jv_free(raw);
			return null;
		}
	}
	if (jv_get_kind(raw) == JV_KIND_STRING && arg->type != UL_ARG_STRING) {
		const char *text = jv_string_value(raw);
		if (arg->type == UL_ARG_LIST) {
			/* imgsz=[640,480] or classes=0,2 */
			jv flow = text[0] == '[' ? jv_string(text) : jv_string_fmt("[%s]", text);
			value = ul_yaml_load_string(jv_string_value(flow),
				(size_t)jv_string_length_bytes(jv_copy(flow)), arg->name);
			jv_free(flow);
		} else {
			value = ul_scalar_parse(text, strlen(text), UL_SCALAR_CLI);
		}
		if (!jv_is_valid(value)) {
			jv_free(value);
			jv err = jv_invalid_with_msg(jv_string_fmt("%s=%s is not a valid %s",
				arg->name, text, type_name(arg->type)));
			jv_free(raw);
			return err;
		}
		jv_free(raw);
	}

	jv_kind kind = jv_get_kind(value);
	if (kind == JV_KIND_NULL && nullable)
		return value;
	bool fits = false;
	switch (arg->type) {
	case UL_ARG_STRING:
		if (kind == JV_KIND_NUMBER || kind == JV_KIND_TRUE || kind == JV_KIND_FALSE) {
			/* From YAML, `name: 7` arrives as a number: take its text. (YAML has
			 * already made `001` the number 1; quote it to keep the zeros.) */
			jv text = jv_dump_string(value, 0);
			value = text;
			kind = JV_KIND_STRING;
		}
		fits = kind == JV_KIND_STRING;
		break;
	case UL_ARG_INT:
		/* Whole numbers a double holds exactly: beyond 2^53 they are not. */
		fits = kind == JV_KIND_NUMBER && fabs(jv_number_value(value)) <= 9007199254740992.0 &&
		       jv_number_value(value) == floor(jv_number_value(value));
		break;
	case UL_ARG_FLOAT:
		fits = kind == JV_KIND_NUMBER && isfinite(jv_number_value(value));
		break;
	case UL_ARG_BOOL:
		fits = kind == JV_KIND_TRUE || kind == JV_KIND_FALSE;
		break;
	case UL_ARG_LIST:
		if (kind != JV_KIND_ARRAY && kind != JV_KIND_OBJECT && kind != JV_KIND_NULL)
			value = jv_array_append(jv_array(), value);
		fits = jv_get_kind(value) == JV_KIND_ARRAY;
		break;
	}
	if (fits)
		return value;
	jv shown = jv_dump_string(jv_copy(value), 0);
	const char *what = type_name(arg->type);
	if (kind == JV_KIND_NUMBER && arg->type == UL_ARG_INT && jv_number_value(value) == floor(jv_number_value(value)))
		what = "integer of at most 2^53 in size";
	else if (kind == JV_KIND_NUMBER && arg->type == UL_ARG_FLOAT)
		what = "finite number";
	jv err = jv_invalid_with_msg(jv_string_fmt("%s must be %s %s, not %s", arg->name,
		arg->type == UL_ARG_INT ? "an" : "a", what, jv_string_value(shown)));
	jv_free(shown);
	jv_free(value);
	return err;
}

/* Names of every argument, for suggestions. */
static size_t all_names(const struct ul_tool *tool, const char **names, size_t cap)
{
	size_t n = 0;
	for (const struct ul_arg *arg = tool->args; arg && arg->name && n < cap; arg++)
		names[n++] = arg->name;
	for (const struct ul_arg *arg = common_args; arg->name && n < cap; arg++)
		names[n++] = arg->name;
	return n;
}

/* Sets one argument; returns -1 or an exit status after reporting. */
static int set_arg(struct ul_args *a, const char *key, jv raw, const char *source)
{
	const struct ul_arg *arg = find_arg(a->tool, key);
	char message[512];
	if (!arg && a->tool->open) {
		/* Text from the command line stays text: the schema knows its type. */
		a->extra = jv_object_set(a->extra, jv_string(key), raw);
		a->given = jv_object_set(a->given, jv_string(key), jv_string(source));
		return -1;
	}
	if (!arg) {
		jv_free(raw);
		const char *names[512];
		const char *near = ul_suggest(key, names, all_names(a->tool, names, 512));
		const char *in = strcmp(source, "command line") ? source : NULL;
		if (near)
			snprintf(message, sizeof message, "%s%sunknown argument '%s'; did you mean '%s'?",
				in ? in : "", in ? ": " : "", key, near);
		else
			snprintf(message, sizeof message, "%s%sunknown argument '%s'", in ? in : "", in ? ": " : "", key);
		return usage_error(a->tool, key, message);
	}
	jv value = convert(arg, raw);
	if (!jv_is_valid(value)) {
		jv why = jv_invalid_get_msg(value);
		snprintf(message, sizeof message, "%s%s%s", strcmp(source, "command line") ? source : "",
			strcmp(source, "command line") ? ": " : "", jv_string_value(why));
		jv_free(why);
		return usage_error(a->tool, key, message);
	}
	a->values = jv_object_set(a->values, jv_string(key), value);
	a->given = jv_object_set(a->given, jv_string(key), jv_string(source));
	return -1;
}

static int load_cfg(struct ul_args *a, const char *path)
{
	jv doc = ul_yaml_load_file(path);
	if (!jv_is_valid(doc)) {
		jv why = jv_invalid_get_msg(doc);
		int rc = usage_error(a->tool, "cfg", jv_string_value(why));
		jv_free(why);
		return rc;
	}
	if (jv_get_kind(doc) == JV_KIND_NULL) {
		jv_free(doc);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		char message[512];
		snprintf(message, sizeof message, "%s: expected a map of key: value lines", path);
		return usage_error(a->tool, "cfg", message);
	}
	int rc = -1;
	jv_object_foreach(doc, key, value) {
		if (rc < 0 && strcmp(jv_string_value(key), "cfg") != 0)
			rc = set_arg(a, jv_string_value(key), value, path);
		else
			jv_free(value);
		jv_free(key);
	}
	jv_free(doc);
	return rc;
}

/* The manual's sections --help shows, those a page has. */
static const char *const help_sections[] = { "NAME", "SYNOPSIS", "ARGUMENTS", "COMMANDS", "OPTIONS", "EXAMPLES", NULL };

static bool help_section(const char *title, size_t len)
{
	for (const char *const *s = help_sections; *s; s++)
		if (strlen(*s) == len && !memcmp(*s, title, len))
			return true;
	return false;
}

/* --help: the manual's name, synopsis, arguments and examples; --manual:
 * the whole page. A section starts at a line that is not indented. */
static void print_help(const struct ul_tool *tool, bool whole)
{
	if (!tool->manual) {
		printf("%s: a test driver; its source says what it does\n", tool->name);
		return;
	}
	if (whole) {
		fputs(tool->manual, stdout);
		return;
	}
	bool shown = false;
	for (const char *line = tool->manual; *line;) {
		size_t len = strcspn(line, "\n");
		if (len && line[0] != ' ')
			shown = help_section(line, len);
		if (shown)
			fwrite(line, 1, len + (line[len] == '\n'), stdout);
		line += len + (line[len] == '\n');
	}
}

static int parse_pairs(struct ul_args *a, int argc, char **argv)
{
	const char *cfg = NULL;
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "cfg=", 4) || !strncmp(argv[i], "--cfg=", 6))
			cfg = strchr(argv[i], '=') + 1;
	if (cfg && *cfg) {
		int rc = load_cfg(a, cfg);
		if (rc >= 0)
			return rc;
	}
	for (int i = 1; i < argc; i++) {
		const char *token = argv[i];
		char message[512];
		const char *eq = strchr(token, '=');
		if (token[0] == '-' && token[1] == '-' && eq) {
			ul_warn("'%s' needs no leading dashes; read as '%s'", token, token + 2);
			token += 2;
		}
		if (!eq || eq == token) {
			if (!eq && token[0] != '-' && token[0] &&
			    (int)jv_array_length(jv_copy(a->words)) < a->tool->max_words) {
				a->words = jv_array_append(a->words, jv_string(token));
				continue;
			}
			snprintf(message, sizeof message, "unexpected argument '%s': arguments are key=value", token);
			return usage_error(a->tool, NULL, message);
		}
		jv key = jv_string_sized(token, (int)(eq - token));
		int rc = set_arg(a, jv_string_value(key), jv_string(eq + 1), "command line");
		jv_free(key);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

int ul_args_parse(struct ul_args *a, const struct ul_tool *tool, int argc, char **argv)
{
	a->tool = tool;
	a->values = jv_object();
	a->given = jv_object();
	a->words = jv_array();
	a->extra = jv_object();
	for (int pass = 0; pass < 2; pass++) {
		for (const struct ul_arg *arg = pass ? common_args : tool->args; arg && arg->name; arg++) {
			jv value = convert(arg, jv_string(arg->fallback));
			if (!jv_is_valid(value)) {  /* a bug in the tool's table */
				jv why = jv_invalid_get_msg(value);
				ul_errorf("bad default: %s", jv_string_value(why));
				abort();
			}
			a->values = jv_object_set(a->values, jv_string(arg->name), value);
		}
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--manual")) {
			print_help(tool, !strcmp(argv[i], "--manual"));
			return UL_EXIT_OK;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("%s %s\n", tool->name, ul_version_string());
			return UL_EXIT_OK;
		}
	}
	int rc = parse_pairs(a, argc, argv);
	if (rc < 0)
		ul_human_set_quiet(ul_arg_bool(a, "quiet"));
	return rc;
}

void ul_args_free(struct ul_args *a)
{
	jv_free(a->values);
	jv_free(a->given);
	jv_free(a->words);
	jv_free(a->extra);
	a->values = a->given = a->words = a->extra = jv_invalid();
}

jv ul_arg_get(const struct ul_args *a, const char *name)
{
	jv v = jv_object_get(jv_copy(a->values), jv_string(name));
	if (!jv_is_valid(v)) {  /* a bug in the tool: it asked for an undeclared name */
		ul_errorf("internal: argument '%s' is not declared", name);
		abort();
	}
	return v;
}

long long ul_arg_int(const struct ul_args *a, const char *name)
{
	jv v = ul_arg_get(a, name);
	long long n = jv_get_kind(v) == JV_KIND_NUMBER ? (long long)jv_number_value(v) : 0;
	jv_free(v);
	return n;
}

double ul_arg_float(const struct ul_args *a, const char *name)
{
	jv v = ul_arg_get(a, name);
	double x = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : NAN;
	jv_free(v);
	return x;
}

bool ul_arg_bool(const struct ul_args *a, const char *name)
{
	jv v = ul_arg_get(a, name);
	bool b = jv_get_kind(v) == JV_KIND_TRUE;
	jv_free(v);
	return b;
}

const char *ul_arg_str(const struct ul_args *a, const char *name)
{
	jv v = ul_arg_get(a, name);
	/* a->values keeps its own reference, so the text outlives v. */
	const char *s = jv_get_kind(v) == JV_KIND_STRING ? jv_string_value(v) : NULL;
	jv_free(v);
	return s;
}
