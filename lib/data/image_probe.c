#include "data/image_probe.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool ul_image_extension(const char *name)
{
	/* Ultralytics' list, so that no image it would see goes unnoticed; the
	 * probe reads JPEG (and MPO), PNG, BMP and WebP and calls the others
	 * unsupported. */
	static const char *const exts[] = { "jpg", "jpeg", "png", "bmp", "webp", "mpo", "avif", "dng",
					    "heic", "heif", "jp2", "tif", "tiff", NULL };
	const char *dot = strrchr(name, '.');
	if (!dot)
		return false;
	for (const char *const *e = exts; *e; e++)
		if (!strcasecmp(dot + 1, *e))
			return true;
	return false;
}

static bool fail(struct ul_image_info *info, const char *why)
{
	snprintf(info->problem, sizeof info->problem, "%s", why);
	return false;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Walks the markers to the first start-of-frame, which holds the size. */
static bool probe_jpeg(FILE *f, struct ul_image_info *info)
{
	unsigned char b[8];
	if (fseek(f, 2, SEEK_SET) != 0)
		return fail(info, "cannot read the JPEG header");
	for (;;) {
		int c = fgetc(f);
		if (c == EOF)
			return fail(info, "JPEG ends before its frame header");
		if (c != 0xFF)
			return fail(info, "JPEG marker expected");
		do
			c = fgetc(f);
		while (c == 0xFF);  /* fill bytes */
		if (c == EOF)
			return fail(info, "JPEG ends before its frame header");
		if (c == 0xD8 || c == 0x01 || (c >= 0xD0 && c <= 0xD7))
			continue;  /* markers without a length */
		if (c == 0xD9 || c == 0xDA)
			return fail(info, "JPEG has no frame header");
		if (fread(b, 1, 2, f) != 2)
			return fail(info, "JPEG segment cut short");
		unsigned len = be16(b);
		if (len < 2)
			return fail(info, "JPEG segment length is invalid");
		/* SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) */
		if (c >= 0xC0 && c <= 0xCF && c != 0xC4 && c != 0xC8 && c != 0xCC) {
			if (len < 8 || fread(b, 1, 5, f) != 5)
				return fail(info, "JPEG frame header cut short");
			info->height = (int)be16(b + 1);
			info->width = (int)be16(b + 3);
			break;
		}
		if (fseek(f, (long)len - 2, SEEK_CUR) != 0)
			return fail(info, "JPEG segment cut short");
	}
	/* A JPEG should end with FFD9; Ultralytics re-saves those that do not. */
	if (fseek(f, -2, SEEK_END) == 0 && fread(b, 1, 2, f) == 2)
		info->jpeg_truncated = !(b[0] == 0xFF && b[1] == 0xD9);
	return true;
}

static bool probe_png(FILE *f, struct ul_image_info *info)
{
	unsigned char b[16];
	/* 8 signature bytes, then the IHDR chunk: length, "IHDR", width, height */
	if (fseek(f, 8, SEEK_SET) != 0 || fread(b, 1, 16, f) != 16 || memcmp(b + 4, "IHDR", 4) != 0)
		return fail(info, "PNG has no IHDR chunk");
	uint32_t w = be32(b + 8), h = be32(b + 12);
	if (w > 0x7fffffff || h > 0x7fffffff)
		return fail(info, "PNG size is invalid");
	info->width = (int)w;
	info->height = (int)h;
	return true;
}

static bool probe_bmp(FILE *f, struct ul_image_info *info)
{
	unsigned char b[26];
	if (fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, 26, f) != 26)
		return fail(info, "BMP header cut short");
	uint32_t dib = le32(b + 14);
	if (dib == 12) {  /* OS/2 core header: 16-bit sizes */
		info->width = (int)le16(b + 18);
		info->height = (int)le16(b + 20);
	} else if (dib >= 40) {
		int32_t h = (int32_t)le32(b + 22);  /* negative: rows stored top-down */
		info->width = (int)(int32_t)le32(b + 18);
		info->height = h < 0 ? (h == INT32_MIN ? 0 : -h) : h;
	} else {
		return fail(info, "BMP header is of an unknown kind");
	}
	return true;
}

static bool probe_webp(FILE *f, struct ul_image_info *info)
{
	unsigned char b[30];
	if (fseek(f, 0, SEEK_SET) != 0 || fread(b, 1, 30, f) != 30)
		return fail(info, "WebP header cut short");
	if (!memcmp(b + 12, "VP8 ", 4)) {  /* lossy: the frame tag, a start code, 14-bit sizes */
		if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a)
			return fail(info, "WebP frame start code missing");
		info->width = (int)(le16(b + 26) & 0x3fff);
		info->height = (int)(le16(b + 28) & 0x3fff);
	} else if (!memcmp(b + 12, "VP8L", 4)) {  /* lossless: signature 0x2f, then 14-bit sizes minus one */
		if (b[20] != 0x2f)
			return fail(info, "WebP lossless signature missing");
		uint32_t bits = le32(b + 21);
		info->width = (int)(bits & 0x3fff) + 1;
		info->height = (int)((bits >> 14) & 0x3fff) + 1;
	} else if (!memcmp(b + 12, "VP8X", 4)) {  /* extended: 24-bit sizes minus one */
		info->width = (int)(b[24] | b[25] << 8 | b[26] << 16) + 1;
		info->height = (int)(b[27] | b[28] << 8 | b[29] << 16) + 1;
	} else {
		return fail(info, "WebP chunk of an unknown kind");
	}
	return true;
}

bool ul_image_probe(const char *path, struct ul_image_info *info)
{
	memset(info, 0, sizeof *info);
	FILE *f = fopen(path, "rb");
	if (!f) {
		char why[128];
		snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
		return fail(info, why);
	}
	unsigned char magic[12] = { 0 };
	size_t got = fread(magic, 1, sizeof magic, f);
	bool ok;
	if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
		info->format = UL_IMAGE_JPEG;
		ok = probe_jpeg(f, info);
	} else if (got >= 8 && !memcmp(magic, "\x89PNG\r\n\x1a\n", 8)) {
		info->format = UL_IMAGE_PNG;
		ok = probe_png(f, info);
	} else if (got >= 2 && magic[0] == 'B' && magic[1] == 'M') {
		info->format = UL_IMAGE_BMP;
		ok = probe_bmp(f, info);
	} else if (got >= 12 && !memcmp(magic, "RIFF", 4) && !memcmp(magic + 8, "WEBP", 4)) {
		info->format = UL_IMAGE_WEBP;
		ok = probe_webp(f, info);
	} else {
		ok = fail(info, got == 0 ? "empty file" : "not a JPEG, PNG, BMP or WebP image (the formats ul reads)");
	}
	fclose(f);
	if (ok && (info->width < 10 || info->height < 10)) {
		char why[128];
		snprintf(why, sizeof why, "image size %dx%d is under 10 pixels", info->width, info->height);
		ok = fail(info, why);
	}
	return ok;
}
