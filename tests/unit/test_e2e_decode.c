/* End-to-end decoding (lib/val/e2e_decode) on a hand-made one-to-one head
 * of three tiny levels: boxes come out in input pixels from each anchor's
 * distances and stride, pairs are ranked by score across levels and
 * classes, an anchor may give several classes, max_det and conf cut the
 * list, and equal scores keep anchor order. */
#include <math.h>
#include <stdlib.h>

#include "core/random.h"
#include "tap.h"
#include "val/e2e_decode.h"

#define NC 3

/* The reference: every anchor and every pair sorted in full, by logit,
 * equal logits by index. */
static const float *sort_keys;

static int by_key(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	float x = sort_keys[a], y = sort_keys[b];
	return x > y ? -1 : x < y ? 1 : (a > b) - (a < b);
}

static int full_sort_decode(const struct ul_detect_head *h, int max_det, double conf, struct ul_detection *out)
{
	int anchors = 0, nc = h->nc, level[4096], cell[4096];
	float best[4096];
	for (int l = 0; l < UL_DETECT_LEVELS; l++)
		for (int i = 0; i < h->h[l] * h->w[l]; i++, anchors++) {
			level[anchors] = l, cell[anchors] = i, best[anchors] = -INFINITY;
			for (int c = 0; c < nc; c++)
				best[anchors] = fmaxf(best[anchors], h->cls[l][i * nc + c]);
		}
	int *order = malloc(sizeof *order * (size_t)anchors * nc);
	for (int a = 0; a < anchors; a++)
		order[a] = a;
	sort_keys = best;
	qsort(order, (size_t)anchors, sizeof *order, by_key);
	int keep = max_det < anchors ? max_det : anchors;
	float *pair = malloc(sizeof *pair * (size_t)keep * nc);
	int *kept = malloc(sizeof *kept * (size_t)keep);
	for (int k = 0; k < keep; k++) {
		kept[k] = order[k];
		for (int c = 0; c < nc; c++)
			pair[k * nc + c] = h->cls[level[kept[k]]][cell[kept[k]] * nc + c];
	}
	for (int p = 0; p < keep * nc; p++)
		order[p] = p;
	sort_keys = pair;
	qsort(order, (size_t)keep * nc, sizeof *order, by_key);
	int n = 0;
	for (int k = 0; k < keep; k++) {
		int p = order[k], a = kept[p / nc], l = level[a], i = cell[a];
		float score = 1 / (1 + expf(-pair[p])), st = h->stride[l], ax = i % h->w[l] + 0.5f, ay = i / h->w[l] + 0.5f;
		const float *d = h->box[l] + 4 * i;
		if (score <= conf)
			break;
		out[n++] = (struct ul_detection){ { (ax - d[0]) * st, (ay - d[1]) * st, (ax + d[2]) * st, (ay + d[3]) * st },
						  score, p % nc };
	}
	free(order), free(pair), free(kept);
	return n;
}

/* A 160 x 160 head of 80 classes (400 anchors), logits on a grid of
 * quarters so that many tie, against the full sort: max_det 20 takes the
 * decoder's sampled path (n >= 8 max_det), 300 the plain one. */
static void random_heads(void)
{
	enum { CLASSES = 80, SIZE = 160 };
	static float box[3][4 * 400], cls[3][CLASSES * 400];
	struct ul_detect_head h = { .batch = 1, .nc = CLASSES };
	uint64_t rng = 7;
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		h.stride[l] = 8 << l, h.h[l] = h.w[l] = SIZE / h.stride[l];
		h.box[l] = box[l], h.cls[l] = cls[l];
	}
	struct ul_decode_scratch s = { 0 };
	static struct ul_detection got[300], want[300];
	int same = 0, rounds = 20;
	for (int r = 0; r < rounds; r++) {
		for (int l = 0; l < UL_DETECT_LEVELS; l++)
			for (int i = 0; i < h.h[l] * h.w[l]; i++) {
				for (int k = 0; k < 4; k++)
					box[l][4 * i + k] = (float)(4 * ul_random_unit(&rng));
				for (int c = 0; c < CLASSES; c++)
					cls[l][i * CLASSES + c] = floorf((float)(-32 + 40 * ul_random_unit(&rng))) / 4;
			}
		int max_det = r % 2 ? 300 : 20;
		int n = ul_decode_e2e(&h, 0, max_det, 0.001, got, &s), m = full_sort_decode(&h, max_det, 0.001, want);
		bool equal = n == m;
		for (int i = 0; equal && i < n; i++)
			equal = got[i].cls == want[i].cls && got[i].score == want[i].score && got[i].box[0] == want[i].box[0] &&
				got[i].box[1] == want[i].box[1] && got[i].box[2] == want[i].box[2] && got[i].box[3] == want[i].box[3];
		same += equal;
	}
	is_int(same, rounds, "random heads with many ties: every detection as a full sort gives, in its order");
	ul_decode_scratch_free(&s);
}

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
	random_heads();
	return done_testing();
}
