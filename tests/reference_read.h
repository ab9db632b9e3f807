/* Reading the PyTorch reference vectors (tests/reference/vectors): a
 * float32 or byte tensor by name, and a metadata value parsed from its JSON text. */
#ifndef UL_TESTS_REFERENCE_READ_H
#define UL_TESTS_REFERENCE_READ_H

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

/* The metadata value of key as JSON (strings hold JSON text), or invalid. */
static inline jv meta(const struct ul_safetensors *st, const char *key)
{
	jv v = jv_object_get(jv_copy(st->metadata), jv_string(key));
	jv parsed = jv_get_kind(v) == JV_KIND_STRING ? jv_parse(jv_string_value(v)) : jv_invalid();
	jv_free(v);
	return parsed;
}

#endif
