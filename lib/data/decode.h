/* Image files decoded to 8-bit RGB, the pixels Ultralytics' loader sees.
 *
 * Ultralytics reads every image with OpenCV's imdecode in colour mode, so
 * that is the model: JPEG through libjpeg-turbo (grey and CMYK turned into
 * RGB as OpenCV does, the EXIF orientation applied), PNG through libpng
 * (palette expanded, grey repeated, 16-bit cut to its high byte, alpha
 * dropped, not blended), uncompressed 24- or 32-bit BMP and WebP through
 * libwebp (its first frame, alpha dropped). The format comes
 * from the file's first bytes, not its name.
 *
 * A file that does not decode gives -1 and a message, never a crash, a
 * longjmp out of here or a line on stderr: a JPEG whose data is cut short
 * fails (one that lacks only its end marker decodes, as Ultralytics repairs
 * those), and a declared size over UL_IMAGE_MAX_PIXELS is refused before
 * anything is allocated for it. */
#ifndef UL_DATA_DECODE_H
#define UL_DATA_DECODE_H

#include <stddef.h>

#include <jv.h>

/* 2^28 pixels: 805 MB of RGB, past any photograph worth training on. */
#define UL_IMAGE_MAX_PIXELS (1L << 28)

struct ul_image {
	int w, h;
	unsigned char *rgb;  /* h rows of w pixels, 3 bytes each (R, G, B), no padding */
};

/* Decodes the file at path into img (ul_image_free releases it). 0, or -1
 * with a message naming the file in *err, img then holding nothing. */
int ul_image_decode(const char *path, struct ul_image *img, jv *err);

/* The same from size bytes in memory; the message does not name a file. */
int ul_image_decode_memory(const unsigned char *data, size_t size, struct ul_image *img, jv *err);

void ul_image_free(struct ul_image *img);

#endif
