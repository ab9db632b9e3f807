/* CopyPaste in flip mode (lib/data/copy_paste) against a numpy version of
 * Ultralytics' with OpenCV's drawContours and flip
 * (tests/reference/make_mask_vectors.py): seven instances on an image made
 * from a formula (free ground, one covering its own mirror, a mirrored
 * pair, small ones that overlap others' mirrors a little) at p 1, 0.5 and
 * 0.34, every byte, box, polygon point and class. By hand: a square on the
 * left pasted on the right, its pixels and label; a mirror covering 0.30 of
 * a box is not pasted, 0.29 is; round(p n) half to even; p 0 and samples
 * without polygons untouched; keypoints mirrored in their order; and the
 * same sample twice gives the same result, there being no draws. */
#include "data/copy_paste.h"
#include "formula_image.h"
#include "reference_read.h"
#include "tap.h"

#define VECTORS "tests/reference/vectors/"

/* n instances with seg_points-point polygons on img, their boxes given;
 * keypoints (kpt_count of 3 values) may be NULL. */
static struct ul_sample make(struct ul_image img, int n, const int *cls, const float *boxes, int seg_points,
			     const float *segments, int kpt_count, const float *keypoints)
{
	struct ul_sample s;
	ul_sample_init(&s, seg_points, kpt_count, kpt_count ? 3 : 0);
	ul_sample_reserve(&s, n);
	s.img = img;
	s.n = n;
	memcpy(s.cls, cls, sizeof *cls * (size_t)n);
	memcpy(s.boxes, boxes, sizeof *boxes * 4 * (size_t)n);
	if (seg_points)
		memcpy(s.segments, segments, sizeof *segments * 2 * (size_t)seg_points * n);
	if (kpt_count)
		memcpy(s.keypoints, keypoints, sizeof *keypoints * 3 * (size_t)kpt_count * n);
	return s;
}

static size_t floats_differ(const float *a, const float *b, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += !b || a[i] != b[i];
	return count;
}

static void fixture_cases(const struct ul_safetensors *px, const struct ul_safetensors *st)
{
	jv cases = meta(st, "copy_paste");
	size_t nb = 0, ns = 0;
	float *boxes = read_tensor(st, "copy_paste.labels.boxes", &nb);
	float *segments = read_tensor(st, "copy_paste.labels.segments", &ns);
	ok(boxes && segments && jv_get_kind(cases) == JV_KIND_ARRAY && jv_array_length(jv_copy(cases)) == 3,
	   "the fixture has its labels and 3 cases");
	int n = (int)(nb / 4), seg_points = n ? (int)(ns / 2 / (size_t)n) : 0, cls[16];
	jv_array_foreach(cases, i, c) {
		char name[32], key[96];
		case_text(c, "case", name, sizeof name);
		int w = case_int(c, "w"), h = case_int(c, "h"), pasted = case_int(c, "pasted");
		for (int k = 0; k < n && k < 16; k++)
			cls[k] = case_element(c, "cls_in", k);
		struct ul_sample s = make(formula_image(w, h), n, cls, boxes, seg_points, segments, 0, NULL);
		int got = ul_copy_paste(&s, case_number(c, "p"));
		snprintf(key, sizeof key, "copy_paste.%s", name);
		const unsigned char *want = tensor_u8(px, key, (size_t)w * h * 3);
		size_t bytes = 0;
		for (size_t b = 0; b < (size_t)w * h * 3; b++)
			bytes += !want || s.img.rgb[b] != want[b];
		int classes = 0;
		for (int k = 0; k < s.n; k++)
			classes += s.cls[k] != case_element(c, "cls_out", k);
		size_t wb = 0, ws = 0;
		snprintf(key, sizeof key, "copy_paste.%s.boxes", name);
		float *want_boxes = read_tensor(st, key, &wb);
		snprintf(key, sizeof key, "copy_paste.%s.segments", name);
		float *want_segs = read_tensor(st, key, &ws);
		bool sized = got == pasted && wb == 4 * (size_t)s.n && ws == 2 * (size_t)seg_points * s.n;
		size_t labels = sized ? floats_differ(s.boxes, want_boxes, wb) + floats_differ(s.segments, want_segs, ws) : 1;
		ok(sized && !bytes && !classes && !labels, "p %g: %d of %d pasted as Ultralytics pastes them; %zu bytes, %d "
		   "classes, %zu label floats differ", case_number(c, "p"), got, n, bytes, classes, labels);
		free(want_boxes), free(want_segs);
		ul_sample_free(&s);
		jv_free(c);
	}
	free(boxes), free(segments);
	jv_free(cases);
}

/* ---- by hand ----------------------------------------------------------------------------------------------- */

#define W 64
#define H 48

static const unsigned char grey[3] = { 90, 90, 90 }, red[3] = { 240, 20, 20 };

/* A grey W x H image with a red square [x1, x2) x [y1, y2). */
static struct ul_image red_square(int x1, int y1, int x2, int y2)
{
	struct ul_image img = { W, H, malloc((size_t)W * H * 3) };
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			memcpy(img.rgb + ((size_t)y * W + x) * 3, x >= x1 && x < x2 && y >= y1 && y < y2 ? red : grey, 3);
	return img;
}

/* A box's polygon: its corners. */
static void corners(const float *b, float *seg)
{
	const float c[8] = { b[0], b[1], b[2], b[1], b[2], b[3], b[0], b[3] };
	memcpy(seg, c, sizeof c);
}

static void square_pasted(void)
{
	float box[4] = { 6, 10, 16, 20 }, seg[8], kpt[6] = { 7, 11, 2, 15, 19, 1 };
	corners(box, seg);
	struct ul_sample s = make(red_square(6, 10, 16, 20), 1, (int[]){ 4 }, box, 4, seg, 2, kpt);
	ok(ul_copy_paste(&s, 1) == 1 && s.n == 2 && s.cls[1] == 4, "a square on the left is pasted once, with its class");
	const float *b = s.boxes + 4, *k = s.keypoints + 6;
	ok(b[0] == 48 && b[1] == 10 && b[2] == 58 && b[3] == 20, "its box mirrored: 48 10 58 20 (%g %g %g %g)", b[0], b[1],
	   b[2], b[3]);
	ok(s.segments[8] == 58 && s.segments[9] == 10 && s.segments[10] == 48 && s.segments[13] == 20,
	   "its polygon mirrored point by point");
	ok(k[0] == 57 && k[1] == 11 && k[2] == 2 && k[3] == 49 && k[4] == 19 && k[5] == 1,
	   "its keypoints mirrored in their order, visibility kept");
	int red_px = 0, grey_px = 0, wrong = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			const unsigned char *p = s.img.rgb + ((size_t)y * W + x) * 3;
			/* the mirror of [6, 16) is [48, 58), and the fill takes the polygon's
			 * outline x = 58 and y = 20 too, where the mirrored image is grey */
			bool want_red = (x >= 6 && x < 16 && y >= 10 && y < 20) || (x >= 48 && x < 58 && y >= 10 && y < 20);
			int is_red = !memcmp(p, red, 3);
			red_px += is_red, grey_px += !memcmp(p, grey, 3);
			wrong += is_red != want_red;
		}
	ok(!wrong && red_px == 200 && grey_px == W * H - 200,
	   "the red pixels appear mirrored on the right, 100 each side, the rest stays grey (%d wrong)", wrong);
	ul_sample_free(&s);
}

/* Two 10 x 10 squares whose mirrors overlap each other by `cols` columns. */
static int overlapping_pair(float cols)
{
	float boxes[8] = { 10, 5, 20, 15, 54 - cols, 5, 64 - cols, 15 }, segs[16];
	corners(boxes, segs), corners(boxes + 4, segs + 8);
	struct ul_sample s = make(red_square(0, 0, 0, 0), 2, (int[]){ 1, 2 }, boxes, 4, segs, 0, NULL);
	int pasted = ul_copy_paste(&s, 1);
	ul_sample_free(&s);
	return pasted;
}

static void overlap_threshold(void)
{
	ok(overlapping_pair(3) == 0, "mirrors covering 0.30 of the other box (3 of 10 columns) are not pasted");
	ok(overlapping_pair(2.9f) == 2, "covering 0.29 they both are");
	float box[4] = { 27, 10, 37, 20 }, seg[8];
	corners(box, seg);
	struct ul_sample s = make(red_square(27, 10, 37, 20), 1, (int[]){ 0 }, box, 4, seg, 0, NULL);
	ok(ul_copy_paste(&s, 1) == 0 && s.n == 1, "a square across the middle covers itself mirrored: nothing pasted");
	ul_sample_free(&s);
}

/* n squares along the top left, free to paste, at p. */
static int pasted_of(int n, double p)
{
	float boxes[4 * 4], segs[4 * 8];
	for (int i = 0; i < n; i++) {
		float b[4] = { 2 + 6 * (float)i, 2, 6 + 6 * (float)i, 6 };
		memcpy(boxes + 4 * i, b, sizeof b);
		corners(b, segs + 8 * i);
	}
	struct ul_sample s = make(red_square(0, 0, 0, 0), n, (int[]){ 0, 1, 2, 3 }, boxes, 4, segs, 0, NULL);
	int pasted = ul_copy_paste(&s, p);
	ul_sample_free(&s);
	return pasted;
}

static void rounding(void)
{
	ok(pasted_of(3, 0.5) == 2 && pasted_of(1, 0.5) == 0 && pasted_of(4, 0.5) == 2 && pasted_of(4, 0.4) == 2 &&
	   pasted_of(4, 1) == 4, "round(p n) half to even: 1.5 -> 2, 0.5 -> 0, 2 -> 2, 1.6 -> 2, 4 -> 4");
}

static bool same(const struct ul_sample *a, const struct ul_sample *b)
{
	return a->n == b->n && !memcmp(a->img.rgb, b->img.rgb, (size_t)W * H * 3) &&
	       !memcmp(a->cls, b->cls, sizeof *a->cls * (size_t)a->n) && !memcmp(a->boxes, b->boxes, 16 * (size_t)a->n) &&
	       !memcmp(a->segments, b->segments, 8 * (size_t)a->seg_points * a->n);
}

static void untouched_and_repeatable(void)
{
	float box[4] = { 6, 10, 16, 20 }, seg[8];
	corners(box, seg);
	struct ul_sample a = make(red_square(6, 10, 16, 20), 1, (int[]){ 4 }, box, 4, seg, 0, NULL);
	struct ul_sample b = make(red_square(6, 10, 16, 20), 1, (int[]){ 4 }, box, 4, seg, 0, NULL);
	ok(ul_copy_paste(&a, 0) == 0 && same(&a, &b), "p 0: the sample is left as it is");
	struct ul_sample boxes_only = make(red_square(6, 10, 16, 20), 1, (int[]){ 4 }, box, 0, NULL, 0, NULL);
	ok(ul_copy_paste(&boxes_only, 1) == 0 && boxes_only.n == 1, "no polygons: nothing pasted");
	ok(ul_copy_paste(&a, 0.7) == 1 && ul_copy_paste(&b, 0.7) == 1 && same(&a, &b),
	   "the same sample twice: the same pixels and labels (CopyPaste makes no draws)");
	ul_sample_free(&a), ul_sample_free(&b), ul_sample_free(&boxes_only);
}

int main(void)
{
	struct ul_safetensors px, st;
	jv err = jv_invalid();
	if (ul_safetensors_open(&px, VECTORS "mask_pixels.safetensors", &err) ||
	    ul_safetensors_open(&st, VECTORS "mask_polygons.safetensors", &err)) {
		ok(0, "the mask vectors open");
		jv_free(err);
		return done_testing();
	}
	fixture_cases(&px, &st);
	ul_safetensors_close(&px);
	ul_safetensors_close(&st);
	square_pasted();
	overlap_threshold();
	rounding();
	untouched_and_repeatable();
	return done_testing();
}
