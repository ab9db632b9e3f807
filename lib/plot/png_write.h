/* A canvas saved as an 8-bit RGB PNG through libpng. The file is written
 * beside path under a temporary name and renamed over it when whole, so a
 * reader never sees half a picture. */
#ifndef UL_PLOT_PNG_WRITE_H
#define UL_PLOT_PNG_WRITE_H

#include <jv.h>

#include "plot/canvas.h"

/* 0, or -1 with a message naming path in *err. */
int ul_png_write(const struct ul_canvas *c, const char *path, jv *err);

#endif
