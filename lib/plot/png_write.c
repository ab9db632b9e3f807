#include "plot/png_write.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "core/error.h"

/* libpng's errors jump back into ul_png_write with the reason kept here. */
static void png_fail(png_structp png, png_const_charp message)
{
	char *why = png_get_error_ptr(png);
	snprintf(why, 256, "%s", message);
	png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp message)
{
	(void)png, (void)message;
}

/* The rows into f; 0, or -1 with why filled. */
static int encode(const struct ul_canvas *c, FILE *f, char *why)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, png_fail, png_quiet);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		snprintf(why, 256, "out of memory");
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < c->h; y++)
		png_write_row(png, c->rgb + (size_t)y * c->w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int ul_png_write(const struct ul_canvas *c, const char *path, jv *err)
{
	char tmp[4096], why[256] = "";
	/* this process's own name beside it, made as any new file (0666 less the umask) */
	if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
		return ul_invalid(err, "%s: the path is too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return ul_invalid(err, "%s: %s", path, strerror(errno));
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		int e = errno;
		close(fd), unlink(tmp);
		return ul_invalid(err, "%s: %s", path, strerror(e));
	}
	int failed = encode(c, f, why);
	if (ferror(f) && !failed)
		failed = -1, snprintf(why, sizeof why, "%s", strerror(errno));
	if (fclose(f) != 0 && !failed)
		failed = -1, snprintf(why, sizeof why, "%s", strerror(errno));
	if (!failed && rename(tmp, path) != 0)
		failed = -1, snprintf(why, sizeof why, "%s", strerror(errno));
	if (failed) {
		unlink(tmp);
		return ul_invalid(err, "%s: the picture could not be written: %s", path, why);
	}
	return 0;
}
