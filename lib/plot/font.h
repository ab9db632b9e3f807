/* Text in the project's bitmap font (plot/glyphs.h) at any size: size is
 * the pixels per font unit, so capitals stand 7 x size pixels tall. The
 * glyphs are enlarged with Scale2x twice, which rounds their diagonals,
 * then sampled 4 x 4 per pixel, so a fractional size is antialiased and
 * a whole one stays sharp. Characters outside printable ASCII draw as '?'.
 *
 * A text's box runs from the capitals' top to the baseline and from its
 * first column to its last; align places that box against (x, y).
 * Vertical text reads upwards, turned a quarter to the left. A size not
 * in (0, 1000) or a point a million pixels off draws nothing. */
#ifndef UL_PLOT_FONT_H
#define UL_PLOT_FONT_H

#include <stdbool.h>

#include "plot/canvas.h"

enum {
	UL_LEFT = 0, UL_CENTER = 1, UL_RIGHT = 2,  /* along the text */
	UL_TOP = 0, UL_MIDDLE = 4, UL_BOTTOM = 8,  /* across it */
};

struct ul_font {
	float size;
	struct ul_rgb color;
	int align;      /* one of each pair above, or-ed */
	bool vertical;
};

/* The box's length along the text and its height, in pixels. */
float ul_text_width(const char *text, float size);
float ul_text_height(float size);

void ul_text(struct ul_canvas *c, float x, float y, const char *text, struct ul_font f);

#endif
