/* Matching detections to boxes at one IoU threshold (lib/val/match), on
 * hand-worked cases: a perfect detection, a wrong class, an IoU just under
 * the threshold, two detections of one box (the first given, best scoring,
 * wins, not the closer: numpy's unique reorders Ultralytics' pairs), one
 * detection between two boxes (the closer one), no detections, no boxes. */
#include "tap.h"
#include "val/match.h"

static struct ul_detection det(double x1, double y1, double x2, double y2, float score, int cls)
{
	return (struct ul_detection){ { (float)x1, (float)y1, (float)x2, (float)y2 }, score, cls };
}

int main(void)
{
	struct ul_match_scratch s = { 0 };
	bool correct[8];
	struct ul_gt_box gt[2] = { { 1, { 0, 0, 10, 10 } }, { 2, { 20, 0, 30, 10 } } };

	is_double(ul_box_iou(gt[0].box, gt[0].box), 1, 0, "a box overlaps itself fully");
	double half[4] = { 5, 0, 15, 10 };
	is_double(ul_box_iou(gt[0].box, half), 50.0 / 150, 1e-15, "half a box over: IoU 1/3");
	is_double(ul_box_iou(gt[0].box, gt[1].box), 0, 0, "apart: 0");

	struct ul_detection perfect[2] = { det(0, 0, 10, 10, 0.9f, 1), det(20, 0, 30, 10, 0.8f, 2) };
	is_int(ul_match(perfect, 2, gt, 2, 0.95, correct, &s), 2, "perfect detections both match at 0.95");
	ok(correct[0] && correct[1], "and both are true positives");

	struct ul_detection wrong[1] = { det(0, 0, 10, 10, 0.9f, 2) };
	is_int(ul_match(wrong, 1, gt, 2, 0.5, correct, &s), 0, "the right place with the wrong class does not match");

	/* IoU of (0,0,10,10) with (0,0,10,x): x/10 */
	struct ul_detection under[1] = { det(0, 0, 10, 4.99, 0.9f, 1) };
	is_int(ul_match(under, 1, gt, 2, 0.5, correct, &s), 0, "IoU 0.499 misses 0.5");
	struct ul_detection at[1] = { det(0, 0, 10, 5, 0.9f, 1) };
	is_int(ul_match(at, 1, gt, 2, 0.5, correct, &s), 1, "IoU exactly 0.5 matches 0.5");

	struct ul_detection twice[2] = { det(0, 0, 10, 6, 0.9f, 1), det(0, 0, 10, 9, 0.5f, 1) };
	is_int(ul_match(twice, 2, gt, 2, 0.5, correct, &s), 1, "two detections of one box: one match");
	ok(correct[0] && !correct[1], "the first given (the higher score), though the other overlaps more, as Ultralytics");

	struct ul_gt_box pair[2] = { { 0, { 0, 0, 10, 10 } }, { 0, { 4, 0, 14, 10 } } };
	struct ul_detection between[1] = { det(3, 0, 13, 10, 0.9f, 0) };
	is_int(ul_match(between, 1, pair, 2, 0.5, correct, &s), 1, "one detection between two boxes matches one");

	is_int(ul_match(NULL, 0, gt, 2, 0.5, correct, &s), 0, "no detections: nothing matches");
	is_int(ul_match(perfect, 2, NULL, 0, 0.5, correct, &s), 0, "no boxes: nothing matches");
	ok(!correct[0] && !correct[1], "and no detection is a true positive");
	ul_match_scratch_free(&s);
	return done_testing();
}
