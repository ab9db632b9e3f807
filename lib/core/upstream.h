/* What every stage does first: pass the records arriving on stdin on to
 * stdout, unchanged and in order, before writing its own. Nothing is read
 * when stdin is a terminal, so a tool can also start a pipeline. */
#ifndef UL_CORE_UPSTREAM_H
#define UL_CORE_UPSTREAM_H

#include <stdbool.h>

#include <jv.h>

/* Passes stdin on. Keeps the last record of each type of keep_types (NULL
 * ended; NULL keeps nothing) in kept[i], which must hold a jv to replace,
 * jv_null() to start.
 * A bad line is reported (error record and stderr) and sets *rc to 1.
 * Returns false when an upstream `error` record arrived: the stage passes
 * it on and must not start its own work. */
bool ul_pass_upstream(const char *const *keep_types, jv *kept, int *rc);

#endif
