/* End-to-end decoding (lib/val/e2e_decode) on a hand-made one-to-one head
 * of three tiny levels: boxes come out in input pixels from each anchor's
 * distances and stride, pairs are ranked by score across levels and
 * classes, an anchor may give several classes, max_det and conf cut the
 * list, and equal scores keep anchor order. */
#include "tap.h"
#include "val/e2e_decode.h"

#define NC 3

int main(void)
{
	/* an input of 32 x 32: levels of 4x4, 2x2 and 1x1 cells */
	static float box0[16 * 4], box1[4 * 4], box2[4], cls0[16 * NC], cls1[4 * NC], cls2[NC];
	float *cls[3] = { cls0, cls1, cls2 };
	size_t n[3] = { 16 * NC, 4 * NC, NC };
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < n[l]; i++)
			cls[l][i] = -10;
	struct ul_detect_head head = { .batch = 1, .nc = NC, .h = { 4, 2, 1 }, .w = { 4, 2, 1 }, .stride = { 8, 16, 32 },
				       .box = { box0, box1, box2 }, .cls = { cls0, cls1, cls2 } };
	/* level 0, cell (x 1, y 2): centre (1.5, 2.5) cells, (12, 20) px */
	int a = 2 * 4 + 1;
	float d[4] = { 0.5f, 1, 1.5f, 2 };
	for (int k = 0; k < 4; k++)
		box0[4 * a + k] = d[k];
	cls0[a * NC + 2] = 3;    /* 0.953 */
	cls0[a * NC + 0] = 1;    /* 0.731: the same anchor, another class */
	cls2[1] = 2;             /* 0.881: level 2's only cell, class 1 */
	box2[0] = box2[1] = box2[2] = box2[3] = 0.25f;

	struct ul_decode_scratch s = { 0 };
	struct ul_detection out[300];
	int got = ul_decode_e2e(&head, 0, 300, 0.5, out, &s);
	is_int(got, 3, "three pairs score above 0.5");
	is_int(out[0].cls, 2, "the best first: class 2");
	is_double(out[0].score, 1 / (1 + exp(-3.0)), 1e-6, "its score is the sigmoid of its logit");
	is_double(out[0].box[0], (1.5 - 0.5) * 8, 1e-5, "x1 = (cx - left) x stride");
	is_double(out[0].box[1], (2.5 - 1) * 8, 1e-5, "y1 = (cy - top) x stride");
	is_double(out[0].box[2], (1.5 + 1.5) * 8, 1e-5, "x2 = (cx + right) x stride");
	is_double(out[0].box[3], (2.5 + 2) * 8, 1e-5, "y2 = (cy + bottom) x stride");
	is_int(out[1].cls, 1, "then level 2's class 1");
	is_double(out[1].box[0], (0.5 - 0.25) * 32, 1e-5, "at stride 32");
	is_int(out[2].cls, 0, "then the first anchor's second class");
	ok(out[2].box[0] == out[0].box[0] && out[2].box[3] == out[0].box[3], "with the same box");

	is_int(ul_decode_e2e(&head, 0, 2, 0.5, out, &s), 2, "max_det 2 keeps two");
	/* max_det 1: the single best anchor, and one of its pairs */
	is_int(ul_decode_e2e(&head, 0, 1, 0.5, out, &s), 1, "max_det 1 keeps one");
	is_int(out[0].cls, 2, "the best pair");
	is_int(ul_decode_e2e(&head, 0, 300, 0.9, out, &s), 1, "conf 0.9 keeps one");
	is_int(ul_decode_e2e(&head, 0, 300, 0.96, out, &s), 0, "conf 0.96 keeps none");

	/* equal scores: the lower anchor first */
	cls1[0 * NC + 1] = 5, cls1[3 * NC + 1] = 5;
	box1[3 * 4 + 0] = 0.125f;
	got = ul_decode_e2e(&head, 0, 300, 0.99, out, &s);
	is_int(got, 2, "two equal best pairs");
	ok(got == 2 && out[0].box[0] == 0.5f * 16 && out[1].box[0] == (1.5f - 0.125f) * 16, "in anchor order");
	ul_decode_scratch_free(&s);
	return done_testing();
}
