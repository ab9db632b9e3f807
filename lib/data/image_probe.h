/* What an image file is, from its header alone: format and size.
 *
 * Scanning a dataset must be fast, so nothing is decoded: a JPEG is walked
 * marker by marker to its frame header, a PNG read to its IHDR chunk, a BMP
 * or WebP to the fields that give the size. A header that does not parse
 * makes the image corrupt, as does a side under 10 pixels (Ultralytics'
 * limit). */
#ifndef UL_DATA_IMAGE_PROBE_H
#define UL_DATA_IMAGE_PROBE_H

#include <stdbool.h>

enum ul_image_format { UL_IMAGE_UNKNOWN, UL_IMAGE_JPEG, UL_IMAGE_PNG, UL_IMAGE_BMP, UL_IMAGE_WEBP };

struct ul_image_info {
	enum ul_image_format format;
	int width, height;
	bool jpeg_truncated;  /* no end-of-image marker: decodes, but with a grey tail */
	char problem[128];    /* why the image is corrupt; empty when it is fine */
};

/* True when the file name has an image extension of Ultralytics' list
 * (case-insensitive): jpg jpeg png bmp webp mpo avif dng heic heif jp2 tif
 * tiff. */
bool ul_image_extension(const char *name);

/* Fills info; returns true when the image is usable, false (with
 * info->problem) when it is not. */
bool ul_image_probe(const char *path, struct ul_image_info *info);

#endif
