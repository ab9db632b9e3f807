/* The detection confusion matrix (lib/val/confusion) on hand-worked
 * images, two classes, background index 2: rows predicted, columns true.
 * IoU of (0,0,10,10) with (0,0,10,x) is x/10. */
#include "tap.h"
#include "val/confusion.h"

#define BG 2

static struct ul_detection det(double x1, double y1, double x2, double y2, float score, int cls)
{
	return (struct ul_detection){ { (float)x1, (float)y1, (float)x2, (float)y2 }, score, cls };
}

/* The matrix of one image, as its nine counts, row by row. */
static void one_image(const struct ul_detection *d, int nd, const struct ul_gt_box *g, int ng, long long want[9],
		      const char *name)
{
	struct ul_confusion m;
	if (ul_confusion_init(&m, 2) ||
	    ul_confusion_add(&m, d, nd, g, ng, UL_CONFUSION_CONF, UL_CONFUSION_IOU)) {
		ok(0, "%s: out of memory", name);
		return;
	}
	int same = 1;
	for (int i = 0; i < 9; i++)
		same &= ul_confusion_at(&m, i / 3, i % 3) == want[i];
	ok(same, "%s", name);
	if (!same)
		for (int p = 0; p < 3; p++)
			printf("#   %lld %lld %lld\n", ul_confusion_at(&m, p, 0), ul_confusion_at(&m, p, 1),
			       ul_confusion_at(&m, p, 2));
	ul_confusion_free(&m);
}

int main(void)
{
	struct ul_gt_box gt[2] = { { 0, { 0, 0, 10, 10 } }, { 1, { 20, 0, 30, 10 } } };

	struct ul_detection perfect[2] = { det(0, 0, 10, 10, 0.9f, 0), det(20, 0, 30, 10, 0.8f, 1) };
	one_image(perfect, 2, gt, 2, (long long[9]){ 1, 0, 0, 0, 1, 0, 0, 0, 0 },
		  "a perfect image: one count at (0,0) and one at (1,1)");

	struct ul_detection wrong[1] = { det(0, 0, 10, 10, 0.9f, 1) };
	one_image(wrong, 1, gt, 1, (long long[9]){ 0, 0, 0, 1, 0, 0, 0, 0, 0 },
		  "a wrong class: one count at (1,0), none in the background row or column");

	one_image(perfect, 1, gt, 2, (long long[9]){ 1, 0, 0, 0, 0, 0, 0, 1, 0 },
		  "a missed box of class 1: (0,0), and (background,1)");

	struct ul_detection extra[2] = { det(0, 0, 10, 10, 0.9f, 0), det(50, 50, 60, 60, 0.7f, 1) };
	one_image(extra, 2, gt, 1, (long long[9]){ 1, 0, 0, 0, 0, 1, 0, 0, 0 },
		  "a false positive of class 1: (0,0), and (1,background)");

	struct ul_detection no_boxes[2] = { det(0, 0, 10, 10, 0.9f, 0), det(0, 0, 10, 10, 0.1f, 1) };
	one_image(no_boxes, 2, NULL, 0, (long long[9]){ 0, 0, 1, 0, 0, 0, 0, 0, 0 },
		  "no boxes: the detection above conf at (0,background), the one at 0.1 not counted");

	one_image(NULL, 0, gt, 2, (long long[9]){ 0, 0, 0, 0, 0, 0, 1, 1, 0 },
		  "no detections: (background,0) and (background,1)");

	struct ul_detection at_conf[1] = { det(0, 0, 10, 10, 0.25f, 0) };
	one_image(at_conf, 1, gt, 1, (long long[9]){ 0, 0, 0, 0, 0, 0, 1, 0, 0 },
		  "a score of exactly 0.25 is below conf: the box is missed");

	struct ul_detection at_iou[1] = { det(0, 0, 10, 4.5, 0.9f, 0) };
	one_image(at_iou, 1, gt, 1, (long long[9]){ 0, 0, 1, 0, 0, 0, 1, 0, 0 },
		  "IoU exactly 0.45 does not match: a false positive and a missed box");
	struct ul_detection over_iou[1] = { det(0, 0, 10, 4.6, 0.9f, 0) };
	one_image(over_iou, 1, gt, 1, (long long[9]){ 1, 0, 0, 0, 0, 0, 0, 0, 0 }, "IoU 0.46 matches");

	/* det 2 overlaps A 0.6 and B 0.48, but chose A, which went to det 1
	 * (IoU 1): no second choice, so det 2 is a false positive, B missed */
	struct ul_gt_box near[2] = { { 0, { 0, 0, 10, 10 } }, { 0, { 6, 0, 16, 10 } } };
	struct ul_detection crowd[2] = { det(0, 0, 10, 10, 0.9f, 0), det(2.5, 0, 12.5, 10, 0.8f, 0) };
	one_image(crowd, 2, near, 2, (long long[9]){ 1, 0, 1, 0, 0, 0, 1, 0, 0 },
		  "a detection whose best box is taken is not matched to its second (0.48)");

	/* (3,0,13,10) overlaps both 7/13: the later box wins */
	struct ul_gt_box apart[2] = { { 0, { 0, 0, 10, 10 } }, { 1, { 6, 0, 16, 10 } } };
	struct ul_detection between[1] = { det(3, 0, 13, 10, 0.9f, 1) };
	one_image(between, 1, apart, 2, (long long[9]){ 0, 0, 0, 0, 1, 0, 1, 0, 0 },
		  "a detection equally over two boxes goes to the later");

	/* column 0 over three images: 2 right, 1 as class 1, 1 missed */
	struct ul_confusion m;
	double norm[9];
	ok(!ul_confusion_init(&m, 2), "an empty matrix");
	ul_confusion_add(&m, perfect, 1, gt, 1, UL_CONFUSION_CONF, UL_CONFUSION_IOU);
	ul_confusion_add(&m, perfect, 1, gt, 1, UL_CONFUSION_CONF, UL_CONFUSION_IOU);
	ul_confusion_add(&m, wrong, 1, gt, 1, UL_CONFUSION_CONF, UL_CONFUSION_IOU);
	ul_confusion_add(&m, NULL, 0, gt, 1, UL_CONFUSION_CONF, UL_CONFUSION_IOU);
	ul_confusion_add(&m, extra + 1, 1, NULL, 0, UL_CONFUSION_CONF, UL_CONFUSION_IOU);
	ul_confusion_normalised(&m, norm);
	is_double(norm[0 * 3 + 0], 0.5, 1e-8, "normalised: (0,0) 2 of column 0's 4");
	is_double(norm[1 * 3 + 0], 0.25, 1e-8, "(1,0) 1 of 4");
	is_double(norm[BG * 3 + 0], 0.25, 1e-8, "(background,0) 1 of 4");
	is_double(norm[1 * 3 + BG], 1, 1e-8, "(1,background) the whole background column");
	is_double(norm[0 * 3 + 1] + norm[1 * 3 + 1] + norm[BG * 3 + 1], 0, 0, "the empty column 1 stays 0");
	ul_confusion_free(&m);
	return done_testing();
}
