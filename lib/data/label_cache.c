#include "data/label_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/home.h"

/* File layout: magic "ULLC", version, fingerprint, count; then per image a
 * fixed part and, for images with a problem, its text. */
#define MAGIC "ULLC"
#define VERSION 1u

struct fixed {
	uint8_t kind, jpeg_truncated;
	uint16_t problem_len;
	int32_t instances, duplicates, out_of_range, bad_line;
};

uint64_t ul_fnv1a(uint64_t hash, const void *bytes, size_t n)
{
	const unsigned char *p = bytes;
	for (size_t i = 0; i < n; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ull;
	}
	return hash;
}

static jv cache_path(uint64_t name)
{
	jv home = ul_home();
	if (!jv_is_valid(home))
		return home;
	jv dir = jv_string_fmt("%s/cache/labels", jv_string_value(home));
	ul_mkdirs(jv_string_value(dir), 0700);
	jv path = jv_string_fmt("%s/%016llx", jv_string_value(dir), (unsigned long long)name);
	jv_free(dir);
	jv_free(home);
	return path;
}

bool ul_label_cache_load(uint64_t name, uint64_t fingerprint, size_t n, struct ul_image_result *out)
{
	jv path = cache_path(name);
	if (!jv_is_valid(path)) {
		jv_free(path);
		return false;
	}
	FILE *f = fopen(jv_string_value(path), "rb");
	jv_free(path);
	if (!f)
		return false;
	char magic[4];
	uint32_t version;
	uint64_t stored_fingerprint, count;
	bool ok = fread(magic, 4, 1, f) == 1 && !memcmp(magic, MAGIC, 4) && fread(&version, sizeof version, 1, f) == 1 &&
		  version == VERSION && fread(&stored_fingerprint, sizeof stored_fingerprint, 1, f) == 1 &&
		  stored_fingerprint == fingerprint && fread(&count, sizeof count, 1, f) == 1 && count == n;
	for (size_t i = 0; ok && i < n; i++) {
		struct fixed fx;
		ok = fread(&fx, sizeof fx, 1, f) == 1 && fx.kind <= UL_IMAGE_BAD_LABEL &&
		     fx.problem_len < sizeof out[i].problem;
		if (!ok)
			break;
		out[i].kind = fx.kind;
		out[i].jpeg_truncated = fx.jpeg_truncated;
		out[i].instances = fx.instances;
		out[i].duplicates = fx.duplicates;
		out[i].out_of_range = fx.out_of_range;
		out[i].bad_line = fx.bad_line;
		ok = fread(out[i].problem, 1, fx.problem_len, f) == fx.problem_len;
		out[i].problem[fx.problem_len] = '\0';
	}
	fclose(f);
	return ok;
}

void ul_label_cache_save(uint64_t name, uint64_t fingerprint, size_t n, const struct ul_image_result *results)
{
	jv path = cache_path(name);
	if (!jv_is_valid(path)) {
		jv_free(path);
		return;
	}
	jv tmp = jv_string_fmt("%s.%ld.tmp", jv_string_value(path), (long)getpid());
	FILE *f = fopen(jv_string_value(tmp), "wb");
	bool ok = f != NULL;
	uint32_t version = VERSION;
	uint64_t count = n;
	ok = ok && fwrite(MAGIC, 4, 1, f) == 1 && fwrite(&version, sizeof version, 1, f) == 1 &&
	     fwrite(&fingerprint, sizeof fingerprint, 1, f) == 1 && fwrite(&count, sizeof count, 1, f) == 1;
	for (size_t i = 0; ok && i < n; i++) {
		struct fixed fx = {
			.kind = results[i].kind, .jpeg_truncated = results[i].jpeg_truncated,
			.problem_len = (uint16_t)strlen(results[i].problem), .instances = results[i].instances,
			.duplicates = results[i].duplicates, .out_of_range = results[i].out_of_range,
			.bad_line = results[i].bad_line,
		};
		ok = fwrite(&fx, sizeof fx, 1, f) == 1 && fwrite(results[i].problem, 1, fx.problem_len, f) == fx.problem_len;
	}
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(jv_string_value(tmp), jv_string_value(path)) != 0)
		unlink(jv_string_value(tmp));
	jv_free(tmp);
	jv_free(path);
}
