/* Polygon masks (lib/data/masks) against OpenCV 4.6 and numpy
 * (tests/reference/make_mask_vectors.py): cv2.fillPoly of 420 polygons,
 * convex, concave, self-intersecting, off the mask (some thousands of
 * pixels away, the clipped edges' slopes), degenerate (one or two distinct
 * points, collinear, flat), on the pixel grid and with fractions in (-1, 0),
 * every pixel compared; the fixture's word that cv2.drawContours fills the
 * same pixels; then polygons2masks_overlap's mask and order and
 * polygons2masks' masks of polygon sets at mask ratios 1 to 5 (even and
 * odd image sides, equal areas, empty masks, 20 instances, a 320 x 256
 * image), byte for byte. Without a reference: the colour and the pixels
 * around the polygon, a small square on top of a large one, no instances,
 * and the ratios refused. */
#include "core/sha256.h"
#include "data/masks.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"

static int element(jv array, int i)
{
	jv v = jv_array_get(jv_copy(array), i);
	int n = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : -1;
	jv_free(v);
	return n;
}

static bool bit(const unsigned char *bits, size_t i)
{
	return bits[i / 8] >> (7 - i % 8) & 1;
}

/* ---- cv2.fillPoly ------------------------------------------------------------------------------------------ */

/* Fills every case and compares it with OpenCV's pixels, one line per kind. */
static void fill_cases(const struct ul_safetensors *px, const struct ul_safetensors *st)
{
	jv fill = meta(st, "fill");
	jv counts = jv_object_get(jv_copy(fill), jv_string("n")), colours = jv_object_get(jv_copy(fill), jv_string("colour"));
	jv kinds = jv_object_get(jv_copy(fill), jv_string("kinds"));
	int w = case_int(fill, "w"), h = case_int(fill, "h"), cases = jv_array_length(jv_copy(counts));
	size_t row = ((size_t)w * h + 7) / 8, total = 0;
	const unsigned char *bits = tensor_u8(px, "fill.bits", row * (size_t)cases);
	float *points = read_tensor(st, "fill.points", &total);
	ok(bits && points && cases >= 400, "the fixture has %d polygons to fill into %dx%d", cases, w, h);
	unsigned char *mask = malloc((size_t)w * h);
	size_t at = 0;
	int index = 0, all_differ = 0;
	jv_array_foreach(kinds, k, kind) {
		char name[32];
		jv label = jv_array_get(jv_copy(kind), 0);
		snprintf(name, sizeof name, "%s", jv_get_kind(label) == JV_KIND_STRING ? jv_string_value(label) : "?");
		jv_free(label);
		int run = element(kind, 1), bad = 0, differ = 0;
		long set = 0;
		for (int c = 0; c < run && bits && points; c++, index++) {
			int n = element(counts, index), colour = element(colours, index);
			memset(mask, 0, (size_t)w * h);
			if (at + 2 * (size_t)n > total || ul_fill_polygon(mask, w, h, points + at, n, (unsigned char)colour)) {
				bad++;
				break;
			}
			at += 2 * (size_t)n;
			for (size_t p = 0; p < (size_t)w * h; p++) {
				bool want = bit(bits + row * (size_t)index, p);
				differ += (mask[p] != 0) != want;
				bad += mask[p] != 0 && mask[p] != colour;
				set += want;
			}
		}
		all_differ += differ;
		ok(!bad && !differ, "%s: %d polygons, every pixel as cv2.fillPoly sets it (%ld set, %d differ)", name, run, set,
		   differ);
		jv_free(kind);
	}
	ok(index == cases && at == total && all_differ == 0, "all %d polygons compared, %d pixels differ", index, all_differ);
	jv contours = meta(st, "contours");
	ok(jv_get_kind(contours) == JV_KIND_NUMBER && jv_number_value(contours) == 0,
	   "cv2.drawContours(FILLED) of each polygon sets the same pixels as fillPoly (%g differ in OpenCV)",
	   jv_get_kind(contours) == JV_KIND_NUMBER ? jv_number_value(contours) : -1);
	jv_free(contours);
	free(mask);
	free(points);
	jv_free(counts), jv_free(colours), jv_free(kinds), jv_free(fill);
}

/* The colour lands where the outline and the inside are; nothing else moves. */
static void fill_by_hand(void)
{
	unsigned char mask[10 * 8];
	for (int i = 0; i < 80; i++)
		mask[i] = (unsigned char)(i + 100);
	const float square[] = { 2, 1, 6.9f, 1, 6.9f, 4.5f, 2, 4.5f };  /* truncated: x 2..6, y 1..4 */
	ok(ul_fill_polygon(mask, 10, 8, square, 4, 7) == 0, "a square fills");
	int wrong = 0;
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 10; x++)
			wrong += mask[y * 10 + x] != (x >= 2 && x <= 6 && y >= 1 && y <= 4 ? 7 : y * 10 + x + 100);
	ok(!wrong, "its points truncated to x 2..6, y 1..4, those pixels and only those take the colour (%d wrong)", wrong);
	memset(mask, 0, sizeof mask);
	const float dot[] = { 3.7f, 5.2f, 3.1f, 5.9f, 3, 5 };
	ul_fill_polygon(mask, 10, 8, dot, 3, 9);
	int set = 0;
	for (int i = 0; i < 80; i++)
		set += mask[i] != 0;
	ok(set == 1 && mask[5 * 10 + 3] == 9, "three points that truncate to one set that pixel alone");
}

/* ---- polygons2masks and polygons2masks_overlap -------------------------------------------------------------- */

static struct ul_sample polygons(int w, int h, int n, int seg_points, const float *segments)
{
	struct ul_sample s;
	ul_sample_init(&s, seg_points, 0, 0);
	ul_sample_reserve(&s, n);
	s.img.w = w, s.img.h = h;
	s.n = n;
	for (int i = 0; i < n; i++) {
		s.cls[i] = i;
		memset(s.boxes + 4 * i, 0, 4 * sizeof *s.boxes);
	}
	memcpy(s.segments, segments, sizeof *segments * 2 * (size_t)seg_points * n);
	return s;
}

/* How many values differ from the fixture's bytes. */
static size_t differ(const uint16_t *got, const unsigned char *want, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += !want || got[i] != want[i];
	return count;
}

static void mask_set(const struct ul_safetensors *px, const struct ul_safetensors *st, jv set)
{
	char name[32], key[96], entry[96], sha[96];
	case_text(set, "set", name, sizeof name);
	int w = case_int(set, "w"), h = case_int(set, "h"), n = case_int(set, "n"), seg_points = case_int(set, "seg_points");
	snprintf(key, sizeof key, "set.%s.segments", name);
	size_t count = 0;
	float *segments = read_tensor(st, key, &count);
	if (!segments || count != 2 * (size_t)n * seg_points) {
		ok(0, "%s: the fixture has its polygons", name);
		free(segments);
		return;
	}
	struct ul_sample s = polygons(w, h, n, seg_points, segments);
	jv ratios = jv_object_get(jv_copy(set), jv_string("ratios"));
	jv_array_foreach(ratios, k, r) {
		int ratio = case_int(r, "ratio"), mw = w / ratio, mh = h / ratio;
		size_t plane = (size_t)mw * mh;
		uint16_t *masks = malloc(sizeof *masks * plane * (size_t)n);
		int *order = malloc(sizeof *order * (size_t)n);
		jv want_order = jv_object_get(jv_copy(r), jv_string("order"));
		snprintf(key, sizeof key, "set.%s.overlap.%d", name, ratio);
		bool made = ul_sample_masks(&s, ratio, true, masks, order) == 0;
		size_t wrong = made ? differ(masks, tensor_u8(px, key, plane), plane) : plane;
		int misplaced = 0;
		for (int i = 0; i < n; i++)
			misplaced += order[i] != element(want_order, i);
		ok(made && !wrong && !misplaced, "%s (%d polygons, %dx%d) at ratio %d: the %dx%d overlap mask as "
		   "polygons2masks_overlap makes it (%zu of %zu differ), its order too (%d misplaced)", name, n, w, h, ratio,
		   mw, mh, wrong, plane, misplaced);
		made = ul_sample_masks(&s, ratio, false, masks, order) == 0;
		bool identity = true;
		for (int i = 0; i < n; i++)
			identity = identity && order[i] == i;
		if (*case_text(r, "instances", entry, sizeof entry)) {
			wrong = made ? differ(masks, tensor_u8(px, entry, plane * (size_t)n), plane * (size_t)n) : plane * n;
			ok(made && identity && !wrong, "%s at ratio %d: polygons2masks' %d masks (%zu of %zu values differ)", name,
			   ratio, n, wrong, plane * (size_t)n);
		}
		unsigned char *bytes = malloc(plane * (size_t)n);
		for (size_t i = 0; i < plane * (size_t)n; i++)
			bytes[i] = (unsigned char)masks[i];
		char hex[UL_SHA256_HEX];
		ul_sha256_hex(bytes, plane * (size_t)n, hex);
		ok(made && identity && !strcmp(hex, case_text(r, "instances_sha256", sha, sizeof sha)),
		   "%s at ratio %d: polygons2masks' masks by SHA-256, in the instances' order", name, ratio);
		free(bytes);
		jv_free(want_order);
		free(masks);
		free(order);
		jv_free(r);
	}
	jv_free(ratios);
	ul_sample_free(&s);
	free(segments);
}

static void mask_sets(const struct ul_safetensors *px, const struct ul_safetensors *st)
{
	jv sets = meta(st, "sets");
	ok(jv_get_kind(sets) == JV_KIND_ARRAY && jv_array_length(jv_copy(sets)) == 5, "the fixture has 5 polygon sets");
	jv_array_foreach(sets, i, set) {
		mask_set(px, st, set);
		jv_free(set);
	}
	jv_free(sets);
}

/* A 6x6 square inside a 16x16 one, the small one first: the large one
 * goes first in the order and the small one is marked 2 on top of it. */
static void overlap_by_hand(void)
{
	const float segs[] = { 8, 8, 14, 8, 14, 14, 8, 14, 0, 0, 16, 0, 16, 16, 0, 16 };
	struct ul_sample s = polygons(32, 24, 2, 4, segs);
	uint16_t mask[16 * 12];
	int order[2];
	ok(ul_sample_masks(&s, 2, true, mask, order) == 0 && order[0] == 1 && order[1] == 0,
	   "the larger square comes first in the order, then the smaller");
	ok(mask[0] == 1 && mask[5 * 16 + 5] == 2 && mask[2 * 16 + 2] == 1 && mask[9 * 16 + 9] == 0,
	   "the small one is 2 over the large one's 1, the rest 0");
	s.n = 0;
	for (int i = 0; i < 16 * 12; i++)
		mask[i] = 7;
	ok(ul_sample_masks(&s, 2, true, mask, order) == 0 && mask[0] == 0 && mask[16 * 12 - 1] == 0,
	   "no instances: an overlap mask of zeros");
	mask[0] = 7;
	ok(ul_sample_masks(&s, 2, false, mask, order) == 0 && mask[0] == 7, "and no per-instance masks written");
	s.n = 2;
	ok(ul_sample_masks(&s, 0, true, mask, order) == -1 && ul_sample_masks(&s, 25, false, mask, order) == -1,
	   "a ratio of 0, or above the image's short side, is refused");
	ul_sample_free(&s);
}

int main(void)
{
	struct ul_safetensors px, st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&px, VECTORS "mask_pixels.safetensors", &err) ||
	    ul_safetensors_open(&st, VECTORS "mask_polygons.safetensors", &err)) {
		ok(0, "the mask vectors open");
		jv_free(err);
		return done_testing();
	}
	fill_cases(&px, &st);
	mask_sets(&px, &st);
	ul_safetensors_close(&px);
	ul_safetensors_close(&st);
	fill_by_hand();
	overlap_by_hand();
	return done_testing();
}
