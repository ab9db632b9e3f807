/* What the loader needs to batch a classification split: each image's
 * class, from the folder it is in, and the images in the order torchvision's
 * ImageFolder lists them (by class, then by path), the order Ultralytics'
 * fraction takes its leading part of. */
#ifndef UL_DATA_CLASSIFY_BATCH_H
#define UL_DATA_CLASSIFY_BATCH_H

#include <jv.h>

#include "data/split_files.h"

/* The folder an image is in, its class's name, into buf. */
const char *ul_class_folder(const char *image, char *buf, size_t cap);

/* Gives each of the split's images (paths, sorted) its class: the index of
 * its folder's name in names (borrowed: the dataset record's "names", an
 * object of "0", "1", ... or an array), or when names is neither, in the
 * sorted names of the folders the images are in (ImageFolder's classes of
 * the split itself). Images whose folder is no class leave paths and are
 * named in *skipped ({"path", "problem"}); the rest are put in ImageFolder's
 * order, their classes in *cls (malloc'ed, one per path left). 0, or -1
 * when out of memory. */
int ul_classify_classes(struct ul_paths *paths, jv names, int **cls, jv *skipped);

#endif
