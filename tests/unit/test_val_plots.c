/* The run-folder plots (lib/val/plots) read back as pictures: sizes as
 * Ultralytics', each results chart holding its series (a constant one
 * level, a falling one falling), the legend in one chart only, the mean
 * PR line along the top for perfect precision, the darkest confusion
 * cell where the largest count (and, normalised, the largest share) is,
 * with its value written in it; and the bad inputs, each an error. */
#include <sys/stat.h>

#include "data/decode.h"
#include "plot/chart.h"
#include "plot/heatmap.h"
#include "scratch_files.h"
#include "tap.h"
#include "val/plots.h"
#include "val/results_csv.h"

static struct ul_image image;

static int load(const char *file)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", scratch_dir, file);
	ul_image_free(&image);
	jv err = jv_invalid();
	if (ul_image_decode(path, &image, &err)) {
		jv_free(err);
		return 0;
	}
	return 1;
}

static int is(int x, int y, struct ul_rgb c)
{
	const unsigned char *p = image.rgb + 3 * ((size_t)y * image.w + x);
	return x >= 0 && y >= 0 && x < image.w && y < image.h && p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

/* A cell's colour: bluish, neither white nor the black of text. */
static int bluish(int x, int y)
{
	const unsigned char *p = image.rgb + 3 * ((size_t)y * image.w + x);
	return x >= 0 && y >= 0 && x < image.w && y < image.h && p[2] >= p[0] && p[2] >= p[1] && p[2] > 90 &&
	       !(p[0] == 255 && p[1] == 255 && p[2] == 255);
}

/* The box of the pixels of colour c in [x0, x1) x [y0, y1); its count. */
static int find(struct ul_rgb c, int x0, int y0, int x1, int y1, int box[4])
{
	int n = 0;
	box[0] = x1, box[1] = y1, box[2] = -1, box[3] = -1;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			if (is(x, y, c)) {
				n++;
				box[0] = x < box[0] ? x : box[0], box[1] = y < box[1] ? y : box[1];
				box[2] = x > box[2] ? x : box[2], box[3] = y > box[3] ? y : box[3];
			}
	return n;
}

/* Thin antialiased lines rarely show their exact colour: kinds of pixel. */
static int greenish(const unsigned char *p)
{
	return p[1] > p[0] + 40 && p[1] > p[2] + 40;
}

static int greyish(const unsigned char *p)
{
	return p[0] == p[1] && p[1] == p[2] && p[0] < 200;
}

static int count(int (*kind)(const unsigned char *), int x0, int y0, int x1, int y1)
{
	int n = 0;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			n += kind(image.rgb + 3 * ((size_t)y * image.w + x));
	return n;
}

static const char *message(jv err)
{
	static char text[512];
	jv msg = jv_invalid_get_msg(err);
	snprintf(text, sizeof text, "%s", jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "(none)");
	jv_free(msg);
	return text;
}

static void results(void)
{
	char csv[512], png[512];
	snprintf(csv, sizeof csv, "%s/results.csv", scratch_dir);
	snprintf(png, sizeof png, "%s/results.png", scratch_dir);
	const char *names[16];
	char lr[8][24];
	int n = ul_detect_result_names(3, names, lr);
	jv err = jv_invalid();
	int appended = 0;
	for (int e = 1; e <= 8; e++) {
		/* train/box_loss constant, val/box_loss falling, the rest rising */
		double v[13] = { 1, 0, 0, 0, 0, 0, 0, 2.0 - 0.1 * e, 0, 0, 0.01, 0.01, 0.01 };
		for (int k = 1; k < 10; k++)
			if (k != 7)
				v[k] = 0.1 * e + 0.01 * k;
		appended += ul_results_csv_append(csv, e, 10.0 * e, names, v, n, &err) == 0;
	}
	ok(appended == 8 && ul_plot_results(csv, png, &err) == 0, "results.png from 8 epochs");
	ok(load("results.png") && image.w == 1200 && image.h == 600, "1200 x 600, as Ultralytics' 12 x 6 inches");

	struct ul_rgb line = ul_series_color[0], smooth = ul_series_color[1], edge = { 204, 204, 204 };
	int box[4], charts = 0, legends = 0;
	for (int k = 0; k < 10; k++) {
		int x0 = k % 5 * 240, y0 = k / 5 * 300;
		charts += find(line, x0, y0, x0 + 240, y0 + 300, box) > 50 && find(smooth, x0, y0, x0 + 240, y0 + 300, box) > 10;
		legends += find(edge, x0, y0, x0 + 240, y0 + 300, box) > 0;
	}
	is_int(charts, 10, "10 charts, each with its series and its smoothed line");
	ok(legends == 1 && find(edge, 240, 0, 480, 300, box) > 0, "one legend, in the second chart");
	find(line, 0, 0, 240, 300, box);
	ok(box[3] - box[1] <= 8 && box[2] - box[0] > 150, "a constant loss: one level line across its chart (%d px high)",
	   box[3] - box[1]);
	/* val/box_loss, first of the second row: high on the left, low on the right */
	int left_y = -1, right_y = -1;
	for (int y = 300; y < 600; y++)
		for (int x = 0; x < 240; x++)
			if (is(x, y, line)) {
				left_y = left_y < 0 || x < left_y % 1000 ? y * 1000 + x : left_y;
				right_y = right_y < 0 || x > right_y % 1000 ? y * 1000 + x : right_y;
			}
	ok(left_y >= 0 && left_y / 1000 < right_y / 1000, "a falling loss falls from left to right");

	/* bad inputs */
	ok(ul_plot_results("/nonexistent/results.csv", png, &err) == -1, "a missing results.csv fails");
	contains(message(err), "/nonexistent/results.csv", "naming it");
	const char *cut = "epoch,time,train/box_loss,metrics/mAP50(B)\n1,1.5,2.1,0.3\n2,3.0,1.9";
	const char *path = write_file("cut.csv", cut, strlen(cut));
	ok(ul_plot_results(path, png, &err) == -1, "a results.csv cut short fails");
	contains(message(err), "line 3", "naming the line");
	unsigned char junk[300];
	for (int i = 0; i < 300; i++)
		junk[i] = (unsigned char)(i * 97 + 13);
	path = write_file("junk.csv", junk, sizeof junk);
	ok(ul_plot_results(path, png, &err) == -1, "garbage fails");
	contains(message(err), "junk.csv", "with the file's name");
	const char *other = "epoch,time,speed\n1,2,3\n";
	path = write_file("other.csv", other, strlen(other));
	ok(ul_plot_results(path, png, &err) == -1, "a CSV without losses or metrics fails");
	contains(message(err), "no loss or metric columns", "saying why");
	ok(ul_plot_results(csv, "/nonexistent/dir/results.png", &err) == -1, "an unwritable folder fails");
	contains(message(err), "/nonexistent/dir/results.png", "naming the picture");
}

static struct ul_detection det(float x1, float y1, float x2, float y2, float conf, int cls)
{
	return (struct ul_detection){ { x1, y1, x2, y2 }, conf, cls };
}

static void curves(void)
{
	struct ul_gt_box gt[2] = { { 0, { 0, 0, 10, 10 } }, { 1, { 20, 20, 40, 40 } } };
	struct ul_detection d[2] = { det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 40, 40, 0.8f, 1) };
	struct ul_val_stats s = { 0 };
	struct ul_val_metrics m;
	ul_val_stats_add(&s, d, 2, gt, 2);
	jv err = jv_invalid();
	const char *names[2] = { "cat", "dog" };
	ok(ul_val_metrics_curves(&s, &m) == 0 && ul_plot_curves(&m, names, 2, scratch_dir, &err) == 0, "the four curves plotted");
	const char *files[4] = { "BoxPR_curve.png", "BoxF1_curve.png", "BoxP_curve.png", "BoxR_curve.png" };
	int sized = 0;
	for (int i = 0; i < 4; i++)
		sized += load(files[i]) && image.w == 900 && image.h == 600;
	is_int(sized, 4, "each 900 x 600, as Ultralytics' 9 x 6 inches");

	/* perfect precision: the thick blue mean runs along the top of the area */
	ok(load("BoxPR_curve.png"), "the PR curve reads back");
	struct ul_rgb blue = UL_BLUE;
	int best_row = -1, best = 0, box[4];
	for (int y = 0; y < 600; y++) {
		int n = find(blue, 0, y, 600, y + 1, box);
		best_row = n > best ? y : best_row, best = n > best ? n : best;
	}
	ok(best > 400 && best_row < 60, "perfect precision: the mean line along the top (row %d, %d pixels)", best_row, best);
	ok(find(blue, 0, 300, 600, 301, box) <= 4, "and nowhere across the middle but its drop at recall 1");
	/* F1 1 up to confidence 0.8: the smoothed mean starts along the top too */
	ok(load("BoxF1_curve.png") && find(blue, 0, best_row, 300, best_row + 1, box) > 150, "F1 1 at low confidence, along the top");

	/* per-class lines: coloured with a legend line each below 21 classes,
	 * grey above; here the even classes found (precision 1 along the top,
	 * the mean lower), the odd ones missed */
	struct ul_val_stats many = { 0 };
	struct ul_val_metrics mm;
	for (int k = 0; k < 25; k++) {
		struct ul_gt_box g = { k, { 0, 0, 10, 10 } };
		struct ul_detection guess = k % 2 ? det(50, 50, 60, 60, 0.5f, k) : det(0, 0, 10, 10, 0.5f, k);
		ul_val_stats_add(&many, &guess, 1, &g, 1);
	}
	ok(ul_val_metrics_curves(&many, &mm) == 0 && ul_plot_curves(&mm, NULL, 0, scratch_dir, &err) == 0 && load("BoxPR_curve.png"),
	   "25 classes plotted");
	ok(count(greyish, 100, 38, 500, 44) > 300 && count(greenish, 0, 0, 900, 600) == 0, "25 classes: grey lines, no colours");
	ul_val_metrics_free(&mm), ul_val_stats_free(&many);
	struct ul_gt_box three[3] = { { 0, { 0, 0, 10, 10 } }, { 1, { 20, 20, 40, 40 } }, { 2, { 50, 50, 70, 70 } } };
	struct ul_detection found[2] = { det(0, 0, 10, 10, 0.9f, 0), det(50, 50, 70, 70, 0.6f, 2) };
	ul_val_stats_add(&many, found, 2, three, 3);
	ok(ul_val_metrics_curves(&many, &mm) == 0 && ul_plot_curves(&mm, NULL, 0, scratch_dir, &err) == 0 && load("BoxPR_curve.png"),
	   "3 classes plotted");
	ok(count(greenish, 620, 0, 900, 300) > 10 && count(greyish, 100, 45, 500, 530) == 0, "3 classes: a colour each, in the legend too");
	ul_val_metrics_free(&mm), ul_val_stats_free(&many);

	/* no ground truth at all: the pictures still made, the mean at 0 */
	ul_val_stats_add(&many, d, 2, NULL, 0);
	ok(ul_val_metrics_curves(&many, &mm) == 0 && mm.nclasses == 0 && ul_plot_curves(&mm, NULL, 0, scratch_dir, &err) == 0,
	   "no classes: still four pictures");
	best_row = -1, best = 0;
	for (int y = 0, loaded = load("BoxF1_curve.png"); loaded && y < 600; y++) {
		int n = find(blue, 0, y, 600, y + 1, box);
		best_row = n > best ? y : best_row, best = n > best ? n : best;
	}
	ok(best > 400 && best_row > 500, "the mean along the bottom (row %d)", best_row);
	ul_val_metrics_free(&mm), ul_val_stats_free(&many);

	struct ul_val_metrics plain;
	ul_val_metrics(&s, &plain);
	ok(ul_plot_curves(&plain, names, 2, scratch_dir, &err) == -1, "metrics without curves fail");
	contains(message(err), "ul_val_metrics_curves", "saying what makes them");
	ok(ul_plot_curves(&m, names, 2, "/nonexistent/run", &err) == -1, "an unwritable folder fails");
	contains(message(err), "/nonexistent/run/BoxPR_curve.png", "naming the picture");
	ul_val_metrics_free(&plain), ul_val_metrics_free(&m), ul_val_stats_free(&s);
}

/* The darkest cell of the loaded matrix: its box; the cells of the
 * matrix beside it (to the left, then above) until outside it. */
static void darkest(int box[4], int *left, int *above)
{
	find(ul_blues(1), 0, 0, image.w, image.h, box);
	/* the colour bar's top shares the colour: keep the leftmost run of columns */
	for (int x = box[0]; x <= box[2]; x++)
		if (find(ul_blues(1), x, 0, x + 1, image.h, (int[4]){ 0 }) == 0) {
			box[2] = x - 1;
			break;
		}
	find(ul_blues(1), box[0], 0, box[2] + 1, image.h, box);
	int cell = box[2] - box[0] + 1, corner = cell / 10;
	*left = 0, *above = 0;
	while (bluish(box[0] + corner - (*left + 1) * cell, box[1] + corner))
		++*left;
	while (bluish(box[0] + corner, box[1] + corner - (*above + 1) * cell))
		++*above;
}

static void confusion(void)
{
	struct ul_confusion c;
	ul_confusion_init(&c, 3);
	/* every cell counted; (0,0) the largest count, (1,1) the largest share of its column */
	const long long counts[16] = { 90, 1, 5, 2, 30, 10, 5, 2, 30, 1, 5, 2, 30, 1, 5, 1 };
	memcpy(c.counts, counts, sizeof counts);
	jv err = jv_invalid();
	const char *names[3] = { "cat", "dog", "person" };
	ok(ul_plot_confusion(&c, names, scratch_dir, &err) == 0, "both matrices plotted");
	int box[4], left, above;
	ok(load("confusion_matrix.png") && image.w == 1200 && image.h == 900, "1200 x 900, as Ultralytics' 12 x 9 inches");
	darkest(box, &left, &above);
	ok(left == 0 && above == 0 && box[2] - box[0] == box[3] - box[1], "the darkest cell is the largest count, (cat, cat)");
	ok(find(UL_WHITE, box[0], box[1], box[2] + 1, box[3] + 1, (int[4]){ 0 }) > 10, "its count written in it, in white");
	int cell = box[2] - box[0] + 1, in = cell / 10;
	ok(bluish(box[0] + 3 * cell + in, box[1] + in) && !bluish(box[0] + 4 * cell + in, box[1] + in),
	   "four cells a row: three classes and background");
	ok(load("confusion_matrix_normalized.png") && image.w == 1200 && image.h == 900, "the normalised one, the same size");
	darkest(box, &left, &above);
	ok(left == 1 && above == 1, "its darkest cell the largest share, (dog, dog) (%d, %d)", left, above);
	ul_confusion_free(&c);

	/* 40 classes: too many to write values in the cells */
	ul_confusion_init(&c, 40);
	for (int i = 0; i < 41 * 41; i++)
		c.counts[i] = 1;
	for (int i = 0; i < 40; i++)
		c.counts[i * 41 + i] = 10 + i;
	ok(ul_plot_confusion(&c, NULL, scratch_dir, &err) == 0 && load("confusion_matrix.png"), "40 classes, unnamed");
	darkest(box, &left, &above);
	ok(left == 39 && above == 39, "the largest count last on the diagonal (%d, %d)", left, above);
	ok(find(UL_WHITE, box[0], box[1], box[2] + 1, box[3] + 1, (int[4]){ 0 }) == 0, "no values written in cells this small");
	ok(ul_plot_confusion(&c, NULL, "/nonexistent/run", &err) == -1, "an unwritable folder fails");
	contains(message(err), "/nonexistent/run/confusion_matrix.png", "naming the picture");
	ul_confusion_free(&c);
}

int main(void)
{
	ok(scratch_begin() != NULL, "a scratch folder");
	results();
	curves();
	confusion();
	ul_image_free(&image);
	scratch_end();
	return done_testing();
}
