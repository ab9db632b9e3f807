#include "data/labels.h"

#include "core/grow.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOLERANCE 0.01   /* how far outside [0, 1] a value may stray */
#define MAX_VALUES 8192  /* values on one line: a polygon of 4096 points */

static const char *const task_names[] = {
	[UL_TASK_UNKNOWN] = "unknown", [UL_TASK_DETECT] = "detect", [UL_TASK_SEGMENT] = "segment",
	[UL_TASK_POSE] = "pose", [UL_TASK_OBB] = "obb", [UL_TASK_CLASSIFY] = "classify",
};

const char *ul_task_name(enum ul_task task)
{
	return task_names[task];
}

enum ul_task ul_task_from_name(const char *name)
{
	for (int t = UL_TASK_DETECT; t <= UL_TASK_CLASSIFY; t++)
		if (!strcmp(name, task_names[t]))
			return (enum ul_task)t;
	return UL_TASK_UNKNOWN;
}

/* One line as numbers: the class and the box Ultralytics checks. */
struct row {
	int n;               /* values on the line, class included */
	double v[MAX_VALUES];
};

static bool bad(struct ul_label_check *out, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool bad(struct ul_label_check *out, int line, const char *fmt, ...)
{
	va_list ap;
	if (out->bad_line)
		return false;
	out->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(out->problem, sizeof out->problem, fmt, ap);
	va_end(ap);
	return false;
}

/* Splits a line into numbers. False (with the problem) on a token that is
 * not a number or a line that is too long. */
static bool parse_row(const char *p, const char *end, struct row *r, struct ul_label_check *out, int line)
{
	r->n = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p >= end)
			break;
		char token[64];
		size_t len = 0;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r') {
			if (len < sizeof token - 1)
				token[len] = *p;
			len++;
			p++;
		}
		if (len >= sizeof token)
			return bad(out, line, "a value of %zu characters is not a number", len);
		token[len] = '\0';
		char *stop;
		double x = strtod(token, &stop);
		if (*stop || !isfinite(x))
			return bad(out, line, "'%s' is not a number", token);
		if (r->n == MAX_VALUES)
			return bad(out, line, "more than %d values on one line", MAX_VALUES);
		r->v[r->n++] = x;
	}
	return true;
}

/* The row's box, (cx, cy, w, h): its first four values, or for a polygon
 * the box around its points, as Ultralytics' segments2boxes. */
static void row_box(const double *v, int n, const struct ul_label_rules *rules, double box[4])
{
	if (n <= 6 || rules->task == UL_TASK_POSE) {
		memcpy(box, v + 1, 4 * sizeof *box);
		return;
	}
	double x0 = v[1], x1 = v[1], y0 = v[2], y1 = v[2];
	for (int i = 1; i + 1 < n; i += 2)
		x0 = fmin(x0, v[i]), x1 = fmax(x1, v[i]), y0 = fmin(y0, v[i + 1]), y1 = fmax(y1, v[i + 1]);
	box[0] = (x0 + x1) / 2, box[1] = (y0 + y1) / 2, box[2] = x1 - x0, box[3] = y1 - y0;
}

/* The values Ultralytics range-checks for a row: the box (from the polygon
 * when there is one) or, for pose, the keypoints' x and y. */
static bool check_row(struct row *r, const struct ul_label_rules *rules, struct ul_label_check *out, int line)
{
	bool pose = rules->task == UL_TASK_POSE;
	int want_pose = 5 + rules->kpt_count * rules->kpt_dims;
	if (r->n == 5)
		out->box_lines++;
	if (r->n > 6)
		out->polygon_lines++;
	if (r->n == 9)
		out->corner_lines++;

	if (pose && r->n != want_pose)
		return bad(out, line, "%d values where pose with kpt_shape [%d, %d] needs %d", r->n,
			rules->kpt_count, rules->kpt_dims, want_pose);
	if (!pose && r->n > 6 && (r->n - 1) % 2 != 0)
		return bad(out, line, "a polygon needs x y pairs, found %d coordinates", r->n - 1);
	if (!pose && r->n <= 6 && r->n != 5)
		return bad(out, line, "%d values; a box needs 5 (class cx cy w h)", r->n);

	double cls = r->v[0];
	if (cls < 0 || cls != floor(cls))
		return bad(out, line, "class %g is not a class index", cls);
	if (rules->nc > 0 && cls >= rules->nc)
		return bad(out, line, "class %g is not below nc=%d", cls, rules->nc);

	double lo = 0, hi = 0;  /* over the values that are checked */
	bool first = true;
	int out_of_range = 0;
	if (r->n > 6 && !pose) {
		for (int i = 1; i + 1 < r->n; i += 2) {
			double x = r->v[i], y = r->v[i + 1];
			if (x < 0 || x > 1 || y < 0 || y > 1)
				out_of_range++;
		}
		double box[4];
		row_box(r->v, r->n, rules, box);
		lo = hi = box[0];
		for (int i = 0; i < 4; i++)
			lo = fmin(lo, box[i]), hi = fmax(hi, box[i]);
		first = false;
	} else {
		int from = pose ? 5 : 1;
		int step = pose ? rules->kpt_dims : 1;
		for (int i = from; i < r->n; i += step) {
			for (int k = 0; k < (pose ? 2 : 1); k++) {
				double x = r->v[i + k];
				lo = first ? x : fmin(lo, x);
				hi = first ? x : fmax(hi, x);
				first = false;
				if (x < 0 || x > 1)
					out_of_range++;
			}
		}
		/* Ultralytics' lower bound covers every value of a pose row. */
		for (int i = 1; pose && i < r->n; i++)
			lo = fmin(lo, r->v[i]);
	}
	if (hi > 1 + TOLERANCE)
		return bad(out, line, "coordinate %g is beyond 1: labels must be normalised to the image", hi);
	if (lo < -TOLERANCE)
		return bad(out, line, "negative coordinate %g", lo);
	out->out_of_range += out_of_range;
	return true;
}

/* The rows kept so far, end to end, to find duplicates. */
struct kept {
	double *values;
	size_t used, cap;
	size_t *starts;  /* where each row begins in values */
	int *lengths;
	int count, rows_cap;
};

static bool seen_before(const struct kept *k, const struct row *r)
{
	for (int i = 0; i < k->count; i++)
		if (k->lengths[i] == r->n && !memcmp(k->values + k->starts[i], r->v, sizeof r->v[0] * (size_t)r->n))
			return true;
	return false;
}

static bool keep(struct kept *k, const struct row *r)
{
	if (k->used + (size_t)r->n > k->cap) {
		size_t cap = (k->cap + (size_t)r->n) * 2;
		double *grown = realloc(k->values, sizeof *grown * cap);
		if (!grown)
			return false;
		k->values = grown;
		k->cap = cap;
	}
	if (k->count == k->rows_cap) {
		int cap = k->rows_cap ? k->rows_cap * 2 : 16;
		size_t *starts = realloc(k->starts, sizeof *starts * (size_t)cap);
		if (starts)
			k->starts = starts;
		int *lengths = realloc(k->lengths, sizeof *lengths * (size_t)cap);
		if (lengths)
			k->lengths = lengths;
		if (!starts || !lengths)
			return false;
		k->rows_cap = cap;
	}
	memcpy(k->values + k->used, r->v, sizeof r->v[0] * (size_t)r->n);
	k->starts[k->count] = k->used;
	k->lengths[k->count++] = r->n;
	k->used += (size_t)r->n;
	return true;
}

/* Checks every line, keeping the usable rows in *kept. */
static void scan_rows(const char *text, size_t len, const struct ul_label_rules *rules, struct ul_label_check *out,
		      struct kept *kept)
{
	memset(out, 0, sizeof *out);
	struct row *r = malloc(sizeof *r);
	const char *p = text, *end = text + len;
	for (int line = 1; r && p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!parse_row(p, nl ? nl : end, r, out, line))
			break;
		p = nl ? nl + 1 : end;
		if (r->n == 0)
			continue;  /* blank line */
		if (!check_row(r, rules, out, line))
			break;
		if (out->polygon_lines && out->box_lines && rules->task != UL_TASK_POSE) {
			bad(out, line, "the file mixes polygons and boxes; use one kind per file");
			break;
		}
		if (seen_before(kept, r))
			out->duplicates++;
		else if (!keep(kept, r))
			bad(out, line, "out of memory");
	}
	if (!r)
		bad(out, 1, "out of memory");
	out->instances = out->bad_line ? 0 : kept->count;
	free(r);
}

static void kept_free(struct kept *k)
{
	free(k->values);
	free(k->starts);
	free(k->lengths);
}

void ul_labels_check(const char *text, size_t len, const struct ul_label_rules *rules, struct ul_label_check *out)
{
	struct kept kept = { 0 };
	scan_rows(text, len, rules, out, &kept);
	kept_free(&kept);
}

int ul_labels_rows(const char *text, size_t len, const struct ul_label_rules *rules, struct ul_label_check *out,
		   int (*row)(void *ctx, const double *v, int n), void *ctx)
{
	struct kept kept = { 0 };
	scan_rows(text, len, rules, out, &kept);
	int rc = out->bad_line ? -1 : 0;
	for (int i = 0; !rc && i < kept.count; i++)
		if (row(ctx, kept.values + kept.starts[i], kept.lengths[i]))
			rc = -1, snprintf(out->problem, sizeof out->problem, "out of memory");
	kept_free(&kept);
	return rc;
}

void ul_label_row_box(const double *v, int n, const struct ul_label_rules *rules, double box[4])
{
	row_box(v, n, rules, box);
}

/* Where ul_labels_boxes puts the rows' boxes. */
struct box_list {
	const struct ul_label_rules *rules;
	int image;
	struct ul_label **boxes;
	size_t *n, *cap;
};

static int add_box(void *ctx, const double *v, int n)
{
	struct box_list *b = ctx;
	if (ul_grow(b->boxes, b->cap, *b->n + 1, sizeof **b->boxes))
		return -1;
	double box[4];
	row_box(v, n, b->rules, box);
	(*b->boxes)[(*b->n)++] = (struct ul_label){ b->image, (int)v[0], (float)box[0], (float)box[1], (float)box[2], (float)box[3] };
	return 0;
}

int ul_labels_boxes(const char *text, size_t len, const struct ul_label_rules *rules, int image,
		    struct ul_label_check *out, struct ul_label **boxes, size_t *n, size_t *cap)
{
	size_t before = *n;
	struct box_list list = { rules, image, boxes, n, cap };
	int rc = ul_labels_rows(text, len, rules, out, add_box, &list);
	if (rc)
		*n = before;
	return rc;
}
