/* Classic non-maximum suppression, for models without the end-to-end head
 * (yolo26.md 6), as Ultralytics' non_max_suppression does it on one
 * image's candidates: those scoring above conf, the max_nms best of them,
 * then greedy by score (equal scores: the earlier candidate first), each
 * kept box suppressing the later ones it overlaps with IoU above iou (not
 * at it), of its own class unless agnostic; the max_det first kept. Its
 * class offset trick keeps classes apart; here they are kept apart
 * exactly. */
#ifndef UL_VAL_NMS_H
#define UL_VAL_NMS_H

#include <stdbool.h>
#include <stddef.h>

#include "val/e2e_decode.h"

#define UL_NMS_IOU 0.7
#define UL_NMS_MAX_CANDIDATES 30000

struct ul_nms_config {
	double conf, iou;
	int max_nms, max_det;
	bool agnostic;
};

/* Memory NMS reuses from call to call. */
struct ul_nms_scratch {
	struct ul_nms_rank *order;
	double (*kept)[4];  /* the kept boxes, in output order */
	int *prev;          /* each kept box's previous one of its class */
	int *last;          /* each class's last kept box, or -1 */
	size_t cap_order, cap_kept, cap_prev, cap_last;
};

void ul_nms_scratch_free(struct ul_nms_scratch *s);

/* The kept detections of the n candidates (classes from 0), best first,
 * into out (room for max_det). Their count, or -1 when out of memory. */
int ul_nms(const struct ul_detection *cand, int n, const struct ul_nms_config *cfg, struct ul_detection *out,
	   struct ul_nms_scratch *s);

#endif
