/* The training parameters, kept as data in share/ul/params.yaml, and
 * checking a run's values against them: every problem at once, each an
 * `error` record naming the parameter. */
#ifndef UL_CONFIG_PARAMS_H
#define UL_CONFIG_PARAMS_H

#include <jv.h>

/* The schema: name -> {type, default, min, max, choices, tasks, group,
 * source, help}, in the file's order; or an invalid jv with a message. */
jv ul_params_load(void);

struct ul_param_check {
	jv args;      /* every parameter, defaults filled in, values typed */
	jv modified;  /* only those that differ from their defaults */
	jv warnings;  /* strings: parameters that do nothing for this task */
	jv errors;    /* `error` records: unknown names, wrong types, out of range */
};

/* Checks values (name -> the text given on the command line, or the value
 * from a cfg file; consumed) for a run of task. */
void ul_params_check(jv schema, jv values, const char *task, struct ul_param_check *out);

#endif
