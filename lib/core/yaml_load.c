#include "core/yaml_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "core/scalar.h"

#define MAX_DEPTH 256

struct loader {
	yaml_parser_t parser;
	const char *name;  /* file name for messages */
	const char *text;  /* the whole input, to look at the byte an error points to */
	size_t len;
	jv anchors;        /* anchor name -> value */
	jv error;          /* the first error, or jv_invalid() without message */
};

static jv fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static jv fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (!jv_invalid_has_msg(jv_copy(ld->error))) {  /* the first error wins */
		jv_free(ld->error);
		ld->error = jv_invalid_with_msg(jv_string_fmt("%s:%zu:%zu: %s", ld->name,
			mark.line + 1, mark.column + 1, what));
	}
	return jv_invalid();
}

/* libyaml's own error, made readable. */
static jv parser_failed(struct loader *ld)
{
	yaml_parser_t *p = &ld->parser;
	if (p->error == YAML_MEMORY_ERROR)
		return fail_at(ld, p->problem_mark, "out of memory");
	const char *problem = p->problem ? p->problem : "malformed YAML";
	size_t at = p->problem_mark.index;
	if (at < ld->len && ld->text[at] == '\t')
		return fail_at(ld, p->problem_mark, "%s (a tab: YAML indents with spaces only)", problem);
	if (p->context)
		return fail_at(ld, p->problem_mark, "%s, %s that starts at line %zu, column %zu",
			problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(ld, p->problem_mark, "%s", problem);
}

static bool next_event(struct loader *ld, yaml_event_t *ev)
{
	if (yaml_parser_parse(&ld->parser, ev))
		return true;
	parser_failed(ld);
	return false;
}

static jv typed_scalar(struct loader *ld, yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	if (!tag) {
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return jv_string_sized(text, (int)len);
		return ul_scalar_parse(text, len, UL_SCALAR_YAML);
	}
	jv v = jv_invalid();
	if (!strcmp(tag, "!") || !strcmp(tag, YAML_STR_TAG))
		return jv_string_sized(text, (int)len);
	if (!strcmp(tag, YAML_INT_TAG))
		v = ul_scalar_int(text, len);
	else if (!strcmp(tag, YAML_FLOAT_TAG))
		v = ul_scalar_float(text, len);
	else if (!strcmp(tag, YAML_BOOL_TAG))
		v = ul_scalar_bool(text, len, UL_SCALAR_YAML);
	else if (!strcmp(tag, YAML_NULL_TAG))
		v = ul_scalar_null(text, len, UL_SCALAR_YAML);
	else
		return fail_at(ld, ev->start_mark, "unsupported tag %s", tag);
	if (!jv_is_valid(v))
		return fail_at(ld, ev->start_mark, "'%.*s' is not a valid %s", (int)(len > 60 ? 60 : len), text, tag);
	return v;
}

static jv load_node(struct loader *ld, yaml_event_t *ev, int depth);

static void remember_anchor(struct loader *ld, yaml_char_t *anchor, jv value)
{
	if (anchor && jv_is_valid(value))
		ld->anchors = jv_object_set(ld->anchors, jv_string((const char *)anchor), jv_copy(value));
}

static jv load_sequence(struct loader *ld, yaml_event_t *start, int depth)
{
	jv list = jv_array();
	for (;;) {
		yaml_event_t ev;
		if (!next_event(ld, &ev)) {
			jv_free(list);
			return jv_invalid();
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		jv item = load_node(ld, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!jv_is_valid(item)) {
			jv_free(list);
			return item;
		}
		list = jv_array_append(list, item);
	}
	remember_anchor(ld, start->data.sequence_start.anchor, list);
	return list;
}

/* A key is kept as the text the user wrote: `0: person` gives "0". */
static jv load_key(struct loader *ld, yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT)
		return jv_string_sized((const char *)ev->data.scalar.value, (int)ev->data.scalar.length);
	if (ev->type == YAML_ALIAS_EVENT) {
		jv v = jv_object_get(jv_copy(ld->anchors), jv_string((const char *)ev->data.alias.anchor));
		if (jv_get_kind(v) == JV_KIND_STRING)
			return v;
		jv_free(v);
	}
	return fail_at(ld, ev->start_mark, "a mapping key must be a plain value, not a list or a map");
}

/* Adds the entries of a `<<` merge value (a map, or a list of maps) to
 * merged, where the first one to set a key keeps it. */
static bool add_merge(jv *merged, jv value)
{
	if (jv_get_kind(value) == JV_KIND_ARRAY) {
		bool ok = true;
		jv_array_foreach(value, i, item)
			ok = ok && jv_get_kind(item) == JV_KIND_OBJECT && add_merge(merged, item);
		jv_free(value);
		return ok;
	}
	if (jv_get_kind(value) != JV_KIND_OBJECT) {
		jv_free(value);
		return false;
	}
	jv_object_foreach(value, key, item) {
		if (jv_object_has(jv_copy(*merged), jv_copy(key))) {
			jv_free(key);
			jv_free(item);
		} else {
			*merged = jv_object_set(*merged, key, item);
		}
	}
	jv_free(value);
	return true;
}

static bool is_merge_key(yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !ev->data.scalar.tag && !strcmp((const char *)ev->data.scalar.value, "<<");
}

static jv load_mapping(struct loader *ld, yaml_event_t *start, int depth)
{
	jv map = jv_object();
	jv merged = jv_object();  /* from `<<: *base`; keys written out win */
	for (;;) {
		yaml_event_t ev;
		if (!next_event(ld, &ev))
			goto failed;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t key_mark = ev.start_mark;
		bool merge = is_merge_key(&ev);
		jv key = load_key(ld, &ev);
		yaml_event_delete(&ev);
		if (!jv_is_valid(key))
			goto failed;
		if (!merge && jv_object_has(jv_copy(map), jv_copy(key))) {
			fail_at(ld, key_mark, "duplicate key '%s'", jv_string_value(key));
			jv_free(key);
			goto failed;
		}
		if (!next_event(ld, &ev)) {
			jv_free(key);
			goto failed;
		}
		jv value = load_node(ld, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!jv_is_valid(value)) {
			jv_free(key);
			goto failed;
		}
		if (merge) {
			jv_free(key);
			if (!add_merge(&merged, value)) {
				fail_at(ld, key_mark, "'<<' merges a map or a list of maps, nothing else");
				goto failed;
			}
			continue;
		}
		map = jv_object_set(map, key, value);
	}
	jv_object_foreach(merged, key, value) {
		if (jv_object_has(jv_copy(map), jv_copy(key))) {
			jv_free(key);
			jv_free(value);
		} else {
			map = jv_object_set(map, key, value);
		}
	}
	jv_free(merged);
	remember_anchor(ld, start->data.mapping_start.anchor, map);
	return map;
failed:
	jv_free(map);
	jv_free(merged);
	return jv_invalid();
}

/* Lists and maps may carry only their own standard tag (or none). */
static bool collection_tag_ok(const char *tag, const char *standard)
{
	return !tag || !strcmp(tag, "!") || !strcmp(tag, standard);
}

static jv load_node(struct loader *ld, yaml_event_t *ev, int depth)
{
	if (depth > MAX_DEPTH)
		return fail_at(ld, ev->start_mark, "nested deeper than %d levels", MAX_DEPTH);
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		jv v = typed_scalar(ld, ev);
		remember_anchor(ld, ev->data.scalar.anchor, v);
		return v;
	}
	case YAML_SEQUENCE_START_EVENT:
		if (!collection_tag_ok((const char *)ev->data.sequence_start.tag, YAML_SEQ_TAG))
			return fail_at(ld, ev->start_mark, "unsupported tag %s", (const char *)ev->data.sequence_start.tag);
		return load_sequence(ld, ev, depth);
	case YAML_MAPPING_START_EVENT:
		if (!collection_tag_ok((const char *)ev->data.mapping_start.tag, YAML_MAP_TAG))
			return fail_at(ld, ev->start_mark, "unsupported tag %s", (const char *)ev->data.mapping_start.tag);
		return load_mapping(ld, ev, depth);
	case YAML_ALIAS_EVENT: {
		jv v = jv_object_get(jv_copy(ld->anchors), jv_string((const char *)ev->data.alias.anchor));
		if (jv_is_valid(v))
			return v;
		return fail_at(ld, ev->start_mark, "unknown alias *%s", (const char *)ev->data.alias.anchor);
	}
	default:
		return fail_at(ld, ev->start_mark, "unexpected YAML event");
	}
}

/* stream-start, [document-start, node, document-end], stream-end */
static jv load_stream(struct loader *ld)
{
	yaml_event_t ev;
	jv doc = jv_null();
	int documents = 0;
	for (;;) {
		if (!next_event(ld, &ev))
			goto failed;
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return doc;
		}
		if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
			fail_at(ld, ev.start_mark, "more than one YAML document; expected one");
			yaml_event_delete(&ev);
			goto failed;
		}
		if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
		    type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
			jv_free(doc);
			doc = load_node(ld, &ev, 0);
			if (!jv_is_valid(doc)) {
				yaml_event_delete(&ev);
				goto failed;
			}
		}
		yaml_event_delete(&ev);
	}
failed:
	jv_free(doc);
	return jv_invalid();
}

jv ul_yaml_load_string(const char *text, size_t len, const char *name)
{
	struct loader ld = { .name = name, .text = text, .len = len };
	ld.anchors = jv_object();
	ld.error = jv_invalid();
	if (!yaml_parser_initialize(&ld.parser)) {
		jv_free(ld.anchors);
		return jv_invalid_with_msg(jv_string_fmt("%s: out of memory", name));
	}
	yaml_parser_set_input_string(&ld.parser, (const unsigned char *)text, len);
	jv doc = load_stream(&ld);
	yaml_parser_delete(&ld.parser);
	jv_free(ld.anchors);
	if (jv_is_valid(doc)) {
		jv_free(ld.error);
		return doc;
	}
	jv_free(doc);
	if (!jv_invalid_has_msg(jv_copy(ld.error))) {
		jv_free(ld.error);
		return jv_invalid_with_msg(jv_string_fmt("%s: malformed YAML", name));
	}
	return ld.error;
}

jv ul_yaml_load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return jv_invalid_with_msg(jv_string_fmt("%s: %s", path, strerror(errno)));
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return jv_invalid_with_msg(jv_string_fmt("%s: not a regular file", path));
	}
	if ((unsigned long long)st.st_size > UL_YAML_MAX_BYTES) {
		fclose(f);
		return jv_invalid_with_msg(jv_string_fmt("%s: larger than %u MiB; not a YAML file we read",
			path, UL_YAML_MAX_BYTES >> 20));
	}
	size_t size = (size_t)st.st_size;
	char *text = malloc(size + 1);
	size_t got = text ? fread(text, 1, size, f) : 0;
	bool read_ok = text && got == size && !ferror(f);
	fclose(f);
	if (!read_ok) {
		free(text);
		return jv_invalid_with_msg(jv_string_fmt("%s: could not read the file", path));
	}
	jv doc = ul_yaml_load_string(text, size, path);
	free(text);
	return doc;
}
