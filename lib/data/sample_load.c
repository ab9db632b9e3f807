#include "data/sample_load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "data/letterbox.h"

void ul_resample_polygon(const double *xy, int m, int n, float *out)
{
	if (m == n) {
		for (int i = 0; i < 2 * n; i++)
			out[i] = (float)xy[i];
		return;
	}
	/* positions along the closed polygon (vertex m is vertex 0 again):
	 * n evenly spaced, or when there are more than enough, n - (m + 1)
	 * evenly spaced with the m + 1 vertices themselves merged in */
	int closed = m + 1, spaced = closed < n ? n - closed : n;
	for (int i = 0, k = 0, v = 0; i < n; i++) {
		/* numpy's linspace: k x step, the last exactly m */
		double even = spaced < 2 ? 0 : k == spaced - 1 ? m : k * ((double)m / (spaced - 1));
		double at;
		/* a vertex goes before an even point at the same place (searchsorted, left) */
		if (closed < n && v < closed && (k >= spaced || v <= even))
			at = v++;
		else
			at = even, k++;
		int lo = (int)floor(at);
		if (lo >= m)
			lo = m - 1;
		double t = at - lo;
		int a = lo % m, b = (lo + 1) % m;
		out[2 * i] = (float)(xy[2 * a] + (xy[2 * b] - xy[2 * a]) * t);
		out[2 * i + 1] = (float)(xy[2 * a + 1] + (xy[2 * b + 1] - xy[2 * a + 1]) * t);
	}
}

/* What each label row is turned into. */
struct rows {
	struct ul_sample *s;
	const struct ul_label_rules *rules;
	double w, h;
	double *points;  /* a polygon in pixels */
	size_t cap;
};

static int add_row(void *ctx, const double *v, int n)
{
	struct rows *r = ctx;
	struct ul_sample *s = r->s;
	if (ul_sample_reserve(s, s->n + 1))
		return -1;
	int i = s->n;
	double box[4];
	ul_label_row_box(v, n, r->rules, box);
	s->cls[i] = (int)v[0];
	float *b = s->boxes + 4 * i;
	b[0] = (float)((box[0] - box[2] / 2) * r->w), b[1] = (float)((box[1] - box[3] / 2) * r->h);
	b[2] = (float)((box[0] + box[2] / 2) * r->w), b[3] = (float)((box[1] + box[3] / 2) * r->h);
	bool pose = r->rules->task == UL_TASK_POSE;
	if (s->seg_points) {
		int m = !pose && n > 6 ? (n - 1) / 2 : 4;
		if ((size_t)m * 2 > r->cap) {
			double *grown = realloc(r->points, sizeof *grown * 2 * m);
			if (!grown)
				return -1;
			r->points = grown, r->cap = (size_t)m * 2;
		}
		if (!pose && n > 6) {
			for (int k = 0; k < m; k++)
				r->points[2 * k] = v[1 + 2 * k] * r->w, r->points[2 * k + 1] = v[2 + 2 * k] * r->h;
		} else {
			double corners[8] = { b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3] };
			memcpy(r->points, corners, sizeof corners);
		}
		ul_resample_polygon(r->points, m, s->seg_points, s->segments + (size_t)2 * s->seg_points * i);
	}
	if (s->kpt_count) {
		float *k = s->keypoints + (size_t)s->kpt_count * s->kpt_dims * i;
		for (int p = 0; p < s->kpt_count; p++)
			for (int d = 0; d < s->kpt_dims; d++) {
				double x = pose && 5 + p * s->kpt_dims + d < n ? v[5 + p * s->kpt_dims + d] : 0;
				k[p * s->kpt_dims + d] = (float)(d == 0 ? x * r->w : d == 1 ? x * r->h : x);
			}
	}
	s->n++;
	return 0;
}

int ul_sample_set_labels(struct ul_sample *s, const char *labels, size_t len, const struct ul_label_rules *rules,
			 jv *err)
{
	s->n = 0;
	if (!labels)
		return 0;
	struct rows r = { s, rules, s->img.w, s->img.h, NULL, 0 };
	struct ul_label_check check;
	int rc = ul_labels_rows(labels, len, rules, &check, add_row, &r);
	free(r.points);
	if (rc) {
		s->n = 0;
		return ul_invalid(err, "labels line %d: %s", check.bad_line, check.problem);
	}
	return 0;
}

int ul_sample_load(struct ul_sample *s, const char *path, const char *labels, size_t len,
		   const struct ul_label_rules *rules, int imgsz, jv *err)
{
	ul_sample_free(s);
	struct ul_image img;
	if (ul_image_decode(path, &img, err))
		return -1;
	int rc = ul_image_long_side(&img, imgsz, &s->img);
	ul_image_free(&img);
	if (rc)
		return ul_invalid(err, "%s: out of memory resizing", path);
	if (ul_sample_set_labels(s, labels, len, rules, err)) {
		jv msg = jv_invalid_get_msg(*err);
		*err = jv_invalid_with_msg(jv_string_fmt("%s: %s", path, jv_string_value(msg)));
		jv_free(msg);
		ul_sample_free(s);
		return -1;
	}
	return 0;
}
