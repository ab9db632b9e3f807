/* cache=disk: images decoded and resized once, kept as raw RGB under
 * $UL_HOME/cache/images/, so later epochs and later runs read bytes instead
 * of decoding (Ultralytics keeps .npy files beside the images; ours stay
 * in the state directory, and the dataset's folders are never written).
 *
 * An entry is named for the image's path, size, modification time and the
 * imgsz it was resized for; it holds a small header (magic, width, height)
 * and the pixels, written aside and renamed, so a crash or a full disk
 * leaves no half entry. An entry that does not read back whole is ignored
 * and rewritten. */
#ifndef UL_DATA_IMAGE_CACHE_H
#define UL_DATA_IMAGE_CACHE_H

#include "data/decode.h"

/* The image at path as load_image makes it (long side to imgsz), from the
 * cache, or decoded and then cached; a cache that cannot be written costs
 * only time. 0, or -1 with a message in *err. */
int ul_image_cache_load(const char *path, int imgsz, struct ul_image *out, jv *err);

#endif
