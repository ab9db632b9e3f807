/* Decoding: every coco8 image at the size its header gives and with the
 * pixels cv2.imdecode gives (SHA-256 from tests/reference/make_resize_vectors.py);
 * JPEGs built here with libjpeg (grey, CMYK, the eight EXIF orientations in
 * both byte orders); PNGs written here with libpng (RGB and interlaced RGB
 * exactly, palette with transparency, 16-bit grey, RGBA, 1-bit grey); BMPs
 * written by hand; and what must fail cleanly: truncated JPEG and PNG,
 * garbage, empty and missing files, sizes over the cap, BMP kinds not
 * read; a lossless WebP made here round-trips, a cut one fails. */
#include <stdint.h>
#include <stdio.h>  /* before jpeglib.h, which needs FILE and size_t */

#include <jpeglib.h>
#include <webp/encode.h>
#include <png.h>

#include "core/sha256.h"
#include "data/decode.h"
#include "data/image_probe.h"
#include "datasets.h"
#include "reference_read.h"
#include "scratch_files.h"
#include "tap.h"

static unsigned char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	unsigned char *bytes = malloc(*n);
	if (fread(bytes, 1, *n, f) != *n)
		*n = 0;
	fclose(f);
	return bytes;
}

static int decode(const unsigned char *bytes, size_t n, struct ul_image *img)
{
	jv err = jv_invalid();
	int rc = ul_image_decode_memory(bytes, n, img, &err);
	jv_free(err);
	return rc;
}

/* ok() that decoding fails, leaving img empty, with a message holding needle. */
static void fails(const unsigned char *bytes, size_t n, const char *needle, const char *what)
{
	struct ul_image img;
	jv err = jv_invalid();
	int rc = ul_image_decode_memory(bytes, n, &img, &err);
	jv msg = jv_invalid_get_msg(err);
	const char *why = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(no message)";
	ok(rc == -1 && img.rgb == NULL && strstr(why, needle), "%s: %s", what, rc ? why : "it decodes");
	jv_free(msg);
	if (!rc)
		ul_image_free(&img);
}

static bool same_image(const struct ul_image *a, const struct ul_image *b)
{
	return a->w == b->w && a->h == b->h && !memcmp(a->rgb, b->rgb, (size_t)a->w * a->h * 3);
}

/* --- coco8 ------------------------------------------------------------------------ */

static void coco8(void)
{
	struct ul_safetensors st;
	jv err = jv_invalid();
	jv images = jv_array();
	if (ul_safetensors_open_header(&st, "tests/reference/vectors/resize_opencv.safetensors", &err) == 0) {
		jv_free(images);
		images = meta(&st, "coco8");
		ul_safetensors_close(&st);
	}
	jv_free(err);
	ok(jv_get_kind(images) == JV_KIND_ARRAY && jv_array_length(jv_copy(images)) == 8, "cv2's decoding of the 8 coco8 images is in the fixture");
	char path[4096], hex[UL_SHA256_HEX];
	jv_array_foreach(images, i, entry) {
		jv file = jv_object_get(jv_copy(entry), jv_string("file"));
		jv sha = jv_object_get(jv_copy(entry), jv_string("rgb_sha256"));
		struct ul_image_info info;
		struct ul_image img;
		jv e = jv_invalid();
		dataset_path(path, sizeof path, jv_string_value(file));
		bool probed = ul_image_probe(path, &info);
		bool decoded = ul_image_decode(path, &img, &e) == 0;
		ok(probed && decoded && img.w == info.width && img.h == info.height, "%s decodes at its header's size %dx%d",
		   jv_string_value(file), info.width, info.height);
		if (decoded)
			ul_sha256_hex(img.rgb, (size_t)img.w * img.h * 3, hex);
		ok(decoded && !strcmp(hex, jv_string_value(sha)), "and to cv2.imdecode's pixels, every byte");
		if (i == 0 && decoded) {
			/* the same file cut in half, cut in its headers, and without its end marker */
			size_t n = 0;
			unsigned char *bytes = read_file(path, &n);
			struct ul_image cut;
			jv ce = jv_invalid();
			ok(ul_image_decode(write_file("half.jpg", bytes, n / 2), &cut, &ce) == -1 && cut.rgb == NULL,
			   "cut in half: fails");
			jv msg = jv_invalid_get_msg(ce);
			contains(jv_string_value(msg), "half.jpg: JPEG: the data ends before the image does", "with a message that names it");
			jv_free(msg);
			fails(bytes, 300, "JPEG: ", "cut in its headers");
			ok(decode(bytes, n - 2, &cut) == 0 && same_image(&cut, &img), "without its end marker: decodes whole, the same pixels");
			ul_image_free(&cut);
			free(bytes);
		}
		jv_free(e);
		ul_image_free(&img);
		jv_free(sha);
		jv_free(file);
		jv_free(entry);
	}
	jv_free(images);
}

/* --- JPEGs built here ------------------------------------------------------------- */

/* px: w x h pixels of `components` bytes in colour space `space`; an APP1
 * segment of n bytes when app1 is not NULL. The caller frees the result. */
static unsigned char *encode_jpeg(const unsigned char *px, int w, int h, J_COLOR_SPACE space, int components,
				  const unsigned char *app1, unsigned n, unsigned long *size)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, size);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = components;
	c.in_color_space = space;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 100, TRUE);
	jpeg_start_compress(&c, TRUE);
	if (app1)
		jpeg_write_marker(&c, JPEG_APP0 + 1, app1, n);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)px + (size_t)c.next_scanline * w * components;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	return out;
}

/* "Exif\0\0", a TIFF header in that byte order, IFD0 with one entry: the
 * orientation, type SHORT. */
static unsigned exif_app1(unsigned char *p, int orientation, bool little)
{
	unsigned char le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (unsigned char)orientation, 0, 0, 0, 0, 0, 0, 0 };
	unsigned char be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (unsigned char)orientation, 0, 0, 0, 0, 0, 0 };
	memcpy(p, "Exif\0\0", 6);
	memcpy(p + 6, little ? le : be, sizeof le);
	return 6 + sizeof le;
}

/* The displayed image from elementary moves, each written from its definition. */
static struct ul_image moved(const struct ul_image *a, char move)
{
	bool t = move == 't';
	struct ul_image b = { t ? a->h : a->w, t ? a->w : a->h, malloc((size_t)a->w * a->h * 3) };
	for (int y = 0; y < b.h; y++)
		for (int x = 0; x < b.w; x++) {
			int sx = move == 'h' ? a->w - 1 - x : t ? y : x, sy = move == 'v' ? a->h - 1 - y : t ? x : y;
			memcpy(b.rgb + ((size_t)y * b.w + x) * 3, a->rgb + ((size_t)sy * a->w + sx) * 3, 3);
		}
	return b;
}

static struct ul_image displayed(const struct ul_image *stored, int orientation)
{
	/* EXIF: 2 mirrored, 3 turned 180, 4 flipped, 5 transposed, 6 turned 90
	 * clockwise (transpose, mirror), 7 transverse, 8 turned 90 anticlockwise */
	static const char *const moves[9] = { "", "", "h", "hv", "v", "t", "th", "thv", "tv" };
	struct ul_image img = moved(stored, 'n');
	for (const char *m = moves[orientation]; *m; m++) {
		struct ul_image next = moved(&img, *m);
		ul_image_free(&img);
		img = next;
	}
	return img;
}

static void jpegs(void)
{
	enum { W = 24, H = 16 };
	unsigned char rgb[W * H * 3], grey[W * H], cmyk[W * H * 4], app1[64];
	for (int i = 0; i < W * H; i++) {
		int x = i % W, y = i / W;
		rgb[i * 3] = (unsigned char)(x * 10), rgb[i * 3 + 1] = (unsigned char)(y * 15), rgb[i * 3 + 2] = (unsigned char)(x < 8 && y < 8 ? 255 : 0);
		grey[i] = (unsigned char)(x * 10);
		unsigned char *p = cmyk + i * 4;
		p[0] = 255, p[1] = 0, p[2] = 128, p[3] = x < 12 ? 255 : 128;  /* stored inverted, as Adobe writes CMYK */
	}
	unsigned long n;
	struct ul_image img, stored;

	unsigned char *jpg = encode_jpeg(grey, W, H, JCS_GRAYSCALE, 1, NULL, 0, &n);
	bool close = decode(jpg, n, &img) == 0 && img.w == W && img.h == H;
	for (int i = 0; close && i < W * H; i++)
		close = img.rgb[i * 3] == img.rgb[i * 3 + 1] && img.rgb[i * 3] == img.rgb[i * 3 + 2] && abs(img.rgb[i * 3] - grey[i]) <= 2;
	ok(close, "a grey JPEG: R = G = B, within 2 of what was written");
	ul_image_free(&img);
	free(jpg);

	jpg = encode_jpeg(cmyk, W, H, JCS_CMYK, 4, NULL, 0, &n);
	close = decode(jpg, n, &img) == 0 && img.w == W && img.h == H;
	for (int y = 0; close && y < H; y++)
		for (int x = 2; close && x < W - 2; x++) {
			if (x >= 10 && x < 14)
				continue;  /* the step from K 255 to 128 */
			const unsigned char *p = img.rgb + (y * W + x) * 3;
			int want[3] = { x < 12 ? 255 : 128, 0, x < 12 ? 128 : 64 };  /* (255 - ink) scaled by (255 - K) / 255 */
			for (int c = 0; c < 3; c++)
				close = close && abs(p[c] - want[c]) <= 2;
		}
	ok(close, "a CMYK JPEG: RGB as each ink scaled by K, within 2");
	ul_image_free(&img);
	free(jpg);

	jpg = encode_jpeg(rgb, W, H, JCS_RGB, 3, NULL, 0, &n);
	ok(decode(jpg, n, &stored) == 0 && stored.w == W && stored.h == H, "an RGB JPEG without EXIF");
	free(jpg);
	for (int o = 1; o <= 8; o++)
		for (int little = 0; little < 2; little++) {
			jpg = encode_jpeg(rgb, W, H, JCS_RGB, 3, app1, exif_app1(app1, o, little), &n);
			struct ul_image want = displayed(&stored, o);
			int rc = decode(jpg, n, &img);
			ok(rc == 0 && same_image(&img, &want), "EXIF orientation %d (%s): %dx%d, the pixels moved as displayed",
			   o, little ? "II" : "MM", img.w, img.h);
			ul_image_free(&want);
			ul_image_free(&img);
			free(jpg);
		}
	jpg = encode_jpeg(rgb, W, H, JCS_RGB, 3, app1, exif_app1(app1, 9, true), &n);
	ok(decode(jpg, n, &img) == 0 && same_image(&img, &stored), "an orientation out of range is ignored");
	ul_image_free(&img);
	free(jpg);
	const unsigned char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";
	jpg = encode_jpeg(rgb, W, H, JCS_RGB, 3, xmp, sizeof xmp, &n);
	ok(decode(jpg, n, &img) == 0 && same_image(&img, &stored), "so is an APP1 that is not Exif");
	ul_image_free(&img);

	/* the frame header claims 60000 x 60000 */
	for (unsigned long i = 2; i + 9 < n; i++)
		if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
			jpg[i + 5] = 0xEA, jpg[i + 6] = 0x60, jpg[i + 7] = 0xEA, jpg[i + 8] = 0x60;
			break;
		}
	fails(jpg, n, "60000x60000 is over the cap", "a JPEG of 60000x60000");
	free(jpg);
	ul_image_free(&stored);
}

/* --- PNGs written here ------------------------------------------------------------- */

struct png_buffer {
	unsigned char *bytes;
	size_t n;
};

static void png_append(png_structp png, png_bytep data, size_t n)
{
	struct png_buffer *b = png_get_io_ptr(png);
	b->bytes = realloc(b->bytes, b->n + n);
	memcpy(b->bytes + b->n, data, n);
	b->n += n;
}

static void png_flush_nothing(png_structp png) { (void)png; }

/* rows: h rows of the given bytes each; a palette of 256 and transparency
 * when type is PNG_COLOR_TYPE_PALETTE. */
static struct png_buffer encode_png(const unsigned char *rows, int w, int h, int type, int depth, size_t row_bytes, bool interlaced)
{
	struct png_buffer b = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	png_set_write_fn(png, &b, png_append, png_flush_nothing);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (type == PNG_COLOR_TYPE_PALETTE) {
		png_color palette[256];
		png_byte alpha[256];
		for (int k = 0; k < 256; k++)
			palette[k] = (png_color){ (png_byte)k, (png_byte)(255 - k), (png_byte)(k * 3) }, alpha[k] = (png_byte)k;
		png_set_PLTE(png, info, palette, 256);
		png_set_tRNS(png, info, alpha, 256, NULL);
	}
	png_write_info(png, info);
	int passes = png_set_interlace_handling(png);
	for (int pass = 0; pass < passes; pass++)
		for (int y = 0; y < h; y++)
			png_write_row(png, rows + (size_t)y * row_bytes);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return b;
}

static void pngs(void)
{
	enum { W = 33, H = 21 };
	unsigned char rgb[W * H * 3], rgba[W * H * 4], index[W * H], grey16[W * H * 2], bits[H * 5];
	for (int i = 0; i < W * H; i++) {
		for (int c = 0; c < 3; c++)
			rgb[i * 3 + c] = (unsigned char)((i * 7 + c * 91 + i * i) % 256);
		for (int c = 0; c < 4; c++)
			rgba[i * 4 + c] = (unsigned char)((i * 5 + c * 77) % 256);
		index[i] = (unsigned char)(i % 256);
		grey16[i * 2] = (unsigned char)(i % 256), grey16[i * 2 + 1] = 0xFF;  /* big-endian: high byte first */
	}
	for (int y = 0; y < H; y++)
		for (int k = 0; k < 5; k++)
			bits[y * 5 + k] = (unsigned char)(y % 2 ? 0xAA : 0x0F);
	struct ul_image img, want = { W, H, rgb };

	struct png_buffer b = encode_png(rgb, W, H, PNG_COLOR_TYPE_RGB, 8, W * 3, false);
	ok(decode(b.bytes, b.n, &img) == 0 && same_image(&img, &want), "an RGB PNG written by libpng comes back exactly");
	ul_image_free(&img);
	fails(b.bytes, b.n / 2, "PNG: the data is cut short", "cut in half");
	b.bytes[8 + 25 + 8 + 4] ^= 0x55;  /* inside the compressed image data */
	fails(b.bytes, b.n, "PNG: ", "a flipped byte");
	free(b.bytes);

	b = encode_png(rgb, W, H, PNG_COLOR_TYPE_RGB, 8, W * 3, true);
	ok(decode(b.bytes, b.n, &img) == 0 && same_image(&img, &want), "interlaced (Adam7): exactly too");
	ul_image_free(&img);
	free(b.bytes);

	bool right = true;
	b = encode_png(rgba, W, H, PNG_COLOR_TYPE_RGBA, 8, W * 4, false);
	right = decode(b.bytes, b.n, &img) == 0 && img.w == W && img.h == H;
	for (int i = 0; right && i < W * H; i++)
		right = !memcmp(img.rgb + i * 3, rgba + i * 4, 3);
	ok(right, "RGBA: the alpha dropped, not blended");
	ul_image_free(&img);
	free(b.bytes);

	b = encode_png(index, W, H, PNG_COLOR_TYPE_PALETTE, 8, W, false);
	right = decode(b.bytes, b.n, &img) == 0 && img.w == W && img.h == H;
	for (int i = 0; right && i < W * H; i++) {
		int k = index[i];
		right = img.rgb[i * 3] == k && img.rgb[i * 3 + 1] == 255 - k && img.rgb[i * 3 + 2] == (unsigned char)(k * 3);
	}
	ok(right, "a palette with transparency: its colours, the transparency dropped");
	ul_image_free(&img);
	free(b.bytes);

	b = encode_png(grey16, W, H, PNG_COLOR_TYPE_GRAY, 16, W * 2, false);
	right = decode(b.bytes, b.n, &img) == 0 && img.w == W && img.h == H;
	for (int i = 0; right && i < W * H; i++)
		right = img.rgb[i * 3] == i % 256 && img.rgb[i * 3 + 1] == i % 256 && img.rgb[i * 3 + 2] == i % 256;
	ok(right, "16-bit grey: the high byte, repeated (0x12FF is 0x12, as OpenCV reads it)");
	ul_image_free(&img);
	free(b.bytes);

	b = encode_png(bits, W, H, PNG_COLOR_TYPE_GRAY, 1, 5, false);
	right = decode(b.bytes, b.n, &img) == 0 && img.w == W && img.h == H;
	for (int y = 0; right && y < H; y++)
		for (int x = 0; right && x < W; x++) {
			int bit = bits[y * 5 + x / 8] >> (7 - x % 8) & 1;
			right = img.rgb[(y * W + x) * 3] == (bit ? 255 : 0);
		}
	ok(right, "1-bit grey: 0 and 255");
	ul_image_free(&img);
	free(b.bytes);
}

/* A PNG header claiming w x h, with its CRC right, and the start of an IDAT. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFF;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xEDB88320 & -(c & 1));
	}
	return ~c;
}

static void huge(void)
{
	unsigned char png[8 + 25 + 8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
					  0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0 };  /* 30000 x 30000 RGB */
	uint32_t crc = crc32_of(png + 12, 17);
	png[29] = (unsigned char)(crc >> 24), png[30] = (unsigned char)(crc >> 16), png[31] = (unsigned char)(crc >> 8), png[32] = (unsigned char)crc;
	memcpy(png + 33, "\0\0\0\0IDAT", 8);
	fails(png, sizeof png, "30000x30000 is over the cap", "a PNG of 30000x30000");

	unsigned char bmp[54] = { 'B', 'M', [10] = 54, [14] = 40, [18] = 0xA0, 0x86, 0x01, 0, 0xA0, 0x86, 0x01, 0, 1, 0, 24 };
	fails(bmp, sizeof bmp, "100000x100000 is over the cap", "a BMP of 100000x100000");
}

/* --- BMPs written by hand ------------------------------------------------------------ */

static size_t bmp_header(unsigned char *p, int w, int h, int bits, int compression)
{
	memset(p, 0, 66);
	p[0] = 'B', p[1] = 'M';
	size_t offset = compression == 3 ? 66 : 54;
	p[10] = (unsigned char)offset;
	p[14] = 40;
	for (int k = 0; k < 4; k++)
		p[18 + k] = (unsigned char)((uint32_t)w >> 8 * k), p[22 + k] = (unsigned char)((uint32_t)h >> 8 * k);
	p[26] = 1, p[28] = (unsigned char)bits, p[30] = (unsigned char)compression;
	if (compression == 3)
		p[56] = 0xFF, p[59] = 0xFF, p[62] = 0xFF;  /* R 0xFF0000, G 0xFF00, B 0xFF, little-endian */
	return offset;
}

static void bmps(void)
{
	enum { W = 5, H = 3 };
	unsigned char want_rgb[W * H * 3], file[66 + 4 * W * H + 16];
	for (int i = 0; i < W * H * 3; i++)
		want_rgb[i] = (unsigned char)(i * 17 + 3);
	struct ul_image img, want = { W, H, want_rgb };

	/* 24-bit, bottom-up, rows of 15 bytes padded to 16 */
	size_t at = bmp_header(file, W, H, 24, 0);
	for (int y = H - 1; y >= 0; y--, at += 16)
		for (int x = 0; x < W; x++)
			for (int c = 0; c < 3; c++)
				file[at + x * 3 + c] = want_rgb[(y * W + x) * 3 + 2 - c];
	ok(decode(file, at, &img) == 0 && same_image(&img, &want), "a 24-bit BMP, bottom-up with padded rows");
	ul_image_free(&img);
	fails(file, at - 1, "cut short", "one byte short");

	/* 32-bit, top-down, with BI_BITFIELDS masks */
	at = bmp_header(file, W, -H, 32, 3);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++, at += 4)
			for (int c = 0; c < 3; c++)
				file[at + c] = want_rgb[(y * W + x) * 3 + 2 - c], file[at + 3] = 0x80;
	ok(decode(file, at, &img) == 0 && same_image(&img, &want), "a 32-bit BMP, top-down, the fourth byte dropped");
	ul_image_free(&img);

	bmp_header(file, W, H, 8, 0);
	fails(file, sizeof file, "8 bits per pixel", "an 8-bit BMP");
	bmp_header(file, W, H, 24, 1);
	fails(file, sizeof file, "compression 1", "an RLE BMP");
}

/* --- what is not an image ---------------------------------------------------------------- */

static void garbage(void)
{
	struct ul_image img;
	unsigned char junk[4096];
	uint32_t s = 12345;
	for (size_t i = 0; i < sizeof junk; i++)
		s = s * 1664525 + 1013904223, junk[i] = (unsigned char)(s >> 24);
	fails(junk, sizeof junk, "not a JPEG, PNG, BMP or WebP", "random bytes");
	junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF;
	fails(junk, sizeof junk, "JPEG: ", "random bytes after a JPEG's first marker");
	memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
	fails(junk, sizeof junk, "PNG: ", "random bytes after a PNG signature");
	fails(junk, 0, "empty", "nothing");
	fails((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16, "WebP", "a WebP header and nothing more");

	/* WebP, encoded here losslessly with libwebp: the same pixels back;
	 * cut in half it fails */
	{
		int w = 37, h = 23;
		unsigned char *rgb = malloc((size_t)w * h * 3), *webp = NULL;
		for (int i = 0; i < w * h * 3; i++)
			rgb[i] = (unsigned char)(i * 7 + i / 3);
		size_t n = WebPEncodeLosslessRGB(rgb, w, h, w * 3, &webp);
		struct ul_image got;
		jv werr = jv_invalid();
		ok(n > 0 && ul_image_decode(write_file("a.webp", webp, n), &got, &werr) == 0 && got.w == w && got.h == h &&
		   !memcmp(got.rgb, rgb, (size_t)w * h * 3), "a lossless WebP decodes to its pixels");
		if (got.rgb)
			ul_image_free(&got);
		fails(webp, n / 2, "WebP", "a WebP cut in half");
		WebPFree(webp);
		free(rgb);
	}

	jv err = jv_invalid();
	ok(ul_image_decode(write_file("junk.jpg", junk, sizeof junk), &img, &err) == -1, "a garbage file fails");
	jv msg = jv_invalid_get_msg(err);
	contains(jv_string_value(msg), "junk.jpg: PNG: ", "the message names the file and what its bytes are");
	jv_free(msg);
	err = jv_invalid();
	ok(ul_image_decode("/nonexistent/x.jpg", &img, &err) == -1, "a missing file fails");
	msg = jv_invalid_get_msg(err);
	contains(jv_string_value(msg), "/nonexistent/x.jpg: cannot open", "saying so");
	jv_free(msg);
	err = jv_invalid();
	ok(ul_image_decode(scratch_dir, &img, &err) == -1, "a folder fails");
	jv_free(err);
}

int main(void)
{
	ok(scratch_begin() != NULL, "temp dir");
	coco8();
	jpegs();
	pngs();
	huge();
	bmps();
	garbage();
	scratch_end();
	return done_testing();
}
