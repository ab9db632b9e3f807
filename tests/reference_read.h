/* Reading the PyTorch reference vectors (tests/reference/vectors): a
 * float32 or byte tensor by name, and a metadata value parsed from its JSON text. */
#ifndef UL_TESTS_REFERENCE_READ_H
#define UL_TESTS_REFERENCE_READ_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/safetensors.h"

/* The tensor's values (the caller frees them) and their count; NULL when
 * it is missing or not float32. */
static inline float *read_tensor(const struct ul_safetensors *st, const char *name, size_t *n)
{
	struct ul_safetensor t;
	jv err = jv_invalid();
	if (ul_safetensors_get(st, name, &t, &err)) {
		jv_free(err);
		return NULL;
	}
	float *v = malloc(sizeof *v * (t.numel + 1));
	if (ul_safetensors_read_f32(st, name, v, t.numel, &err)) {
		jv_free(err);
		free(v);
		return NULL;
	}
	*n = t.numel;
	return v;
}

/* The U8 tensor of that name, n bytes, or NULL. */
static inline const unsigned char *tensor_u8(const struct ul_safetensors *st, const char *name, size_t n)
{
	struct ul_safetensor t;
	jv err = jv_invalid();
	if (ul_safetensors_get(st, name, &t, &err)) {
		jv_free(err);
		return NULL;
	}
	return !strcmp(t.dtype, "U8") && t.numel == n ? t.bytes : NULL;
}

/* How many of n bytes differ, and by how much at most. */
static inline size_t bytes_differ(const unsigned char *a, const unsigned char *b, size_t n, int *most)
{
	size_t count = 0;
	*most = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i]) {
			count++;
			int d = abs(a[i] - b[i]);
			*most = d > *most ? d : *most;
		}
	return count;
}

/* A case object's fields (the fixtures' metadata is JSON): a number, or
 * NAN; an integer, or -1; element i of an array of numbers, or -1; a
 * boolean; a string into buf ("" when missing). */
static inline double case_number(jv v, const char *key)
{
	jv n = jv_object_get(jv_copy(v), jv_string(key));
	double d = jv_get_kind(n) == JV_KIND_NUMBER ? jv_number_value(n) : NAN;
	jv_free(n);
	return d;
}

static inline int case_int(jv v, const char *key)
{
	double d = case_number(v, key);
	return isnan(d) ? -1 : (int)d;
}

static inline int case_element(jv v, const char *key, int i)
{
	jv a = jv_array_get(jv_object_get(jv_copy(v), jv_string(key)), i);
	int n = jv_get_kind(a) == JV_KIND_NUMBER ? (int)jv_number_value(a) : -1;
	jv_free(a);
	return n;
}

static inline bool case_flag(jv v, const char *key)
{
	jv b = jv_object_get(jv_copy(v), jv_string(key));
	bool t = jv_get_kind(b) == JV_KIND_TRUE;
	jv_free(b);
	return t;
}

static inline const char *case_text(jv v, const char *key, char *buf, size_t size)
{
	jv s = jv_object_get(jv_copy(v), jv_string(key));
	snprintf(buf, size, "%s", jv_get_kind(s) == JV_KIND_STRING ? jv_string_value(s) : "");
	jv_free(s);
	return buf;
}

/* The metadata value of key as JSON (strings hold JSON text), or invalid. */
static inline jv meta(const struct ul_safetensors *st, const char *key)
{
	jv v = jv_object_get(jv_copy(st->metadata), jv_string(key));
	jv parsed = jv_get_kind(v) == JV_KIND_STRING ? jv_parse(jv_string_value(v)) : jv_invalid();
	jv_free(v);
	return parsed;
}

#endif
