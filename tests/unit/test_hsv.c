/* The HSV conversions and RandomHSV against OpenCV 4.6
 * (tests/reference/make_hsv_vectors.py): RGB to HSV and both of OpenCV's
 * HSV to RGB paths (its truncating blocks of 32 pixels and its rounding
 * rest of a row) on every one of the 2^24 byte triples, compared plane by
 * plane through SHA-256; Ultralytics' RandomHSV with six fixed gains on two
 * images (one with a tail past the blocks, greys, white and black), every
 * byte; its draws: three, h then s then v, none when every gain is 0. */
#include <stdbool.h>

#include "core/random.h"
#include "core/sha256.h"
#include "data/hsv.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"
#define TRIPLES (1 << 24)
#define PLANE_BYTES ((size_t)3 * 65536)

/* Pixel a holds (a >> 16, (a >> 8) & 255, a & 255): every byte triple. */
static void every_triple(unsigned char *p)
{
	for (size_t a = 0; a < TRIPLES; a++)
		p[3 * a] = (unsigned char)(a >> 16), p[3 * a + 1] = (unsigned char)(a >> 8), p[3 * a + 2] = (unsigned char)a;
}

/* How many of the 256 planes differ from the fixture's digests. */
static int planes_differ(const unsigned char *p, const unsigned char *digests)
{
	int differ = 0;
	for (int k = 0; k < 256; k++) {
		struct ul_sha256 s;
		unsigned char d[UL_SHA256_SIZE];
		ul_sha256_init(&s);
		ul_sha256_update(&s, p + k * PLANE_BYTES, PLANE_BYTES);
		ul_sha256_final(&s, d);
		differ += memcmp(d, digests + k * UL_SHA256_SIZE, UL_SHA256_SIZE) != 0;
	}
	return differ;
}

static void conversions(const struct ul_safetensors *st)
{
	unsigned char *p = malloc((size_t)3 * TRIPLES);
	const unsigned char *want[3] = { tensor_u8(st, "rgb2hsv.planes", 256 * UL_SHA256_SIZE),
					 tensor_u8(st, "hsv2rgb.blocks.planes", 256 * UL_SHA256_SIZE),
					 tensor_u8(st, "hsv2rgb.tail.planes", 256 * UL_SHA256_SIZE) };
	ok(p && want[0] && want[1] && want[2], "the conversions' digests are in the fixture");
	if (!p || !want[0] || !want[1] || !want[2]) {
		free(p);
		return;
	}
	static const char *what[3] = { "RGB2HSV", "HSV2RGB, OpenCV's blocks,", "HSV2RGB, OpenCV's rest of a row," };
	for (int k = 0; k < 3; k++) {
		every_triple(p);
		if (k == 0)
			ul_rgb_to_hsv(p, p, TRIPLES);
		else
			ul_hsv_to_rgb(p, p, k == 1 ? 4096 : 16, k == 1 ? 4096 : TRIPLES / 16);
		int differ = planes_differ(p, want[k]);
		ok(differ == 0, "%s on all 2^24 triples as cv2.cvtColor (%d of 256 planes differ)", what[k], differ);
	}
	free(p);
}

static void random_hsv(const struct ul_safetensors *st)
{
	jv cases = meta(st, "cases"), images = meta(st, "images");
	ok(jv_get_kind(cases) == JV_KIND_ARRAY && jv_array_length(jv_copy(cases)) == 6 && jv_get_kind(images) == JV_KIND_ARRAY &&
	   jv_array_length(jv_copy(images)) == 2, "six RandomHSV cases on two images");
	jv_array_foreach(cases, i, c) {
		double r[3];
		for (int k = 0; k < 3; k++) {
			jv v = jv_array_get(jv_copy(c), k);
			r[k] = jv_number_value(v);
			jv_free(v);
		}
		jv_array_foreach(images, m, image) {
			char name[64];
			struct ul_safetensor in;
			jv err = jv_invalid();
			snprintf(name, sizeof name, "input.%s", jv_string_value(image));
			bool found = ul_safetensors_get(st, name, &in, &err) == 0 && in.ndim == 3 && in.shape[2] == 3;
			jv_free(err);
			int w = found ? (int)in.shape[1] : 0, h = found ? (int)in.shape[0] : 0;
			size_t n = (size_t)w * h * 3, differ = n;
			snprintf(name, sizeof name, "output.%s.%d", jv_string_value(image), i);
			const unsigned char *want = tensor_u8(st, name, n);
			struct ul_image img = { w, h, malloc(n) };
			if (found && want && img.rgb) {
				memcpy(img.rgb, in.bytes, n);
				ul_hsv_apply(&img, r);
				differ = 0;
				for (size_t j = 0; j < n; j++)
					differ += img.rgb[j] != want[j];
			}
			ok(found && want && differ == 0, "RandomHSV r = (%g, %g, %g) on %s (%dx%d): %zu of %zu bytes differ from Ultralytics'",
			   r[0], r[1], r[2], jv_string_value(image), w, h, differ, n);
			ul_image_free(&img);
			jv_free(image);
		}
		jv_free(c);
	}
	jv_free(cases);
	jv_free(images);
}

static void draws(void)
{
	unsigned char pixels[4 * 3] = { 10, 200, 30, 255, 255, 255, 0, 0, 0, 90, 91, 250 }, copy[sizeof pixels];
	struct ul_image img = { 4, 1, copy };
	memcpy(copy, pixels, sizeof pixels);
	uint64_t rng = 7, start = rng;
	ul_random_hsv(&img, 0, 0, 0, &rng);
	ok(rng == start && !memcmp(copy, pixels, sizeof pixels), "every gain 0: nothing drawn, nothing changed");

	double r[3];
	uint64_t expect = start;
	double u[3] = { ul_random_unit(&expect), ul_random_unit(&expect), ul_random_unit(&expect) };
	ul_hsv_gains(&rng, 0.015, 0.7, 0.4, r);
	ok(rng == expect && r[0] == (-1 + 2 * u[0]) * 0.015 && r[1] == (-1 + 2 * u[1]) * 0.7 && r[2] == (-1 + 2 * u[2]) * 0.4,
	   "the gains: three draws, h s v, each uniform(-1, 1) x gain (%.4f %.4f %.4f)", r[0], r[1], r[2]);

	unsigned char by_hand[sizeof pixels];
	struct ul_image hand = { 4, 1, by_hand };
	memcpy(by_hand, pixels, sizeof pixels);
	ul_hsv_apply(&hand, r);
	rng = start;
	ul_random_hsv(&img, 0.015, 0.7, 0.4, &rng);
	ok(rng == expect && !memcmp(copy, by_hand, sizeof pixels), "ul_random_hsv is those draws, then their tables");

	memcpy(copy, pixels, sizeof pixels);
	rng = start;
	ul_random_hsv(&img, 0, 0.5, 0, &rng);
	ok(rng == expect && copy[3] == 255 && copy[4] == 255 && copy[5] == 255 && copy[6] == 0,
	   "one gain is enough to draw all three; white and black stay");
}

int main(void)
{
	struct ul_safetensors st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&st, VECTORS "hsv_opencv.safetensors", &err)) {
		ok(0, "the OpenCV vectors open");
		jv_free(err);
		return done_testing();
	}
	conversions(&st);
	random_hsv(&st);
	draws();
	ul_safetensors_close(&st);
	return done_testing();
}
