/* The synthetic shapes dataset: layout, data.yaml, labels that the project's
 * own checker accepts and that match the pixels, determinism, refusals. */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include <jpeglib.h>

#include "core/signals.h"
#include "core/yaml_load.h"
#include "data/labels.h"
#include "data/shapes.h"
#include "tap.h"

#define SIDE 96
#define TRAIN 6
#define VAL 2

static char base[] = "/tmp/ul-shapes-XXXXXX";
static const char *const tasks[] = { "detect", "segment", "pose", "obb", "classify" };
static const char *const splits[] = { "train", "val" };

static int generate(const char *name, const char *task, unsigned seed, int train, jv *err)
{
	char dir[256];
	snprintf(dir, sizeof dir, "%s/%s", base, name);
	struct ul_shapes s;
	ul_shapes_defaults(&s);
	s.dir = dir;
	s.task = task;
	s.train = train;
	s.val = VAL;
	s.imgsz = SIDE;
	s.seed = seed;
	return ul_shapes_generate(&s, err);
}

/* The error's code and message, "code: message", freeing err. */
static char *describe(jv err)
{
	static char text[512];
	jv code = jv_object_get(jv_copy(err), jv_string("code"));
	jv message = jv_object_get(err, jv_string("message"));
	snprintf(text, sizeof text, "%s: %s", jv_get_kind(code) == JV_KIND_STRING ? jv_string_value(code) : "?",
		 jv_get_kind(message) == JV_KIND_STRING ? jv_string_value(message) : "?");
	jv_free(code);
	jv_free(message);
	return text;
}

static int count_entries(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);
		n += e->d_name[0] != '.' && len > slen && !strcmp(e->d_name + len - slen, suffix);
	}
	closedir(d);
	return n;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *text = calloc(1, 1 << 16);
	size_t n = fread(text, 1, (1 << 16) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* --- pixels ---------------------------------------------------------------- */

struct decode_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void decode_failed(j_common_ptr c)
{
	longjmp(((struct decode_failure *)c->err)->jump, 1);
}

/* The image as RGB bytes, or NULL; its size and channels in w, h, channels. */
static unsigned char *decode(const char *path, int *w, int *h, int *channels)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct jpeg_decompress_struct d;
	struct decode_failure failure;
	unsigned char *volatile px = NULL;
	d.err = jpeg_std_error(&failure.mgr);
	failure.mgr.error_exit = decode_failed;
	if (setjmp(failure.jump)) {
		jpeg_destroy_decompress(&d);
		fclose(f);
		free(px);
		return NULL;
	}
	jpeg_create_decompress(&d);
	jpeg_stdio_src(&d, f);
	jpeg_read_header(&d, TRUE);
	jpeg_start_decompress(&d);
	*w = (int)d.output_width, *h = (int)d.output_height, *channels = d.output_components;
	px = malloc((size_t)*w * (size_t)*h * (size_t)*channels);
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = px + (size_t)d.output_scanline * (size_t)*w * (size_t)*channels;
		jpeg_read_scanlines(&d, &row, 1);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	fclose(f);
	return px;
}

static double brightness(const unsigned char *px, int x, int y)
{
	const unsigned char *p = &px[(y * SIDE + x) * 3];
	return (p[0] + p[1] + p[2]) / 3.0;
}

/* A labelled region in pixels: a convex polygon of 3 or more points. */
struct region {
	int n;
	double x[64], y[64];
};

static int in_region(const struct region *r, double x, double y)
{
	int pos = 0, neg = 0;
	for (int i = 0; i < r->n; i++) {
		int j = (i + 1) % r->n;
		double cross = (r->x[j] - r->x[i]) * (y - r->y[i]) - (r->y[j] - r->y[i]) * (x - r->x[i]);
		pos |= cross > 0;
		neg |= cross < 0;
	}
	return !(pos && neg);
}

/* Mean brightness of the pixels whose centres lie in region k (k >= 0),
 * or in none of the regions (k < 0). */
static double mean_of(const unsigned char *px, const struct region *regions, int n, int k)
{
	double sum = 0;
	int count = 0;
	for (int y = 0; y < SIDE; y++)
		for (int x = 0; x < SIDE; x++) {
			int hit = -1;
			for (int i = 0; i < n && (k < 0 ? hit < 0 : hit != k); i++)
				hit = in_region(&regions[i], x + 0.5, y + 0.5) ? i : hit;
			if (k < 0 ? hit < 0 : hit == k)
				sum += brightness(px, x, y), count++;
		}
	return count ? sum / count : 0;
}

static double mean_square(const unsigned char *px, int x0, int y0, int size)
{
	double sum = 0;
	for (int y = y0; y < y0 + size; y++)
		for (int x = x0; x < x0 + size; x++)
			sum += brightness(px, x, y);
	return sum / (size * size);
}

/* --- labels ---------------------------------------------------------------- */

struct task_checks {
	int lines, bad_columns, bad_class, out_of_range, bad_visibility, rejected;
	int dark_regions, dark_keypoints;  /* labels that do not sit on bright pixels */
	double worst_contrast;             /* smallest region mean minus background mean */
};

static int columns_fit(enum ul_task task, int n)
{
	switch (task) {
	case UL_TASK_DETECT: return n == 5;
	case UL_TASK_SEGMENT: return n == 7 || n == 9 || n == 65;  /* triangle, rectangle, circle */
	case UL_TASK_POSE: return n == 14;
	default: return n == 9;
	}
}

/* Checks one image and its label file against each other. */
static void check_labelled(const char *image, const char *label, enum ul_task task, struct task_checks *c)
{
	int w = 0, h = 0, channels = 0;
	unsigned char *px = decode(image, &w, &h, &channels);
	char *text = read_text(label);
	if (!px || !text || w != SIDE || h != SIDE || channels != 3) {
		c->rejected++;
		free(px);
		free(text);
		return;
	}
	struct ul_label_rules rules = { .task = task, .nc = 3, .kpt_count = 3, .kpt_dims = 3 };
	struct ul_label_check verdict;
	ul_labels_check(text, strlen(text), &rules, &verdict);
	if (verdict.bad_line || verdict.out_of_range)
		c->rejected++;

	struct region regions[4];
	double keypoints[4][3][2];
	int n = 0;
	for (char *line = strtok(text, "\n"); line && n < 4; line = strtok(NULL, "\n"), n++) {
		double v[70];
		int cols = 0;
		for (char *p = line, *end; cols < 70; p = end) {
			v[cols] = strtod(p, &end);
			if (end == p)
				break;
			cols++;
		}
		c->lines++;
		c->bad_columns += !columns_fit(task, cols);
		c->bad_class += v[0] != (int)v[0] || v[0] < 0 || v[0] > 2;
		for (int i = 1; i < cols; i++) {
			int visibility = task == UL_TASK_POSE && i >= 7 && (i - 7) % 3 == 0;
			if (visibility)
				c->bad_visibility += v[i] != 2;
			else
				c->out_of_range += v[i] < 0 || v[i] > 1;
		}
		struct region *r = &regions[n];
		if (task == UL_TASK_DETECT || task == UL_TASK_POSE) {
			double x0 = (v[1] - v[3] / 2) * SIDE, x1 = (v[1] + v[3] / 2) * SIDE;
			double y0 = (v[2] - v[4] / 2) * SIDE, y1 = (v[2] + v[4] / 2) * SIDE;
			*r = (struct region){ 4, { x0, x1, x1, x0 }, { y0, y0, y1, y1 } };
			for (int k = 0; k < 3 && task == UL_TASK_POSE; k++) {
				keypoints[n][k][0] = v[5 + 3 * k] * SIDE;
				keypoints[n][k][1] = v[6 + 3 * k] * SIDE;
			}
		} else {
			r->n = (cols - 1) / 2;
			for (int i = 0; i < r->n; i++)
				r->x[i] = v[1 + 2 * i] * SIDE, r->y[i] = v[2 + 2 * i] * SIDE;
		}
	}

	/* Boxes and rotated boxes hold some background beside a circle or a
	 * triangle; a polygon is the shape itself. */
	double background = mean_of(px, regions, n, -1);
	double wanted = task == UL_TASK_SEGMENT ? 60 : 25;
	for (int k = 0; k < n; k++) {
		double contrast = mean_of(px, regions, n, k) - background;
		c->dark_regions += contrast < wanted;
		c->worst_contrast = fmin(c->worst_contrast, contrast);
		/* A keypoint lies on its shape: halfway from it to the middle of
		 * the three (inside every shape, well away from its edges), the
		 * pixels are the shape's. */
		double gx = 0, gy = 0;
		for (int i = 0; i < 3 && task == UL_TASK_POSE; i++)
			gx += keypoints[k][i][0] / 3, gy += keypoints[k][i][1] / 3;
		for (int i = 0; i < 3 && task == UL_TASK_POSE; i++) {
			int x = (int)((keypoints[k][i][0] + gx) / 2), y = (int)((keypoints[k][i][1] + gy) / 2);
			c->dark_keypoints += brightness(px, x, y) < background + 60;
		}
	}
	free(px);
	free(text);
}

static void check_task(enum ul_task task)
{
	const char *name = ul_task_name(task);
	char path[512], label[512];
	struct task_checks c = { .worst_contrast = 255 };
	int images = 0;
	for (int s = 0; s < 2; s++) {
		int want = s ? VAL : TRAIN;
		snprintf(path, sizeof path, "%s/%s/images/%s", base, name, splits[s]);
		is_int(count_entries(path, ".jpg"), want, "%s: %s has %d images", name, splits[s], want);
		snprintf(path, sizeof path, "%s/%s/labels/%s", base, name, splits[s]);
		is_int(count_entries(path, ".txt"), want, "%s: and %d label files", name, want);
		for (int i = 0; i < want; i++, images++) {
			snprintf(path, sizeof path, "%s/%s/images/%s/%06d.jpg", base, name, splits[s], i);
			snprintf(label, sizeof label, "%s/%s/labels/%s/%06d.txt", base, name, splits[s], i);
			check_labelled(path, label, task, &c);
		}
	}
	ok(c.lines >= images, "%s: %d shapes in %d images", name, c.lines, images);
	is_int(c.rejected, 0, "%s: every image decodes to %dx%dx3 and the label checker accepts every file", name,
	       SIDE, SIDE);
	is_int(c.bad_columns, 0, "%s: every line has the task's columns", name);
	is_int(c.bad_class, 0, "%s: classes are 0, 1 or 2", name);
	is_int(c.out_of_range, 0, "%s: every coordinate is in [0, 1]", name);
	if (task == UL_TASK_POSE) {
		is_int(c.bad_visibility, 0, "pose: every keypoint is visible (2)");
		is_int(c.dark_keypoints, 0, "pose: every keypoint lies on its shape");
	}
	is_int(c.dark_regions, 0, "%s: every labelled region is brighter than the background (by %.0f at least)", name,
	       c.worst_contrast);
}

static void check_classify(void)
{
	static const char *const classes[] = { "rectangle", "circle", "triangle" };
	char path[512];
	int dark = 0, bad = 0;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < (s ? VAL : TRAIN); i++) {
			/* image i shows class i % 3 */
			snprintf(path, sizeof path, "%s/classify/%s/%s/%06d.jpg", base, splits[s], classes[i % 3], i);
			int w = 0, h = 0, channels = 0;
			unsigned char *px = decode(path, &w, &h, &channels);
			if (!px || w != SIDE || h != SIDE || channels != 3) {
				bad++;
				free(px);
				continue;
			}
			double corners = (mean_square(px, 0, 0, 6) + mean_square(px, SIDE - 6, 0, 6) +
					  mean_square(px, 0, SIDE - 6, 6) + mean_square(px, SIDE - 6, SIDE - 6, 6)) / 4;
			dark += mean_square(px, SIDE / 2 - 3, SIDE / 2 - 3, 6) < corners + 60;
			free(px);
		}
	is_int(bad, 0, "classify: every image is in its class folder and decodes to %dx%dx3", SIDE, SIDE);
	is_int(dark, 0, "classify: the middle of every image is the shape, far brighter than the corners");
	int counts[2][3] = { { 2, 2, 2 }, { 1, 1, 0 } };
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < 3; k++) {
			snprintf(path, sizeof path, "%s/classify/%s/%s", base, splits[s], classes[k]);
			is_int(count_entries(path, ".jpg"), counts[s][k], "classify: %s/%s holds %d", splits[s], classes[k],
			       counts[s][k]);
		}
	snprintf(path, sizeof path, "%s/classify/images", base);
	ok(access(path, F_OK) != 0, "classify: no images/ or labels/ folders");
}

static void check_yaml(enum ul_task task)
{
	const char *name = ul_task_name(task);
	char path[512];
	snprintf(path, sizeof path, "%s/%s/data.yaml", base, name);
	jv doc = ul_yaml_load_file(path);
	ok(jv_get_kind(doc) == JV_KIND_OBJECT, "%s: data.yaml loads", name);
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		jv_free(doc);
		return;
	}
	int classify = task == UL_TASK_CLASSIFY;
	char want[256];
	snprintf(want, sizeof want, "{\"flip_idx\":%s,\"kpt_shape\":%s,\"names\":%s,\"path\":\".\",\"train\":\"%s\",\"val\":\"%s\"}",
		 task == UL_TASK_POSE ? "[1,0,2]" : "null", task == UL_TASK_POSE ? "[3,3]" : "null",
		 classify ? "{\"0\":\"circle\",\"1\":\"rectangle\",\"2\":\"triangle\"}"
			  : "{\"0\":\"rectangle\",\"1\":\"circle\",\"2\":\"triangle\"}",
		 classify ? "train" : "images/train", classify ? "val" : "images/val");
	/* absent keys show as null, so one comparison covers them too */
	static const char *const keys[] = { "flip_idx", "kpt_shape", "names", "path", "train", "val" };
	jv picked = jv_object();
	for (int i = 0; i < 6; i++) {
		jv value = jv_object_get(jv_copy(doc), jv_string(keys[i]));
		picked = jv_object_set(picked, jv_string(keys[i]), jv_is_valid(value) ? value : jv_null());
	}
	jv text = jv_dump_string(picked, JV_PRINT_SORTED);
	is_str(jv_string_value(text), want, "%s: data.yaml has the path, splits and names%s", name,
	       task == UL_TASK_POSE ? ", kpt_shape and flip_idx" : "");
	jv_free(text);
	jv_free(doc);
}

/* --- comparing trees ------------------------------------------------------- */

static const char *other_root;
static size_t root_len;
static int walked, differing;

static int compare_entry(const char *path, const struct stat *st, int kind, struct FTW *walk)
{
	(void)walk;
	if (kind != FTW_F)
		return 0;
	char twin[512];
	snprintf(twin, sizeof twin, "%s%s", other_root, path + root_len);
	char *a = read_text(path), *b = read_text(twin);
	walked++;
	differing += !a || !b || (size_t)st->st_size >= (1 << 16) - 1 || memcmp(a, b, (size_t)st->st_size) != 0;
	free(a);
	free(b);
	return 0;
}

/* Files of a that differ from their twins in b, or -1 if b has other files. */
static int tree_diff(const char *a, const char *b)
{
	char pa[512], pb[512];
	snprintf(pa, sizeof pa, "%s/%s", base, a);
	snprintf(pb, sizeof pb, "%s/%s", base, b);
	int counted[2];
	for (int k = 0; k < 2; k++) {
		other_root = k ? pa : pb;
		root_len = strlen(k ? pb : pa);
		walked = differing = 0;
		nftw(k ? pb : pa, compare_entry, 16, FTW_PHYS);
		counted[k] = walked;
	}
	return counted[0] == counted[1] && counted[0] > 0 ? differing : -1;
}

/* Folders named like a dataset in the making. */
static int leftovers(void)
{
	DIR *d = opendir(base);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strstr(e->d_name, ".partial-") != NULL;
	if (d)
		closedir(d);
	return n;
}

static int remove_entry(const char *path, const struct stat *st, int kind, struct FTW *walk)
{
	(void)st, (void)kind, (void)walk;
	return remove(path);
}

int main(void)
{
	ok(mkdtemp(base) != NULL, "temp dir");
	struct ul_shapes d;
	ul_shapes_defaults(&d);
	ok(!strcmp(d.task, "detect") && d.train == 64 && d.val == 16 && d.imgsz == 160 && d.classes == 3 && d.seed == 0,
	   "defaults: detect, 64 + 16 images of 160x160, 3 classes, seed 0");

	jv err = jv_null();
	for (int t = 0; t < 5; t++) {
		int rc = generate(tasks[t], tasks[t], 7, TRAIN, &err);
		is_int(rc, 0, "%s: generated", tasks[t]);
		if (rc < 0)
			printf("#   %s\n", describe(err));
		check_yaml(ul_task_from_name(tasks[t]));
		if (t < 4)
			check_task(ul_task_from_name(tasks[t]));
	}
	check_classify();

	/* the same seed, the same bytes; another seed, other images */
	char again[64];
	for (int t = 0; t < 5; t++) {
		snprintf(again, sizeof again, "%s-again", tasks[t]);
		generate(again, tasks[t], 7, TRAIN, &err);
		is_int(tree_diff(tasks[t], again), 0, "%s: the same seed gives byte-identical files", tasks[t]);
	}
	generate("seed8", "detect", 8, TRAIN, &err);
	int diff = tree_diff("detect", "seed8");
	ok(diff == 2 * (TRAIN + VAL) + 1, "another seed gives other images and labels (%d of %d files differ)", diff,
	   2 * (TRAIN + VAL) + 1);
	/* an image does not depend on how many come before or after it */
	generate("fewer", "detect", 7, 3, &err);
	char path[512], twin[512];
	int same = 0;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/fewer/images/train/%06d.jpg", base, i);
		snprintf(twin, sizeof twin, "%s/detect/images/train/%06d.jpg", base, i);
		char *a = read_text(path), *b = read_text(twin);
		same += a && b && !memcmp(a, b, 1 << 15);
		free(a);
		free(b);
	}
	is_int(same, 3, "a smaller set is the start of a larger one");

	/* refusals: an existing folder, a missing parent, bad options */
	is_int(generate("detect", "detect", 9, TRAIN, &err), -1, "an existing dataset folder is refused");
	contains(describe(err), "io: ", "as an io error");
	is_int(tree_diff("detect", "detect-again"), 0, "and is left as it was");
	snprintf(path, sizeof path, "%s/empty", base);
	mkdir(path, 0777);
	is_int(generate("empty", "detect", 7, TRAIN, &err), -1, "so is an empty folder");
	contains(describe(err), "empty already exists", "saying so");
	is_int(count_entries(path, ""), 0, "and it stays empty");
	is_int(generate("no/such/dir", "detect", 7, TRAIN, &err), -1, "a missing parent folder is an error");
	contains(describe(err), "io: cannot create", "an io error");
	is_int(generate("slash/", "obb", 7, TRAIN, &err), 0, "a trailing slash names the folder itself");
	is_int(tree_diff("obb", "slash"), 0, "which is the same dataset");

	struct { const char *task; int classes, imgsz, train; const char *code; } bad[] = {
		{ "nope", 3, SIDE, TRAIN, "usage: unknown task \"nope\"" },
		{ "detect", 0, SIDE, TRAIN, "usage: classes is 0; it must be 1 to 3" },
		{ "detect", 4, SIDE, TRAIN, "usage: classes is 4" },
		{ "detect", 3, 8, TRAIN, "usage: imgsz is 8; it must be 32 to 4096" },
		{ "detect", 3, SIDE, 0, "usage: train is 0" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct ul_shapes s;
		ul_shapes_defaults(&s);
		snprintf(path, sizeof path, "%s/bad", base);
		s.dir = path, s.task = bad[i].task, s.classes = bad[i].classes, s.imgsz = bad[i].imgsz;
		s.train = bad[i].train;
		is_int(ul_shapes_generate(&s, &err), -1, "refused: %s", bad[i].code);
		contains(describe(err), bad[i].code, "with a usage error");
	}
	struct ul_shapes s;
	ul_shapes_defaults(&s);
	s.dir = path;
	s.task = "detetc";
	ul_shapes_generate(&s, &err);
	jv hint = jv_object_get(err, jv_string("hint"));
	is_str(jv_get_kind(hint) == JV_KIND_STRING ? jv_string_value(hint) : NULL, "did you mean detect?",
	       "a misspelt task gets a hint");
	jv_free(hint);
	s.task = NULL;
	s.dir = NULL;
	is_int(ul_shapes_generate(&s, &err), -1, "no folder is refused");
	contains(describe(err), "usage: no output folder", "as a usage error");
	ok(access(path, F_OK) != 0, "no refused call made a folder");

	/* a stop signal between images: nothing is left behind */
	ok(ul_signals_install() == 0, "signal handlers installed");
	raise(SIGTERM);
	is_int(generate("stopped", "segment", 7, TRAIN, &err), -1, "a stop signal ends the work");
	contains(describe(err), "stopped: ", "with a stopped error");
	snprintf(path, sizeof path, "%s/stopped", base);
	ok(access(path, F_OK) != 0, "and no dataset");
	is_int(leftovers(), 0, "no partial folder is ever left behind");

	ok(nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0, "cleaned up");
	return done_testing();
}
