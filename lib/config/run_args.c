#include "config/run_args.h"

#include "core/error.h"

int ul_run_number(jv args, const char *key, double *out, jv *err)
{
	jv v = jv_object_get(jv_copy(args), jv_string(key));
	int kind = jv_get_kind(v), rc = 0;
	if (kind == JV_KIND_NUMBER)
		*out = jv_number_value(v);
	else if (kind == JV_KIND_TRUE || kind == JV_KIND_FALSE)
		*out = kind == JV_KIND_TRUE;
	else
		rc = ul_invalid(err, "the config has no number %s", key);
	jv_free(v);
	return rc;
}
