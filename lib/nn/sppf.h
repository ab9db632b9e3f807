/* Ultralytics' SPPF as YOLO26 uses it (yolo26.md 3.5): cv1, a 1x1 Conv
 * without activation to c1/2; three 5x5 max pools in a chain (stride 1,
 * padding 2); the input and the three pooled maps concatenated; cv2, a 1x1
 * Conv with SiLU; plus the input when c1 == c2 (shortcut).
 *
 * Memory as in conv_module.h. */
#ifndef UL_NN_SPPF_H
#define UL_NN_SPPF_H

#include "nn/conv_module.h"

#define UL_SPPF_POOLS 3

struct ul_sppf {
	struct ul_conv_module cv1, cv2;  /* cv1: act false; cv2: 4 x c_ -> c2 */
	int pool_k;                      /* 5 */
	bool add;
};

size_t ul_sppf_saved(const struct ul_sppf *s);
size_t ul_sppf_workspace(const struct ul_sppf *s);

void ul_sppf_forward(const struct ul_sppf *s, const float *x, float *y, float *saved, float *workspace, bool train);

/* dx overwritten, parameter gradients accumulated. */
void ul_sppf_backward(const struct ul_sppf *s, const float *x, const float *saved, const float *dy, float *dx,
		      float *workspace);

#endif
