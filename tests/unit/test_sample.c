/* Samples (lib/data/sample, sample_load): appending moves every kind of
 * coordinate, keeping drops the right instances, clipping clips and hides
 * keypoints that leave the image; polygons are resampled as Ultralytics'
 * resample_segments does (hand-worked on a triangle); and real coco8,
 * coco8-seg and coco8-pose images load with their labels in the resized
 * image's pixels. */
#include <math.h>

#include "core/fs.h"
#include "data/sample_load.h"
#include "datasets.h"
#include "tap.h"

static struct ul_sample one_instance(float x1, float y1, float x2, float y2)
{
	struct ul_sample s;
	ul_sample_init(&s, 4, 2, 3);
	ul_sample_reserve(&s, 1);
	s.cls[0] = 7;
	float box[4] = { x1, y1, x2, y2 }, seg[8] = { x1, y1, x2, y1, x2, y2, x1, y2 };
	float kpt[6] = { x1, y1, 2, x2, y2, 1 };
	memcpy(s.boxes, box, sizeof box), memcpy(s.segments, seg, sizeof seg), memcpy(s.keypoints, kpt, sizeof kpt);
	s.n = 1;
	return s;
}

/* Loads one real image with its labels; the number of instances, -1 on failure. */
static int load(struct ul_sample *s, const char *set, const char *name, const struct ul_label_rules *rules, int imgsz)
{
	char image[512], label[512];
	snprintf(image, sizeof image, "%s/images/train/%s.jpg", set, name);
	snprintf(label, sizeof label, "%s/labels/train/%s.txt", set, name);
	char ipath[600], lpath[600];
	dataset_path(ipath, sizeof ipath, image), dataset_path(lpath, sizeof lpath, label);
	size_t len = 0;
	char *text = ul_read_file(lpath, &len);
	jv err = jv_invalid();
	int rc = ul_sample_load(s, ipath, text, len, rules, imgsz, &err);
	free(text);
	if (rc) {
		jv msg = jv_invalid_get_msg(err);
		printf("# %s\n", jv_string_value(msg));
		jv_free(msg);
		return -1;
	}
	return s->n;
}

int main(void)
{
	/* append, keep, clip */
	struct ul_sample a = one_instance(10, 20, 30, 40), b = one_instance(1, 2, 3, 4), all;
	ul_sample_init(&all, 4, 2, 3);
	ok(ul_sample_append(&all, &a, 0, 0) == 0 && ul_sample_append(&all, &b, 100, 200) == 0 && all.n == 2, "two appended");
	ok(all.boxes[4] == 101 && all.boxes[5] == 202 && all.boxes[6] == 103 && all.boxes[7] == 204, "the second box moved by (100, 200)");
	ok(all.segments[8] == 101 && all.segments[9] == 202 && all.segments[14] == 101 && all.segments[15] == 204,
	   "and its polygon");
	ok(all.keypoints[6] == 101 && all.keypoints[7] == 202 && all.keypoints[8] == 2 && all.keypoints[11] == 1,
	   "and its keypoints, visibility unmoved");
	ul_sample_clip(&all, 50, 100);
	ok(all.boxes[4] == 50 && all.boxes[5] == 100 && all.boxes[0] == 10, "clipped into 50 x 100");
	ok(all.keypoints[8] == 0 && all.keypoints[11] == 0 && all.keypoints[2] == 2, "keypoints outside lose their visibility");
	ok(all.segments[8] == 50 && all.segments[9] == 100, "polygon points clipped");
	bool keep[2] = { false, true };
	ul_sample_keep(&all, keep);
	ok(all.n == 1 && all.cls[0] == 7 && all.boxes[0] == 50 && all.segments[0] == 50, "keep drops the first");
	ul_sample_free(&a), ul_sample_free(&b), ul_sample_free(&all);

	/* resample_segments on a triangle: with 7 points the 3 + 1 closed
	 * vertices at 0, 1, 2, 3 are merged with 3 even positions 0, 1.5, 3 */
	double tri[6] = { 0, 0, 10, 0, 5, 8 };
	float out[2 * 1000];
	ul_resample_polygon(tri, 3, 7, out);
	float want[14] = { 0, 0, 0, 0, 10, 0, 7.5f, 4, 5, 8, 0, 0, 0, 0 };
	ok(!memcmp(out, want, sizeof want), "7 points: vertices kept, the even point 1.5 halfway along the second edge");
	ul_resample_polygon(tri, 3, 3, out);
	ok(out[2] == 10 && out[5] == 8, "as many points as it has: unchanged");
	ul_resample_polygon(tri, 3, 1000, out);
	bool on_edges = true;
	for (int i = 0; i < 1000; i++) {
		float x = out[2 * i], y = out[2 * i + 1];
		/* each point lies on one of the three edges */
		bool bottom = fabsf(y) < 1e-4f, right = fabsf(8 * (10 - x) - 5 * y) < 1e-3f, left = fabsf(8 * x - 5 * y) < 1e-3f;
		on_edges &= bottom || right || left;
	}
	ok(on_edges && out[0] == 0 && out[1998] == 0, "1000 points, all on the triangle's edges, closed at the start");

	/* real images */
	struct ul_sample s;
	struct ul_label_rules detect = { UL_TASK_DETECT, 80, 0, 0 }, seg = { UL_TASK_SEGMENT, 80, 0, 0 },
			      pose = { UL_TASK_POSE, 1, 17, 3 };
	ul_sample_init(&s, 0, 0, 0);
	int n = load(&s, "coco8", "000000000009", &detect, 320);
	ok(n == 8 && s.img.w == 320 && s.img.h == 240, "coco8 image 9: 8 boxes, 640x480 resized to 320x240 (%d, %dx%d)", n,
	   s.img.w, s.img.h);
	/* its first row: 45 0.479492 0.688771 0.955609 0.5955 */
	ok(fabsf(s.boxes[0] - (0.479492f - 0.955609f / 2) * 320) < 1e-3f && fabsf(s.boxes[3] - (0.688771f + 0.5955f / 2) * 240) < 1e-3f,
	   "its first box in the resized image's pixels");
	ul_sample_free(&s);
	ul_sample_init(&s, UL_SEGMENT_POINTS, 0, 0);
	n = load(&s, "coco8-seg", "000000000009", &seg, 640);
	bool inside = true;
	for (int i = 0; i < n; i++)
		for (int p = 0; p < UL_SEGMENT_POINTS; p++) {
			float x = s.segments[(size_t)2 * (i * UL_SEGMENT_POINTS + p)], y = s.segments[(size_t)2 * (i * UL_SEGMENT_POINTS + p) + 1];
			float *bx = s.boxes + 4 * i;
			inside &= x >= bx[0] - 1e-3f && x <= bx[2] + 1e-3f && y >= bx[1] - 1e-3f && y <= bx[3] + 1e-3f;
		}
	ok(n > 0 && inside, "coco8-seg: %d polygons of 1000 points, each inside its box (the box around it)", n);
	ul_sample_free(&s);
	ul_sample_init(&s, 0, 17, 3);
	n = load(&s, "coco8-pose", "000000000036", &pose, 640);
	ok(n > 0 && s.keypoints[2] >= 0 && s.keypoints[2] <= 2, "coco8-pose: %d people with 17 keypoints each", n);
	ul_sample_free(&s);

	jv err = jv_invalid();
	ul_sample_init(&s, 0, 0, 0);
	ok(ul_sample_load(&s, "/nonexistent.jpg", NULL, 0, &detect, 320, &err) == -1, "a missing image fails");
	jv_free(err);
	return done_testing();
}
