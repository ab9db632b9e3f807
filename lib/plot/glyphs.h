/* The bitmap glyphs the font scales (plot/font.h). */
#ifndef UL_PLOT_GLYPHS_H
#define UL_PLOT_GLYPHS_H

#define UL_GLYPH_FIRST ' '
#define UL_GLYPH_COUNT 95  /* ' ' .. '~' */
#define UL_GLYPH_W 5
#define UL_GLYPH_H 9
#define UL_GLYPH_CAP 7     /* rows above the baseline */
#define UL_GLYPH_ADVANCE 6 /* a column between letters */

extern const unsigned char ul_glyphs[UL_GLYPH_COUNT][UL_GLYPH_H];

#endif
