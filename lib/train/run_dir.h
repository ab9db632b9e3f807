/* A run's folder, as Ultralytics makes it (cfg/__init__.py get_save_dir,
 * utils/files.py increment_path, in 8.4.117):
 *
 *   project unset      runs/<task>/<name>
 *   project relative   runs/<task>/<project>/<name>
 *   project absolute   <project>/<name>
 *
 * runs/ is in the current folder; name defaults to "train". When the
 * folder is taken (by a folder or a file), the first of name-2, name-3 ...
 * name-9998 that is free is used; when name is a file, its extension stays
 * last (exp.v1 -> exp-2.v1). Each candidate is claimed with mkdir, so two
 * runs starting at once never share one. exist_ok reuses the folder. */
#ifndef UL_TRAIN_RUN_DIR_H
#define UL_TRAIN_RUN_DIR_H

#include <limits.h>
#include <stdbool.h>

#include <jv.h>

struct ul_run_dir {
	char path[PATH_MAX];     /* absolute */
	char weights[PATH_MAX];  /* path/weights, made */
	const char *name;        /* the last part of path: "train-2" */
};

/* Makes the folder (and what is missing above it) and its weights/. 0, or
 * -1 with a message in *err (a folder that cannot be made, one that is a
 * file). */
int ul_run_dir_create(struct ul_run_dir *d, const char *task, const char *project, const char *name, bool exist_ok,
		      jv *err);

/* Whether the run can write its folder and weights/ (a file made there
 * and removed): a resumed run finds out before training an epoch, not
 * when it saves one. 0, or -1 with a message naming the folder. */
int ul_run_dir_check_writable(const struct ul_run_dir *d, jv *err);

/* args.yaml: the run's arguments (a JSON object, borrowed) in their order,
 * with name and save_dir set to the folder's, as Ultralytics' YAML.save
 * writes them (PyYAML safe_dump, sort_keys=False). A parameter that
 * schema (ul_params_load's, or null) types float is written as one
 * ("3.0"), as JSON cannot tell. 0, or -1 with a message. */
int ul_run_dir_save_args(const struct ul_run_dir *d, jv args, jv schema, jv *err);

#endif
