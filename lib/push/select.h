/* Which records ul-push sends: by default the run's own story (status,
 * epoch, checkpoint, system, log, charge, bill, error); with select=, the
 * records for which a jq expression is true. */
#ifndef UL_PUSH_SELECT_H
#define UL_PUSH_SELECT_H

#include <stdbool.h>

#include <jv.h>

struct ul_select {
	struct jq_state *jq;  /* NULL: the default types */
};

/* expr NULL for the default. 0, or -1 with *err the compiler's message
 * (an invalid jv). */
int ul_select_init(struct ul_select *s, const char *expr, jv *err);
void ul_select_free(struct ul_select *s);

/* True when the record is to be sent: the expression's first output is
 * neither false nor null (an error counts as false). */
bool ul_select_wants(struct ul_select *s, jv record, const char *type);

#endif
