#include "data/shapes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/random.h"
#include "core/signals.h"
#include "core/suggest.h"
#include "data/labels.h"

enum { RECTANGLE, CIRCLE, TRIANGLE };
static const char *const class_names[] = { "rectangle", "circle", "triangle" };

#define MAX_COUNT 999999  /* six digits in the file names */
#define MAX_SHAPES 4
#define CIRCLE_POINTS 32  /* segment polygon of a circle */
#define JPEG_QUALITY 90
/* Room for paths: the folder's own, then its partial sibling (".partial-"
 * and 6 more), then a file in that ("/labels/train/000000.txt" and the
 * like). check() keeps real paths 64 bytes below PATH_MAX; the sizes make
 * that plain to the compiler too. */
#define DIR_MAX (PATH_MAX - 32)
#define INNER_PATH_MAX (PATH_MAX + 64)

void ul_shapes_defaults(struct ul_shapes *s)
{
	*s = (struct ul_shapes){ .task = "detect", .train = 64, .val = 16, .imgsz = 160, .classes = 3 };
}

/* --- randomness ------------------------------------------------------------ */

/* A stream of core/random.h's generator. */
struct rng { uint64_t s; };

static uint64_t next(struct rng *r)
{
	return ul_random_next(&r->s);
}

/* Uniform in [lo, hi). */
static double uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * ul_random_unit(&r->s);
}

/* Uniform in 0 .. n-1; the modulo bias is far below anything visible. */
static int below(struct rng *r, int n)
{
	return (int)(next(r) % (uint64_t)n);
}

/* Each image has its own stream, so an image does not depend on how many
 * came before it. Seed, split and index (32, 1 and 20 bits) make one key;
 * mixed, distinct keys start far apart. */
static struct rng image_rng(unsigned seed, int split, int index)
{
	return (struct rng){ ul_mix64((uint64_t)seed << 32 | (uint64_t)split << 31 | (uint64_t)index) };
}

/* --- shapes ---------------------------------------------------------------- */

/* A shape is a w x h frame centred at (ox, oy) and turned by angle, with
 * what is drawn inside it: a rectangle filling it, a triangle standing on
 * its bottom side with the apex on its top side, or a circle. */
struct shape {
	int cls;
	double ox, oy, w, h, angle;
	int n;                      /* corners: 4, 3, or 0 for a circle */
	double px[4], py[4];
	double r;                   /* circle radius */
	double x0, y0, x1, y1;      /* the tight box */
	double area;
	unsigned char rgb[3];
};

/* The corners of a frame, or a rectangle, clockwise on screen from the
 * top left before turning; in units of the frame's sides. */
static const double box_corners[4][2] = { { -0.5, -0.5 }, { 0.5, -0.5 }, { 0.5, 0.5 }, { -0.5, 0.5 } };

/* A point of the frame's own coordinates, in the image. */
static void frame_point(const struct shape *s, double lx, double ly, double *x, double *y)
{
	double c = cos(s->angle), sn = sin(s->angle);
	*x = s->ox + lx * c - ly * sn;
	*y = s->oy + lx * sn + ly * c;
}

/* Builds the shape around (0, 0); apex places a triangle's apex along its
 * top side, 0 left to 1 right. */
static void shape_make(struct shape *s, int cls, double w, double h, double angle, double apex)
{
	*s = (struct shape){ .cls = cls, .w = w, .h = cls == CIRCLE ? w : h, .angle = cls == CIRCLE ? 0 : angle };
	const double tri[3][2] = { { -0.5, 0.5 }, { 0.5, 0.5 }, { apex - 0.5, -0.5 } };
	if (cls == CIRCLE) {
		s->r = w / 2;
		s->x0 = s->y0 = -s->r;
		s->x1 = s->y1 = s->r;
		s->area = M_PI * s->r * s->r;
		return;
	}
	s->n = cls == RECTANGLE ? 4 : 3;
	s->x0 = s->y0 = INFINITY;
	s->x1 = s->y1 = -INFINITY;
	for (int i = 0; i < s->n; i++) {
		const double *p = cls == RECTANGLE ? box_corners[i] : tri[i];
		frame_point(s, p[0] * s->w, p[1] * s->h, &s->px[i], &s->py[i]);
		s->x0 = fmin(s->x0, s->px[i]);
		s->y0 = fmin(s->y0, s->py[i]);
		s->x1 = fmax(s->x1, s->px[i]);
		s->y1 = fmax(s->y1, s->py[i]);
	}
	s->area = s->w * s->h * (cls == RECTANGLE ? 1 : 0.5);
}

static void shape_move(struct shape *s, double dx, double dy)
{
	s->ox += dx, s->oy += dy;
	s->x0 += dx, s->x1 += dx;
	s->y0 += dy, s->y1 += dy;
	for (int i = 0; i < s->n; i++)
		s->px[i] += dx, s->py[i] += dy;
}

/* Inside a convex polygon means on the same side of every edge, whichever
 * way round the corners go. */
static int inside(const struct shape *s, double x, double y)
{
	if (s->n == 0)
		return (x - s->ox) * (x - s->ox) + (y - s->oy) * (y - s->oy) <= s->r * s->r;
	int pos = 0, neg = 0;
	for (int i = 0; i < s->n; i++) {
		int j = (i + 1) % s->n;
		double cross = (s->px[j] - s->px[i]) * (y - s->py[i]) - (s->py[j] - s->py[i]) * (x - s->px[i]);
		pos |= cross > 0;
		neg |= cross < 0;
	}
	return !(pos && neg);
}

/* Keypoints 0 leftmost, 1 rightmost, 2 topmost: see shapes.h. */
static void keypoints(const struct shape *s, double kx[3], double ky[3])
{
	if (s->n == 0) {
		static const double degrees[3] = { 210, 330, 90 };
		for (int k = 0; k < 3; k++) {
			kx[k] = s->ox + s->r * cos(degrees[k] * M_PI / 180);
			ky[k] = s->oy - s->r * sin(degrees[k] * M_PI / 180);  /* image y points down */
		}
		return;
	}
	int left = 0, right = 0, top = 0;
	for (int i = 1; i < s->n; i++) {
		left = s->px[i] < s->px[left] ? i : left;
		right = s->px[i] > s->px[right] ? i : right;
		top = s->py[i] < s->py[top] ? i : top;
	}
	const int pick[3] = { left, right, top };
	for (int k = 0; k < 3; k++)
		kx[k] = s->px[pick[k]], ky[k] = s->py[pick[k]];
}

/* --- scenes ---------------------------------------------------------------- */

/* How a task turns its shapes; see shapes.h for why. */
static double random_angle(struct rng *r, enum ul_task task, int cls)
{
	double a = 0;
	if (task == UL_TASK_POSE && cls == RECTANGLE)
		a = uniform(r, 20, 70) * (below(r, 2) ? 1 : -1);
	else if (task == UL_TASK_OBB)
		a = uniform(r, 0, 180);
	else if (task == UL_TASK_CLASSIFY)
		a = uniform(r, 0, 360);
	return a * M_PI / 180;
}

static void random_colour(struct rng *r, unsigned char rgb[3])
{
	for (int c = 0; c < 3; c++)
		rgb[c] = (unsigned char)(110 + below(r, 146));
	rgb[below(r, 3)] = (unsigned char)(200 + below(r, 56));  /* one strong channel: always bright */
}

/* The fraction of the smaller box that two boxes share. */
static double box_overlap(const struct shape *a, const struct shape *b)
{
	double w = fmin(a->x1, b->x1) - fmax(a->x0, b->x0);
	double h = fmin(a->y1, b->y1) - fmax(a->y0, b->y0);
	if (w <= 0 || h <= 0)
		return 0;
	double area_a = (a->x1 - a->x0) * (a->y1 - a->y0), area_b = (b->x1 - b->x0) * (b->y1 - b->y0);
	return w * h / fmin(area_a, area_b);
}

/* 1 to 4 shapes, each 14% to 40% of the side, placed wholly inside the
 * image, largest first. A shape that finds no place overlapping the others
 * by at most a fifth of the smaller box is left out. */
static int scene(struct rng *r, enum ul_task task, int classes, int side, struct shape *shapes)
{
	int wanted = 1 + below(r, MAX_SHAPES), n = 0;
	for (int k = 0; k < wanted; k++) {
		struct shape *s = &shapes[n];
		int cls = below(r, classes);
		double w = uniform(r, 0.14, 0.40) * side, h = uniform(r, 0.14, 0.40) * side;
		double angle = random_angle(r, task, cls);
		shape_make(s, cls, w, h, angle, uniform(r, 0.25, 0.75));
		random_colour(r, s->rgb);
		for (int attempt = 0; attempt < 30; attempt++) {
			struct shape moved = *s;
			shape_move(&moved, uniform(r, -s->x0, side - s->x1), uniform(r, -s->y0, side - s->y1));
			int fits = 1;
			for (int i = 0; i < n && fits; i++)
				fits = box_overlap(&moved, &shapes[i]) <= 0.2;
			if (fits) {
				*s = moved;
				n++;
				break;
			}
		}
	}
	/* Insertion sort: stable, so the order never depends on the libc. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && shapes[j].area > shapes[j - 1].area; j--) {
			struct shape t = shapes[j];
			shapes[j] = shapes[j - 1];
			shapes[j - 1] = t;
		}
	return n;
}

/* One shape of the given class, 35% to 70% of the side, its centre of mass
 * on the image centre. */
static void centred(struct rng *r, int cls, int side, struct shape *s)
{
	double w = uniform(r, 0.35, 0.70) * side, h = uniform(r, 0.35, 0.70) * side;
	double angle = random_angle(r, UL_TASK_CLASSIFY, cls), apex = uniform(r, 0.25, 0.75);
	shape_make(s, cls, w, h, angle, apex);
	random_colour(r, s->rgb);
	double cx = 0, cy = 0, reach = s->r;
	for (int i = 0; i < s->n; i++)
		cx += s->px[i] / s->n, cy += s->py[i] / s->n;
	for (int i = 0; i < s->n; i++)
		reach = fmax(reach, hypot(s->px[i] - cx, s->py[i] - cy));
	if (reach > 0.46 * side) {
		/* shrink it to fit: the same shape, smaller */
		unsigned char rgb[3] = { s->rgb[0], s->rgb[1], s->rgb[2] };
		double f = 0.46 * side / reach;
		shape_make(s, cls, w * f, h * f, angle, apex);
		memcpy(s->rgb, rgb, 3);
		cx *= f, cy *= f;
	}
	shape_move(s, side / 2.0 - cx, side / 2.0 - cy);
}

/* --- pixels ---------------------------------------------------------------- */

static unsigned char clamp_byte(double v)
{
	return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

/* A dark colour with a gentle gradient across the image. */
static void background(struct rng *r, unsigned char *rgb, int side)
{
	double base[3], slope = uniform(r, 0, 24), dir = uniform(r, 0, 2 * M_PI);
	for (int c = 0; c < 3; c++)
		base[c] = uniform(r, 10, 50);
	for (int y = 0; y < side; y++)
		for (int x = 0; x < side; x++) {
			double t = ((x + 0.5) / side - 0.5) * cos(dir) + ((y + 0.5) / side - 0.5) * sin(dir);
			for (int c = 0; c < 3; c++)
				rgb[(y * side + x) * 3 + c] = clamp_byte(base[c] + slope * t);
		}
}

/* Fills the shape, blending edge pixels by how much of them it covers. A
 * pixel whose four corners agree is wholly in or out (the shapes are convex;
 * a sliver thinner than a pixel between two corners is lost, invisible after
 * JPEG); the others are sampled 4 x 4. */
static void fill(const struct shape *s, unsigned char *rgb, int side)
{
	int x0 = (int)floor(s->x0), y0 = (int)floor(s->y0);
	int x1 = (int)ceil(s->x1), y1 = (int)ceil(s->y1);
	for (int y = y0 > 0 ? y0 : 0; y < y1 && y < side; y++)
		for (int x = x0 > 0 ? x0 : 0; x < x1 && x < side; x++) {
			int corners = inside(s, x, y) + inside(s, x + 1, y) + inside(s, x, y + 1) + inside(s, x + 1, y + 1);
			double cover = corners == 4;
			if (corners % 4) {
				int hits = 0;
				for (int j = 0; j < 4; j++)
					for (int i = 0; i < 4; i++)
						hits += inside(s, x + (i + 0.5) / 4, y + (j + 0.5) / 4);
				cover = hits / 16.0;
			}
			unsigned char *p = &rgb[(y * side + x) * 3];
			for (int c = 0; c < 3 && cover > 0; c++)
				p[c] = clamp_byte(p[c] + (s->rgb[c] - p[c]) * cover);
		}
}

/* Sensor-like noise over everything, -8 .. +8 per channel. */
static void add_noise(struct rng *r, unsigned char *rgb, int side)
{
	for (int i = 0; i < side * side; i++) {
		uint64_t bits = next(r);
		for (int c = 0; c < 3; c++)
			rgb[i * 3 + c] = clamp_byte(rgb[i * 3 + c] + (int)((bits >> (16 * c)) % 17) - 8);
	}
}

/* --- files ----------------------------------------------------------------- */

struct jpeg_failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

/* libjpeg's default handler exits the process; come back here instead. */
static void jpeg_failed(j_common_ptr c)
{
	longjmp(((struct jpeg_failure *)c->err)->jump, 1);
}

static int write_jpeg(const char *path, const unsigned char *rgb, int side)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	struct jpeg_compress_struct c;
	struct jpeg_failure failure;
	c.err = jpeg_std_error(&failure.mgr);
	errno = 0;
	failure.mgr.error_exit = jpeg_failed;
	if (setjmp(failure.jump)) {
		int saved = errno ? errno : EIO;  /* a failed fwrite inside libjpeg set it */
		jpeg_destroy_compress(&c);
		fclose(f);
		errno = saved;
		return -1;
	}
	jpeg_create_compress(&c);
	jpeg_stdio_dest(&c, f);
	c.image_width = c.image_height = (JDIMENSION)side;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, JPEG_QUALITY, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)&rgb[(size_t)c.next_scanline * (size_t)side * 3];
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	int failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return -1;
	return 0;
}

/* A normalised value; clamped because a circle's polygon reaches a hair
 * past the circle, which may touch the border. */
static void put(FILE *f, double v, int side)
{
	v /= side;
	fprintf(f, " %.6f", v < 0 ? 0 : v > 1 ? 1 : v);
}

static void put_line(FILE *f, const struct shape *s, enum ul_task task, int side)
{
	fprintf(f, "%d", s->cls);
	if (task == UL_TASK_DETECT || task == UL_TASK_POSE) {
		put(f, (s->x0 + s->x1) / 2, side);
		put(f, (s->y0 + s->y1) / 2, side);
		put(f, s->x1 - s->x0, side);
		put(f, s->y1 - s->y0, side);
	}
	if (task == UL_TASK_POSE) {
		double kx[3], ky[3];
		keypoints(s, kx, ky);
		for (int k = 0; k < 3; k++) {
			put(f, kx[k], side);
			put(f, ky[k], side);
			fputs(" 2.000000", f);  /* visible, written as Ultralytics' own pose sets do */
		}
	} else if (task == UL_TASK_SEGMENT && s->n == 0) {
		/* the polygon with the circle's area, not one inscribed in it */
		double step = 2 * M_PI / CIRCLE_POINTS;
		double r = s->r * sqrt(step / sin(step));
		for (int k = 0; k < CIRCLE_POINTS; k++) {
			put(f, s->ox + r * cos(k * step), side);
			put(f, s->oy + r * sin(k * step), side);
		}
	} else if (task == UL_TASK_SEGMENT) {
		for (int i = 0; i < s->n; i++) {
			put(f, s->px[i], side);
			put(f, s->py[i], side);
		}
	} else if (task == UL_TASK_OBB) {
		for (int i = 0; i < 4; i++) {
			double x, y;
			frame_point(s, box_corners[i][0] * s->w, box_corners[i][1] * s->h, &x, &y);
			put(f, x, side);
			put(f, y, side);
		}
	}
	fputc('\n', f);
}

static int write_labels(const char *path, const struct shape *shapes, int n, enum ul_task task, int side)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (int i = 0; i < n; i++)
		put_line(f, &shapes[i], task, side);
	int failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return -1;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_yaml(const char *path, const struct ul_shapes *s, enum ul_task task)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	const char *names[3];
	memcpy(names, class_names, sizeof names);
	int classify = task == UL_TASK_CLASSIFY;
	if (classify)
		qsort(names, (size_t)s->classes, sizeof *names, compare_names);
	fprintf(f, "# Synthetic shapes written by ul: task %s, seed %u, %d train and %d val images of %dx%d.\n",
		ul_task_name(task), s->seed, s->train, s->val, s->imgsz, s->imgsz);
	fprintf(f, "path: .\ntrain: %s\nval: %s\nnames:\n", classify ? "train" : "images/train",
		classify ? "val" : "images/val");
	for (int i = 0; i < s->classes; i++)
		fprintf(f, "  %d: %s\n", i, names[i]);
	if (task == UL_TASK_POSE)
		fprintf(f, "kpt_shape: [3, 3]  # leftmost, rightmost and topmost corner\n"
			"flip_idx: [1, 0, 2]  # a horizontal flip swaps left and right\n");
	int failed = ferror(f);
	if (fclose(f) != 0 || failed)
		return -1;
	return 0;
}

/* --- the dataset ----------------------------------------------------------- */

static int usage(jv *err, const char *param, const char *message, const char *hint)
{
	*err = jv_object_set(ul_error_record("usage", message, hint), jv_string("param"), jv_string(param));
	return -1;
}

/* "cannot VERB PATH: why", from errno. */
static int io_error(jv *err, const char *verb, const char *path)
{
	char message[INNER_PATH_MAX + 128];
	snprintf(message, sizeof message, "cannot %s %s: %s", verb, path, strerror(errno));
	*err = ul_error_record("io", message, NULL);
	return -1;
}

static int check(const struct ul_shapes *s, enum ul_task *task, jv *err)
{
	static const char *const tasks[] = { "detect", "segment", "pose", "obb", "classify" };
	char message[160];
	if (!s->dir || !*s->dir)
		return usage(err, "dir", "no output folder given", NULL);
	if (strlen(s->dir) > PATH_MAX - 64)
		return usage(err, "dir", "the output folder's path is too long", NULL);
	*task = ul_task_from_name(s->task ? s->task : "detect");
	if (*task == UL_TASK_UNKNOWN) {
		const char *near = ul_suggest(s->task, tasks, 5);
		char hint[64];
		if (near)
			snprintf(hint, sizeof hint, "did you mean %s?", near);
		snprintf(message, sizeof message, "unknown task \"%.40s\": detect, segment, pose, obb or classify", s->task);
		return usage(err, "task", message, near ? hint : NULL);
	}
	const struct { const char *name; int value, lo, hi; } ranges[] = {
		{ "train", s->train, 1, MAX_COUNT }, { "val", s->val, 1, MAX_COUNT },
		{ "imgsz", s->imgsz, 32, 4096 }, { "classes", s->classes, 1, 3 },
	};
	for (int i = 0; i < 4; i++)
		if (ranges[i].value < ranges[i].lo || ranges[i].value > ranges[i].hi) {
			snprintf(message, sizeof message, "%s is %d; it must be %d to %d", ranges[i].name,
				ranges[i].value, ranges[i].lo, ranges[i].hi);
			return usage(err, ranges[i].name, message, NULL);
		}
	return 0;
}

/* A fresh sibling of dir to build in. mkdtemp would make it 0700, and it
 * becomes the dataset: mkdir honours the umask. */
static int make_partial(const char *dir, char *path)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct rng r = { (uint64_t)getpid() << 40 ^ (uint64_t)now.tv_sec << 20 ^ (uint64_t)now.tv_nsec };
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(path, PATH_MAX, "%s.partial-%06x", dir, (unsigned)(next(&r) & 0xFFFFFF));
		if (mkdir(path, 0777) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static int make_dir(const char *root, const char *name, jv *err)
{
	char path[INNER_PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", root, name);
	return mkdir(path, 0777) < 0 ? io_error(err, "create", path) : 0;
}

static const char *const split_names[] = { "train", "val" };

/* The folders, every class folder included, even one no image falls in. */
static int layout(const char *root, enum ul_task task, int classes, jv *err)
{
	static const char *const folders[] = { "images", "images/train", "images/val", "labels", "labels/train",
		"labels/val" };
	char name[32];
	for (int i = 0; i < 6 && task != UL_TASK_CLASSIFY; i++)
		if (make_dir(root, folders[i], err) < 0)
			return -1;
	for (int s = 0; s < 2 && task == UL_TASK_CLASSIFY; s++) {
		if (make_dir(root, split_names[s], err) < 0)
			return -1;
		for (int c = 0; c < classes; c++) {
			snprintf(name, sizeof name, "%s/%s", split_names[s], class_names[c]);
			if (make_dir(root, name, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Draws and writes image index of split (0 train, 1 val). */
static int write_image(const char *root, const struct ul_shapes *s, enum ul_task task, int split, int index,
	unsigned char *rgb, jv *err)
{
	struct rng r = image_rng(s->seed, split, index);
	struct shape shapes[MAX_SHAPES];
	int n = 1, side = s->imgsz;
	background(&r, rgb, side);
	if (task == UL_TASK_CLASSIFY)
		centred(&r, index % s->classes, side, &shapes[0]);
	else
		n = scene(&r, task, s->classes, side, shapes);
	for (int i = 0; i < n; i++)
		fill(&shapes[i], rgb, side);
	add_noise(&r, rgb, side);

	char path[INNER_PATH_MAX];
	if (task == UL_TASK_CLASSIFY)
		snprintf(path, sizeof path, "%s/%s/%s/%06d.jpg", root, split_names[split], class_names[shapes[0].cls], index);
	else
		snprintf(path, sizeof path, "%s/images/%s/%06d.jpg", root, split_names[split], index);
	if (write_jpeg(path, rgb, side) < 0)
		return io_error(err, "write", path);
	if (task == UL_TASK_CLASSIFY)
		return 0;
	snprintf(path, sizeof path, "%s/labels/%s/%06d.txt", root, split_names[split], index);
	if (write_labels(path, shapes, n, task, side) < 0)
		return io_error(err, "write", path);
	return 0;
}

static int build(const char *root, const struct ul_shapes *s, enum ul_task task, jv *err)
{
	char path[INNER_PATH_MAX];
	if (layout(root, task, s->classes, err) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/data.yaml", root);
	if (write_yaml(path, s, task) < 0)
		return io_error(err, "write", path);
	unsigned char *rgb = malloc((size_t)s->imgsz * (size_t)s->imgsz * 3);
	if (!rgb) {
		*err = ul_error_record("io", "out of memory for an image", NULL);
		return -1;
	}
	int rc = 0;
	for (int split = 0; split < 2 && rc == 0; split++)
		for (int i = 0; i < (split ? s->val : s->train) && rc == 0; i++) {
			if (ul_stop_requested()) {
				*err = ul_error_record("stopped", "stopped by a signal before the dataset was complete", NULL);
				rc = -1;
			} else {
				rc = write_image(root, s, task, split, i, rgb, err);
			}
		}
	free(rgb);
	return rc;
}

/* Renames without replacing: rename(2) alone would replace an empty
 * folder made at dir in the meantime. Some file systems (NFS) lack
 * RENAME_NOREPLACE; there a check just before is the best there is. */
static int exists(jv *err, const char *dir)
{
	char message[PATH_MAX + 64];
	snprintf(message, sizeof message, "%s already exists", dir);
	*err = ul_error_record("io", message, "remove it, or choose another folder");
	return -1;
}

int ul_shapes_generate(const struct ul_shapes *s, jv *err)
{
	enum ul_task task;
	if (check(s, &task, err) < 0)
		return -1;
	char dir[DIR_MAX], partial[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", s->dir);
	for (size_t len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--)
		dir[len - 1] = '\0';  /* "out/" names out, not a sibling inside it */
	struct stat st;
	if (lstat(dir, &st) == 0)
		return exists(err, dir);
	if (errno != ENOENT)
		return io_error(err, "check", dir);
	if (make_partial(dir, partial) < 0)
		return io_error(err, "create", partial);
	int rc = build(partial, s, task, err);
	if (rc == 0 && ul_rename_new(partial, dir) < 0)
		rc = errno == EEXIST || errno == ENOTEMPTY ? exists(err, dir) : io_error(err, "rename to", dir);
	if (rc < 0)
		ul_remove_tree(partial);
	return rc;
}
