#include "data/platform.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/platform_env.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/home.h"
#include "data/label_cache.h"
#include "net/download.h"

#define EXPORT_MAX_LINE (64 << 20)
#define PARALLEL_DOWNLOADS 8

static jv fail(jv *err, const char *code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static jv fail(jv *err, const char *code, const char *hint, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	*err = ul_error_record(code, message, hint);
	return jv_invalid();
}

/* A name that is safe as one path component. */
static bool plain_name(const char *s)
{
	return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') && strlen(s) < 200;
}

/* The export's lines as JSON values; the file's FNV-1a in *hash. */
static jv read_export(const char *path, uint64_t *hash, jv *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, "io", NULL, "%s: %s", path, strerror(errno));
	jv lines = jv_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long no = 0;
	*hash = UL_FNV1A_START;
	while ((len = getline(&line, &cap, f)) > 0) {
		no++;
		*hash = ul_fnv1a(*hash, line, (size_t)len);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		jv value = len < EXPORT_MAX_LINE ? jv_parse_sized(line, (int)len) : jv_invalid();
		if (jv_get_kind(value) != JV_KIND_OBJECT) {
			jv_free(value);
			jv_free(lines);
			free(line);
			fclose(f);
			return fail(err, "dataset", NULL, "line %ld of the dataset export is not a JSON object", no);
		}
		lines = jv_array_append(lines, value);
	}
	free(line);
	fclose(f);
	if (jv_array_length(jv_copy(lines)) < 2) {
		jv_free(lines);
		return fail(err, "dataset", NULL, "the dataset export holds no images");
	}
	return lines;
}

struct build {
	const char *dir;       /* the folder being built */
	const char *task;
	jv names;              /* class id as a string -> name */
	bool has_val;
	struct ul_download *downloads;
	size_t n;
	long train_seen, train_total;
};

/* One annotation row as a label line: its numbers joined by spaces. */
static bool write_rows(const char *path, jv rows)
{
	FILE *f = fopen(path, "w");
	bool ok = f != NULL;
	if (jv_get_kind(rows) == JV_KIND_ARRAY) {
		jv_array_foreach(rows, i, row) {
			ok = ok && jv_get_kind(row) == JV_KIND_ARRAY;
			if (ok) {
				jv_array_foreach(row, k, x) {
					ok = ok && jv_get_kind(x) == JV_KIND_NUMBER;
					if (ok)
						fprintf(f, "%s%.10g", k ? " " : "", jv_number_value(x));
					jv_free(x);
				}
				fputc('\n', f);
			}
			jv_free(row);
		}
	}
	jv_free(rows);
	if (f && fclose(f) != 0)
		ok = false;
	return ok;
}

/* The annotation list for the task, else the first one there is. */
static jv rows_for(jv ann, const char *task)
{
	static const char *const keys[][2] = { { "detect", "boxes" }, { "segment", "segments" }, { "pose", "pose" }, { "obb", "obb" } };
	if (jv_get_kind(ann) != JV_KIND_OBJECT) {
		jv_free(ann);
		return jv_array();
	}
	for (int k = 0; k < 4; k++) {
		if (!strcmp(task, keys[k][0]) && jv_object_has(jv_copy(ann), jv_string(keys[k][1])))
			return jv_object_get(ann, jv_string(keys[k][1]));
	}
	jv rows = jv_array();
	jv_object_foreach(ann, key, value) {
		if (jv_get_kind(value) == JV_KIND_ARRAY && jv_array_length(jv_copy(rows)) == 0) {
			jv_free(rows);
			rows = jv_copy(value);
		}
		jv_free(key);
		jv_free(value);
	}
	jv_free(ann);
	return rows;
}

/* Lays out one image line: its label file now, its download for later. */
static bool add_image(struct build *b, jv line, long no, jv *err)
{
	jv split = jv_object_get(jv_copy(line), jv_string("split"));
	jv file = jv_object_get(jv_copy(line), jv_string("file"));
	jv url = jv_object_get(jv_copy(line), jv_string("url"));
	jv ann = jv_object_get(line, jv_string("annotations"));
	bool ok = false;
	const char *s = jv_get_kind(split) == JV_KIND_STRING ? jv_string_value(split) : "";
	char dest[PATH_MAX], folder[PATH_MAX];
	if (strcmp(s, "train") && strcmp(s, "val") && strcmp(s, "test")) {
		fail(err, "dataset", NULL, "line %ld of the dataset export: split must be train, val or test", no);
		goto done;
	}
	if (jv_get_kind(file) != JV_KIND_STRING || !plain_name(jv_string_value(file)) || jv_get_kind(url) != JV_KIND_STRING) {
		fail(err, "dataset", NULL, "line %ld of the dataset export: an image needs a plain file name and a url", no);
		goto done;
	}
	/* without a val split, every tenth train image makes one; the last
	 * makes it when there are fewer than ten (and more than one) */
	if (!strcmp(s, "train") && !b->has_val && strcmp(b->task, "classify")) {
		long i = b->train_seen++;
		if (i % 10 == 9 || (b->train_total < 10 && b->train_total > 1 && i == b->train_total - 1))
			s = "val";
	}
	const char *name = jv_string_value(file);
	if (!strcmp(b->task, "classify")) {
		jv ids = jv_get_kind(ann) == JV_KIND_OBJECT ? jv_object_get(jv_copy(ann), jv_string("classification")) : jv_null();
		jv id = jv_get_kind(ids) == JV_KIND_ARRAY && jv_array_length(jv_copy(ids)) > 0 ? jv_array_get(jv_copy(ids), 0) : jv_number(0);
		jv_free(ids);
		if (jv_get_kind(id) != JV_KIND_NUMBER) {
			jv_free(id);
			fail(err, "dataset", NULL, "line %ld of the dataset export: classification must list class ids", no);
			goto done;
		}
		jv cls = jv_object_get(jv_copy(b->names), jv_string_fmt("%d", (int)jv_number_value(id)));
		char safe[256];
		snprintf(safe, sizeof safe, "%s", jv_get_kind(cls) == JV_KIND_STRING ? jv_string_value(cls) : "unnamed");
		for (char *p = safe; *p; p++)
			if (*p == '/')
				*p = '_';
		jv_free(cls);
		jv_free(id);
		snprintf(folder, sizeof folder, "%s/%s/%s", b->dir, s, safe);
	} else {
		char label[PATH_MAX];
		snprintf(folder, sizeof folder, "%s/labels/%s", b->dir, s);
		ul_mkdirs(folder, 0755);
		int n = snprintf(label, sizeof label, "%s/%s", folder, name);
		char *dot = strrchr(label, '.');
		if (dot && dot > label + n - (int)strlen(name))
			*dot = '\0';
		strncat(label, ".txt", sizeof label - strlen(label) - 1);
		if (!write_rows(label, rows_for(jv_copy(ann), b->task))) {
			fail(err, "dataset", NULL, "line %ld of the dataset export: annotations must be lists of numbers", no);
			goto done;
		}
		snprintf(folder, sizeof folder, "%s/images/%s", b->dir, s);
	}
	if (ul_mkdirs(folder, 0755) < 0) {
		fail(err, "io", NULL, "%s: %s", folder, strerror(errno));
		goto done;
	}
	if (snprintf(dest, sizeof dest, "%s/%s", folder, name) >= (int)sizeof dest) {
		fail(err, "dataset", NULL, "line %ld of the dataset export: the path is too long", no);
		goto done;
	}
	b->downloads[b->n++] = (struct ul_download){ .url = strdup(jv_string_value(url)), .dest = strdup(dest) };
	ok = true;
done:
	jv_free(split);
	jv_free(file);
	jv_free(url);
	jv_free(ann);
	return ok;
}

static bool write_yaml(const struct build *b, jv kpt_shape)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/data.yaml", b->dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool classify = !strcmp(b->task, "classify");
	fprintf(f, "# made by ul-fetch from a Platform dataset export\npath: .\n");
	static const char *const splits[] = { "train", "val", "test" };
	for (int i = 0; i < 3; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, classify ? "%s/%s" : "%s/images/%s", b->dir, splits[i]);
		struct stat st;
		if (stat(dir, &st) == 0)
			fprintf(f, classify ? "%s: %s\n" : "%s: images/%s\n", splits[i], splits[i]);
	}
	if (jv_get_kind(kpt_shape) == JV_KIND_ARRAY) {
		jv text = jv_dump_string(jv_copy(kpt_shape), 0);
		fprintf(f, "kpt_shape: %s\n", jv_string_value(text));
		jv_free(text);
	}
	fprintf(f, "names:\n");
	jv_object_foreach(b->names, id, name) {
		jv quoted = jv_dump_string(name, 0);  /* a JSON string is a YAML string */
		fprintf(f, "  %s: %s\n", jv_string_value(id), jv_string_value(quoted));
		jv_free(quoted);
		jv_free(id);
	}
	return fclose(f) == 0;
}

/* Builds the dataset folder from the export's lines, into dir. */
static bool build(const char *dir, jv lines, jv *err)
{
	jv head = jv_array_get(jv_copy(lines), 0);
	jv task = jv_object_get(jv_copy(head), jv_string("task"));
	jv names = jv_object_get(jv_copy(head), jv_string("class_names"));
	jv kpt = jv_object_get(jv_copy(head), jv_string("kpt_shape"));
	int n = jv_array_length(jv_copy(lines)) - 1;
	struct build b = {
		.dir = dir, .task = jv_get_kind(task) == JV_KIND_STRING ? jv_string_value(task) : "detect",
		.names = jv_get_kind(names) == JV_KIND_OBJECT ? jv_copy(names) : jv_object(),
		.downloads = calloc((size_t)n, sizeof *b.downloads),
	};
	/* class ids missing below the largest get a name, as in Ultralytics */
	int top = -1;
	jv_object_keys_foreach(b.names, id) {
		int k = atoi(jv_string_value(id));
		top = k > top ? k : top;
		jv_free(id);
	}
	for (int k = 0; k < top; k++)
		if (!jv_object_has(jv_copy(b.names), jv_string_fmt("%d", k)))
			b.names = jv_object_set(b.names, jv_string_fmt("%d", k), jv_string_fmt("class%d", k));
	for (int i = 1; i <= n; i++) {
		jv split = jv_object_get(jv_array_get(jv_copy(lines), i), jv_string("split"));
		b.has_val |= jv_get_kind(split) == JV_KIND_STRING && !strcmp(jv_string_value(split), "val");
		b.train_total += jv_get_kind(split) == JV_KIND_STRING && !strcmp(jv_string_value(split), "train");
		jv_free(split);
	}
	bool ok = b.downloads != NULL;
	for (int i = 1; ok && i <= n; i++)
		ok = add_image(&b, jv_array_get(jv_copy(lines), i), i + 1, err);
	if (ok) {
		jv failures = jv_array();
		int failed = ul_download_many(b.downloads, b.n, PARALLEL_DOWNLOADS, &failures);
		if (failed) {
			jv first = jv_array_get(jv_copy(failures), 0);
			jv why = jv_object_get(first, jv_string("message"));
			fail(err, "download", NULL, "downloaded %zu of %zu images; first failure: %s", b.n - (size_t)failed, b.n,
			     jv_get_kind(why) == JV_KIND_STRING ? jv_string_value(why) : "unknown");
			jv_free(why);
			ok = false;
		}
		jv_free(failures);
	}
	if (ok && !write_yaml(&b, kpt))
		ok = !jv_is_valid(fail(err, "io", NULL, "%s/data.yaml: cannot write", dir));
	for (size_t i = 0; i < b.n; i++) {
		free((char *)b.downloads[i].url);
		free((char *)b.downloads[i].dest);
	}
	free(b.downloads);
	jv_free(b.names);
	jv_free(head);
	jv_free(task);
	jv_free(names);
	jv_free(kpt);
	return ok;
}

jv ul_platform_fetch(const char *uri, jv *err)
{
	char owner[128], name[128], rest[8];
	if (sscanf(uri, "ul://%127[^/]/datasets/%127[^/]%7s", owner, name, rest) != 2 || !plain_name(owner) || !plain_name(name))
		return fail(err, "usage", "a Platform dataset is named ul://OWNER/datasets/NAME", "%s is not a Platform dataset URI", uri);
	const char *key = ul_platform_key();
	if (!key)
		return fail(err, "unauthorized", "set UL_API_KEY (or ULTRALYTICS_API_KEY) in the environment",
			    "%s needs an API key", uri);
	jv home = ul_home();
	if (!jv_is_valid(home)) {
		jv why = jv_invalid_get_msg(home);
		fail(err, "io", NULL, "%s", jv_string_value(why));
		jv_free(why);
		return jv_invalid();
	}
	jv cache = jv_string_fmt("%s/cache/platform/%s/datasets/%s", jv_string_value(home), owner, name);
	ul_mkdirs(jv_string_value(cache), 0700);
	jv export_file = jv_string_fmt("%s/export.ndjson", jv_string_value(cache));
	jv web = ul_platform_web_url();
	jv endpoint = jv_string_fmt("%s/api/datasets/%s/%s/export", jv_string_value(web), owner, name);
	jv out = jv_invalid();

	/* The export is always fetched again: the dataset may have changed. */
	unlink(jv_string_value(export_file));
	struct ul_download ask = { .url = jv_string_value(endpoint), .dest = jv_string_value(export_file),
				   .bearer_token = key, .no_redirects = true };
	struct ul_download_result res = { 0 };
	if (ul_download_file(&ask, &res, err) == 0) {
		if (jv_get_kind(res.location) == JV_KIND_STRING) {
			/* the signed URL carries its own authority: no key */
			unlink(jv_string_value(export_file));
			struct ul_download get = { .url = jv_string_value(res.location), .dest = jv_string_value(export_file),
						   .progress_label = "downloading the dataset export" };
			struct ul_download_result got = { 0 };
			if (ul_download_file(&get, &got, err) < 0)
				goto done;
			jv_free(got.location);
		}
		uint64_t hash = UL_FNV1A_START;
		jv lines = read_export(jv_string_value(export_file), &hash, err);
		if (!jv_is_valid(lines))
			goto done;
		jv dir = jv_string_fmt("%s/datasets/%s-%s-%08llx", jv_string_value(home), owner, name,
				       (unsigned long long)(hash & 0xffffffffu));
		struct stat st;
		if (stat(jv_string_value(dir), &st) == 0) {
			out = dir;  /* built before from the same export */
		} else {
			jv partial = jv_string_fmt("%s.partial-%ld", jv_string_value(dir), (long)getpid());
			ul_remove_tree(jv_string_value(partial));
			bool built = build(jv_string_value(partial), lines, err);
			if (built && ul_rename_new(jv_string_value(partial), jv_string_value(dir)) == 0) {
				out = dir;
			} else if (built && stat(jv_string_value(dir), &st) == 0) {
				out = dir;  /* another ul-fetch finished the same export first */
				ul_remove_tree(jv_string_value(partial));
			} else {
				if (built)
					fail(err, "io", NULL, "%s: %s", jv_string_value(dir), strerror(errno));
				ul_remove_tree(jv_string_value(partial));
				jv_free(dir);
			}
			jv_free(partial);
		}
		jv_free(lines);
	}
done:
	jv_free(res.location);
	jv_free(endpoint);
	jv_free(web);
	jv_free(export_file);
	jv_free(cache);
	jv_free(home);
	return out;
}
