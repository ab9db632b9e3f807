/* What validation's bookkeeping costs (issue 8's yardstick): for coco128's
 * 128 images at imgsz 640 (8400 anchors, 80 classes), the end-to-end
 * decoding of the one-to-one head, the matching at the 10 IoU thresholds,
 * the confusion matrix and the metrics, on one thread; the forward passes
 * are not counted. Each image's head maps are written just before they are
 * decoded, as the forward pass leaves them in the validator. They are made
 * up so that validation works as hard as it can: logits spread over [-8, 2], so that most of the 300
 * kept detections pass conf 0.001, and every box of the labels predicted
 * by an anchor near its centre, so that there are matches to count. The
 * baseline is the target: under 50 ms for the 128 images.
 *
 * usage: val COCO128_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/random.h"
#include "data/loader.h"
#include "val/ap.h"
#include "val/confusion.h"
#include "val/e2e_decode.h"
#include "val/validator.h"

#define IMGSZ 640
#define NC 80
#define TARGET_MS 50.0

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);  /* one thread: its own time, whatever else runs */
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The 3 levels' maps for one image, each anchor's box a random one nearby,
 * the anchors at the labels' centres predicting them with a high score. */
struct maps {
	struct ul_detect_head head;
	float *box[UL_DETECT_LEVELS], *cls[UL_DETECT_LEVELS];
};

static void make_maps(struct maps *m, const struct ul_gt_box *gt, int ngt, uint64_t *rng)
{
	for (int l = 0; l < UL_DETECT_LEVELS; l++) {
		int s = 8 << l, h = IMGSZ / s, w = IMGSZ / s;
		for (int i = 0; i < h * w; i++) {
			for (int k = 0; k < 4; k++)
				m->box[l][4 * i + k] = (float)(0.5 + 4 * ul_random_unit(rng));
			for (int c = 0; c < NC; c++)
				m->cls[l][NC * i + c] = (float)(-8 + 10 * ul_random_unit(rng));
		}
		for (int j = 0; j < ngt; j++) {
			const double *b = gt[j].box;
			int gx = (int)((b[0] + b[2]) / 2 / s), gy = (int)((b[1] + b[3]) / 2 / s);
			if (gx < 0 || gx >= w || gy < 0 || gy >= h)
				continue;
			int i = gy * w + gx;
			float ax = gx + 0.5f, ay = gy + 0.5f;
			m->box[l][4 * i] = (float)(ax - b[0] / s), m->box[l][4 * i + 1] = (float)(ay - b[1] / s);
			m->box[l][4 * i + 2] = (float)(b[2] / s - ax), m->box[l][4 * i + 3] = (float)(b[3] / s - ay);
			m->cls[l][NC * i + gt[j].cls] = 4;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: val COCO128_DIR\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/images/train", argv[1]);
	struct ul_loader_options o = {
		.imgsz = IMGSZ, .batch = 1, .workers = 0, .stride = 32, .fraction = 1, .rules = { UL_TASK_DETECT, NC, 0, 0 },
	};
	struct ul_loader l;
	jv err = jv_invalid(), entries = jv_array_append(jv_array(), jv_string(dir));
	int rc = ul_loader_open(&l, entries, &o, &err);
	jv_free(entries);
	if (rc || ul_loader_start(&l, 0, &err)) {
		jv msg = jv_invalid_get_msg(err);
		fprintf(stderr, "val: %s\n", jv_string_value(msg));
		jv_free(msg);
		return 1;
	}
	/* every image's boxes first, then one image's maps at a time */
	int n = l.n;
	struct ul_gt_box **gt = calloc((size_t)n, sizeof *gt);
	int *ngt = calloc((size_t)n, sizeof *ngt);
	struct ul_batch *b;
	for (int i = 0; (b = ul_loader_next(&l, &err)); i++) {
		gt[i] = malloc(sizeof **gt * (b->nlabels + 1));
		ngt[i] = ul_batch_boxes(b, 0, gt[i]);
		ul_loader_release(&l, b);
	}
	struct maps maps = { .head = { .batch = 1, .nc = NC } };
	for (int k = 0; k < UL_DETECT_LEVELS; k++) {
		struct ul_detect_head *h = &maps.head;
		h->stride[k] = 8 << k, h->h[k] = h->w[k] = IMGSZ / h->stride[k];
		maps.box[k] = malloc(sizeof(float) * 4 * h->h[k] * h->w[k]);
		maps.cls[k] = malloc(sizeof(float) * NC * h->h[k] * h->w[k]);
		h->box[k] = maps.box[k], h->cls[k] = maps.cls[k];
	}
	double best = 1e9, part[3] = { 0 };  /* of the fastest: decoding, matching with the confusion matrix, metrics */
	size_t kept = 0;
	for (int round = 0; round < 5; round++) {
		struct ul_val_stats stats = { 0 };
		struct ul_val_metrics m = { 0 };
		struct ul_confusion cm;
		struct ul_decode_scratch ds = { 0 };
		struct ul_detection dets[UL_VAL_MAX_DET];
		double spent[3] = { 0 };
		uint64_t rng = 1;
		ul_confusion_init(&cm, NC);
		for (int i = 0; i < n; i++) {
			make_maps(&maps, gt[i], ngt[i], &rng);
			double t1 = now();
			int nd = ul_decode_e2e(&maps.head, 0, UL_VAL_MAX_DET, UL_VAL_CONF, dets, &ds);
			double t2 = now();
			ul_val_stats_add(&stats, dets, nd, gt[i], ngt[i]);
			ul_confusion_add(&cm, dets, nd, gt[i], ngt[i], UL_CONFUSION_CONF, UL_CONFUSION_IOU);
			spent[0] += t2 - t1, spent[1] += now() - t2;
		}
		double t3 = now();
		ul_val_metrics(&stats, &m);
		spent[2] = now() - t3;
		double ms = (spent[0] + spent[1] + spent[2]) * 1e3;
		if (ms < best)
			best = ms, memcpy(part, spent, sizeof part);
		kept = stats.ndets;
		ul_val_metrics_free(&m), ul_val_stats_free(&stats), ul_confusion_free(&cm), ul_decode_scratch_free(&ds);
	}
	printf("val: %d coco128 images at %d, %zu detections kept: decoding, matching, confusion and metrics %.1f ms on one "
	       "core (fastest of 5)  ->  %.2fx the target's %.0f ms budget (target <= 1)\n"
	       "  decoding %.1f ms, matching and confusion %.1f ms, metrics %.1f ms\n",
	       n, IMGSZ, kept, best, best / TARGET_MS, TARGET_MS, part[0] * 1e3, part[1] * 1e3, part[2] * 1e3);
	for (int k = 0; k < UL_DETECT_LEVELS; k++)
		free(maps.box[k]), free(maps.cls[k]);
	for (int i = 0; i < n; i++)
		free(gt[i]);
	free(gt), free(ngt);
	ul_loader_close(&l);
	return 0;
}
