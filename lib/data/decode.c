#include "data/decode.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>

#include "core/error.h"

#define WHY 256

/* A file is read whole; the largest that can hold an image under the pixel
 * cap is a 32-bit BMP of it. */
#define MAX_FILE_BYTES (4 * UL_IMAGE_MAX_PIXELS + (1L << 20))

/* No real encoder writes more than a few dozen progressive scans; thousands
 * of tiny ones are a known way to make libjpeg spin for minutes. */
#define MAX_JPEG_SCANS 500

static int fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, WHY, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_size(long long w, long long h, char *why)
{
	if (w <= 0 || h <= 0)
		return fail(why, "image size %lldx%lld is invalid", w, h);
	if (w * h > UL_IMAGE_MAX_PIXELS)
		return fail(why, "image size %lldx%lld is over the cap of %ld pixels", w, h, UL_IMAGE_MAX_PIXELS);
	return 0;
}

static int allocate(struct ul_image *img, long long w, long long h, char *why)
{
	img->rgb = malloc((size_t)w * (size_t)h * 3);
	if (!img->rgb)
		return fail(why, "out of memory for a %lldx%lld image", w, h);
	img->w = (int)w;
	img->h = (int)h;
	return 0;
}

static unsigned rd16(const unsigned char *p, bool le) { return le ? p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1]; }
static uint32_t rd32(const unsigned char *p, bool le)
{
	return le ? p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
		  : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* --- EXIF orientation -------------------------------------------------------- */

/* The orientation tag (0x0112) of an APP1 Exif segment: "Exif\0\0", a TIFF
 * header (II or MM for the byte order, 42, the offset of IFD0), then IFD0: a
 * count and 12-byte entries (tag, type, count, value). 1 (as stored) when
 * there is none or it makes no sense. */
static int exif_orientation(const unsigned char *p, size_t n)
{
	if (n < 6 + 8 || memcmp(p, "Exif\0\0", 6) != 0)
		return 1;
	p += 6, n -= 6;
	bool le = p[0] == 'I' && p[1] == 'I';
	if (!le && !(p[0] == 'M' && p[1] == 'M'))
		return 1;
	size_t ifd = rd32(p + 4, le);
	if (ifd > n - 2)
		return 1;
	unsigned count = rd16(p + ifd, le);
	for (size_t e = ifd + 2; count-- && e + 12 <= n; e += 12)
		if (rd16(p + e, le) == 0x0112) {
			unsigned v = rd16(p + e + 2, le) == 3 ? rd16(p + e + 8, le) : 0;  /* type SHORT */
			return v >= 1 && v <= 8 ? (int)v : 1;
		}
	return 1;
}

/* Turns the stored pixels into the displayed ones. EXIF's eight
 * orientations are the dihedral group: whether rows and columns swap (5-8),
 * then whether the source is read right to left and bottom to top. */
static int orient(struct ul_image *img, int orientation, char *why)
{
	if (orientation == 1)
		return 0;
	bool swap = orientation >= 5;
	bool flip_x = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
	bool flip_y = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
	struct ul_image out;
	if (allocate(&out, swap ? img->h : img->w, swap ? img->w : img->h, why))
		return -1;
	for (int y = 0; y < out.h; y++)
		for (int x = 0; x < out.w; x++) {
			int u = swap ? y : x, v = swap ? x : y;
			int sx = flip_x ? img->w - 1 - u : u, sy = flip_y ? img->h - 1 - v : v;
			memcpy(out.rgb + ((size_t)y * out.w + x) * 3, img->rgb + ((size_t)sy * img->w + sx) * 3, 3);
		}
	ul_image_free(img);
	*img = out;
	return 0;
}

/* --- JPEG --------------------------------------------------------------------- */

struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	char *why;
};

static void jpeg_stop(j_common_ptr c, const char *message)
{
	struct jpeg_failure *f = (struct jpeg_failure *)c->err;
	snprintf(f->why, WHY, "JPEG: %s", message);
	longjmp(f->jump, 1);
}

/* libjpeg's errors come back here, never to its default exit(). */
static void jpeg_error(j_common_ptr c)
{
	char message[JMSG_LENGTH_MAX];
	if (c->err->msg_code == JERR_INPUT_EOF)
		jpeg_stop(c, "the data is cut short (the file is truncated)");
	c->err->format_message(c, message);
	jpeg_stop(c, message);
}

/* Warnings are not printed. Most are harmless (extraneous bytes between
 * markers), but a marker met while the image still needs data means the
 * rest would be grey: the file is cut short or corrupt. */
static void jpeg_warning(j_common_ptr c, int level)
{
	if (level < 0 && c->err->msg_code == JWRN_HIT_MARKER)
		jpeg_stop(c, "the data ends before the image does (the file is cut short or corrupt)");
}

static void jpeg_progress(j_common_ptr c)
{
	if (((j_decompress_ptr)c)->input_scan_number > MAX_JPEG_SCANS) {
		char message[64];
		snprintf(message, sizeof message, "over %d progressive scans", MAX_JPEG_SCANS);
		jpeg_stop(c, message);
	}
}

struct jpeg_memory {
	struct jpeg_source_mgr pub;
	bool ended;  /* our end marker has been handed out */
};

static const JOCTET end_marker[2] = { 0xFF, JPEG_EOI };

static void source_nothing(j_decompress_ptr c) { (void)c; }

/* After the file's bytes, an end-of-image marker of our own: a file that
 * lacks only its own decodes whole (Ultralytics re-saves those and keeps
 * them), and one that needs bytes past ours is cut short. */
static boolean source_fill(j_decompress_ptr c)
{
	struct jpeg_memory *m = (struct jpeg_memory *)c->src;
	if (m->ended)
		ERREXIT(c, JERR_INPUT_EOF);
	m->ended = true;
	c->src->next_input_byte = end_marker;
	c->src->bytes_in_buffer = sizeof end_marker;
	return TRUE;
}

static void source_skip(j_decompress_ptr c, long n)
{
	struct jpeg_source_mgr *s = c->src;
	while (n > (long)s->bytes_in_buffer) {
		n -= (long)s->bytes_in_buffer;
		s->fill_input_buffer(c);
	}
	if (n > 0) {
		s->next_input_byte += n;
		s->bytes_in_buffer -= (size_t)n;
	}
}

/* OpenCV's reading of (Adobe, inverted) CMYK: each of C, M, Y scaled by K. */
static void cmyk_to_rgb(const unsigned char *cmyk, unsigned char *rgb, int w)
{
	for (int x = 0; x < w; x++, cmyk += 4, rgb += 3) {
		int k = cmyk[3];
		for (int c = 0; c < 3; c++)
			rgb[c] = (unsigned char)(k - ((255 - cmyk[c]) * k >> 8));
	}
}

static int decode_jpeg(const unsigned char *data, size_t size, struct ul_image *img, char *why)
{
	struct jpeg_decompress_struct d;
	struct jpeg_failure failure = { .why = why };
	struct jpeg_progress_mgr progress = { .progress_monitor = jpeg_progress };
	struct jpeg_memory source = {
		.pub = { .next_input_byte = data, .bytes_in_buffer = size, .init_source = source_nothing,
			 .fill_input_buffer = source_fill, .skip_input_data = source_skip,
			 .resync_to_restart = jpeg_resync_to_restart, .term_source = source_nothing },
	};
	unsigned char *volatile cmyk = NULL;
	d.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = jpeg_error;
	failure.mgr.emit_message = jpeg_warning;
	if (setjmp(failure.jump)) {
		jpeg_destroy_decompress(&d);
		free(cmyk);
		ul_image_free(img);
		return -1;
	}
	jpeg_create_decompress(&d);
	d.src = &source.pub;
	d.progress = &progress;
	jpeg_save_markers(&d, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(&d, TRUE);
	if (check_size(d.image_width, d.image_height, why))
		longjmp(failure.jump, 1);  /* to the cleanup above */
	int orientation = 1;
	for (jpeg_saved_marker_ptr m = d.marker_list; m && orientation == 1; m = m->next)
		orientation = exif_orientation(m->data, m->data_length);

	bool is_cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
	d.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;  /* grey comes out repeated in R, G, B */
	jpeg_start_decompress(&d);
	if (allocate(img, d.output_width, d.output_height, why) || (is_cmyk && !(cmyk = malloc((size_t)d.output_width * 4))))
		jpeg_stop((j_common_ptr)&d, "out of memory");
	while (d.output_scanline < d.output_height) {
		unsigned char *row = img->rgb + (size_t)d.output_scanline * img->w * 3;
		JSAMPROW out = is_cmyk ? cmyk : row;
		jpeg_read_scanlines(&d, &out, 1);
		if (is_cmyk)
			cmyk_to_rgb(cmyk, row, img->w);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	free(cmyk);
	if (orient(img, orientation, why)) {
		ul_image_free(img);
		return -1;
	}
	return 0;
}

/* --- PNG ---------------------------------------------------------------------- */

struct png_memory {
	const unsigned char *data;
	size_t size, at;
	char *why;
};

static void png_fail(png_structp png, png_const_charp message)
{
	struct png_memory *m = png_get_error_ptr(png);
	snprintf(m->why, WHY, "PNG: %s", message);
	png_longjmp(png, 1);
}

/* Warnings (a wrong sRGB profile, an odd chunk) change nothing decoded. */
static void png_quiet(png_structp png, png_const_charp message)
{
	(void)png;
	(void)message;
}

static void png_read_memory(png_structp png, png_bytep out, size_t n)
{
	struct png_memory *m = png_get_io_ptr(png);
	if (n > m->size - m->at)
		png_error(png, "the data is cut short (the file is truncated)");
	memcpy(out, m->data + m->at, n);
	m->at += n;
}

static int decode_png(const unsigned char *data, size_t size, struct ul_image *img, char *why)
{
	struct png_memory source = { .data = data, .size = size, .why = why };
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_fail, png_quiet);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	png_bytep *volatile rows = NULL;
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return fail(why, "out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		free(rows);
		ul_image_free(img);
		return -1;
	}
	png_set_read_fn(png, &source, png_read_memory);
	png_read_info(png, info);
	png_uint_32 w, h;
	int depth, type;
	png_get_IHDR(png, info, &w, &h, &depth, &type, NULL, NULL, NULL);
	if (check_size(w, h, why))
		png_longjmp(png, 1);  /* to the cleanup above */
	/* OpenCV's colour reading: high bytes of 16-bit samples, palette and
	 * low-depth grey expanded, grey repeated, alpha (and tRNS) dropped. */
	if (depth == 16)
		png_set_strip_16(png);
	if (type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (!(type & PNG_COLOR_MASK_COLOR)) {
		if (depth < 8)
			png_set_expand_gray_1_2_4_to_8(png);
		png_set_gray_to_rgb(png);
	}
	png_set_strip_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 || png_get_rowbytes(png, info) != (size_t)w * 3) {
		fail(why, "PNG of colour type %d, depth %d, does not turn into 8-bit RGB", type, depth);
		png_longjmp(png, 1);
	}
	if (allocate(img, w, h, why) || !(rows = malloc(sizeof *rows * h)))
		png_error(png, "out of memory");
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = img->rgb + (size_t)y * w * 3;
	png_read_image(png, rows);
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	return 0;
}

/* --- BMP ---------------------------------------------------------------------- */

static int decode_bmp(const unsigned char *p, size_t size, struct ul_image *img, char *why)
{
	/* 14 bytes of file header, then the info header: 40 bytes, or the 108-
	 * and 124-byte versions that extend it */
	if (size < 54)
		return fail(why, "BMP header is cut short");
	uint32_t offset = rd32(p + 10, true), header = rd32(p + 14, true);
	if (header < 40)
		return fail(why, "BMP with a %u-byte (OS/2) header is not supported", (unsigned)header);
	int32_t w = (int32_t)rd32(p + 18, true), h = (int32_t)rd32(p + 22, true);
	unsigned bits = rd16(p + 28, true);
	uint32_t compression = rd32(p + 30, true);
	/* BI_BITFIELDS with the usual masks is BI_RGB by another name; the masks
	 * follow the 40 bytes of the header in every version */
	bool plain_masks = compression == 3 && bits == 32 && size >= 66 && rd32(p + 54, true) == 0xFF0000 &&
			   rd32(p + 58, true) == 0xFF00 && rd32(p + 62, true) == 0xFF;
	if ((bits != 24 && bits != 32) || (compression != 0 && !plain_masks))
		return fail(why, "BMP of %u bits per pixel, compression %u, is not supported (ul reads uncompressed 24- and 32-bit BMP)",
			    bits, (unsigned)compression);
	bool top_down = h < 0;  /* rows are stored bottom-up unless the height is negative */
	long long height = top_down ? -(long long)h : h;
	if (check_size(w, height, why))
		return -1;
	size_t stride = ((size_t)w * bits + 31) / 32 * 4, bytes = bits / 8;
	if (offset > size || (size - offset) / stride < (size_t)height)
		return fail(why, "BMP pixel data is cut short (the file is truncated)");
	if (allocate(img, w, height, why))
		return -1;
	for (int y = 0; y < img->h; y++) {
		const unsigned char *src = p + offset + stride * (size_t)(top_down ? y : img->h - 1 - y);
		unsigned char *dst = img->rgb + (size_t)y * img->w * 3;
		for (int x = 0; x < img->w; x++, src += bytes, dst += 3)
			dst[0] = src[2], dst[1] = src[1], dst[2] = src[0];  /* stored B, G, R */
	}
	return 0;
}

/* --- WebP -------------------------------------------------------------------- */

/* libwebp, as OpenCV's reader calls it: the first frame's RGB, alpha dropped. */
static int decode_webp(const unsigned char *data, size_t size, struct ul_image *img, char *why)
{
	int w, h;
	if (!WebPGetInfo(data, size, &w, &h))
		return fail(why, "a WebP header libwebp cannot read");
	if (check_size(w, h, why))
		return -1;
	size_t bytes = (size_t)w * h * 3;
	if (!(img->rgb = malloc(bytes)))
		return fail(why, "out of memory for %dx%d pixels", w, h);
	if (!WebPDecodeRGBInto(data, size, img->rgb, bytes, w * 3)) {
		free(img->rgb), img->rgb = NULL;
		return fail(why, "the WebP data does not decode (cut short or damaged)");
	}
	img->w = w, img->h = h;
	return 0;
}

/* --- the file ----------------------------------------------------------------- */

static int decode(const unsigned char *data, size_t size, struct ul_image *img, char *why)
{
	memset(img, 0, sizeof *img);
	if (size == 0)
		return fail(why, "empty file");
	if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
		return decode_jpeg(data, size, img, why);
	if (size >= 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8))
		return decode_png(data, size, img, why);
	if (size >= 2 && data[0] == 'B' && data[1] == 'M')
		return decode_bmp(data, size, img, why);
	if (size >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4))
		return decode_webp(data, size, img, why);
	return fail(why, "not a JPEG, PNG, BMP or WebP image");
}

int ul_image_decode_memory(const unsigned char *data, size_t size, struct ul_image *img, jv *err)
{
	char why[WHY];
	return decode(data, size, img, why) ? ul_invalid(err, "%s", why) : 0;
}

static int read_whole(const char *path, unsigned char **data, size_t *size, char *why)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(why, "cannot open: %s", strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fileno(f), &st) != 0)
		rc = fail(why, "cannot read: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = fail(why, "not a regular file");
	else if (st.st_size > MAX_FILE_BYTES)
		rc = fail(why, "a file of %lld bytes is over the cap of %ld", (long long)st.st_size, MAX_FILE_BYTES);
	else if (!(*data = malloc((size_t)st.st_size + 1)))
		rc = fail(why, "out of memory for %lld bytes", (long long)st.st_size);
	else if ((*size = fread(*data, 1, (size_t)st.st_size, f)) != (size_t)st.st_size || ferror(f)) {
		rc = fail(why, "cannot read: %s", ferror(f) ? strerror(errno) : "it changed while being read");
		free(*data);
	}
	fclose(f);
	return rc;
}

int ul_image_decode(const char *path, struct ul_image *img, jv *err)
{
	char why[WHY];
	unsigned char *data = NULL;
	size_t size = 0;
	memset(img, 0, sizeof *img);
	if (read_whole(path, &data, &size, why))
		return ul_invalid(err, "%s: %s", path, why);
	int rc = decode(data, size, img, why);
	free(data);
	return rc ? ul_invalid(err, "%s: %s", path, why) : 0;
}

void ul_image_free(struct ul_image *img)
{
	free(img->rgb);
	img->rgb = NULL;
	img->w = img->h = 0;
}
