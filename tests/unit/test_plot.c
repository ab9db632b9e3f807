/* The plotting layer (lib/plot) by its pixels: what a rectangle, a line,
 * a dotted line, a disc and text cover and what they leave alone; a PNG
 * written and decoded back the same; tick steps, the Blues scale, the two
 * smoothings; and results-style CSV files, good and broken. */
#include <math.h>
#include <sys/stat.h>

#include "data/decode.h"
#include "plot/canvas.h"
#include "plot/chart.h"
#include "plot/csv.h"
#include "plot/font.h"
#include "plot/glyphs.h"
#include "plot/heatmap.h"
#include "plot/png_write.h"
#include "plot/smooth.h"
#include "scratch_files.h"
#include "tap.h"

static const struct ul_rgb white = { 255, 255, 255 }, red = { 255, 0, 0 }, black = { 0, 0, 0 };

static const unsigned char *at(const struct ul_canvas *c, int x, int y)
{
	return c->rgb + 3 * ((size_t)y * c->w + x);
}

static int is(const struct ul_canvas *c, int x, int y, struct ul_rgb want)
{
	const unsigned char *p = at(c, x, y);
	return p[0] == want.r && p[1] == want.g && p[2] == want.b;
}

static int row_is(const struct ul_canvas *c, int y, int x0, int x1, struct ul_rgb want)
{
	for (int x = x0; x < x1; x++)
		if (!is(c, x, y, want))
			return 0;
	return 1;
}

/* The smallest box holding every pixel that is not white; 0 when none. */
static int inked(const struct ul_canvas *c, int *x0, int *y0, int *x1, int *y1)
{
	*x0 = c->w, *y0 = c->h, *x1 = -1, *y1 = -1;
	for (int y = 0; y < c->h; y++)
		for (int x = 0; x < c->w; x++)
			if (!is(c, x, y, white))
				*x0 = x < *x0 ? x : *x0, *y0 = y < *y0 ? y : *y0, *x1 = x > *x1 ? x : *x1, *y1 = y > *y1 ? y : *y1;
	return *x1 >= 0;
}

static void clear(struct ul_canvas *c)
{
	ul_canvas_unclip(c);
	ul_canvas_rect(c, 0, 0, c->w, c->h, white);
}

static void shapes(void)
{
	struct ul_canvas c;
	ok(ul_canvas_init(&c, 64, 48, white) == 0 && c.w == 64 && c.h == 48 && is(&c, 63, 47, white), "a 64 x 48 white canvas");
	ok(ul_canvas_init(&(struct ul_canvas){ 0 }, 0, 10, white) == -1, "no canvas of width 0");

	ul_canvas_rect(&c, 10, 5, 20, 9, red);
	ok(is(&c, 10, 5, red) && is(&c, 19, 8, red), "a rectangle fills its first and last pixel");
	ok(is(&c, 9, 5, white) && is(&c, 20, 5, white) && is(&c, 10, 4, white) && is(&c, 10, 9, white), "and none past them");
	ul_canvas_clip(&c, 30, 0, 40, 48);
	ul_canvas_rect(&c, 0, 20, 64, 22, red);
	ok(is(&c, 30, 20, red) && is(&c, 39, 21, red) && is(&c, 29, 20, white) && is(&c, 40, 20, white), "drawing stays inside the clip");
	ul_canvas_rect(&c, -100, -100, 1000, 1000, red);
	ok(is(&c, 35, 0, red) && is(&c, 0, 0, white), "a rectangle far past the canvas is cut, not a crash");

	/* a line of width 3 along the middle of row 20 */
	clear(&c);
	ul_canvas_line(&c, (float[]){ 4, 20.5f, 60, 20.5f }, 2, (struct ul_stroke){ red, 3, 0, 0 });
	ok(row_is(&c, 19, 8, 56, red) && row_is(&c, 20, 8, 56, red) && row_is(&c, 21, 8, 56, red),
	   "a horizontal line of width 3 covers rows y-1, y and y+1");
	ok(row_is(&c, 18, 0, 64, white) && row_is(&c, 22, 0, 64, white) && row_is(&c, 23, 0, 64, white), "and not y-2, y+2 or y+3");
	ok(is(&c, 1, 20, white) && is(&c, 62, 20, white) && !is(&c, 2, 20, white), "its round ends reach half its width past them");

	/* width 1 on the boundary between rows 9 and 10: half of each */
	clear(&c);
	ul_canvas_line(&c, (float[]){ 0, 10, 64, 10 }, 2, (struct ul_stroke){ black, 1, 0, 0 });
	ok(abs(at(&c, 30, 9)[0] - 128) <= 1 && abs(at(&c, 30, 10)[0] - 128) <= 1 && is(&c, 30, 8, white),
	   "a line between two rows is antialiased: half grey on both (%d, %d)", at(&c, 30, 9)[0], at(&c, 30, 10)[0]);

	/* a joint and a line back over itself blend once, not twice */
	clear(&c);
	ul_canvas_line(&c, (float[]){ 2, 10, 30, 10, 60, 10, 20, 10 }, 4, (struct ul_stroke){ black, 1, 0, 0 });
	ok(at(&c, 30, 9)[0] == at(&c, 10, 9)[0] && at(&c, 40, 9)[0] == at(&c, 10, 9)[0],
	   "where pieces of one line overlap, the pixel is as grey as elsewhere");

	/* a dotted line: dots and gaps along it */
	clear(&c);
	ul_canvas_line(&c, (float[]){ 2, 30.5f, 62, 30.5f }, 2, (struct ul_stroke){ red, 2, 0.1f, 4 });
	int dark = 0, light = 0;
	for (int x = 4; x < 60; x++)
		dark += at(&c, x, 30)[1] < 64, light += is(&c, x, 30, white);
	ok(dark >= 10 && light >= 10, "a dotted line has dots (%d pixels) and gaps (%d)", dark, light);

	/* far-off geometry: clipped, at once and without an overflow */
	clear(&c);
	ul_canvas_line(&c, (float[]){ -1e9f, 40.5f, 1e9f, 40.5f }, 2, (struct ul_stroke){ red, 1, 4, 6 });
	ul_canvas_disc(&c, 1e30f, 1e30f, 3, red);
	ul_text(&c, -1e30f, 10, "far", (struct ul_font){ 2, black, UL_LEFT | UL_TOP, false });
	dark = 0, light = 0;
	for (int x = 0; x < 64; x++)
		dark += is(&c, x, 40, red), light += is(&c, x, 40, white);
	ok(dark >= 15 && light >= 15 && row_is(&c, 20, 0, 64, white), "a dashed line two billion pixels long: its dashes across");

	/* a disc of radius 5 */
	clear(&c);
	ul_canvas_disc(&c, 32, 24, 5, red);
	ok(is(&c, 32, 24, red) && is(&c, 28, 24, red) && is(&c, 32, 20, red), "a disc fills its inside");
	ok(is(&c, 38, 24, white) && is(&c, 32, 30, white) && is(&c, 36, 28, white), "and leaves its outside");
	ul_canvas_free(&c);
}

static void text(void)
{
	for (int g = 1, bad = 0; g <= UL_GLYPH_COUNT; g++) {
		int pixels = 0, wide = 0;
		for (int y = 0; g < UL_GLYPH_COUNT && y < UL_GLYPH_H; y++)
			pixels += ul_glyphs[g][y] != 0, wide |= ul_glyphs[g][y] >> UL_GLYPH_W;
		bad += g < UL_GLYPH_COUNT && (!pixels || wide);
		if (g == UL_GLYPH_COUNT)
			ok(!bad, "every printable character but space has pixels, all in 5 columns");
	}
	is_int((int)ul_text_width("Hi", 2), 22, "two characters at size 2: 11 font units, 22 pixels");
	is_int((int)ul_text_height(2), 14, "capitals 7 units tall");
	is_int((int)ul_text_width("", 2), 0, "no text, no width");

	struct ul_canvas c;
	ul_canvas_init(&c, 80, 60, white);
	int x0, y0, x1, y1;
	ul_text(&c, 10, 10, "Hi", (struct ul_font){ 2, black, UL_LEFT | UL_TOP, false });
	int any = inked(&c, &x0, &y0, &x1, &y1);
	ok(any && x0 >= 10 && y0 >= 10 && x1 < 32 && y1 < 24,
	   "a glyph's pixels fall within its text box (%d,%d)-(%d,%d)", x0, y0, x1, y1);
	ok(x0 == 10 && y0 == 10 && y1 == 23 && is(&c, 10, 12, black) && is(&c, 11, 20, black),
	   "and reach its left, top and bottom: H's stems at a whole size are solid");

	clear(&c);
	ul_text(&c, 40, 30, "Hi", (struct ul_font){ 2, black, UL_CENTER | UL_MIDDLE, false });
	any = inked(&c, &x0, &y0, &x1, &y1);
	ok(any && x0 == 29 && y0 == 23 && x1 <= 50 && y1 == 36, "centred on its point both ways");

	clear(&c);
	ul_text(&c, 10, 10, "gy", (struct ul_font){ 2, black, UL_LEFT | UL_TOP, false });
	any = inked(&c, &x0, &y0, &x1, &y1);
	ok(any && y1 >= 24 && y1 < 28, "descenders hang below the baseline, within 9 units (%d)", y1);

	clear(&c);
	ul_text(&c, 40, 50, "Hi", (struct ul_font){ 2, black, UL_LEFT | UL_BOTTOM, true });
	any = inked(&c, &x0, &y0, &x1, &y1);
	ok(any && x1 - x0 == 13 && y1 - y0 <= 21 && y1 < 50 && x1 < 40,
	   "vertical text turns its box: 14 across, 22 up, from its point (%d,%d)-(%d,%d)", x0, y0, x1, y1);

	struct ul_canvas q;
	ul_canvas_init(&q, 80, 60, white);
	clear(&c);
	ul_text(&c, 10, 10, "\x01", (struct ul_font){ 2, black, UL_LEFT | UL_TOP, false });
	ul_text(&q, 10, 10, "?", (struct ul_font){ 2, black, UL_LEFT | UL_TOP, false });
	ok(!memcmp(c.rgb, q.rgb, (size_t)c.w * c.h * 3), "a character outside ASCII draws as '?'");

	clear(&c);
	ul_text(&c, 10, 10, "0.5", (struct ul_font){ 1.4f, black, UL_LEFT | UL_TOP, false });
	int grey = 0;
	for (size_t i = 0; i < (size_t)c.w * c.h; i++)
		grey += c.rgb[3 * i] > 0 && c.rgb[3 * i] < 255;
	any = inked(&c, &x0, &y0, &x1, &y1);
	ok(grey > 0 && any && x1 < 10 + 17 * 1.4f + 1, "a fractional size is antialiased, in its box");
	ul_canvas_free(&q), ul_canvas_free(&c);
}

static void png(void)
{
	struct ul_canvas c;
	ul_canvas_init(&c, 33, 17, white);
	for (int y = 0; y < c.h; y++)
		for (int x = 0; x < c.w; x++)
			ul_canvas_rect(&c, x, y, x + 1, y + 1, (struct ul_rgb){ (unsigned char)(x * 7), (unsigned char)(y * 15), 99 });
	char path[512];
	snprintf(path, sizeof path, "%s/out.png", scratch_dir);
	jv err = jv_invalid();
	ok(ul_png_write(&c, path, &err) == 0, "a PNG written");
	struct ul_image im;
	ok(ul_image_decode(path, &im, &err) == 0 && im.w == 33 && im.h == 17, "and decoded back: 33 x 17");
	ok(im.rgb && !memcmp(im.rgb, c.rgb, (size_t)33 * 17 * 3), "every pixel the same");
	ul_image_free(&im);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0044) == (0644 & ~umask(umask(0)) & 0044), "readable as a new file is (the umask's)");
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	ok(stat(tmp, &st) != 0, "no temporary file left beside it");

	ok(ul_png_write(&c, "/nonexistent-dir/x.png", &err) == -1, "an unwritable folder fails");
	jv msg = jv_invalid_get_msg(err);
	contains(jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "", "/nonexistent-dir/x.png", "naming the file");
	jv_free(msg);
	ul_canvas_free(&c);
}

static void ticks(void)
{
	struct ul_ticks t;
	ul_ticks(0, 1, 9, &t);
	ok(t.n == 6 && !strcmp(t.text[0], "0.0") && !strcmp(t.text[1], "0.2") && !strcmp(t.text[5], "1.0"),
	   "0 to 1 in at most 9 bins: 0.0, 0.2 .. 1.0");
	ul_ticks(-0.45, 31.45, 4, &t);
	ok(t.n == 4 && t.v[0] == 0 && t.v[3] == 30 && !strcmp(t.text[1], "10"), "epochs 1 to 31 in 4 bins: 0, 10, 20, 30");
	ul_ticks(0.0585, 0.0915, 8, &t);
	ok(t.n == 7 && !strcmp(t.text[0], "0.060") && !strcmp(t.text[1], "0.065"), "a step of 0.005 prints 3 decimals (%s)", t.text[0]);
	ul_ticks(-1, 1, 4, &t);
	ok(t.n == 5 && !strcmp(t.text[2], "0.0"), "zero prints as 0.0, never -0.0");
	ul_ticks(1, 1, 4, &t);
	ok(t.n == 0, "an empty range has no ticks");
	double lo, hi;
	ul_axes_range((double[]){ 2, NAN, 4 }, 3, &lo, &hi);
	ok(lo == 1.9 && hi == 4.1, "the range of 2 and 4 with 5%% margins, NaN skipped");

	struct ul_canvas c;
	ul_canvas_init(&c, 100, 100, white);
	struct ul_axes a = { &c, 10, 10, 90, 90, 0, 1, 0, 1, 1 };
	ok(ul_axes_x(&a, 0) == 10 && ul_axes_x(&a, 1) == 90 && ul_axes_y(&a, 0) == 90 && ul_axes_y(&a, 1) == 10,
	   "data 0 and 1 at the area's edges, y upwards");
	ul_axes_line(&a, (double[]){ -1, 2 }, (double[]){ 0.5, 0.5 }, 2, (struct ul_stroke){ red, 3, 0, 0 });
	ok(is(&c, 10, 50, red) && is(&c, 89, 50, red) && is(&c, 9, 50, white) && is(&c, 90, 50, white), "a series is clipped to its area");
	ul_canvas_free(&c);
}

static void colours_and_smoothing(void)
{
	struct ul_rgb lo = ul_blues(0), hi = ul_blues(1), mid = ul_blues(0.5);
	ok(lo.r == 0xf7 && lo.g == 0xfb && lo.b == 0xff && hi.r == 0x08 && hi.g == 0x30 && hi.b == 0x6b, "Blues: near white to navy");
	ok(mid.r == 0x6b && mid.g == 0xae && mid.b == 0xd6, "its middle stop at 0.5");
	ok(ul_blues(-1).r == lo.r && ul_blues(7).b == hi.b, "taken into 0 .. 1");

	struct ul_canvas c;
	ul_canvas_init(&c, 40, 40, white);
	double v[4] = { 1, 4, NAN, 2 };
	struct ul_heatmap h = { v, 2, 2, 4, 0, 0, 20 };
	ul_heatmap_cells(&c, &h);
	ok(is(&c, 30, 5, hi) && is(&c, 0, 39, white) && !is(&c, 5, 5, hi), "the largest value the darkest cell, a NaN one white");
	ul_canvas_free(&c);

	double y[40], out[40];
	for (int i = 0; i < 40; i++)
		y[i] = 3;
	ok(ul_smooth_gaussian(y, 40, 3, out) == 0 && fabs(out[0] - 3) < 1e-12 && fabs(out[39] - 3) < 1e-12, "a constant stays constant");
	for (int i = 0; i < 40; i++)
		y[i] = i < 20 ? 0 : 1;
	ul_smooth_gaussian(y, 40, 3, out);
	ok(fabs(out[19] + out[20] - 1) < 1e-12 && out[10] < 1e-3 && out[0] == 0 && out[19] > 0.3, "a step smoothed symmetrically");
	ul_smooth_gaussian((double[]){ 5, 7 }, 2, 3, out);
	ok(fabs(out[0] + out[1] - 12) < 1e-12, "two points, the mirror repeated past both ends");
	double impulse[1000] = { 0 }, box[1000];
	impulse[500] = 101;
	ul_smooth_box(impulse, 1000, 0.1, box);
	ok(fabs(box[450] - 1) < 1e-12 && fabs(box[550] - 1) < 1e-12 && box[449] == 0 && box[551] == 0,
	   "a tenth of 1000 points: a window of 101");
}

static const char *csv_error(const char *name, const char *text)
{
	static char message[512];
	const char *path = write_file(name, text, strlen(text));
	struct ul_csv t;
	jv err = jv_invalid();
	if (ul_csv_read(path, &t, &err) == 0) {
		ul_csv_free(&t);
		return "(read)";
	}
	jv msg = jv_invalid_get_msg(err);
	snprintf(message, sizeof message, "%s", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(none)");
	jv_free(msg);
	return message;
}

static void csv(void)
{
	const char *text = "  epoch,   train/box_loss,x\r\n1, 2.5,\r\n\r\n2,2.25,nan\r\n";
	const char *path = write_file("good.csv", text, strlen(text));
	struct ul_csv t;
	jv err = jv_invalid();
	ok(ul_csv_read(path, &t, &err) == 0 && t.cols == 3 && t.rows == 2, "a padded header, CRLF and a blank line: 3 x 2");
	ok(t.names && !strcmp(t.names[0], "epoch") && !strcmp(t.names[1], "train/box_loss"), "names without their spaces");
	ok(t.v && t.v[1] == 2.5 && isnan(t.v[2]) && t.v[4] == 2.25 && isnan(t.v[5]), "numbers; empty and nan read as NaN");
	ul_csv_free(&t);

	contains(csv_error("cut.csv", "epoch,a,b\n1,2,3\n2,2"), "line 3: 2 fields", "a row cut short names its line");
	contains(csv_error("word.csv", "epoch,a\n1,abc\n"), "\"abc\" in column a is not a number", "a word where a number goes");
	contains(csv_error("empty.csv", ""), "empty", "an empty file");
	contains(csv_error("head.csv", "epoch,a\n"), "no rows", "a header alone");
	contains(csv_error("noname.csv", "epoch,,a\n1,2,3\n"), "column 2 has no name", "a nameless column");
	const char binary[] = "\x89PNG\r\n\x1a\n\0\0\0";
	path = write_file("bin.csv", binary, sizeof binary);
	ok(ul_csv_read(path, &t, &err) == -1, "a binary file fails");
	jv msg = jv_invalid_get_msg(err);
	contains(jv_string_value(msg), "NUL", "as not text");
	jv_free(msg);
	ok(ul_csv_read("/nonexistent/results.csv", &t, &err) == -1, "a missing file fails");
	msg = jv_invalid_get_msg(err);
	contains(jv_string_value(msg), "No such file", "saying so");
	jv_free(msg);
}

int main(void)
{
	ok(scratch_begin() != NULL, "a scratch folder");
	shapes();
	text();
	png();
	ticks();
	colours_and_smoothing();
	csv();
	scratch_end();
	return done_testing();
}
