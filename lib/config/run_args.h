/* Reading a config record's "args" (every parameter, defaults filled, as
 * ul-validate writes them) in the stages that act on them. */
#ifndef UL_CONFIG_RUN_ARGS_H
#define UL_CONFIG_RUN_ARGS_H

#include <jv.h>

/* The number args[key] (borrowed), a boolean read as 0 or 1. 0, or -1 with
 * a message in *err when it is missing or of another type. */
int ul_run_number(jv args, const char *key, double *out, jv *err);

#endif
