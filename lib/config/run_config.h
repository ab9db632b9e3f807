/* A run's configuration, as ul-validate checks and writes it: the model
 * (model_arg, or the official n model of the task) against the dataset
 * record, every parameter of extra (key=value, consumed) against the
 * schema (share/ul/params.yaml) with defaults filled, imgsz up to the
 * stride, classes= against the dataset, the files that resume= and
 * pretrained= name, and the model's summary. ul-train standalone uses it
 * too, so a run is checked the same way in or out of a pipeline. */
#ifndef UL_CONFIG_RUN_CONFIG_H
#define UL_CONFIG_RUN_CONFIG_H

#include <jv.h>

/* The `config` record (with its warnings in "warnings"), or an invalid jv
 * with one error record for each problem appended to *errors (an array).
 * dataset is borrowed; task_arg may be NULL (the dataset's task). */
jv ul_run_config(jv dataset, const char *model_arg, const char *task_arg, jv extra, jv *errors);

#endif
