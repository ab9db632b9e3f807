/* RandomPerspective (lib/data/perspective) against OpenCV 4.6 and numpy
 * (tests/reference/make_warp_vectors.py): cv2.warpAffine and
 * cv2.warpPerspective of images made from a formula by hand-made maps
 * (translation, rotation and zoom, shear, perspective across several of
 * warpPerspective's tiles, a crop smaller than the input as after a mosaic)
 * and by maps drawn as RandomPerspective draws them, every byte compared,
 * and three 1280 -> 640 mosaic frames by SHA-256; the drawn maps' matrices
 * against numpy's float32 ones, bit for bit; boxes, polygons (crossing the
 * frame's sides and corners) and keypoints against a numpy version of the
 * label rules. Then, without a reference: boxes, polygons and keypoints
 * follow the pixels of a coloured rectangle and triangle through random
 * maps, instances that leave the frame are clipped, the filter drops boxes
 * exactly at its thresholds, the identity leaves the image alone, and a
 * seed gives the same sample twice. */
#include <math.h>

#include "core/random.h"
#include "core/sha256.h"
#include "data/perspective.h"
#include "formula_image.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"

/* The case's map as the fixture holds it. */
static bool fixture_warp(const struct ul_safetensors *st, jv c, struct ul_warp *w)
{
	char name[96], key[128];
	snprintf(key, sizeof key, "matrix.%s", case_text(c, "name", name, sizeof name));
	size_t n = 0;
	float *m = read_tensor(st, key, &n);
	if (!m || n != 9) {
		free(m);
		return false;
	}
	memcpy(w->m, m, sizeof w->m);
	free(m);
	jv draws = jv_object_get(jv_copy(c), jv_string("draws"));
	w->scale = jv_get_kind(draws) == JV_KIND_OBJECT ? case_number(draws, "s") : 1;
	jv_free(draws);
	w->projective = case_flag(c, "projective");
	w->out_w = case_element(c, "out", 0), w->out_h = case_element(c, "out", 1);
	return true;
}

/* A drawn case: its params and uniforms through ul_perspective_warp give
 * the fixture's matrix, every float equal. */
static void drawn_matrix(jv c, const struct ul_warp *want)
{
	jv draws = jv_object_get(jv_copy(c), jv_string("draws"));
	if (jv_get_kind(draws) != JV_KIND_OBJECT) {
		jv_free(draws);
		return;
	}
	jv params = jv_object_get(jv_copy(draws), jv_string("params")), u = jv_object_get(jv_copy(draws), jv_string("u"));
	struct ul_perspective p = { case_number(params, "degrees"), case_number(params, "translate"), case_number(params, "scale"),
				    case_number(params, "shear"), case_number(params, "perspective") };
	double draw[UL_PERSPECTIVE_DRAWS];
	for (int i = 0; i < UL_PERSPECTIVE_DRAWS; i++) {
		jv x = jv_array_get(jv_copy(u), i);
		draw[i] = jv_number_value(x);
		jv_free(x);
	}
	struct ul_warp got;
	ul_perspective_warp(&p, case_element(c, "in", 0), case_element(c, "in", 1), want->out_w, want->out_h, draw, &got);
	int equal = 0;
	double worst = 0;
	for (int i = 0; i < 9; i++) {
		equal += got.m[i] == want->m[i];
		worst = fmax(worst, fabs(got.m[i] - want->m[i]));
	}
	char name[96];
	ok(equal == 9 && got.scale == want->scale && got.projective == want->projective,
	   "%s: T S R P C from its draws is numpy's float32 matrix (%d of 9 equal, off by %.3g at most)",
	   case_text(c, "name", name, sizeof name), equal, worst);
	jv_free(params), jv_free(u), jv_free(draws);
}

static void pixel_cases(const struct ul_safetensors *images, const struct ul_safetensors *st)
{
	jv cases = meta(st, "cases");
	ok(jv_get_kind(cases) == JV_KIND_ARRAY && jv_array_length(jv_copy(cases)) >= 15, "the warp cases are listed");
	int affine = 0, projective = 0;
	jv_array_foreach(cases, i, c) {
		char name[96], image[96], sha[96], key[64];
		int in_w = case_element(c, "in", 0), in_h = case_element(c, "in", 1);
		struct ul_warp w;
		if (!fixture_warp(st, c, &w)) {
			ok(0, "%s: the fixture has its matrix", case_text(c, "name", name, sizeof name));
			jv_free(c);
			continue;
		}
		drawn_matrix(c, &w);
		struct ul_image src = formula_image(in_w, in_h), out = { 0 };
		snprintf(key, sizeof key, "input.%dx%d", in_w, in_h);
		const unsigned char *input = tensor_u8(images, key, (size_t)in_w * in_h * 3);
		if (input && (i == 0 || !strcmp(case_text(c, "name", name, sizeof name), "perspective")))
			ok(!memcmp(input, src.rgb, (size_t)in_w * in_h * 3), "%s: the formula builds OpenCV's input", key);
		case_text(c, "name", name, sizeof name);
		const char *how = w.projective ? "cv2.warpPerspective" : "cv2.warpAffine";
		size_t n = (size_t)w.out_w * w.out_h * 3;
		bool warped = ul_warp_image(&src, &w, &out) == 0 && out.w == w.out_w && out.h == w.out_h;
		if (*case_text(c, "image", image, sizeof image)) {
			const unsigned char *want = tensor_u8(images, image, n);
			int most = 0;
			size_t count = want && warped ? bytes_differ(out.rgb, want, n, &most) : n;
			ok(want && warped && count == 0, "%s: %dx%d into %dx%d, every byte as %s", name, in_w, in_h, w.out_w,
			   w.out_h, how);
			if (count)
				printf("#   %zu of %zu bytes differ, by up to %d\n", count, n, most);
		} else {
			char hex[UL_SHA256_HEX] = "";
			if (warped)
				ul_sha256_hex(out.rgb, n, hex);
			ok(warped && !strcmp(hex, case_text(c, "sha256", sha, sizeof sha)), "%s: %dx%d into %dx%d as %s (SHA-256)",
			   name, in_w, in_h, w.out_w, w.out_h, how);
		}
		affine += !w.projective, projective += w.projective;
		ul_image_free(&src);
		ul_image_free(&out);
		jv_free(c);
	}
	ok(affine >= 8 && projective >= 4, "%d affine and %d perspective warps compared", affine, projective);
	jv_free(cases);
}

/* A sample of n instances of those shapes on a w x h image, class i for
 * instance i; segments and keypoints may be NULL when the shape has none. */
static struct ul_sample make_sample(int w, int h, int n, int seg_points, int kpt_count, const float *boxes,
				    const float *segments, const float *keypoints)
{
	struct ul_sample s;
	ul_sample_init(&s, seg_points, kpt_count, kpt_count ? 3 : 0);
	ul_sample_reserve(&s, n);
	s.img = formula_image(w, h);
	s.n = n;
	for (int i = 0; i < n; i++)
		s.cls[i] = i;
	memcpy(s.boxes, boxes, sizeof *boxes * 4 * (size_t)n);
	if (seg_points)
		memcpy(s.segments, segments, sizeof *segments * 2 * (size_t)seg_points * n);
	if (kpt_count)
		memcpy(s.keypoints, keypoints, sizeof *keypoints * 3 * (size_t)kpt_count * n);
	return s;
}

static double most_apart(const float *a, const float *b, size_t n)
{
	double d = 0;
	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(a[i] - b[i]));
	return d;
}

static float *labels_tensor(const struct ul_safetensors *st, const char *set, const char *map, const char *what, size_t *n)
{
	char key[128];
	snprintf(key, sizeof key, "labels.%s.%s.%s", set, map, what);
	*n = 0;
	return read_tensor(st, key, n);
}

static void label_cases(const struct ul_safetensors *st)
{
	jv sets = meta(st, "labels"), cases = meta(st, "cases");
	jv_array_foreach(sets, i, set) {
		char name[32], map[32], case_name[96], other[96];
		case_text(set, "set", name, sizeof name);
		int n = (int)case_number(set, "n"), seg_points = (int)case_number(set, "seg_points"), kpt_count = (int)case_number(set, "kpt_count");
		size_t nb, ns, nk;
		float *boxes = labels_tensor(st, name, "in", "boxes", &nb), *keypoints = labels_tensor(st, name, "in", "keypoints", &nk);
		float *segments = seg_points ? labels_tensor(st, name, "in", "segments", &ns) : NULL;
		jv maps = jv_object_get(jv_copy(set), jv_string("maps"));
		jv_array_foreach(maps, k, m) {
			case_text(m, "map", map, sizeof map);
			case_text(m, "case", case_name, sizeof case_name);
			struct ul_warp w = { 0 };
			bool found = false;
			jv_array_foreach(cases, j, c) {
				if (!found && !strcmp(case_text(c, "name", other, sizeof other), case_name))
					found = fixture_warp(st, c, &w);
				jv_free(c);
			}
			struct ul_sample s = make_sample(64, 48, n, seg_points, kpt_count, boxes, segments, keypoints);
			size_t wb, ws = 0, wk;
			float *want_boxes = labels_tensor(st, name, map, "boxes", &wb);
			float *want_kpts = labels_tensor(st, name, map, "keypoints", &wk);
			float *want_segs = seg_points ? labels_tensor(st, name, map, "segments", &ws) : NULL;
			jv kept = jv_object_get(jv_copy(m), jv_string("kept"));
			int nkept = jv_array_length(jv_copy(kept));
			bool same_kept = found && ul_perspective_apply(&s, &w) == 0 && s.n == nkept;
			for (int q = 0; same_kept && q < nkept; q++) {
				jv v = jv_array_get(jv_copy(kept), q);
				same_kept = s.cls[q] == (int)jv_number_value(v);
				jv_free(v);
			}
			double db = same_kept ? most_apart(s.boxes, want_boxes, wb) : INFINITY;
			double dk = same_kept ? most_apart(s.keypoints, want_kpts, wk) : INFINITY;
			double ds = same_kept && seg_points ? most_apart(s.segments, want_segs, ws) : 0;
			ok(same_kept && wb == 4 * (size_t)nkept && db <= 1e-4 && dk <= 1e-4 && ds <= 1e-4,
			   "%s through %s: %d of %d kept as numpy keeps them, boxes off by %.2g, polygons %.2g, keypoints %.2g",
			   name, map, s.n, n, db, ds, dk);
			jv_free(kept);
			free(want_boxes), free(want_kpts), free(want_segs);
			ul_sample_free(&s);
			jv_free(m);
		}
		jv_free(maps);
		free(boxes), free(keypoints), free(segments);
		jv_free(set);
	}
	jv_free(sets), jv_free(cases);
}

/* ---- geometry follows the pixels ---------------------------------------------------------------------------- */

#define SCENE_W 160
#define SCENE_H 120
#define POINTS 12

static const unsigned char background[3] = { 60, 60, 60 }, red[3] = { 250, 30, 30 }, green[3] = { 30, 250, 30 };

/* Whether a warped pixel is more than `part` the colour, by its one strong
 * channel (its other, low in the colour, tells it from the other shape). */
static bool coloured(const struct ul_image *img, int x, int y, const unsigned char colour[3], double part)
{
	if (x < 0 || y < 0 || x >= img->w || y >= img->h)
		return false;
	const unsigned char *p = img->rgb + ((size_t)y * img->w + x) * 3;
	int strong = colour[0] > colour[1] ? 0 : 1, weak = 1 - strong;
	return p[strong] > background[strong] + part * (colour[strong] - background[strong]) && p[weak] < 114;
}

/* The tight box of the pixels more than half a colour, pixel i spanning
 * [i, i + 1); false when there are none. */
static bool pixel_box(const struct ul_image *img, const unsigned char colour[3], float box[4])
{
	bool any = false;
	for (int y = 0; y < img->h; y++)
		for (int x = 0; x < img->w; x++)
			if (coloured(img, x, y, colour, 0.5)) {
				if (!any)
					box[0] = (float)x, box[1] = (float)y, box[2] = (float)x + 1, box[3] = (float)y + 1;
				any = true;
				box[0] = fminf(box[0], (float)x), box[1] = fminf(box[1], (float)y);
				box[2] = fmaxf(box[2], (float)x + 1), box[3] = fmaxf(box[3], (float)y + 1);
			}
	return any;
}

/* How far (x, y) is from the nearest pixel a fifth the colour or more, in
 * pixels, up to 3: a point on an edge or at a sharp corner may have only
 * such pixels near it. */
static double colour_distance(const struct ul_image *img, float x, float y, const unsigned char colour[3])
{
	double best = 3;
	for (int py = (int)floorf(y) - 3; py <= (int)floorf(y) + 3; py++)
		for (int px = (int)floorf(x) - 3; px <= (int)floorf(x) + 3; px++)
			if (coloured(img, px, py, colour, 0.2)) {
				double dx = fmax(0, fmax(px - x, x - (px + 1))), dy = fmax(0, fmax(py - y, y - (py + 1)));
				best = fmin(best, hypot(dx, dy));
			}
	return best;
}

/* The triangle's corners, and whether a point is in it. */
static const float triangle[3][2] = { { 108, 30 }, { 154, 30 }, { 131, 70 } };  /* near equilateral: no thin tip */

static bool in_triangle(float x, float y)
{
	int sign = 0;
	for (int k = 0; k < 3; k++) {
		const float *a = triangle[k], *b = triangle[(k + 1) % 3];
		float cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
		if (cross != 0 && sign != 0 && (cross > 0) != (sign > 0))
			return false;
		sign = cross != 0 ? (cross > 0 ? 1 : -1) : sign;
	}
	return true;
}

/* A grey scene with a red rectangle [40, 100) x [30, 80) and a green
 * triangle, instance 0 and 1: polygons of POINTS points along their edges,
 * keypoints at the rectangle's corners and the triangle's (and its middle). */
static struct ul_sample scene(bool polygons)
{
	float boxes[8] = { 40, 30, 100, 80, 108, 30, 154, 70 }, segs[2 * POINTS * 2], kpts[2 * 4 * 3];
	const float rect[4][2] = { { 40, 30 }, { 100, 30 }, { 100, 80 }, { 40, 80 } };
	for (int k = 0; k < POINTS; k++) {
		int side = k / 3, step = k % 3;  /* 3 points a side */
		const float *a = rect[side], *b = rect[(side + 1) % 4];
		segs[2 * k] = a[0] + (b[0] - a[0]) * step / 3.0f, segs[2 * k + 1] = a[1] + (b[1] - a[1]) * step / 3.0f;
		int tside = k / 4, tstep = k % 4;  /* 4 a side */
		const float *ta = triangle[tside], *tb = triangle[(tside + 1) % 3];
		segs[2 * POINTS + 2 * k] = ta[0] + (tb[0] - ta[0]) * tstep / 4.0f;
		segs[2 * POINTS + 2 * k + 1] = ta[1] + (tb[1] - ta[1]) * tstep / 4.0f;
	}
	for (int k = 0; k < 4; k++) {
		kpts[3 * k] = rect[k][0], kpts[3 * k + 1] = rect[k][1], kpts[3 * k + 2] = 2;
		kpts[12 + 3 * k] = k < 3 ? triangle[k][0] : 131, kpts[12 + 3 * k + 1] = k < 3 ? triangle[k][1] : 43;
		kpts[12 + 3 * k + 2] = 2;
	}
	struct ul_sample s = make_sample(SCENE_W, SCENE_H, 2, polygons ? POINTS : 0, 4, boxes, segs, kpts);
	for (int y = 0; y < SCENE_H; y++)
		for (int x = 0; x < SCENE_W; x++) {
			bool r = x >= 40 && x < 100 && y >= 30 && y < 80, g = in_triangle(x + 0.5f, y + 0.5f);
			memcpy(s.img.rgb + ((size_t)y * SCENE_W + x) * 3, r ? red : g ? green : background, 3);
		}
	return s;
}

/* Worst distances seen over the random maps. */
struct follow {
	int checked;
	double box, polygon, keypoint;
};

static void follow_instance(const struct ul_sample *s, int i, const unsigned char colour[3], struct follow *f)
{
	float want[4];
	const float *box = s->boxes + 4 * i;
	if (!pixel_box(&s->img, colour, want) || box[0] <= 0 || box[1] <= 0 || box[2] >= s->img.w || box[3] >= s->img.h)
		return;  /* clipped: the clipping cases check those */
	f->checked++;
	for (int k = 0; k < 4; k++)
		f->box = fmax(f->box, fabs(box[k] - want[k]));
	for (int k = 0; k < s->seg_points; k++) {
		const float *p = s->segments + 2 * ((size_t)i * s->seg_points + k);
		f->polygon = fmax(f->polygon, colour_distance(&s->img, p[0], p[1], colour));
	}
	for (int k = 0; k < s->kpt_count; k++) {
		const float *p = s->keypoints + 3 * ((size_t)i * s->kpt_count + k);
		f->keypoint = fmax(f->keypoint, p[2] == 0 ? 3 : colour_distance(&s->img, p[0], p[1], colour));
	}
}

static void follow_the_pixels(const char *what, const struct ul_perspective *p, bool polygons, int seeds)
{
	struct follow f = { 0 };
	int rects = 0, triangles = 0;
	for (int seed = 0; seed < seeds; seed++) {
		struct ul_sample s = scene(polygons);
		uint64_t rng = (uint64_t)seed * 7919 + 1;
		if (ul_random_perspective(&s, p, SCENE_W, SCENE_H, &rng)) {
			ok(0, "%s: seed %d warps", what, seed);
			ul_sample_free(&s);
			return;
		}
		for (int i = 0; i < s.n; i++) {
			int before = f.checked;
			if (s.cls[i] == 0)
				follow_instance(&s, i, red, &f), rects += f.checked > before;
			else if (polygons)  /* without polygons the triangle's box is its old box's corners' */
				follow_instance(&s, i, green, &f), triangles += f.checked > before;
		}
		ul_sample_free(&s);
	}
	ok(rects >= seeds / 2 && f.box <= 2, "%s: over %d maps the %d boxes inside the frame are the tight boxes of their "
	   "pixels within %.2f px", what, seeds, f.checked, f.box);
	if (polygons)  /* a corner draws thin: its last fifth-coloured pixel can be a pixel and a half off */
		ok(f.polygon <= 1.5 && f.keypoint <= 1.5 && triangles >= seeds / 2,
		   "%s: every polygon point (%d rectangles, %d triangles) within %.2f px of its colour, every keypoint %.2f",
		   what, rects, triangles, f.polygon, f.keypoint);
	else
		ok(f.keypoint <= 1, "%s: every keypoint within %.2f px of its colour", what, f.keypoint);
}

/* A translation: boxes, polygons and keypoints that leave the frame are
 * clipped to it, and the keypoints outside hidden. */
static void clipping(void)
{
	struct ul_sample s = scene(true);
	struct ul_warp w = { { 1, 0, -70, 0, 1, 60, 0, 0, 1 }, false, 1, SCENE_W, SCENE_H };
	ok(ul_perspective_apply(&s, &w) == 0 && s.n == 2, "a shift by (-70, 60) keeps both shapes");
	const float *b = s.boxes;
	ok(b[0] == 0 && b[1] == 90 && b[2] == 30 && b[3] == 120, "the rectangle's box is clipped at x = 0 and y = 120: "
	   "%g %g %g %g", b[0], b[1], b[2], b[3]);
	b = s.boxes + 4;
	ok(b[0] == 38 && b[1] == 90 && b[2] == 84 && b[3] == 120, "the triangle's box ends at y = 120, where its polygon "
	   "leaves the frame: %g %g %g %g", b[0], b[1], b[2], b[3]);
	bool clipped = true;
	for (int k = 0; k < 2 * POINTS * 2; k += 2)
		clipped = clipped && s.segments[k] >= 0 && s.segments[k] <= SCENE_W && s.segments[k + 1] >= 0 &&
			  s.segments[k + 1] <= SCENE_H;
	ok(clipped, "every polygon point in the frame");
	const float *k = s.keypoints;
	ok(k[0] == 0 && k[1] == 90 && k[2] == 0 && k[3] == 30 && k[4] == 90 && k[5] == 2 && k[6] == 30 && k[7] == 120 &&
	   k[8] == 0 && k[9] == 0 && k[10] == 120 && k[11] == 0,
	   "the rectangle's keypoints outside are hidden and moved onto the frame's edge, the one inside kept");
	k = s.keypoints + 12;
	ok(k[2] == 2 && k[5] == 2 && k[6] == 61 && k[7] == 120 && k[8] == 0 && k[11] == 2,
	   "the triangle's bottom corner below the frame is hidden at y = 120, its other points kept");
	ul_sample_free(&s);
}

/* One box (or rectangle polygon) through the identity into a 400 x 400
 * frame with zoom s: whether box_candidates keeps it. */
static bool kept(float x1, float y1, float x2, float y2, bool polygon, double s)
{
	float box[4] = { x1, y1, x2, y2 }, seg[8] = { x1, y1, x2, y1, x2, y2, x1, y2 };
	struct ul_sample smp = make_sample(8, 8, 1, polygon ? 4 : 0, 0, box, seg, NULL);
	struct ul_warp w = { { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, false, s, 400, 400 };
	bool k = ul_perspective_apply(&smp, &w) == 0 && smp.n == 1;
	ul_sample_free(&smp);
	return k;
}

static void thresholds(void)
{
	ok(!kept(10, 10, 12, 20, false, 1) && kept(10, 10, 12.0625f, 20, false, 1), "width 2 is dropped, 2.0625 kept");
	ok(!kept(10, 10, 20, 12, false, 1) && kept(10, 10, 20, 12.0625f, false, 1), "height 2 is dropped, 2.0625 kept");
	ok(!kept(10, 10, 13, 310, false, 1) && kept(10, 10, 13, 309, false, 1), "aspect 100 (3 x 300) is dropped, 99.7 kept");
	ok(!kept(10, 10, 310, 13, false, 1) && kept(10, 10, 309, 13, false, 1), "and across (300 x 3)");
	ok(!kept(-90, 0, 10, 10, false, 1) && kept(-89, 0, 10, 10, false, 1),
	   "a box clipped to 0.1 of its area is dropped, to 0.101 kept");
	ok(!kept(-990, 0, 10, 10, true, 1) && kept(-980, 0, 10, 10, true, 1) && kept(-890, 0, 10, 10, true, 1),
	   "with polygons the bar is 0.01: 0.01 dropped, 0.0102 and 0.011 kept");
	ok(kept(10, 10, 30, 30, false, 2) && !kept(10, 10, 30, 30, false, 4),
	   "the old box is scaled by s: area 1/4 of it at s 2 kept, 1/16 at s 4 dropped");
	ok(!kept(500, 500, 520, 520, false, 1) && !kept(-30, 100, -10, 120, true, 1), "boxes and polygons outside the frame are dropped");
}

/* All ranges 0 into the same size: M is the identity and the image stays. */
static void identity_and_draws(void)
{
	struct ul_perspective none = { 0 };
	struct ul_sample s = scene(true);
	unsigned char *before = s.img.rgb;
	uint64_t rng = 5, expect = 5;
	for (int i = 0; i < UL_PERSPECTIVE_DRAWS; i++)
		ul_random_unit(&expect);
	ok(ul_random_perspective(&s, &none, SCENE_W, SCENE_H, &rng) == 0 && s.img.rgb == before && s.n == 2 &&
	   s.boxes[0] == 40 && s.boxes[7] == 70, "nothing to do: the image is not warped, the labels stay");
	ok(rng == expect, "eight draws, even with every range 0");
	ok(ul_random_perspective(&s, &none, SCENE_W + 2, SCENE_H, &rng) == 0 && s.img.rgb != before && s.img.w == SCENE_W + 2 &&
	   s.boxes[0] == 41, "another frame size is warped (and the centre moves by 1)");
	ul_sample_free(&s);
}

static bool same_sample(const struct ul_sample *a, const struct ul_sample *b)
{
	size_t px = (size_t)a->img.w * a->img.h * 3;
	return a->n == b->n && a->img.w == b->img.w && a->img.h == b->img.h && !memcmp(a->img.rgb, b->img.rgb, px) &&
	       !memcmp(a->cls, b->cls, sizeof *a->cls * a->n) && !memcmp(a->boxes, b->boxes, 16 * (size_t)a->n) &&
	       !memcmp(a->segments, b->segments, 8 * (size_t)a->seg_points * a->n) &&
	       !memcmp(a->keypoints, b->keypoints, 12 * (size_t)a->kpt_count * a->n);
}

static void seeds(void)
{
	struct ul_perspective p = { 20, 0.1, 0.5, 5, 0.0005 };
	struct ul_sample a = scene(true), b = scene(true), c = scene(true);
	uint64_t ra = 42, rb = 42, rc = 43;
	ul_random_perspective(&a, &p, 96, 96, &ra);
	ul_random_perspective(&b, &p, 96, 96, &rb);
	ul_random_perspective(&c, &p, 96, 96, &rc);
	ok(same_sample(&a, &b) && ra == rb, "the same seed gives the same pixels and labels");
	ok(!same_sample(&a, &c), "another seed another sample");
	ul_sample_free(&a), ul_sample_free(&b), ul_sample_free(&c);
}

int main(void)
{
	struct ul_safetensors images, st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&images, VECTORS "warp_opencv.safetensors", &err) ||
	    ul_safetensors_open(&st, VECTORS "warp_matrices.safetensors", &err)) {
		ok(0, "the warp vectors open");
		jv_free(err);
		return done_testing();
	}
	pixel_cases(&images, &st);
	label_cases(&st);
	ul_safetensors_close(&images);
	ul_safetensors_close(&st);

	struct ul_perspective affine = { 25, 0.1, 0.3, 5, 0 }, projective = { 15, 0.1, 0.3, 3, 0.0008 };
	follow_the_pixels("affine maps, with polygons", &affine, true, 40);
	follow_the_pixels("affine maps, boxes only", &affine, false, 20);
	follow_the_pixels("perspective maps, with polygons", &projective, true, 30);
	clipping();
	thresholds();
	identity_and_draws();
	seeds();
	return done_testing();
}
