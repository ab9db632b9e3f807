#include "data/dataset_spec.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/yaml_load.h"

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/name, or name itself when it is absolute. */
static jv join(const char *dir, const char *name)
{
	if (name[0] == '/')
		return jv_string(name);
	if (!strcmp(name, ".") || !*name)
		return jv_string(dir);
	if (name[0] == '.' && name[1] == '/')
		name += 2;
	return jv_string_fmt("%s/%s", dir, name);
}

static jv absolute(const char *path)
{
	char buf[PATH_MAX];
	if (realpath(path, buf))
		return jv_string(buf);
	if (path[0] == '/')
		return jv_string(path);
	if (!getcwd(buf, sizeof buf))
		return jv_string(path);
	return jv_string_fmt("%s/%s", buf, path);
}

/* The class names as a list: from a list, or from a map whose keys are
 * exactly 0..n-1. */
static jv names_list(jv names, const char *yaml)
{
	jv_kind kind = jv_get_kind(names);
	if (kind == JV_KIND_ARRAY) {
		jv list = jv_array();
		jv_array_foreach(names, i, name) {
			if (jv_get_kind(name) != JV_KIND_STRING)
				name = jv_dump_string(name, 0);  /* `- 7` is the name "7" */
			list = jv_array_append(list, name);
		}
		jv_free(names);
		return list;
	}
	if (kind != JV_KIND_OBJECT) {
		jv_free(names);
		return jv_invalid_with_msg(jv_string_fmt("%s: names must be a list or a map of index: name", yaml));
	}
	int n = jv_object_length(jv_copy(names));
	jv list = jv_array();
	for (int i = 0; i < n; i++) {
		char key[16];
		snprintf(key, sizeof key, "%d", i);
		jv name = jv_object_get(jv_copy(names), jv_string(key));
		if (!jv_is_valid(name)) {
			jv_free(name);
			jv_free(list);
			jv_free(names);
			return jv_invalid_with_msg(jv_string_fmt(
				"%s: names has %d entries, so its keys must be 0 to %d; %d is missing", yaml, n, n - 1, i));
		}
		if (jv_get_kind(name) != JV_KIND_STRING)
			name = jv_dump_string(name, 0);
		list = jv_array_set(list, i, name);
	}
	jv_free(names);
	return list;
}

/* A split's value, a path or a list of paths, as absolute paths. */
static jv split_paths(jv value, const char *root, const char *yaml, const char *split)
{
	jv list = jv_get_kind(value) == JV_KIND_ARRAY ? value : jv_array_append(jv_array(), value);
	jv out = jv_array();
	jv_array_foreach(list, i, item) {
		if (jv_get_kind(item) != JV_KIND_STRING) {
			jv_free(item);
			jv_free(out);
			jv_free(list);
			return jv_invalid_with_msg(jv_string_fmt("%s: %s must be a path or a list of paths", yaml, split));
		}
		out = jv_array_append(out, join(root, jv_string_value(item)));
		jv_free(item);
	}
	jv_free(list);
	return out;
}

static jv from_yaml(const char *file, const char *root_override)
{
	jv doc = ul_yaml_load_file(file);
	if (!jv_is_valid(doc))
		return doc;
	jv yaml = absolute(file);
	const char *yaml_path = jv_string_value(yaml);
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		jv err = jv_invalid_with_msg(jv_string_fmt("%s: a dataset YAML is a map (path, train, val, names ...)", yaml_path));
		jv_free(yaml);
		return err;
	}
	char *folder = strdup(yaml_path);
	*strrchr(folder, '/') = '\0';
	jv path = jv_object_get(jv_copy(doc), jv_string("path"));
	jv joined = root_override ? jv_string(root_override)
		: jv_get_kind(path) == JV_KIND_STRING ? join(folder, jv_string_value(path)) : jv_string(folder);
	jv root = absolute(jv_string_value(joined));
	jv_free(joined);
	jv_free(path);
	free(folder);

	jv spec = jv_object_set(jv_object(), jv_string("yaml"), jv_copy(yaml));
	spec = jv_object_set(spec, jv_string("root"), jv_copy(root));
	jv splits = jv_object();
	jv err = jv_invalid();
	static const char *const split_names[] = { "train", "val", "test" };
	for (int s = 0; s < 3; s++) {
		jv value = jv_object_get(jv_copy(doc), jv_string(split_names[s]));
		if (s == 1 && !jv_is_valid(value))  /* Ultralytics reads validation: as val: */
			value = jv_object_get(jv_copy(doc), jv_string("validation"));
		if (jv_get_kind(value) == JV_KIND_NULL || !jv_is_valid(value)) {
			jv_free(value);
			continue;
		}
		jv paths = split_paths(value, jv_string_value(root), yaml_path, split_names[s]);
		if (!jv_is_valid(paths)) {
			err = paths;
			break;
		}
		splits = jv_object_set(splits, jv_string(split_names[s]), paths);
	}
	spec = jv_object_set(spec, jv_string("splits"), splits);

	jv names = jv_object_get(jv_copy(doc), jv_string("names"));
	jv nc = jv_object_get(jv_copy(doc), jv_string("nc"));
	if (jv_invalid_has_msg(jv_copy(err))) {
		jv_free(names);
	} else if (jv_get_kind(names) == JV_KIND_NULL || !jv_is_valid(names)) {
		jv_free(names);
		if (jv_get_kind(nc) == JV_KIND_NUMBER && jv_number_value(nc) >= 1 && jv_number_value(nc) <= 100000) {
			/* nc without names: class_0, class_1, ... as Ultralytics does */
			jv list = jv_array();
			for (int i = 0; i < (int)jv_number_value(nc); i++)
				list = jv_array_append(list, jv_string_fmt("class_%d", i));
			spec = jv_object_set(spec, jv_string("names"), list);
		}
	} else {
		names = names_list(names, yaml_path);
		if (!jv_is_valid(names))
			err = names;
		else if (jv_get_kind(nc) == JV_KIND_NUMBER && jv_number_value(nc) != jv_array_length(jv_copy(names))) {
			err = jv_invalid_with_msg(jv_string_fmt("%s: nc is %g but names lists %d classes", yaml_path,
				jv_number_value(nc), jv_array_length(jv_copy(names))));
			jv_free(names);
		} else {
			spec = jv_object_set(spec, jv_string("names"), names);
		}
	}
	jv_free(nc);

	static const char *const passed[] = { "kpt_shape", "flip_idx", "download" };
	for (int i = 0; i < 3; i++) {
		jv value = jv_object_get(jv_copy(doc), jv_string(passed[i]));
		spec = jv_object_set(spec, jv_string(passed[i]), jv_is_valid(value) ? value : jv_null());
	}
	jv kpt = jv_object_get(jv_copy(spec), jv_string("kpt_shape"));
	if (jv_get_kind(kpt) != JV_KIND_NULL && !jv_invalid_has_msg(jv_copy(err))) {
		bool fits = jv_get_kind(kpt) == JV_KIND_ARRAY && jv_array_length(jv_copy(kpt)) == 2;
		for (int i = 0; fits && i < 2; i++) {
			jv x = jv_array_get(jv_copy(kpt), i);
			double d = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x) : -1;
			fits = d >= 1 && d <= 1000 && d == (int)d && (i == 0 || d == 2 || d == 3);
			jv_free(x);
		}
		if (!fits)
			err = jv_invalid_with_msg(jv_string_fmt("%s: kpt_shape must be [keypoints, 2 or 3]", yaml_path));
	}
	spec = jv_object_set(spec, jv_string("task"), jv_get_kind(kpt) == JV_KIND_ARRAY ? jv_string("pose") : jv_null());
	jv_free(kpt);
	jv_free(doc);
	jv_free(yaml);
	jv_free(root);
	if (jv_invalid_has_msg(jv_copy(err))) {
		jv_free(spec);
		return err;
	}
	return spec;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Subfolders of dir, sorted: the classes of a classification split. */
static jv subfolders(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return jv_array();
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (!is_dir(path))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			char **grown = realloc(names, sizeof *names * cap);
			if (!grown)
				break;
			names = grown;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, compare_names);
	jv list = jv_array();
	for (size_t i = 0; i < n; i++) {
		list = jv_array_append(list, jv_string(names[i]));
		free(names[i]);
	}
	free(names);
	return list;
}

/* train/<class>/..., val/ (or validation/ or valid/) and test/ likewise. */
static jv from_class_tree(const char *dir)
{
	jv root = absolute(dir);
	const char *r = jv_string_value(root);
	jv splits = jv_object();
	static const char *const folders[][2] = {
		{ "train", "train" }, { "val", "val" }, { "val", "validation" }, { "val", "valid" }, { "test", "test" },
	};
	for (int i = 0; i < 5; i++) {
		jv path = jv_string_fmt("%s/%s", r, folders[i][1]);
		if (is_dir(jv_string_value(path)) && !jv_object_has(jv_copy(splits), jv_string(folders[i][0])))
			splits = jv_object_set(splits, jv_string(folders[i][0]), jv_array_append(jv_array(), path));
		else
			jv_free(path);
	}
	jv train = jv_string_fmt("%s/train", r);
	jv spec = jv_object_set(jv_object(), jv_string("yaml"), jv_null());
	spec = jv_object_set(spec, jv_string("root"), root);
	spec = jv_object_set(spec, jv_string("splits"), splits);
	spec = jv_object_set(spec, jv_string("names"), subfolders(jv_string_value(train)));
	spec = jv_object_set(spec, jv_string("kpt_shape"), jv_null());
	spec = jv_object_set(spec, jv_string("flip_idx"), jv_null());
	spec = jv_object_set(spec, jv_string("download"), jv_null());
	spec = jv_object_set(spec, jv_string("task"), jv_string("classify"));
	jv_free(train);
	return spec;
}

/* The dataset YAML in a folder: data.yaml, else the only *.yaml there. */
static jv yaml_in(const char *dir)
{
	jv data = jv_string_fmt("%s/data.yaml", dir);
	struct stat st;
	if (stat(jv_string_value(data), &st) == 0)
		return data;
	jv_free(data);
	DIR *d = opendir(dir);
	if (!d)
		return jv_invalid_with_msg(jv_string_fmt("%s: %s", dir, strerror(errno)));
	jv found = jv_array();
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 5 && (!strcmp(e->d_name + len - 5, ".yaml") || !strcmp(e->d_name + len - 4, ".yml")))
			found = jv_array_append(found, jv_string_fmt("%s/%s", dir, e->d_name));
	}
	closedir(d);
	int n = jv_array_length(jv_copy(found));
	if (n == 1) {
		jv only = jv_array_get(jv_copy(found), 0);
		jv_free(found);
		return only;
	}
	jv_free(found);
	if (n > 1)
		return jv_invalid_with_msg(jv_string_fmt("%s holds %d YAML files; name the dataset's YAML, or call it data.yaml", dir, n));
	return jv_null();
}

jv ul_dataset_spec_load(const char *path)
{
	if (!is_dir(path))
		return from_yaml(path, NULL);
	jv yaml = yaml_in(path);
	if (jv_get_kind(yaml) == JV_KIND_STRING) {
		jv spec = from_yaml(jv_string_value(yaml), NULL);
		jv_free(yaml);
		return spec;
	}
	if (!jv_is_valid(yaml))
		return yaml;
	jv train = jv_string_fmt("%s/train", path);
	bool tree = is_dir(jv_string_value(train));
	jv_free(train);
	if (tree)
		return from_class_tree(path);
	return jv_invalid_with_msg(jv_string_fmt("%s has no dataset YAML and no train/ folder", path));
}

jv ul_dataset_spec_load_at(const char *yaml, const char *root)
{
	return from_yaml(yaml, root);
}

bool ul_dataset_spec_missing(jv spec)
{
	jv splits = jv_object_get(jv_copy(spec), jv_string("splits"));
	bool missing = false;
	jv_object_foreach(splits, name, paths) {
		jv_array_foreach(paths, i, path) {
			struct stat st;
			missing |= stat(jv_string_value(path), &st) != 0;
			jv_free(path);
		}
		jv_free(name);
		jv_free(paths);
	}
	jv_free(splits);
	return missing;
}

jv ul_dataset_split(jv dataset, const char *split)
{
	jv yaml = jv_object_get(jv_copy(dataset), jv_string("yaml")), root = jv_object_get(jv_copy(dataset), jv_string("root"));
	jv spec = jv_get_kind(root) != JV_KIND_STRING ? jv_invalid_with_msg(jv_string("the dataset record has no root"))
		: jv_get_kind(yaml) == JV_KIND_STRING ? ul_dataset_spec_load_at(jv_string_value(yaml), jv_string_value(root))
		: ul_dataset_spec_load(jv_string_value(root));
	jv_free(yaml), jv_free(root);
	if (!jv_is_valid(spec))
		return spec;
	jv entries = jv_object_get(jv_object_get(spec, jv_string("splits")), jv_string(split));
	if (jv_get_kind(entries) == JV_KIND_ARRAY)
		return entries;
	jv_free(entries);
	return jv_invalid_with_msg(jv_string_fmt("the dataset has no %s split", split));
}
