#include "data/image_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/home.h"
#include "data/label_cache.h"
#include "data/letterbox.h"

#define MAGIC 0x31676d69636c75ull  /* "ulcimg1" */

struct header {
	uint64_t magic;
	int32_t w, h;
};

/* The entry's path for this image, or "" when the state directory is
 * unusable. */
static void entry_path(const char *image, const struct stat *st, int imgsz, char *out, size_t cap)
{
	uint64_t key = ul_fnv1a(UL_FNV1A_START, image, strlen(image));
	int64_t facts[3] = { (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec, imgsz };
	key = ul_fnv1a(key, facts, sizeof facts);
	jv dir = ul_home_path("cache/images");
	out[0] = '\0';
	if (jv_is_valid(dir) && ul_mkdirs(jv_string_value(dir), 0700) == 0)
		snprintf(out, cap, "%s/%016llx.rgb", jv_string_value(dir), (unsigned long long)key);
	jv_free(dir);
}

static int read_entry(const char *path, struct ul_image *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	struct header h;
	int rc = -1;
	if (fread(&h, sizeof h, 1, f) == 1 && h.magic == MAGIC && h.w > 0 && h.h > 0 &&
	    (long)h.w * h.h <= UL_IMAGE_MAX_PIXELS) {
		size_t bytes = (size_t)h.w * h.h * 3;
		out->rgb = malloc(bytes);
		if (out->rgb && fread(out->rgb, 1, bytes, f) == bytes && fgetc(f) == EOF)
			out->w = h.w, out->h = h.h, rc = 0;
		else
			free(out->rgb), out->rgb = NULL;
	}
	fclose(f);
	return rc;
}

static void write_entry(const char *path, const struct ul_image *img)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return;
	struct header h = { MAGIC, img->w, img->h };
	size_t bytes = (size_t)img->w * img->h * 3;
	bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(img->rgb, 1, bytes, f) == bytes;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
}

int ul_image_cache_load(const char *path, int imgsz, struct ul_image *out, jv *err)
{
	*out = (struct ul_image){ 0 };
	struct stat st;
	char entry[4096] = "";
	if (stat(path, &st) == 0)
		entry_path(path, &st, imgsz, entry, sizeof entry);
	if (entry[0] && read_entry(entry, out) == 0)
		return 0;
	struct ul_image raw;
	if (ul_image_decode(path, &raw, err))
		return -1;
	int rc = ul_image_long_side(&raw, imgsz, out);
	ul_image_free(&raw);
	if (rc)
		return ul_invalid(err, "%s: out of memory resizing", path);
	if (entry[0])
		write_entry(entry, out);
	return 0;
}
