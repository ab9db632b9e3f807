/* YOLO26's end-to-end decoding (yolo26.md 6): no NMS. The one-to-one
 * head's boxes come out in input pixels; the max_det anchors with the
 * highest class score are kept, then the max_det best (anchor, class)
 * pairs among them, and of those the ones scoring above conf. Equal
 * logits keep anchor (then class) order; so do equal scores, except where
 * the float sigmoid rounds distinct logits together (past about 17):
 * those go by logit. (Ultralytics' topk leaves the order of ties open.) */
#ifndef UL_VAL_E2E_DECODE_H
#define UL_VAL_E2E_DECODE_H

#include <stddef.h>

#include "train/detect_loss.h"

struct ul_detection {
	float box[4];  /* x1 y1 x2 y2, input pixels */
	float score;
	int cls;
};

/* Memory the decoder reuses. */
struct ul_decode_scratch {
	int *order;
	float *score, *pair_score, *work;
	int *kept;  /* the kept anchors */
	size_t cap_order, cap_score, cap_pair_score, cap_work, cap_kept;
};

void ul_decode_scratch_free(struct ul_decode_scratch *s);

/* Image b's detections from head (its outputs; the grads are not read),
 * best first, into out (room for max_det). Their count, or -1 when out of
 * memory. */
int ul_decode_e2e(const struct ul_detect_head *head, int b, int max_det, double conf, struct ul_detection *out,
		  struct ul_decode_scratch *s);

#endif
