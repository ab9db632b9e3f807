/* YOLO26's Classify head (yolo26.md 3.12): Conv 1x1 to 1280 (BN, SiLU),
 * global average pool, dropout (training only, p from the run's dropout),
 * Linear to nc. It returns logits; the softmax belongs to inference and
 * the loss. Memory as in conv_module.h; dx is required. */
#ifndef UL_NN_CLASSIFY_H
#define UL_NN_CLASSIFY_H

#include <stdint.h>

#include "nn/conv_module.h"

struct ul_classify {
	struct ul_conv_module conv;      /* c1 -> 1280 */
	int nc;
	const float *weight, *bias;      /* Linear (nc, 1280) */
	float *dweight, *dbias;
	float dropout;                   /* 0 .. 1 */
};

size_t ul_classify_saved(const struct ul_classify *c);
size_t ul_classify_workspace(const struct ul_classify *c);

/* logits (n, nc); seed decides the dropout mask of a training step. */
void ul_classify_forward(const struct ul_classify *c, const float *x, float *logits, float *saved, float *workspace,
			 bool train, uint64_t seed);
void ul_classify_backward(const struct ul_classify *c, const float *x, const float *saved, const float *dlogits, float *dx,
			  float *workspace);

#endif
