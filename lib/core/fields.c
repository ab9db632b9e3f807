#include "core/fields.h"

#include <stdbool.h>
#include <stdio.h>

static jv field(jv obj, const char *key)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(jv_copy(obj), jv_string(key)) : jv_null();
}

double ul_field_number(jv obj, const char *key, double fallback)
{
	jv v = field(obj, key);
	double d = jv_get_kind(v) == JV_KIND_NUMBER ? jv_number_value(v) : fallback;
	jv_free(v);
	return d;
}

const char *ul_field_string(jv obj, const char *key, char *out, size_t cap)
{
	jv v = field(obj, key);
	bool ok = jv_get_kind(v) == JV_KIND_STRING;
	snprintf(out, cap, "%s", ok ? jv_string_value(v) : "");
	jv_free(v);
	return ok ? out : NULL;
}
