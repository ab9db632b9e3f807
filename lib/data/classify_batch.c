#include "data/classify_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ul_class_folder(const char *image, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", image);
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(buf, '/');
	return slash ? slash + 1 : buf;
}

/* {name: index} for the classes: names' own, or the images' folders sorted. */
static jv class_index(const struct ul_paths *paths, jv names)
{
	jv index = jv_object();
	char folder[4096];
	if (jv_get_kind(names) == JV_KIND_ARRAY) {
		jv_array_foreach(names, i, name) {
			if (jv_get_kind(name) == JV_KIND_STRING)
				index = jv_object_set(index, name, jv_number(i));
			else
				jv_free(name);
		}
	} else if (jv_get_kind(names) == JV_KIND_OBJECT) {
		for (int i = 0;; i++) {
			jv name = jv_object_get(jv_copy(names), jv_string_fmt("%d", i));
			if (jv_get_kind(name) != JV_KIND_STRING) {
				jv_free(name);
				break;
			}
			index = jv_object_set(index, name, jv_number(i));
		}
	} else {
		jv seen = jv_object();
		for (size_t i = 0; i < paths->n; i++)
			seen = jv_object_set(seen, jv_string(ul_class_folder(paths->items[i], folder, sizeof folder)), jv_true());
		jv sorted = jv_keys(seen);
		jv_array_foreach(sorted, i, name)
			index = jv_object_set(index, name, jv_number(i));
		jv_free(sorted);
	}
	return index;
}

struct entry {
	char *path;
	int cls;
};

static int by_class(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	return a->cls != b->cls ? (a->cls < b->cls ? -1 : 1) : strcmp(a->path, b->path);
}

int ul_classify_classes(struct ul_paths *paths, jv names, int **cls, jv *skipped)
{
	struct entry *e = malloc(sizeof *e * (paths->n + 1));
	*cls = malloc(sizeof **cls * (paths->n + 1));
	if (!e || !*cls) {
		free(e), free(*cls), *cls = NULL;
		return -1;
	}
	jv index = class_index(paths, names);
	char folder[4096];
	size_t kept = 0;
	for (size_t i = 0; i < paths->n; i++) {
		const char *name = ul_class_folder(paths->items[i], folder, sizeof folder);
		jv k = jv_object_get(jv_copy(index), jv_string(name));
		if (jv_get_kind(k) == JV_KIND_NUMBER) {
			e[kept++] = (struct entry){ paths->items[i], (int)jv_number_value(k) };
		} else {
			jv entry = jv_object_set(jv_object(), jv_string("path"), jv_string(paths->items[i]));
			jv problem = jv_string_fmt("folder '%s' is not one of the dataset's classes", name);
			*skipped = jv_array_append(*skipped, jv_object_set(entry, jv_string("problem"), problem));
			free(paths->items[i]);
		}
		jv_free(k);
	}
	jv_free(index);
	qsort(e, kept, sizeof *e, by_class);
	for (size_t i = 0; i < kept; i++)
		paths->items[i] = e[i].path, (*cls)[i] = e[i].cls;
	paths->n = kept;
	free(e);
	return 0;
}
