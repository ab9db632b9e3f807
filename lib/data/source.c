#include "data/source.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/home.h"
#include "data/archive.h"
#include "data/dataset_spec.h"
#include "data/label_cache.h"
#include "data/platform.h"
#include "data/shapes.h"
#include "net/download.h"

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

/* $UL_HOME/datasets/NAME, with the datasets folder made. */
static jv datasets_path(const char *name, jv *err)
{
	jv home = ul_home();
	if (!jv_is_valid(home)) {
		jv why = jv_invalid_get_msg(home);
		*err = ul_error_record("io", jv_string_value(why), "set UL_HOME to a folder you can write");
		jv_free(why);
		return jv_invalid();
	}
	jv dir = jv_string_fmt("%s/datasets", jv_string_value(home));
	ul_mkdirs(jv_string_value(dir), 0700);
	jv path = jv_string_fmt("%s/%s", jv_string_value(dir), name);
	jv_free(dir);
	jv_free(home);
	return path;
}

/* The stem of a file name: "coco8.zip" -> "coco8", "a.tar.gz" -> "a". */
static void stem_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	snprintf(out, cap, "%s", slash ? slash + 1 : path);
	char *q = strchr(out, '?');
	if (q)
		*q = '\0';
	char *dot = strchr(out, '.');
	if (dot && dot != out)
		*dot = '\0';
	if (!*out)
		snprintf(out, cap, "dataset");
}

/* The folder inside an unpacked archive that holds the dataset: the
 * archive's top folder when everything sits in one. */
static jv dataset_root(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return jv_string(dir);
	int entries = 0;
	char only[NAME_MAX + 1] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "__MACOSX"))
			continue;
		entries++;
		snprintf(only, sizeof only, "%s", e->d_name);
	}
	closedir(d);
	jv inner = jv_string_fmt("%s/%s", dir, only);
	struct stat st;
	if (entries == 1 && stat(jv_string_value(inner), &st) == 0 && S_ISDIR(st.st_mode))
		return inner;
	jv_free(inner);
	return jv_string(dir);
}

/* Unpacks archive once into $UL_HOME/datasets/STEM-KEY. */
static jv unpack(const char *archive, const char *key, jv *err)
{
	char stem[128], name[160];
	stem_of(archive, stem, sizeof stem);
	snprintf(name, sizeof name, "%s-%08llx", stem,
		 (unsigned long long)(ul_fnv1a(UL_FNV1A_START, key, strlen(key)) & 0xffffffffu));
	jv dest = datasets_path(name, err);
	if (!jv_is_valid(dest))
		return dest;
	if (!exists(jv_string_value(dest))) {
		struct ul_archive_limits limits = { 0 };
		if (ul_archive_extract(archive, jv_string_value(dest), &limits, err) < 0) {
			jv_free(dest);
			return jv_invalid();
		}
	}
	jv root = dataset_root(jv_string_value(dest));
	jv_free(dest);
	return root;
}

/* A local archive's key: its path, size and time, so a changed file is
 * unpacked again. */
static jv unpack_local(const char *path, jv *err)
{
	char real[PATH_MAX], key[PATH_MAX + 64];
	struct stat st;
	if (!realpath(path, real) || stat(real, &st) != 0) {
		*err = ul_error_record("dataset", "cannot read the archive", NULL);
		return jv_invalid();
	}
	snprintf(key, sizeof key, "%s:%lld:%lld", real, (long long)st.st_size, (long long)st.st_mtim.tv_sec);
	return unpack(real, key, err);
}

static jv download(const char *url, const struct ul_source_options *o, jv *err)
{
	char label[80], stem[64];
	stem_of(url, stem, sizeof stem);
	snprintf(label, sizeof label, "downloading %s", stem);
	struct ul_download d = { .url = url, .sha256 = o->sha256, .max_bytes = o->max_bytes, .progress_label = label };
	return ul_download_cached(&d, err);
}

static jv from_url(const char *url, const struct ul_source_options *o, jv *err)
{
	jv file = download(url, o, err);
	if (!jv_is_valid(file) || !ul_archive_detect(jv_string_value(file)))
		return file;
	jv root = unpack(jv_string_value(file), url, err);
	jv_free(file);
	return root;
}

static jv shapes(const struct ul_source_options *o, jv *err)
{
	struct ul_shapes s;
	ul_shapes_defaults(&s);
	s.task = ul_task_name(o->task == UL_TASK_UNKNOWN ? UL_TASK_DETECT : o->task);
	s.train = o->shapes_count;
	s.val = o->shapes_count / 4 > 0 ? o->shapes_count / 4 : 1;
	s.imgsz = o->shapes_imgsz;
	s.seed = o->shapes_seed;
	char name[128];
	snprintf(name, sizeof name, "shapes-%s-%d-%d-%d-%u", s.task, s.train, s.val, s.imgsz, s.seed);
	jv dir = datasets_path(name, err);
	if (!jv_is_valid(dir))
		return dir;
	s.dir = jv_string_value(dir);
	if (!exists(s.dir) && ul_shapes_generate(&s, err) < 0) {
		jv_free(dir);
		return jv_invalid();
	}
	return dir;
}

jv ul_source_resolve(const char *data, const struct ul_source_options *o, jv *err)
{
	if (!strcmp(data, "shapes"))
		return shapes(o, err);
	if (!strncmp(data, "ul://", 5))
		return ul_platform_fetch(data, err);
	if (is_url(data))
		return from_url(data, o, err);
	if (!exists(data)) {
		char message[PATH_MAX + 64];
		snprintf(message, sizeof message, "%s: no such file or folder", data);
		*err = ul_error_record("dataset", message,
			"name a dataset YAML, a folder, an archive, a URL, ul://OWNER/datasets/NAME or shapes");
		return jv_invalid();
	}
	struct stat st;
	if (stat(data, &st) == 0 && S_ISREG(st.st_mode) && ul_archive_detect(data))
		return unpack_local(data, err);
	return jv_string(data);
}

jv ul_source_complete(jv spec, const struct ul_source_options *o, jv *err)
{
	jv url = jv_object_get(jv_copy(spec), jv_string("download"));
	jv yaml = jv_object_get(jv_copy(spec), jv_string("yaml"));
	if (jv_get_kind(url) != JV_KIND_STRING || jv_get_kind(yaml) != JV_KIND_STRING || !ul_dataset_spec_missing(spec)) {
		jv_free(url);
		jv_free(yaml);
		return spec;
	}
	jv out = jv_invalid();
	if (!is_url(jv_string_value(url))) {
		*err = ul_error_record("dataset", "the dataset's files are missing and its download: is a script",
			"ul-fetch runs no download scripts: fetch the files by hand, or point download: at an archive URL");
	} else {
		jv root = from_url(jv_string_value(url), o, err);
		if (jv_is_valid(root)) {
			out = ul_dataset_spec_load_at(jv_string_value(yaml), jv_string_value(root));
			if (!jv_is_valid(out)) {
				jv why = jv_invalid_get_msg(out);
				*err = ul_error_record("dataset", jv_string_value(why), NULL);
				jv_free(why);
				out = jv_invalid();
			}
		}
		jv_free(root);
	}
	jv_free(url);
	jv_free(yaml);
	jv_free(spec);
	return out;
}
