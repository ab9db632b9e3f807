#include "data/detect_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/grow.h"
#include "core/random.h"
#include "data/decode.h"
#include "data/letterbox.h"
#include "data/split_files.h"

void ul_detect_set_free(struct ul_detect_set *s)
{
	free(s->frames), free(s->labels), free(s->first);
	jv_free(s->skipped);
	*s = (struct ul_detect_set){ .skipped = jv_null() };
}

static void skip(struct ul_detect_set *s, const char *path, jv problem)
{
	jv entry = jv_object_set(jv_object(), jv_string("path"), jv_string(path));
	s->skipped = jv_array_append(s->skipped, jv_object_set(entry, jv_string("problem"), problem));
}

/* A whole label file, or NULL with *len 0 when there is none. */
static char *read_labels(const char *path, size_t *len)
{
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t cap = 0;
	for (;;) {
		if (ul_grow(&text, &cap, *len + 4096, 1))
			break;
		size_t got = fread(text + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	return text;
}

/* Image `path` as frame number s->n, with its boxes. 0 when it is in (or
 * skipped, named), -1 when memory ran out. */
static int add_image(struct ul_detect_set *s, const char *path, const struct ul_label_rules *rules)
{
	char label_path[4096];
	ul_label_path(path, label_path, sizeof label_path);
	size_t len, before = s->nlabels;
	char *text = read_labels(label_path, &len);
	struct ul_label_check check;
	if (text && ul_labels_boxes(text, len, rules, s->n, &check, &s->labels, &s->nlabels, &s->cap_labels)) {
		free(text);
		s->nlabels = before;
		if (!strcmp(check.problem, "out of memory"))
			return -1;
		skip(s, path, jv_string_fmt("%s line %d: %s", label_path, check.bad_line, check.problem));
		return 0;
	}
	free(text);
	struct ul_image img, resized;
	jv err = jv_invalid();
	if (ul_image_decode(path, &img, &err)) {
		skip(s, path, jv_invalid_get_msg(err));
		s->nlabels = before;
		return 0;
	}
	int rc = ul_image_long_side(&img, s->imgsz, &resized);
	ul_image_free(&img);
	if (rc)
		return -1;
	struct ul_letterbox lb = ul_letterbox_plan(resized.w, resized.h, s->imgsz, s->imgsz, true);
	size_t frame = (size_t)s->imgsz * s->imgsz * 3;
	rc = ul_letterbox_u8(&resized, &lb, s->frames + frame * s->n);
	ul_image_free(&resized);
	if (rc)
		return -1;
	for (size_t i = before; i < s->nlabels; i++) {
		struct ul_label *l = &s->labels[i];
		float box[4] = { l->cx, l->cy, l->w, l->h }, out[4];
		ul_letterbox_box(&lb, box, out);
		l->cx = out[0] / s->imgsz, l->cy = out[1] / s->imgsz, l->w = out[2] / s->imgsz, l->h = out[3] / s->imgsz;
	}
	s->first[++s->n] = s->nlabels;
	return 0;
}

int ul_detect_set_load(struct ul_detect_set *s, jv entries, const struct ul_label_rules *rules, int imgsz, jv *err)
{
	*s = (struct ul_detect_set){ .imgsz = imgsz, .skipped = jv_array() };
	struct ul_paths images = { 0 };
	jv_array_foreach(entries, i, entry) {
		if (jv_get_kind(entry) == JV_KIND_STRING && ul_split_entry(jv_string_value(entry), &images))
			skip(s, jv_string_value(entry), jv_string("no images there"));
		jv_free(entry);
	}
	ul_paths_sort(&images);
	size_t frame = (size_t)imgsz * imgsz * 3;
	s->frames = malloc(frame * (images.n ? images.n : 1));
	s->first = calloc(images.n + 1, sizeof *s->first);
	int rc = s->frames && s->first ? 0 : -1;
	for (size_t i = 0; !rc && i < images.n; i++)
		rc = add_image(s, images.items[i], rules);
	ul_paths_free(&images);
	if (rc) {
		ul_detect_set_free(s);
		return ul_invalid(err, "out of memory loading the images");
	}
	if (s->n == 0) {
		int skipped = jv_array_length(jv_copy(s->skipped));
		ul_detect_set_free(s);
		return ul_invalid(err, "no usable image (%d skipped)", skipped);
	}
	return 0;
}

size_t ul_detect_set_batch(const struct ul_detect_set *s, const int *order, int n, float *images,
			   struct ul_label *labels)
{
	float scaled[256];
	for (int v = 0; v < 256; v++)
		scaled[v] = (float)v / 255.0f;  /* a division, as torch divides */
	size_t frame = (size_t)s->imgsz * s->imgsz * 3, count = 0;
	for (int b = 0; b < n; b++) {
		const unsigned char *src = s->frames + frame * order[b];
		for (size_t i = 0; i < frame; i++)
			images[frame * b + i] = scaled[src[i]];
		for (size_t k = s->first[order[b]]; k < s->first[order[b] + 1]; k++) {
			labels[count] = s->labels[k];
			labels[count++].image = b;
		}
	}
	return count;
}

void ul_detect_set_shuffle(const struct ul_detect_set *s, uint64_t seed, int epoch, int *order)
{
	uint64_t state = ul_mix64(seed) ^ ul_mix64((uint64_t)epoch + 1);
	for (int i = 0; i < s->n; i++)
		order[i] = i;
	for (int i = s->n - 1; i > 0; i--) {
		int j = (int)(ul_random_unit(&state) * (i + 1));
		int t = order[i];
		order[i] = order[j], order[j] = t;
	}
}
