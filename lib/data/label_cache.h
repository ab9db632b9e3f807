/* What a scan found for each image, kept under $UL_HOME/cache/labels/ so a
 * second scan of the same files reads one small file instead of every
 * image header and label file.
 *
 * A cache is for one split and one set of label rules (its name) and is
 * used only when its fingerprint, made from every image's and label file's
 * path, size and modification time, still matches. */
#ifndef UL_DATA_LABEL_CACHE_H
#define UL_DATA_LABEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ul_image_kind {
	UL_IMAGE_LABELED,     /* usable, with labels */
	UL_IMAGE_BACKGROUND,  /* usable, no labels */
	UL_IMAGE_CORRUPT,     /* the image does not decode: left out */
	UL_IMAGE_BAD_LABEL,   /* its label file breaks the rules: left out */
};

struct ul_image_result {
	uint8_t kind;           /* enum ul_image_kind */
	uint8_t jpeg_truncated;
	int32_t instances, duplicates, out_of_range, bad_line;
	char problem[160];      /* for CORRUPT and BAD_LABEL */
};

/* FNV-1a, 64 bits: a fingerprint, not a defence against tampering. */
uint64_t ul_fnv1a(uint64_t hash, const void *bytes, size_t n);
#define UL_FNV1A_START 0xcbf29ce484222325ull

/* Fills out[0..n) from the cache called name when it holds n results for
 * this fingerprint; false otherwise (missing, stale, damaged). */
bool ul_label_cache_load(uint64_t name, uint64_t fingerprint, size_t n, struct ul_image_result *out);

/* Writes the cache, replacing it whole (a temporary file renamed), or
 * silently leaves it: a cache that cannot be written only costs time. */
void ul_label_cache_save(uint64_t name, uint64_t fingerprint, size_t n, const struct ul_image_result *results);

#endif
