/* The resize and the letterbox against OpenCV 4.6
 * (tests/reference/make_resize_vectors.py): cv2.resize INTER_LINEAR of an
 * image made from a formula to sizes up and down, by non-integer and
 * integer ratios, one axis at a time, to 1x1, and the exact halving
 * OpenCV turns into a 2x2 average, every byte equal; Ultralytics' letterbox
 * arithmetic (ratio, new size, padding) on fourteen shapes and its frames
 * (resize and 114 padding) on five, its label mapping, load_image's sizes
 * where a float64 ceil moves, and the coco8 images with their long side
 * resized to 224, compared by SHA-256 of their pixels. */
#include <dirent.h>

#include "core/sha256.h"
#include "data/decode.h"
#include "data/letterbox.h"
#include "datasets.h"
#include "formula_image.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"

static int number(jv object, const char *key, int index)
{
	jv v = jv_object_get(jv_copy(object), jv_string(key));
	if (index >= 0)
		v = jv_array_get(v, index);
	int n = jv_get_kind(v) == JV_KIND_NUMBER ? (int)jv_number_value(v) : -1;
	jv_free(v);
	return n;
}

static void resizes(const struct ul_safetensors *st)
{
	jv cases = meta(st, "resize");
	ok(jv_get_kind(cases) == JV_KIND_ARRAY && jv_array_length(jv_copy(cases)) >= 10, "the resize cases are listed");
	jv_array_foreach(cases, i, c) {
		int sw = (int)jv_number_value(jv_array_get(jv_copy(c), 0)), sh = (int)jv_number_value(jv_array_get(jv_copy(c), 1));
		int dw = (int)jv_number_value(jv_array_get(jv_copy(c), 2)), dh = (int)jv_number_value(jv_array_get(c, 3));
		char name[64];
		struct ul_image src = formula_image(sw, sh);
		snprintf(name, sizeof name, "input.%dx%d", sw, sh);
		const unsigned char *input = tensor_u8(st, name, (size_t)sw * sh * 3);
		if (i == 0 || (sw == 38 && dw == 19 && dh == 12))
			ok(input && !memcmp(input, src.rgb, (size_t)sw * sh * 3), "%s: the formula builds OpenCV's input", name);
		snprintf(name, sizeof name, "resize.%dx%d.%dx%d", sw, sh, dw, dh);
		const unsigned char *want = tensor_u8(st, name, (size_t)dw * dh * 3);
		unsigned char *got = malloc((size_t)dw * dh * 3);
		int most;
		size_t n = 0;
		ok(want && ul_resize_linear(src.rgb, sw, sh, (size_t)sw * 3, got, dw, dh, (size_t)dw * 3) == 0 &&
		   (n = bytes_differ(got, want, (size_t)dw * dh * 3, &most)) == 0,
		   "%dx%d to %dx%d: every byte as cv2.resize INTER_LINEAR", sw, sh, dw, dh);
		if (n)
			printf("#   %zu of %d bytes differ, by up to %d\n", n, dw * dh * 3, most);
		free(got);
		ul_image_free(&src);
	}
	jv_free(cases);
}

static void letterboxes(const struct ul_safetensors *st)
{
	jv cases = meta(st, "letterbox");
	struct ul_image src = formula_image(37, 23);
	int images = 0;
	jv_array_foreach(cases, i, c) {
		int h = number(c, "shape", 0), w = number(c, "shape", 1), nh = number(c, "new_shape", 0), nw = number(c, "new_shape", 1);
		jv scaleup = jv_object_get(jv_copy(c), jv_string("scaleup"));
		jv ratio = jv_object_get(jv_copy(c), jv_string("ratio"));
		struct ul_letterbox lb = ul_letterbox_plan(w, h, nw, nh, jv_get_kind(scaleup) == JV_KIND_TRUE);
		ok(lb.ratio == jv_number_value(ratio) && lb.new_w == number(c, "new_unpad", 0) && lb.new_h == number(c, "new_unpad", 1) &&
		   lb.left == number(c, "pad", 0) && lb.top == number(c, "pad", 1) && lb.right == number(c, "pad", 2) &&
		   lb.bottom == number(c, "pad", 3),
		   "letterbox %dx%d into %dx%d%s: ratio %.6f, %dx%d, padding %d %d %d %d", w, h, nw, nh,
		   jv_get_kind(scaleup) == JV_KIND_TRUE ? "" : " (no scaleup)", lb.ratio, lb.new_w, lb.new_h, lb.left, lb.top,
		   lb.right, lb.bottom);
		jv_free(scaleup);
		jv_free(ratio);

		jv in = jv_object_get(jv_copy(c), jv_string("boxes_in")), out = jv_object_get(jv_copy(c), jv_string("boxes_out"));
		double worst = 0;
		jv_array_foreach(in, k, box) {
			float b[4], mapped[4];
			jv expect = jv_array_get(jv_copy(out), k);
			for (int j = 0; j < 4; j++)
				b[j] = (float)jv_number_value(jv_array_get(jv_copy(box), j));
			ul_letterbox_box(&lb, b, mapped);
			for (int j = 0; j < 4; j++)
				worst = fmax(worst, fabs(mapped[j] - jv_number_value(jv_array_get(jv_copy(expect), j))));
			jv_free(expect);
			jv_free(box);
		}
		ok(worst < 1e-3, "its label boxes in frame pixels (off by %.2g px at most)", worst);
		jv_free(in);
		jv_free(out);

		jv image = jv_object_get(jv_copy(c), jv_string("image"));
		if (jv_get_kind(image) == JV_KIND_STRING) {
			size_t n = (size_t)nw * nh * 3;
			const unsigned char *want = tensor_u8(st, jv_string_value(image), n);
			unsigned char *got = malloc(n);
			float *f = malloc(n * sizeof *f);
			int most;
			ok(want && ul_letterbox_u8(&src, &lb, got) == 0 && bytes_differ(got, want, n, &most) == 0,
			   "%s: every byte as cv2.resize and copyMakeBorder", jv_string_value(image));
			bool exact = ul_letterbox_f32(&src, &lb, f) == 0;
			for (size_t j = 0; exact && j < n; j++)
				exact = f[j] == (float)got[j] / 255.0f;
			ok(exact, "and as float32, each value / 255");
			free(got);
			free(f);
			images++;
		}
		jv_free(image);
		jv_free(c);
	}
	ok(images == 5, "five letterboxed frames compared");
	jv_free(cases);
	ul_image_free(&src);
}

static void long_sides(const struct ul_safetensors *st)
{
	jv cases = meta(st, "load_image");
	jv_array_foreach(cases, i, c) {
		int h0 = number(c, "shape", 0), w0 = number(c, "shape", 1), imgsz = number(c, "imgsz", -1), w, h;
		ul_long_side_size(w0, h0, imgsz, &w, &h);
		ok(w == number(c, "size", 1) && h == number(c, "size", 0), "load_image: %dx%d at %d is %dx%d", w0, h0, imgsz, w, h);
		jv_free(c);
	}
	jv_free(cases);
}

static void coco8(const struct ul_safetensors *st)
{
	jv images = meta(st, "coco8");
	ok(jv_get_kind(images) == JV_KIND_ARRAY && jv_array_length(jv_copy(images)) == 8, "the fixture has coco8's 8 images");
	jv_array_foreach(images, i, entry) {
		jv file = jv_object_get(jv_copy(entry), jv_string("file"));
		jv load = jv_object_get(jv_copy(entry), jv_string("load_224"));
		jv sha = jv_object_get(jv_copy(load), jv_string("sha256"));
		char path[4096], hex[UL_SHA256_HEX];
		struct ul_image img, small = { 0 };
		jv err = jv_invalid();
		bool same = ul_image_decode(dataset_path(path, sizeof path, jv_string_value(file)), &img, &err) == 0 &&
			    ul_image_long_side(&img, 224, &small) == 0;
		if (same)
			ul_sha256_hex(small.rgb, (size_t)small.w * small.h * 3, hex);
		ok(same && small.w == number(load, "size", 0) && small.h == number(load, "size", 1) && !strcmp(hex, jv_string_value(sha)),
		   "%s at 224 (%dx%d): every byte as cv2.resize", jv_string_value(file), small.w, small.h);
		if (!same)
			printf("#   %s\n", jv_invalid_has_msg(jv_copy(err)) ? jv_string_value(jv_invalid_get_msg(jv_copy(err))) : "");
		jv_free(err);
		ul_image_free(&img);
		ul_image_free(&small);
		jv_free(sha);
		jv_free(load);
		jv_free(file);
		jv_free(entry);
	}
	jv_free(images);
}

/* Strides wider than the rows, as a letterbox writes into its frame. */
static void strides(void)
{
	struct ul_image src = formula_image(37, 23);
	unsigned char tight[50 * 31 * 3], wide[40][200];
	memset(wide, 7, sizeof wide);
	ul_resize_linear(src.rgb, 37, 23, 37 * 3, tight, 50, 31, 50 * 3);
	ul_resize_linear(src.rgb, 37, 23, 37 * 3, &wide[2][9], 50, 31, sizeof wide[0]);
	bool same = true, untouched = true;
	for (int y = 0; y < 40; y++)
		for (int x = 0; x < 200; x++) {
			bool inside = y >= 2 && y < 33 && x >= 9 && x < 9 + 150;
			if (inside)
				same = same && wide[y][x] == tight[(y - 2) * 150 + x - 9];
			else
				untouched = untouched && wide[y][x] == 7;
		}
	ok(same && untouched, "a destination stride: the same pixels, nothing written around them");
	ul_image_free(&src);
}

int main(void)
{
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, VECTORS "resize_opencv.safetensors", &err)) {
		ok(0, "the OpenCV vectors open");
		jv_free(err);
		return done_testing();
	}
	resizes(&st);
	letterboxes(&st);
	long_sides(&st);
	coco8(&st);
	strides();
	ul_safetensors_close(&st);
	return done_testing();
}
