/* Label lines per task, checked as Ultralytics' loader checks them. */
#include "data/labels.h"
#include "tap.h"

static struct ul_label_check check(const char *text, enum ul_task task, int nc, int kpts, int dims)
{
	struct ul_label_rules rules = { .task = task, .nc = nc, .kpt_count = kpts, .kpt_dims = dims };
	struct ul_label_check c;
	ul_labels_check(text, strlen(text), &rules, &c);
	return c;
}

static void good(const char *text, enum ul_task task, int instances, const char *name)
{
	struct ul_label_check c = check(text, task, 80, 2, 3);
	ok(c.bad_line == 0 && c.instances == instances, "%s (instances %d, problem '%s')", name, c.instances, c.problem);
}

static void bad(const char *text, enum ul_task task, int line, const char *why, const char *name)
{
	struct ul_label_check c = check(text, task, 80, 2, 3);
	ok(c.bad_line == line && strstr(c.problem, why) && c.instances == 0,
	   "%s (line %d, problem '%s')", name, c.bad_line, c.problem);
}

int main(void)
{
	is_str(ul_task_name(UL_TASK_OBB), "obb", "task names");
	is_int(ul_task_from_name("segment"), UL_TASK_SEGMENT, "task from a name");
	is_int(ul_task_from_name("Detect"), UL_TASK_UNKNOWN, "names are exact");

	good("0 0.5 0.5 0.2 0.3\n45 0.1 0.2 0.05 0.05\n", UL_TASK_DETECT, 2, "detect boxes");
	good("0 0.5 0.5 0.2 0.3", UL_TASK_DETECT, 1, "no final newline");
	good("\n\n0 0.5 0.5 0.2 0.3\r\n\n", UL_TASK_DETECT, 1, "blank lines and CRLF");
	good("", UL_TASK_DETECT, 0, "an empty file is a background image");
	good("0 0.5 0.5 1.005 0.3\n", UL_TASK_DETECT, 1, "1% over 1 is accepted");
	bad("0 0.5 0.5 1.02 0.3\n", UL_TASK_DETECT, 1, "beyond 1", "2% over 1 is refused");
	bad("0 0.5 0.5 0.2 -0.02\n", UL_TASK_DETECT, 1, "negative", "negative coordinates");
	bad("0 0.5 0.5 0.2\n", UL_TASK_DETECT, 1, "needs 5", "4 values");
	bad("0 0.5 0.5 0.2 0.3 0.1\n", UL_TASK_DETECT, 1, "needs 5", "6 values");
	bad("0 0.5 0.5 0.2 0.3\n80 0.5 0.5 0.2 0.3\n", UL_TASK_DETECT, 2, "not below nc=80", "class = nc");
	bad("-1 0.5 0.5 0.2 0.3\n", UL_TASK_DETECT, 1, "not a class index", "negative class");
	bad("1.5 0.5 0.5 0.2 0.3\n", UL_TASK_DETECT, 1, "not a class index", "fractional class");
	bad("0 0.5 abc 0.2 0.3\n", UL_TASK_DETECT, 1, "'abc' is not a number", "a word");
	bad("0 0.5 nan 0.2 0.3\n", UL_TASK_DETECT, 1, "not a number", "NaN");

	struct ul_label_check c = check("0 0.5 0.5 0.2 0.3\n0 0.5 0.5 0.2 0.3\n1 0.5 0.5 0.2 0.3\n", UL_TASK_DETECT, 80, 0, 0);
	ok(c.bad_line == 0 && c.instances == 2 && c.duplicates == 1, "a duplicate line is dropped and counted");

	/* polygons: checked through the box around them */
	good("3 0.1 0.1 0.9 0.1 0.5 0.8\n", UL_TASK_SEGMENT, 1, "a triangle");
	good("3 0.1 0.1 0.9 0.1 0.5 0.8\n", UL_TASK_DETECT, 1, "detect trains on polygons too (their boxes)");
	c = check("0 0.779296 0.690429 0.625976 0.451171 0.88965 0.266601 1.04199 0.51465\n", UL_TASK_OBB, 15, 0, 0);
	ok(c.bad_line == 0 && c.instances == 1 && c.out_of_range == 1,
	   "a dota8 corner at 1.04 is accepted and counted (box stays inside)");
	bad("0 0.1 0.1 0.9 0.1 0.5\n", UL_TASK_SEGMENT, 1, "needs 5", "two and a half points");
	bad("0 0.1 0.1 0.9 0.1 0.5 0.8 0.3\n", UL_TASK_SEGMENT, 1, "x y pairs", "an odd coordinate count");
	bad("0 0.5 0.5 0.2 0.3\n1 0.1 0.1 0.9 0.1 0.5 0.8\n", UL_TASK_SEGMENT, 2, "mixes polygons and boxes",
	    "a file may not mix polygons and boxes");
	good("0 0.5 0.5 0.2 0.3 0.4 0.4 2 0.6 0.6 1\n0 0.5 0.5 0.2 0.3 0.4 0.4 2 0.6 0.6 2\n", UL_TASK_POSE, 2,
	     "pose rows are not polygons");
	bad("0 0.1 0.1 1.9 0.1 1.9 0.8 0.1 0.8\n", UL_TASK_OBB, 1, "beyond 1", "a polygon far outside");

	/* pose with kpt_shape [2, 3]: box, then x y visibility twice */
	good("0 0.5 0.5 0.2 0.3 0.4 0.4 2 0.6 0.6 1\n", UL_TASK_POSE, 1, "pose, visibility 2 is fine");
	good("0 0.5 0.5 0.2 0.3 0 0 0 0 0 0\n", UL_TASK_POSE, 1, "pose, invisible keypoints at 0");
	bad("0 0.5 0.5 0.2 0.3 0.4 0.4 2\n", UL_TASK_POSE, 1, "needs 11", "pose, a keypoint missing");
	bad("0 0.5 0.5 0.2 0.3 1.4 0.4 2 0.6 0.6 1\n", UL_TASK_POSE, 1, "beyond 1", "pose, a keypoint outside");
	bad("0 0.5 0.5 0.2 0.3 0.4 0.4 -1 0.6 0.6 1\n", UL_TASK_POSE, 1, "negative", "pose, negative visibility");

	/* the first bad line is the one reported; later ones do not move it */
	c = check("0 0.5 0.5 0.2 0.3\nx\n0 9 9 9 9\n", UL_TASK_DETECT, 80, 0, 0);
	ok(c.bad_line == 2, "the first bad line is named (%d)", c.bad_line);

	/* shapes, for guessing the task */
	c = check("1 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n2 0.1 0.1 0.2 0.1 0.2 0.2\n", UL_TASK_UNKNOWN, 80, 0, 0);
	ok(c.box_lines == 0 && c.polygon_lines == 2 && c.corner_lines == 1, "line shapes are counted");

	/* a very long line is refused, not a crash */
	size_t n = 9000 * 9 + 4;
	char *huge = malloc(n);
	strcpy(huge, "0");
	for (int i = 0; i < 9000; i++)
		strcat(huge, " 0.5 0.5");
	c = check(huge, UL_TASK_SEGMENT, 80, 0, 0);
	ok(c.bad_line == 1 && strstr(c.problem, "more than"), "too many values on a line (%s)", c.problem);
	free(huge);

	/* the boxes a file gives the trainer */
	struct ul_label *boxes = NULL;
	size_t nboxes = 0, cap = 0;
	struct ul_label_rules detect = { UL_TASK_DETECT, 80, 0, 0 }, pose = { UL_TASK_POSE, 80, 2, 3 };
	const char *text = "3 0.5 0.4 0.2 0.1\n3 0.5 0.4 0.2 0.1\n";
	ok(ul_labels_boxes(text, strlen(text), &detect, 5, &c, &boxes, &nboxes, &cap) == 0 && nboxes == 1,
	   "a box and its duplicate give one box (%zu)", nboxes);
	text = "7 0.1 0.2 0.5 0.2 0.3 0.6\n";
	ok(ul_labels_boxes(text, strlen(text), &detect, 5, &c, &boxes, &nboxes, &cap) == 0 && nboxes == 2,
	   "a polygon gives its box, appended (%zu)", nboxes);
	ok(nboxes == 2 && boxes[0].image == 5 && boxes[0].cls == 3 && boxes[0].cx == 0.5f && boxes[0].h == 0.1f,
	   "the box as written, with its image");
	ok(nboxes == 2 && boxes[1].cls == 7 && fabsf(boxes[1].cx - 0.3f) < 1e-7f && fabsf(boxes[1].cy - 0.4f) < 1e-7f &&
	   fabsf(boxes[1].w - 0.4f) < 1e-7f && fabsf(boxes[1].h - 0.4f) < 1e-7f, "the polygon's box around its points");
	text = "0 0.5 0.5 0.2 0.3 0.4 0.4 2 0.6 0.6 1\n";
	ok(ul_labels_boxes(text, strlen(text), &pose, 0, &c, &boxes, &nboxes, &cap) == 0 && nboxes == 3 &&
	   boxes[2].w == 0.2f && boxes[2].h == 0.3f, "a pose row gives its box");
	text = "0 0.5 0.5 0.2\n";
	ok(ul_labels_boxes(text, strlen(text), &detect, 0, &c, &boxes, &nboxes, &cap) == -1 && nboxes == 3 &&
	   strstr(c.problem, "a box needs 5"), "a bad file gives no box and says why (%s)", c.problem);
	free(boxes);

	return done_testing();
}
