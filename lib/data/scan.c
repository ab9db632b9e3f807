#include "data/scan.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/signals.h"
#include "data/classify_batch.h"
#include "data/image_probe.h"
#include "data/label_cache.h"
#include "data/split_files.h"

struct split_count {
	int images, labeled, background, instances, corrupt, duplicates, bad_labels, out_of_range;
};

struct scan {
	jv problems;
	int problem_count;
	bool invalid;  /* a problem that makes the dataset not ready */
};

static void problem(struct scan *sc, bool fatal, const char *split, const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void problem(struct scan *sc, bool fatal, const char *split, const char *path, int line, const char *fmt, ...)
{
	sc->invalid |= fatal;
	if (sc->problem_count++ >= UL_SCAN_MAX_PROBLEMS)
		return;
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	jv p = jv_object_set(jv_object(), jv_string("level"), jv_string(fatal ? "error" : "warning"));
	p = jv_object_set(p, jv_string("message"), jv_string(message));
	if (split)
		p = jv_object_set(p, jv_string("split"), jv_string(split));
	if (path)
		p = jv_object_set(p, jv_string("path"), jv_string(path));
	if (line)
		p = jv_object_set(p, jv_string("line"), jv_number(line));
	sc->problems = jv_array_append(sc->problems, p);
}

/* The images of one split, from its folders, list files and image files. */
static void split_images(jv paths, const char *split, struct ul_paths *out, struct scan *sc)
{
	jv_array_foreach(paths, i, item) {
		const char *path = jv_string_value(item);
		int rc = ul_split_entry(path, out);
		if (rc == UL_SPLIT_MISSING)
			problem(sc, true, split, path, 0, "%s: no such file or folder", path);
		else if (rc == UL_SPLIT_NOT_IMAGES)
			problem(sc, true, split, path, 0, "%s is neither a folder, an image nor a .txt list of images", path);
		jv_free(item);
	}
	jv_free(paths);
	ul_paths_sort(out);
}

/* A classification split keeps each image in a folder named for its class. */
static bool looks_like_class_tree(jv paths, const struct ul_paths *images)
{
	if (images->n == 0)
		return false;
	char label[PATH_MAX];
	for (size_t i = 0; i < images->n && i < 64; i++) {
		ul_label_path(images->items[i], label, sizeof label);
		struct stat st;
		if (stat(label, &st) == 0)
			return false;
	}
	/* every image sits exactly one folder below a split folder */
	for (size_t i = 0; i < images->n; i++) {
		const char *img = images->items[i];
		bool found = false;
		jv_array_foreach(paths, k, root) {
			size_t n = (size_t)jv_string_length_bytes(jv_copy(root));
			const char *rest = img + n;
			if (!found && !strncmp(img, jv_string_value(root), n) && rest[0] == '/') {
				const char *slash = strchr(rest + 1, '/');
				found = slash && !strchr(slash + 1, '/');
			}
			jv_free(root);
		}
		if (!found)
			return false;
	}
	return true;
}

/* The task the labels' shapes point to: polygons of 4 corners everywhere are
 * oriented boxes, other polygons segments, boxes detection. */
static enum ul_task guess_task(const struct ul_paths *images, int nc)
{
	struct ul_label_rules look = { .task = UL_TASK_UNKNOWN, .nc = nc };
	int boxes = 0, polygons = 0, corners = 0;
	char label[PATH_MAX];
	for (size_t i = 0; i < images->n && i < 200; i++) {
		ul_label_path(images->items[i], label, sizeof label);
		size_t len;
		char *text = ul_read_file(label, &len);
		if (!text)
			continue;
		struct ul_label_check c;
		ul_labels_check(text, len, &look, &c);
		boxes += c.box_lines, polygons += c.polygon_lines, corners += c.corner_lines;
		free(text);
	}
	if (polygons > 0 && polygons == corners && boxes == 0)
		return UL_TASK_OBB;
	if (polygons > 0)
		return UL_TASK_SEGMENT;
	return UL_TASK_DETECT;
}

/* Looks at one image and its label file: what a cache remembers. */
static void examine(const char *image, const struct ul_label_rules *rules, struct ul_image_result *res)
{
	memset(res, 0, sizeof *res);
	struct ul_image_info info;
	if (!ul_image_probe(image, &info)) {
		res->kind = UL_IMAGE_CORRUPT;
		snprintf(res->problem, sizeof res->problem, "%s", info.problem);
		return;
	}
	res->jpeg_truncated = info.jpeg_truncated;
	res->kind = UL_IMAGE_BACKGROUND;
	if (rules->task == UL_TASK_CLASSIFY)
		return;  /* the class is its folder, checked by tally() */
	char label[PATH_MAX];
	ul_label_path(image, label, sizeof label);
	size_t len;
	char *text = ul_read_file(label, &len);
	if (!text)
		return;
	struct ul_label_check c;
	ul_labels_check(text, len, rules, &c);
	free(text);
	if (c.bad_line) {
		res->kind = UL_IMAGE_BAD_LABEL;
		res->bad_line = c.bad_line;
		snprintf(res->problem, sizeof res->problem, "%s", c.problem);
		return;
	}
	res->duplicates = c.duplicates;
	res->out_of_range = c.out_of_range;
	res->instances = c.instances;
	if (c.instances > 0)
		res->kind = UL_IMAGE_LABELED;
}

/* Adds one image's result to its split's counts and the problems.
 * classes: for classify, the class names as an object's keys (hashed). */
static void tally(const char *image, const char *split, const struct ul_image_result *res,
		  const struct ul_label_rules *rules, jv classes, struct split_count *count, struct scan *sc)
{
	count->images++;
	if (res->kind == UL_IMAGE_CORRUPT) {
		count->corrupt++;
		problem(sc, false, split, image, 0, "corrupt image, left out: %s", res->problem);
		return;
	}
	if (res->jpeg_truncated)
		problem(sc, false, split, image, 0, "JPEG without its end marker; it decodes with a grey tail");
	if (rules->task == UL_TASK_CLASSIFY) {
		char folder[PATH_MAX];
		const char *cls = ul_class_folder(image, folder, sizeof folder);
		if (!jv_object_has(jv_copy(classes), jv_string(cls))) {
			count->corrupt++;
			problem(sc, true, split, image, 0, "folder '%s' is not one of the dataset's class names", cls);
			return;
		}
		count->labeled++;
		count->instances++;
		return;
	}
	char label[PATH_MAX];
	if (res->kind == UL_IMAGE_BAD_LABEL) {
		ul_label_path(image, label, sizeof label);
		count->corrupt++;
		count->bad_labels++;
		problem(sc, false, split, label, res->bad_line, "%s:%d: %s; the image is left out", label, res->bad_line,
			res->problem);
		return;
	}
	count->duplicates += res->duplicates;
	count->out_of_range += res->out_of_range;
	if (res->duplicates) {
		ul_label_path(image, label, sizeof label);
		problem(sc, false, split, label, 0, "%s: %d duplicate label lines dropped", label, res->duplicates);
	}
	if (res->kind == UL_IMAGE_BACKGROUND) {
		count->background++;
		return;
	}
	count->labeled++;
	count->instances += res->instances;
}

/* The cache's fingerprint of a split: every image's and label file's path,
 * size and modification time. */
static uint64_t fingerprint(const struct ul_paths *images, bool with_labels)
{
	uint64_t h = UL_FNV1A_START;
	char label[PATH_MAX];
	for (size_t i = 0; i < images->n; i++) {
		for (int k = 0; k < (with_labels ? 2 : 1); k++) {
			const char *path = images->items[i];
			if (k == 1) {
				ul_label_path(path, label, sizeof label);
				path = label;
			}
			struct stat st;
			long long facts[3] = { -1, -1, -1 };
			if (stat(path, &st) == 0) {
				facts[0] = (long long)st.st_size;
				facts[1] = (long long)st.st_mtim.tv_sec;
				facts[2] = (long long)st.st_mtim.tv_nsec;
			}
			h = ul_fnv1a(h, path, strlen(path) + 1);
			h = ul_fnv1a(h, facts, sizeof facts);
		}
	}
	return h;
}

/* The cache's name for a split under these rules. */
static uint64_t cache_name(const char *split, jv paths, const struct ul_label_rules *rules)
{
	uint64_t h = ul_fnv1a(UL_FNV1A_START, split, strlen(split) + 1);
	jv text = jv_dump_string(jv_copy(paths), 0);
	h = ul_fnv1a(h, jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
	jv_free(text);
	return ul_fnv1a(h, rules, sizeof *rules);
}

/* Examines every image of a split, or takes the results from the cache.
 * Returns false when stopped by a signal. */
static bool scan_split(const char *split, jv paths, const struct ul_paths *images, const struct ul_label_rules *rules,
		       jv classes, struct split_count *count, struct scan *sc)
{
	struct ul_image_result *results = calloc(images->n ? images->n : 1, sizeof *results);
	if (!results) {
		problem(sc, true, split, NULL, 0, "out of memory for %zu images", images->n);
		return true;
	}
	uint64_t name = cache_name(split, paths, rules);
	uint64_t print = fingerprint(images, rules->task != UL_TASK_CLASSIFY);
	bool stopped = false;
	if (!ul_label_cache_load(name, print, images->n, results)) {
		for (size_t i = 0; i < images->n && !stopped; i++) {
			examine(images->items[i], rules, &results[i]);
			stopped = ul_stop_requested();
		}
		if (!stopped)
			ul_label_cache_save(name, print, images->n, results);
	}
	for (size_t i = 0; i < images->n && !stopped; i++)
		tally(images->items[i], split, &results[i], rules, classes, count, sc);
	free(results);
	return !stopped;
}

static jv count_object(const struct split_count *c)
{
	jv o = jv_object();
	o = jv_object_set(o, jv_string("images"), jv_number(c->images));
	o = jv_object_set(o, jv_string("labeled"), jv_number(c->labeled));
	o = jv_object_set(o, jv_string("background"), jv_number(c->background));
	o = jv_object_set(o, jv_string("instances"), jv_number(c->instances));
	o = jv_object_set(o, jv_string("corrupt"), jv_number(c->corrupt));
	o = jv_object_set(o, jv_string("duplicates"), jv_number(c->duplicates));
	o = jv_object_set(o, jv_string("bad_labels"), jv_number(c->bad_labels));
	return jv_object_set(o, jv_string("out_of_range"), jv_number(c->out_of_range));
}

jv ul_dataset_scan(jv spec, const struct ul_scan_options *options)
{
	struct scan sc = { .problems = jv_array() };
	static const char *const split_names[] = { "train", "val", "test" };
	jv splits = jv_object_get(jv_copy(spec), jv_string("splits"));
	jv names = jv_object_get(jv_copy(spec), jv_string("names"));
	jv kpt = jv_object_get(jv_copy(spec), jv_string("kpt_shape"));
	jv described = jv_object_get(jv_copy(spec), jv_string("task"));
	struct ul_paths images[3] = { { 0 } };

	for (int s = 0; s < 3; s++) {
		jv paths = jv_object_get(jv_copy(splits), jv_string(split_names[s]));
		if (jv_is_valid(paths))
			split_images(paths, split_names[s], &images[s], &sc);
		else
			jv_free(paths);
	}
	if (!jv_object_has(jv_copy(splits), jv_string("train")))
		problem(&sc, true, NULL, NULL, 0, "the dataset names no train split");

	enum ul_task task = options->task;
	if (task == UL_TASK_UNKNOWN && jv_get_kind(described) == JV_KIND_STRING)
		task = ul_task_from_name(jv_string_value(described));
	if (task == UL_TASK_UNKNOWN) {
		jv train = jv_object_get(jv_copy(splits), jv_string("train"));
		if (jv_is_valid(train) && looks_like_class_tree(train, &images[0]))
			task = UL_TASK_CLASSIFY;
		jv_free(train);
	}
	if (task == UL_TASK_CLASSIFY) {
		/* The classes are the train split's folders, sorted by name (not
		 * in path order: "a-b/" sorts before "a/"), as in Ultralytics,
		 * whatever a YAML says. */
		jv seen = jv_object();
		for (size_t i = 0; i < images[0].n; i++) {
			char folder[PATH_MAX];
			seen = jv_object_set(seen, jv_string(ul_class_folder(images[0].items[i], folder, sizeof folder)), jv_true());
		}
		jv folders = jv_keys(seen);  /* sorted */
		if (jv_get_kind(names) == JV_KIND_ARRAY && !jv_equal(jv_copy(names), jv_copy(folders)))
			problem(&sc, false, NULL, NULL, 0, "the YAML's names differ from the train class folders; the folders are used");
		jv_free(names);
		names = folders;
	}
	int nc = jv_get_kind(names) == JV_KIND_ARRAY ? jv_array_length(jv_copy(names)) : 0;
	if (jv_get_kind(names) != JV_KIND_ARRAY)
		problem(&sc, true, NULL, NULL, 0, "the dataset YAML gives neither names nor nc");
	if (task == UL_TASK_UNKNOWN)
		task = guess_task(&images[0], nc);
	if (task == UL_TASK_POSE && jv_get_kind(kpt) != JV_KIND_ARRAY)
		problem(&sc, true, NULL, NULL, 0, "a pose dataset needs kpt_shape in its YAML");

	struct ul_label_rules rules = { .task = task, .nc = nc };
	if (jv_get_kind(kpt) == JV_KIND_ARRAY) {
		jv k = jv_array_get(jv_copy(kpt), 0), d = jv_array_get(jv_copy(kpt), 1);
		rules.kpt_count = (int)jv_number_value(k);
		rules.kpt_dims = (int)jv_number_value(d);
		jv_free(k), jv_free(d);
	}

	jv counts = jv_object();
	struct split_count totals[3] = { { 0 } };
	jv classes = jv_object();  /* the names as keys, for classify's lookups */
	if (task == UL_TASK_CLASSIFY) {  /* its names are folder names */
		jv_array_foreach(names, i, name)
			classes = jv_object_set(classes, name, jv_number(i));
	}
	bool stopped = false;
	for (int s = 0; s < 3 && !stopped; s++) {
		if (!jv_object_has(jv_copy(splits), jv_string(split_names[s])))
			continue;
		jv paths = jv_object_get(jv_copy(splits), jv_string(split_names[s]));
		stopped = !scan_split(split_names[s], paths, &images[s], &rules, classes, &totals[s], &sc);
		jv_free(paths);
		if (images[s].n == 0)
			problem(&sc, s == 0, split_names[s], NULL, 0, "the %s split has no images", split_names[s]);
		counts = jv_object_set(counts, jv_string(split_names[s]), count_object(&totals[s]));
	}
	for (int s = 0; s < 3; s++)
		ul_paths_free(&images[s]);

	int usable_train = totals[0].images - totals[0].corrupt;
	int usable_eval = totals[1].images - totals[1].corrupt + totals[2].images - totals[2].corrupt;
	int labeled = totals[0].labeled + totals[1].labeled + totals[2].labeled;
	if (usable_train < 1)
		problem(&sc, true, split_names[0], NULL, 0, "no usable train image");
	if (usable_eval < 1)
		problem(&sc, true, NULL, NULL, 0, "no usable val or test image");
	if (labeled < 1)
		problem(&sc, true, NULL, NULL, 0, "no labeled image");

	jv body = jv_object();
	body = jv_object_set(body, jv_string("root"), jv_object_get(jv_copy(spec), jv_string("root")));
	body = jv_object_set(body, jv_string("yaml"), jv_object_get(jv_copy(spec), jv_string("yaml")));
	body = jv_object_set(body, jv_string("task"), jv_string(ul_task_name(task)));
	jv name_map = jv_object();
	if (jv_get_kind(names) == JV_KIND_ARRAY) {
		jv_array_foreach(names, i, name)
			name_map = jv_object_set(name_map, jv_string_fmt("%d", i), name);
	}
	body = jv_object_set(body, jv_string("names"), name_map);
	body = jv_object_set(body, jv_string("nc"), jv_number(nc));
	body = jv_object_set(body, jv_string("kpt_shape"), kpt);
	body = jv_object_set(body, jv_string("flip_idx"), jv_object_get(jv_copy(spec), jv_string("flip_idx")));
	body = jv_object_set(body, jv_string("splits"), counts);
	body = jv_object_set(body, jv_string("status"), jv_string(sc.invalid ? "invalid" : "ready"));
	body = jv_object_set(body, jv_string("problems"), sc.problems);
	body = jv_object_set(body, jv_string("problems_total"), jv_number(sc.problem_count));
	jv_free(names);
	jv_free(classes);
	jv_free(splits);
	jv_free(described);
	jv_free(spec);
	if (stopped) {
		jv_free(body);
		return jv_invalid_with_msg(jv_string("stopped"));
	}
	return body;
}
