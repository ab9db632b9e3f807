/* Classic NMS (lib/val/nms) against the textbook O(n^2) definition written
 * out here, on random sets crowded enough to overlap (duplicates, equal
 * scores, several classes, agnostic or not, max_nms and max_det binding),
 * and on hand-worked cases. */
#include <stdbool.h>

#include "tap.h"
#include "val/match.h"
#include "val/nms.h"

static struct ul_detection det(double x1, double y1, double x2, double y2, float score, int cls)
{
	return (struct ul_detection){ { (float)x1, (float)y1, (float)x2, (float)y2 }, score, cls };
}

static double iou_of(const struct ul_detection *a, const struct ul_detection *b)
{
	double p[4] = { a->box[0], a->box[1], a->box[2], a->box[3] }, q[4] = { b->box[0], b->box[1], b->box[2], b->box[3] };
	return ul_box_iou(p, q);
}

/* The definition: candidates above conf in score order (ties by index),
 * the first max_nms; each in turn, unless suppressed, is kept and
 * suppresses every later one of its class (any, agnostic) with IoU > iou. */
static int brute_force(const struct ul_detection *cand, int n, const struct ul_nms_config *cfg,
		       struct ul_detection *out)
{
	int order[512], m = 0;
	bool gone[512] = { 0 };
	for (int i = 0; i < n; i++)
		if (cand[i].score > cfg->conf)
			order[m++] = i;
	for (int i = 1; i < m; i++)
		for (int j = i; j > 0 && cand[order[j]].score > cand[order[j - 1]].score; j--) {
			int t = order[j];
			order[j] = order[j - 1], order[j - 1] = t;
		}
	if (m > cfg->max_nms)
		m = cfg->max_nms;
	int kept = 0;
	for (int i = 0; i < m; i++) {
		if (gone[i])
			continue;
		if (kept < cfg->max_det)
			out[kept++] = cand[order[i]];
		for (int j = i + 1; j < m; j++)
			if ((cfg->agnostic || cand[order[i]].cls == cand[order[j]].cls) &&
			    iou_of(&cand[order[i]], &cand[order[j]]) > cfg->iou)
				gone[j] = true;
	}
	return kept;
}

static bool same(const struct ul_detection *a, const struct ul_detection *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].score != b[i].score || a[i].cls != b[i].cls || a[i].box[0] != b[i].box[0] ||
		    a[i].box[1] != b[i].box[1] || a[i].box[2] != b[i].box[2] || a[i].box[3] != b[i].box[3])
			return false;
	return true;
}

static unsigned long long rng = 88172645463325252ull;

static double uniform(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static void random_cases(struct ul_nms_scratch *s)
{
	static struct ul_detection cand[512], got[512], want[512];
	int agree = 0, cases = 400, suppressed = 0;
	for (int c = 0; c < cases; c++) {
		int n = 100 + (int)(uniform() * 400), classes = 1 + c % 4;
		for (int i = 0; i < n; i++) {
			if (i > 0 && uniform() < 0.15) {
				cand[i] = cand[(int)(uniform() * i)];  /* a duplicate, score and all */
				continue;
			}
			double x = uniform() * 200, y = uniform() * 200, w = 5 + uniform() * 60, h = 5 + uniform() * 60;
			/* scores on a grid of twentieths, so many are equal */
			cand[i] = det(x, y, x + w, y + h, (float)((int)(uniform() * 20) / 20.0), (int)(uniform() * classes));
		}
		struct ul_nms_config cfg = { c % 3 ? 0.25 : 0.001, c % 5 ? 0.7 : 0.45, c % 7 ? UL_NMS_MAX_CANDIDATES : 50,
					     c % 6 ? 300 : 10, c % 2 == 1 };
		int k = ul_nms(cand, n, &cfg, got, s), w = brute_force(cand, n, &cfg, want);
		agree += k == w && same(got, want, k);
		int above = 0;
		for (int i = 0; i < n; i++)
			above += cand[i].score > cfg.conf;
		above = above < cfg.max_nms ? above : cfg.max_nms;
		struct ul_nms_config unlimited = cfg;
		unlimited.max_det = 512;
		suppressed += brute_force(cand, n, &unlimited, want) < above;
	}
	is_int(agree, cases, "NMS agrees with the textbook definition on %d random sets of 100-500 boxes", cases);
	is_int(suppressed, cases, "and in each, boxes above conf were suppressed");
}

int main(void)
{
	struct ul_nms_scratch s = { 0 };
	struct ul_detection out[8];
	struct ul_nms_config cfg = { 0.25, UL_NMS_IOU, UL_NMS_MAX_CANDIDATES, 300, false };

	/* IoU of (0,0,10,10) with (0,0,10,x): x/10 */
	struct ul_detection one_class[2] = { det(0, 0, 10, 8, 0.6f, 1), det(0, 0, 10, 10, 0.9f, 1) };
	is_int(ul_nms(one_class, 2, &cfg, out, &s), 1, "two boxes of one class at IoU 0.8: one kept");
	ok(out[0].score == 0.9f, "the higher scoring, though given second");

	struct ul_detection two_classes[2] = { det(0, 0, 10, 8, 0.6f, 1), det(0, 0, 10, 10, 0.9f, 2) };
	is_int(ul_nms(two_classes, 2, &cfg, out, &s), 2, "of two classes: both kept");
	ok(out[0].score == 0.9f && out[1].score == 0.6f, "best first");
	cfg.agnostic = true;
	is_int(ul_nms(two_classes, 2, &cfg, out, &s), 1, "agnostic: one kept");
	cfg.agnostic = false;

	struct ul_detection at[2] = { det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 7, 0.8f, 0) };
	is_int(ul_nms(at, 2, &cfg, out, &s), 2, "IoU exactly 0.7 at threshold 0.7: both kept");
	struct ul_detection over[2] = { det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 7.01, 0.8f, 0) };
	is_int(ul_nms(over, 2, &cfg, out, &s), 1, "IoU 0.701: suppressed");

	struct ul_detection tie[2] = { det(0, 0, 10, 9, 0.5f, 0), det(0, 0, 10, 10, 0.5f, 0) };
	is_int(ul_nms(tie, 2, &cfg, out, &s), 1, "equal scores, IoU 0.9: one kept");
	ok(out[0].box[3] == 9, "the one given first");

	struct ul_detection low[2] = { det(0, 0, 10, 10, 0.25f, 0), det(20, 0, 30, 10, 0.26f, 0) };
	is_int(ul_nms(low, 2, &cfg, out, &s), 1, "a score at conf 0.25 is dropped, 0.26 kept");

	/* a chain: A suppresses B, B would have suppressed C, C survives */
	struct ul_detection chain[3] = { det(0, 0, 10, 10, 0.9f, 0), det(2, 0, 12, 10, 0.8f, 0),
					 det(4, 0, 14, 10, 0.7f, 0) };
	cfg.iou = 0.5;
	is_int(ul_nms(chain, 3, &cfg, out, &s), 2, "a suppressed box suppresses nothing (IoU 2/3 with each neighbour, 3/7 across)");
	ok(out[1].score == 0.7f, "so the third is kept");
	cfg.max_det = 1;
	is_int(ul_nms(chain, 3, &cfg, out, &s), 1, "max_det 1: one kept");
	cfg.max_det = 300, cfg.max_nms = 2;
	is_int(ul_nms(chain, 3, &cfg, out, &s), 1, "max_nms 2: the third is never considered");
	cfg.max_nms = UL_NMS_MAX_CANDIDATES;
	is_int(ul_nms(NULL, 0, &cfg, out, &s), 0, "no candidates: none kept");

	random_cases(&s);
	ul_nms_scratch_free(&s);
	return done_testing();
}
