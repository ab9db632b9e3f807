/* The classification transforms (lib/data/classify_augment, pil_resize)
 * against PIL and torchvision (tests/reference/make_classify_vectors.py):
 * resized crops and the validation resize and centre crop byte for byte,
 * every RandAugment and AutoAugment op at its magnitudes byte for byte,
 * the magnitudes themselves (exactly where the policies use them, to one
 * float32 step elsewhere), ColorJitter's hue, and
 * real imagenet10 and mnist160 images through both transforms by SHA-256.
 * Then the draws, over many seeds: crop boxes inside the image with their
 * area and aspect in range, the central fallback, flips that mirror,
 * erasing boxes in range and erased, at the chance asked; and the same
 * seed giving the same image. */
#include <math.h>

#include "core/random.h"
#include "core/sha256.h"
#include "data/classify_augment.h"
#include "data/pil_resize.h"
#include "datasets.h"
#include "formula_image.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"
#define OP_W 30
#define OP_H 20

static const char *const op_names[] = {
	"Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast",
	"Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize", "Invert",
};

static int op_named(const char *name)
{
	for (int k = 0; k <= UL_OP_INVERT; k++)
		if (!strcmp(op_names[k], name))
			return k;
	return -1;
}

/* The fixture's `low` image: 40 + formula // 2. */
static struct ul_image low_image(int w, int h)
{
	struct ul_image img = formula_image(w, h);
	for (size_t i = 0; i < (size_t)w * h * 3; i++)
		img.rgb[i] = (unsigned char)(40 + img.rgb[i] / 2);
	return img;
}

static void crops(const struct ul_safetensors *st)
{
	jv cases = meta(st, "crop");
	int n = 0, exact = 0;
	jv_array_foreach(cases, i, c) {
		int sw = case_element(c, "src", 0), sh = case_element(c, "src", 1), size = case_int(c, "size");
		int left = case_element(c, "box", 0), top = case_element(c, "box", 1);
		int w = case_element(c, "box", 2), h = case_element(c, "box", 3);
		char entry[32];
		const unsigned char *want = tensor_u8(st, case_text(c, "entry", entry, sizeof entry), (size_t)size * size * 3);
		struct ul_image src = formula_image(sw, sh);
		unsigned char *got = malloc((size_t)size * size * 3);
		int most = 0;
		size_t differ = want && !ul_pil_resize(src.rgb + ((size_t)top * sw + left) * 3, w, h, (size_t)sw * 3, got, size, size)
			? bytes_differ(got, want, (size_t)size * size * 3, &most) : 1;
		if (differ)
			printf("# crop %d (%d,%d %dx%d of %dx%d to %d): %zu bytes differ, by %d at most\n", i, left, top, w, h, sw,
			       sh, size, differ, most);
		n++, exact += differ == 0;
		free(got);
		ul_image_free(&src);
		jv_free(c);
	}
	jv_free(cases);
	ok(n >= 7 && exact == n, "resized crops equal PIL's crop then bilinear resize (%d of %d)", exact, n);
}

static void vals(const struct ul_safetensors *st)
{
	jv cases = meta(st, "val");
	int n = 0, exact = 0;
	jv_array_foreach(cases, i, c) {
		int sw = case_element(c, "src", 0), sh = case_element(c, "src", 1), size = case_int(c, "size");
		char entry[32];
		const unsigned char *want = tensor_u8(st, case_text(c, "entry", entry, sizeof entry), (size_t)size * size * 3);
		struct ul_image src = formula_image(sw, sh);
		unsigned char *got = malloc((size_t)size * size * 3);
		int most = 0;
		size_t bytes = (size_t)size * size * 3;
		size_t differ = want && !ul_classify_val(&src, size, got) ? bytes_differ(got, want, bytes, &most) : 1;
		if (differ)
			printf("# val %d (%dx%d at %d): %zu bytes differ, by %d at most\n", i, sw, sh, size, differ, most);
		n++, exact += differ == 0;
		free(got);
		ul_image_free(&src);
		jv_free(c);
	}
	jv_free(cases);
	ok(n >= 6 && exact == n, "the validation transform equals Resize then CenterCrop (%d of %d)", exact, n);
}

/* Every op case with our own magnitude for its bin (checked against
 * torch's), on the fixture's 30x20 images. */
static void ops(const struct ul_safetensors *st)
{
	jv cases = meta(st, "op");
	struct ul_image images[2] = { formula_image(OP_W, OP_H), low_image(OP_W, OP_H) };
	size_t bytes = (size_t)OP_W * OP_H * 3;
	unsigned char *got = malloc(bytes), *scratch = malloc(bytes);
	int n = 0, exact = 0, magnitudes = 0;
	bool seen[UL_OP_INVERT + 1] = { false };
	jv_array_foreach(cases, i, c) {
		char name[32], image[32], entry[32];
		int op = op_named(case_text(c, "op", name, sizeof name)), bin = case_int(c, "bin"), bins = case_int(c, "bins");
		bool sign, negative = case_flag(c, "negative");
		double torch = case_number(c, "magnitude");
		double ours = op < 0 ? NAN : ul_classify_magnitude(op, bin, bins, OP_W, OP_H, &sign) * (negative ? -1 : 1);
		magnitudes += ours == torch;
		const struct ul_image *src = &images[!strcmp(case_text(c, "image", image, sizeof image), "low")];
		const unsigned char *want = tensor_u8(st, case_text(c, "entry", entry, sizeof entry), bytes);
		memcpy(got, src->rgb, bytes);
		int most = 0;
		size_t differ = 1;
		if (want && op >= 0) {
			ul_classify_op(got, OP_W, OP_H, op, ours, scratch);
			differ = bytes_differ(got, want, bytes, &most);
			seen[op] = true;
		}
		if (differ)
			printf("# %s %s bin %d/%d%s (%.9g): %zu bytes differ, by %d at most\n", name, image, bin, bins,
			       negative ? " negative" : "", ours, differ, most);
		n++, exact += differ == 0;
		jv_free(c);
	}
	jv_free(cases);
	int kinds = 0;
	for (int k = UL_OP_SHEAR_X; k <= UL_OP_INVERT; k++)
		kinds += seen[k];
	ok(n >= 30 && kinds == UL_OP_INVERT, "the cases cover all %d ops but Identity", kinds);
	ok(magnitudes == n, "at the bins the policies use, our magnitudes are torch's float32 ones (%d of %d)", magnitudes, n);
	ok(exact == n, "every op equals torchvision's on PIL, byte for byte (%d of %d)", exact, n);
	free(got), free(scratch);
	ul_image_free(&images[0]), ul_image_free(&images[1]);
}

/* The augmentation spaces at 224 x 224 and at the ops' size, every bin to
 * one float32 step, RandAugment's bin 9 exactly. */
static void spaces(const struct ul_safetensors *st)
{
	jv all = meta(st, "magnitudes");
	int compared = 0, equal = 0, nines = 0, exact = 0;
	jv_object_foreach(all, key, table) {
		int bins, w, h;
		sscanf(jv_string_value(key), "%dx%dx%d", &bins, &w, &h);
		jv_object_foreach(table, name, values) {
			int op = op_named(jv_string_value(name));
			jv_array_foreach(values, b, v) {
				bool sign;
				double ours = op < 0 ? NAN : ul_classify_magnitude(op, b, bins, w, h, &sign), torch = jv_number_value(v);
				compared++;
				equal += fabs(ours - torch) <= 1.2e-7 * fmax(1, fabs(torch));
				if (bins == 31 && b == 9)
					nines++, exact += ours == torch;
				jv_free(v);
			}
			jv_free(name), jv_free(values);
		}
		jv_free(key), jv_free(table);
	}
	jv_free(all);
	ok(compared >= 4 * (11 * 31 + 11 * 10) / 2 && equal == compared,
	   "RandAugment's and AutoAugment's magnitudes, every op and bin at 224 and 30x20 (%d of %d)", equal, compared);
	ok(nines == 2 * 11 && exact == nines, "RandAugment's, bin 9 of 31, exactly (%d of %d)", exact, nines);
	bool sign;
	ul_classify_magnitude(UL_OP_ROTATE, 9, 31, 224, 224, &sign);
	bool rotate_signed = sign;
	ul_classify_magnitude(UL_OP_SOLARIZE, 9, 31, 224, 224, &sign);
	ok(rotate_signed && !sign && ul_classify_magnitude(UL_OP_TRANSLATE_X, 9, 31, 224, 224, &sign) > 30.4,
	   "geometric ops draw a sign, Solarize does not; TranslateX at 224 is 30.45 pixels");
}

static void hues(const struct ul_safetensors *st)
{
	jv cases = meta(st, "hue");
	size_t bytes = (size_t)OP_W * OP_H * 3;
	struct ul_image src = formula_image(OP_W, OP_H);
	int n = 0, exact = 0;
	jv_array_foreach(cases, i, c) {
		char entry[32];
		const unsigned char *want = tensor_u8(st, case_text(c, "entry", entry, sizeof entry), bytes);
		unsigned char *got = malloc(bytes);
		memcpy(got, src.rgb, bytes);
		ul_adjust_hue(got, (size_t)OP_W * OP_H, case_number(c, "factor"));
		int most = 0;
		size_t differ = want ? bytes_differ(got, want, bytes, &most) : 1;
		if (differ)
			printf("# hue %g: %zu bytes differ, by %d at most\n", case_number(c, "factor"), differ, most);
		n++, exact += differ == 0;
		free(got);
		jv_free(c);
	}
	jv_free(cases);
	ok(n >= 5 && exact == n, "ColorJitter's hue equals F.adjust_hue through PIL's HSV (%d of %d)", exact, n);
	ul_image_free(&src);
}

static bool same_sha(const unsigned char *p, size_t n, jv entry, const char *key)
{
	char hex[UL_SHA256_HEX];
	ul_sha256_hex(p, n, hex);
	jv want = jv_object_get(jv_copy(entry), jv_string(key));
	bool same = jv_get_kind(want) == JV_KIND_STRING && !strcmp(hex, jv_string_value(want));
	jv_free(want);
	return same;
}

/* Real images decoded as cv2.imread does, through both transforms. */
static void real(const struct ul_safetensors *st)
{
	jv images = meta(st, "images");
	int n = 0, decoded = 0, val = 0, crop = 0;
	size_t out = (size_t)224 * 224 * 3;
	unsigned char *got = malloc(out);
	jv_array_foreach(images, i, entry) {
		char file[512], path[4096];
		struct ul_image img = { 0 };
		jv err = jv_invalid();
		n++;
		if (ul_image_decode(dataset_path(path, sizeof path, case_text(entry, "file", file, sizeof file)), &img, &err)) {
			jv_free(jv_invalid_get_msg(err));
			jv_free(entry);
			continue;
		}
		decoded += same_sha(img.rgb, (size_t)img.w * img.h * 3, entry, "rgb_sha256");
		val += !ul_classify_val(&img, 224, got) && same_sha(got, out, entry, "val_224");
		jv box = jv_object_get(jv_copy(entry), jv_string("crop"));
		int left = case_element(box, "box", 0), top = case_element(box, "box", 1);
		int w = case_element(box, "box", 2), h = case_element(box, "box", 3);
		crop += !ul_pil_resize(img.rgb + ((size_t)top * img.w + left) * 3, w, h, (size_t)img.w * 3, got, 224, 224) &&
			same_sha(got, out, box, "sha256");
		jv_free(box);
		ul_image_free(&img);
		jv_free(entry);
	}
	free(got);
	jv_free(images);
	ok(n >= 6 && decoded == n, "imagenet10 and mnist160 images decode to cv2.imread's pixels (%d of %d)", decoded, n);
	ok(val == n, "and go through classify_transforms(224) to the same bytes (%d of %d)", val, n);
	ok(crop == n, "and a resized crop of each to 224 gives PIL's bytes (%d of %d)", crop, n);
}

/* Over many draws on a 500 x 375 image: each box inside, its area and
 * aspect in range (allowing for the rounding of each side), and the
 * ranges covered. */
static void crop_draws(void)
{
	uint64_t rng = 11;
	int inside = 0, in_range = 0, draws = 20000;
	double lo_area = 1, hi_area = 0, lo_aspect = 9, hi_aspect = 0;
	for (int i = 0; i < draws; i++) {
		struct ul_box b = ul_random_resized_crop(500, 375, 0.5, 1, &rng);
		inside += b.left >= 0 && b.top >= 0 && b.w > 0 && b.h > 0 && b.left + b.w <= 500 && b.top + b.h <= 375;
		double area = (double)b.w * b.h / (500.0 * 375), aspect = (double)b.w / b.h;
		double slack = 0.5 / b.w + 0.5 / b.h;  /* each side rounded by half a pixel at most */
		in_range += area >= 0.5 * (1 - 2 * slack) && area <= 1 && aspect >= 0.75 * (1 - 2 * slack) &&
			    aspect <= 4.0 / 3 * (1 + 2 * slack);
		lo_area = fmin(lo_area, area), hi_area = fmax(hi_area, area);
		lo_aspect = fmin(lo_aspect, aspect), hi_aspect = fmax(hi_aspect, aspect);
	}
	ok(inside == draws, "%d crop boxes inside the image", inside);
	ok(in_range == draws, "each keeps 0.5 to 1 of the area at an aspect of 3/4 to 4/3 (%d)", in_range);
	ok(lo_area < 0.52 && hi_area > 0.98 && lo_aspect < 0.77 && hi_aspect > 1.3,
	   "and the draws cover the ranges (area %.3f to %.3f, aspect %.3f to %.3f)", lo_area, hi_area, lo_aspect, hi_aspect);
	/* no box of half the area fits a 100 x 3 strip: the central crop of aspect 4/3 */
	struct ul_box wide = ul_random_resized_crop(100, 3, 0.5, 1, &rng), tall = ul_random_resized_crop(3, 100, 0.5, 1, &rng);
	ok(wide.left == 48 && wide.top == 0 && wide.w == 4 && wide.h == 3 && tall.left == 0 && tall.top == 48 &&
	   tall.w == 3 && tall.h == 4, "the fallback is the central crop at the nearest aspect (%d,%d %dx%d; %d,%d %dx%d)",
	   wide.left, wide.top, wide.w, wide.h, tall.left, tall.top, tall.w, tall.h);
}

/* A square image with scale 0 is cropped whole (no other box of its full
 * area fits): the training transform is then the resize, mirrored when
 * fliplr is 1, upside down when flipud is. */
static void flips(void)
{
	int side = 40, size = 24;
	struct ul_image src = formula_image(side, side);
	size_t bytes = (size_t)size * size * 3, row = (size_t)size * 3;
	unsigned char *plain = malloc(bytes), *got = malloc(bytes);
	ul_pil_resize(src.rgb, side, side, (size_t)side * 3, plain, size, size);
	struct ul_classify_augment a = { .scale = 0 };
	bool same = true, mirrored = true, upside = true;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		uint64_t rng = seed;
		a.fliplr = 0, a.flipud = 0;
		same &= !ul_classify_train(&a, &src, size, &rng, got) && !memcmp(got, plain, bytes);
		a.fliplr = 1;
		ul_classify_train(&a, &src, size, &rng, got);
		for (int y = 0; y < size; y++)
			for (int x = 0; x < size; x++)
				mirrored &= !memcmp(got + row * y + 3 * x, plain + row * y + 3 * (size - 1 - x), 3);
		a.fliplr = 0, a.flipud = 1;
		ul_classify_train(&a, &src, size, &rng, got);
		for (int y = 0; y < size; y++)
			upside &= !memcmp(got + row * y, plain + row * (size - 1 - y), row);
	}
	ok(same, "without flips or a policy, a whole crop is the plain resize");
	ok(mirrored, "fliplr 1 mirrors it left to right");
	ok(upside, "flipud 1 turns it upside down");
	free(plain), free(got);
	ul_image_free(&src);
}

static void erasing(void)
{
	int side = 224, draws = 5000, erased = 0, inside = 0, in_range = 0, zeroed = 0;
	size_t bytes = (size_t)side * side * 3;
	unsigned char *img = malloc(bytes);
	uint64_t rng = 5;
	for (int i = 0; i < draws; i++) {
		memset(img, 7, bytes);
		struct ul_box b;
		if (!ul_random_erasing(img, side, side, 1, &rng, &b))
			continue;
		erased++;
		inside += b.left >= 0 && b.top >= 0 && b.left + b.w <= side && b.top + b.h <= side;
		double area = (double)b.w * b.h / (side * side), aspect = (double)b.h / b.w;
		double slack = 0.5 / b.w + 0.5 / b.h;
		in_range += area >= 0.02 * (1 - 2 * slack) && area <= 0.33 * (1 + 2 * slack) &&
			    aspect >= 0.3 * (1 - 2 * slack) && aspect <= 3.3 * (1 + 2 * slack);
		size_t zeros = 0;
		for (size_t p = 0; p < bytes; p++)
			zeros += img[p] == 0;
		zeroed += zeros == (size_t)b.w * b.h * 3;
	}
	ok(erased > draws * 0.98, "p 1 erases nearly always (%d of %d; a try that does not fit ten times erases nothing)",
	   erased, draws);
	ok(inside == erased && in_range == erased, "each box inside, 0.02 to 0.33 of the area at h/w 0.3 to 3.3 (%d, %d)",
	   inside, in_range);
	ok(zeroed == erased, "exactly its pixels set to 0 (%d)", zeroed);
	int hits = 0;
	for (int i = 0; i < draws; i++) {
		struct ul_box b;
		hits += ul_random_erasing(img, side, side, 0.4, &rng, &b);
	}
	ok(fabs((double)hits / draws - 0.4) < 0.03, "p 0.4 erases %.3f of the time", (double)hits / draws);
	free(img);
}

/* The whole training transform, Ultralytics' defaults, on a real-sized
 * image: the same seed gives the same bytes, other seeds others. */
static void whole(void)
{
	struct ul_image src = formula_image(320, 240);
	size_t bytes = (size_t)224 * 224 * 3;
	unsigned char *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
	struct ul_classify_augment defaults = { .scale = 0.5, .fliplr = 0.5, .erasing = 0.4, .policy = UL_POLICY_RANDAUGMENT };
	bool repeat = true, vary = true;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		for (int p = UL_POLICY_NONE; p <= UL_POLICY_AUTOAUGMENT; p++) {
			defaults.policy = p, defaults.hsv_h = 0.015, defaults.hsv_s = 0.7, defaults.hsv_v = 0.4;
			uint64_t r1 = seed, r2 = seed, r3 = seed + 100;
			ul_classify_train(&defaults, &src, 224, &r1, a);
			ul_classify_train(&defaults, &src, 224, &r2, b);
			ul_classify_train(&defaults, &src, 224, &r3, c);
			repeat &= !memcmp(a, b, bytes);
			vary &= memcmp(a, c, bytes) != 0;
		}
	}
	ok(repeat, "RandAugment, AutoAugment and ColorJitter: a seed gives the same image again");
	ok(vary, "and another seed another");
	enum ul_classify_policy policy;
	ok(!ul_classify_policy_from_name("randaugment", &policy) && policy == UL_POLICY_RANDAUGMENT &&
	   !ul_classify_policy_from_name("autoaugment", &policy) && policy == UL_POLICY_AUTOAUGMENT &&
	   !ul_classify_policy_from_name("", &policy) && policy == UL_POLICY_NONE &&
	   ul_classify_policy_from_name("augmix", &policy) == -1, "policies by name; augmix is refused");
	free(a), free(b), free(c);
	ul_image_free(&src);
}

int main(void)
{
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, VECTORS "classify_pil.safetensors", &err)) {
		ok(0, "the PIL vectors open");
		jv_free(err);
		return done_testing();
	}
	crops(&st);
	vals(&st);
	ops(&st);
	spaces(&st);
	hues(&st);
	real(&st);
	ul_safetensors_close(&st);
	crop_draws();
	flips();
	erasing();
	whole();
	return done_testing();
}
