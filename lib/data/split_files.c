#include "data/split_files.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/image_probe.h"

void ul_paths_add(struct ul_paths *p, const char *path)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		char **grown = realloc(p->items, sizeof *grown * cap);
		if (!grown)
			return;
		p->items = grown;
		p->cap = cap;
	}
	char *copy = strdup(path);
	if (copy)
		p->items[p->n++] = copy;
}

void ul_paths_free(struct ul_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i]);
	free(p->items);
	memset(p, 0, sizeof *p);
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folders already walked, so a link back up (loop -> .) is walked once. */
struct visited {
	dev_t dev[64];
	ino_t ino[64];
	int n;
};

static bool first_visit(struct visited *v, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return false;
	for (int i = 0; i < v->n; i++)
		if (v->dev[i] == st.st_dev && v->ino[i] == st.st_ino)
			return false;
	if (v->n == 64)
		return false;  /* deeper than any dataset goes */
	v->dev[v->n] = st.st_dev;
	v->ino[v->n++] = st.st_ino;
	return true;
}

/* Every image below dir, depth first; hidden entries skipped. visited
 * holds the folders on the way down. */
static void walk_tree(const char *dir, struct ul_paths *out, struct visited *visited)
{
	int mark = visited->n;
	DIR *d = first_visit(visited, dir) ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *e;
	struct ul_paths subdirs = { 0 };
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		bool is_dir = e->d_type == DT_DIR, is_file = e->d_type == DT_REG;
		if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
			struct stat st;
			if (stat(path, &st) == 0) {
				is_dir = S_ISDIR(st.st_mode);
				is_file = S_ISREG(st.st_mode);
			}
		}
		if (is_dir)
			ul_paths_add(&subdirs, path);
		else if (is_file && ul_image_extension(e->d_name))
			ul_paths_add(out, path);
	}
	closedir(d);
	for (size_t i = 0; i < subdirs.n; i++)
		walk_tree(subdirs.items[i], out, visited);
	ul_paths_free(&subdirs);
	visited->n = mark;  /* siblings may be reached twice; only ancestors make a loop */
}

static void walk(const char *dir, struct ul_paths *out)
{
	struct visited visited = { .n = 0 };
	walk_tree(dir, out, &visited);
}

/* The image paths listed in a .txt file; relative ones from its folder. */
static void read_list(const char *file, struct ul_paths *out)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return;
	char folder[PATH_MAX];
	snprintf(folder, sizeof folder, "%s", file);
	*strrchr(folder, '/') = '\0';
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (len == 0 || !ul_image_extension(line))
			continue;
		char path[PATH_MAX];
		const char *name = line[0] == '.' && line[1] == '/' ? line + 2 : line;
		int n = name[0] == '/' ? snprintf(path, sizeof path, "%s", name)
			: snprintf(path, sizeof path, "%s/%s", folder, name);
		if (n < (int)sizeof path)
			ul_paths_add(out, path);
	}
	free(line);
	fclose(f);
}

void ul_label_path(const char *image, char *out, size_t cap)
{
	const char *at = NULL;
	for (const char *p = strstr(image, "/images/"); p; p = strstr(p + 1, "/images/"))
		at = p;
	if (at)
		snprintf(out, cap, "%.*s/labels/%s", (int)(at - image), image, at + 8);
	else
		snprintf(out, cap, "%s", image);
	char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
	if (dot && (!slash || dot > slash))
		*dot = '\0';
	strncat(out, ".txt", cap - strlen(out) - 1);
}

int ul_split_entry(const char *path, struct ul_paths *out)
{
	struct stat st;
	size_t len = strlen(path);
	if (stat(path, &st) != 0)
		return UL_SPLIT_MISSING;
	if (S_ISDIR(st.st_mode))
		walk(path, out);
	else if (len > 4 && !strcmp(path + len - 4, ".txt"))
		read_list(path, out);
	else if (ul_image_extension(path))
		ul_paths_add(out, path);
	else
		return UL_SPLIT_NOT_IMAGES;
	return 0;
}

void ul_paths_sort(struct ul_paths *p)
{
	if (p->n > 1)
		qsort(p->items, p->n, sizeof *p->items, compare_paths);
}
