#include "config/params.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/scalar.h"
#include "core/share.h"
#include "core/suggest.h"
#include "core/yaml_load.h"

#define MAX_EXACT_INT 9007199254740992.0  /* 2^53 */

jv ul_params_load(void)
{
	jv path = ul_share_path("params.yaml");
	if (!jv_is_valid(path))
		return path;
	jv doc = ul_yaml_load_file(jv_string_value(path));
	jv_free(path);
	if (!jv_is_valid(doc))
		return doc;
	jv params = jv_object_get(doc, jv_string("params"));
	if (jv_get_kind(params) != JV_KIND_OBJECT) {
		jv_free(params);
		return jv_invalid_with_msg(jv_string("params.yaml has no params map"));
	}
	return params;
}

static jv field(jv spec, const char *name)
{
	return jv_object_get(jv_copy(spec), jv_string(name));
}

/* value as one type of the schema, or jv_invalid() when it is not one. */
static jv as_type(const char *type, jv spec, jv value)
{
	jv_kind kind = jv_get_kind(value);
	const char *text = kind == JV_KIND_STRING ? jv_string_value(value) : NULL;
	jv typed = text ? ul_scalar_parse(text, strlen(text), UL_SCALAR_CLI) : jv_copy(value);
	jv_kind tk = jv_get_kind(typed);
	jv out = jv_invalid();
	if (!strcmp(type, "int")) {
		if (tk == JV_KIND_NUMBER && fabs(jv_number_value(typed)) <= MAX_EXACT_INT &&
		    jv_number_value(typed) == floor(jv_number_value(typed)))
			out = jv_copy(typed);
	} else if (!strcmp(type, "float")) {
		if (tk == JV_KIND_NUMBER && isfinite(jv_number_value(typed)))
			out = jv_copy(typed);
	} else if (!strcmp(type, "bool")) {
		if (tk == JV_KIND_TRUE || tk == JV_KIND_FALSE)
			out = jv_copy(typed);
	} else if (!strcmp(type, "string")) {
		if (kind == JV_KIND_STRING)
			out = jv_copy(value);
		else if (kind == JV_KIND_NUMBER)
			out = jv_dump_string(jv_copy(value), 0);
	} else if (!strcmp(type, "choice")) {
		jv choices = field(spec, "choices");
		jv_array_foreach(choices, i, choice) {
			if (jv_is_valid(out)) {
				jv_free(choice);
				continue;
			}
			if (jv_get_kind(choice) == JV_KIND_STRING && tk == JV_KIND_STRING &&
			    !strcasecmp(jv_string_value(choice), jv_string_value(typed)))
				out = jv_copy(choice);  /* adamw is AdamW, as in Ultralytics */
			else if (jv_get_kind(choice) != JV_KIND_STRING && jv_equal(jv_copy(choice), jv_copy(typed)))
				out = jv_copy(choice);
			jv_free(choice);
		}
		jv_free(choices);
	} else if (!strcmp(type, "list")) {
		if (kind == JV_KIND_ARRAY) {
			out = jv_copy(value);
		} else if (text) {
			jv flow = text[0] == '[' ? jv_string(text) : jv_string_fmt("[%s]", text);
			jv list = ul_yaml_load_string(jv_string_value(flow), (size_t)jv_string_length_bytes(jv_copy(flow)), "value");
			jv_free(flow);
			if (jv_get_kind(list) == JV_KIND_ARRAY)
				out = list;
			else
				jv_free(list);
		}
	}
	jv_free(typed);
	return out;
}

static bool in_range(jv spec, double x, double *lo, double *hi)
{
	jv min = field(spec, "min"), max = field(spec, "max");
	*lo = jv_get_kind(min) == JV_KIND_NUMBER ? jv_number_value(min) : -INFINITY;
	*hi = jv_get_kind(max) == JV_KIND_NUMBER ? jv_number_value(max) : INFINITY;
	jv_free(min);
	jv_free(max);
	return x >= *lo && x <= *hi;
}

static jv problem(const char *code, const char *param, const char *message, const char *hint)
{
	jv err = ul_error_record(code, message, hint);
	return jv_object_set(err, jv_string("param"), jv_string(param));
}

/* The checked value of one parameter (value is borrowed), or an invalid jv
 * after adding an error record to out. */
static jv check_one(const char *name, jv spec, jv value, struct ul_param_check *out)
{
	jv type = field(spec, "type");
	jv def = field(spec, "default");
	bool nullable = jv_get_kind(def) == JV_KIND_NULL;
	jv_free(def);
	const char *text = jv_get_kind(value) == JV_KIND_STRING ? jv_string_value(value) : NULL;
	jv shown = text ? jv_string(text) : jv_dump_string(jv_copy(value), 0);
	char message[512], hint[256];
	jv result = jv_invalid();

	if (nullable && (jv_get_kind(value) == JV_KIND_NULL ||
			 (text && jv_is_valid(ul_scalar_null(text, strlen(text), UL_SCALAR_CLI))))) {
		result = jv_null();
	} else {
		/* "bool|string": the first type that takes the value wins */
		char types[64];
		snprintf(types, sizeof types, "%s", jv_string_value(type));
		for (char *t = strtok(types, "|"); t && !jv_is_valid(result); t = strtok(NULL, "|"))
			result = as_type(t, spec, value);
		if (!jv_is_valid(result)) {
			jv choices = field(spec, "choices");
			if (jv_get_kind(choices) == JV_KIND_ARRAY) {
				jv list = jv_dump_string(jv_copy(choices), 0);
				snprintf(message, sizeof message, "%s=%s is not one of %s", name, jv_string_value(shown), jv_string_value(list));
				jv_free(list);
				out->errors = jv_array_append(out->errors, problem("param_choice", name, message, NULL));
			} else {
				snprintf(message, sizeof message, "%s=%s is not a valid %s", name, jv_string_value(shown),
					 jv_string_value(type));
				out->errors = jv_array_append(out->errors, problem("param_type", name, message, NULL));
			}
			jv_free(choices);
		}
	}
	/* ranges, for a number or each number of a list */
	if (jv_is_valid(result) && jv_get_kind(result) != JV_KIND_NULL) {
		jv items = jv_get_kind(result) == JV_KIND_ARRAY ? jv_copy(result) : jv_array_append(jv_array(), jv_copy(result));
		bool fine = true;
		jv min = field(spec, "min");
		bool ranged = jv_get_kind(min) == JV_KIND_NUMBER;
		jv_free(min);
		jv_array_foreach(items, i, x) {
			double lo, hi;
			if (fine && ranged && jv_get_kind(x) != JV_KIND_NUMBER) {
				fine = false;
				snprintf(message, sizeof message, "%s=%s: every item must be a number", name, jv_string_value(shown));
				out->errors = jv_array_append(out->errors, problem("param_type", name, message, NULL));
			} else if (fine && jv_get_kind(x) == JV_KIND_NUMBER && !in_range(spec, jv_number_value(x), &lo, &hi)) {
				fine = false;
				snprintf(message, sizeof message, "%s=%s is out of range: %g to %g", name, jv_string_value(shown), lo, hi);
				jv def_text = jv_dump_string(field(spec, "default"), 0);
				snprintf(hint, sizeof hint, "the default is %s", jv_string_value(def_text));
				jv_free(def_text);
				out->errors = jv_array_append(out->errors, problem("param_range", name, message, hint));
			}
			jv_free(x);
		}
		jv_free(items);
		if (!fine) {
			jv_free(result);
			result = jv_invalid();
		}
	}
	jv_free(shown);
	jv_free(type);
	return result;
}

static bool applies(jv spec, const char *task)
{
	jv tasks = field(spec, "tasks");
	bool yes = jv_get_kind(tasks) != JV_KIND_ARRAY;
	if (!yes) {
		jv_array_foreach(tasks, i, t) {
			yes |= !strcmp(jv_string_value(t), task);
			jv_free(t);
		}
	}
	jv_free(tasks);
	return yes;
}

void ul_params_check(jv schema, jv values, const char *task, struct ul_param_check *out)
{
	out->args = jv_object();
	out->modified = jv_object();
	out->warnings = jv_array();
	out->errors = jv_array();
	jv_object_foreach(schema, name, spec) {
		out->args = jv_object_set(out->args, jv_copy(name), field(spec, "default"));
		jv_free(name);
		jv_free(spec);
	}
	jv names = jv_keys_unsorted(jv_copy(schema));
	int count = jv_array_length(jv_copy(names));
	const char **list = calloc((size_t)count + 1, sizeof *list);
	for (int i = 0; i < count; i++) {
		jv n = jv_array_get(jv_copy(names), i);
		list[i] = jv_string_value(n);  /* names keeps the string alive */
		jv_free(n);
	}

	jv_object_foreach(values, name, value) {
		const char *key = jv_string_value(name);
		jv spec = jv_object_get(jv_copy(schema), jv_copy(name));
		if (!jv_is_valid(spec)) {
			char message[256];
			const char *near = ul_suggest(key, list, (size_t)count);
			if (near)
				snprintf(message, sizeof message, "unknown parameter '%s'; did you mean '%s'?", key, near);
			else
				snprintf(message, sizeof message, "unknown parameter '%s'", key);
			out->errors = jv_array_append(out->errors, problem("param_unknown", key, message,
				"ul-validate --schema lists every parameter"));
		} else {
			jv checked = check_one(key, spec, value, out);
			if (jv_is_valid(checked)) {
				out->args = jv_object_set(out->args, jv_copy(name), checked);
				if (!applies(spec, task)) {
					jv tasks = jv_string(""), wanted = field(spec, "tasks");
					jv_array_foreach(wanted, i, t) {
						jv longer = jv_string_fmt("%s%s%s", jv_string_value(tasks), i ? ", " : "", jv_string_value(t));
						jv_free(tasks);
						jv_free(t);
						tasks = longer;
					}
					out->warnings = jv_array_append(out->warnings, jv_string_fmt(
						"%s applies to %s runs only; this %s run ignores it", key, jv_string_value(tasks), task));
					jv_free(tasks);
					jv_free(wanted);
				}
			}
		}
		jv_free(spec);
		jv_free(name);
		jv_free(value);
	}
	jv_free(values);

	jv_object_foreach(schema, name, spec) {
		jv now = jv_object_get(jv_copy(out->args), jv_copy(name));
		jv def = field(spec, "default");
		if (!jv_equal(jv_copy(now), def))
			out->modified = jv_object_set(out->modified, jv_copy(name), jv_copy(now));
		jv_free(now);
		jv_free(name);
		jv_free(spec);
	}
	free(list);
	jv_free(names);
}
