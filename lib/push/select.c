#include "push/select.h"

#include <string.h>

#include <jq.h>

static const char *const default_types[] = { "status", "epoch", "final", "checkpoint", "system", "log", "charge", "bill", "error", NULL };

/* jq's compile errors arrive here, one or more. */
static void keep_error(void *data, jv msg)
{
	jv *err = data;
	if (!jv_invalid_has_msg(jv_copy(*err)) && jv_get_kind(msg) == JV_KIND_STRING) {
		*err = jv_invalid_with_msg(msg);
		return;
	}
	jv_free(msg);
}

int ul_select_init(struct ul_select *s, const char *expr, jv *err)
{
	s->jq = NULL;
	if (!expr)
		return 0;
	s->jq = jq_init();
	if (!s->jq) {
		*err = jv_invalid_with_msg(jv_string("cannot start jq"));
		return -1;
	}
	jv msg = jv_invalid();
	jq_set_error_cb(s->jq, keep_error, &msg);
	if (!jq_compile(s->jq, expr)) {
		if (jv_invalid_has_msg(jv_copy(msg))) {
			*err = msg;
		} else {
			jv_free(msg);
			*err = jv_invalid_with_msg(jv_string("not a jq expression"));
		}
		jq_teardown(&s->jq);
		return -1;
	}
	jv_free(msg);
	jq_set_error_cb(s->jq, NULL, NULL);
	return 0;
}

void ul_select_free(struct ul_select *s)
{
	if (s->jq)
		jq_teardown(&s->jq);
}

bool ul_select_wants(struct ul_select *s, jv record, const char *type)
{
	if (!s->jq) {
		for (int i = 0; default_types[i]; i++)
			if (!strcmp(type, default_types[i]))
				return true;
		return false;
	}
	jq_start(s->jq, jv_copy(record), 0);
	jv out = jq_next(s->jq);
	jv_kind kind = jv_get_kind(out);
	jv_free(out);
	return kind != JV_KIND_INVALID && kind != JV_KIND_FALSE && kind != JV_KIND_NULL;
}
