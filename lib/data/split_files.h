/* The files of a dataset split: the images a split's entries name (a
 * folder walked for images, a .txt list of them, or one image), and where
 * each image's label file is. The scan and the training loader read a
 * split the same way. */
#ifndef UL_DATA_SPLIT_FILES_H
#define UL_DATA_SPLIT_FILES_H

#include <stddef.h>

/* A growing list of paths. */
struct ul_paths {
	char **items;
	size_t n, cap;
};

void ul_paths_add(struct ul_paths *p, const char *path);
void ul_paths_free(struct ul_paths *p);
void ul_paths_sort(struct ul_paths *p);

enum { UL_SPLIT_MISSING = -1, UL_SPLIT_NOT_IMAGES = -2 };

/* Adds the images of one entry of a split (a folder, below it depth first
 * and hidden entries skipped; a .txt list, relative paths from its
 * folder; an image) to out. 0, or UL_SPLIT_MISSING or UL_SPLIT_NOT_IMAGES. */
int ul_split_entry(const char *path, struct ul_paths *out);

/* Ultralytics' rule: the last /images/ of an image's path becomes
 * /labels/, its extension .txt. */
void ul_label_path(const char *image, char *out, size_t cap);

#endif
