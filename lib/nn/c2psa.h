/* C2PSA (yolo26.md 3.6): cv1 (1x1, c1 -> 2c), split into (a, b), b through
 * n PSABlocks, cv2 (1x1) on concat(a, b') back to c1 channels.
 * Memory as in conv_module.h; dx is required. */
#ifndef UL_NN_C2PSA_H
#define UL_NN_C2PSA_H

#include "nn/psa.h"

#define UL_C2PSA_MAX 4

struct ul_c2psa {
	struct ul_conv_module cv1, cv2;
	int n;
	struct ul_psablock m[UL_C2PSA_MAX];
};

size_t ul_c2psa_saved(const struct ul_c2psa *c);
size_t ul_c2psa_workspace(const struct ul_c2psa *c);
void ul_c2psa_forward(const struct ul_c2psa *c, const float *x, float *y, float *saved, float *workspace, bool train);
void ul_c2psa_backward(const struct ul_c2psa *c, const float *x, const float *saved, const float *dy, float *dx,
		       float *workspace);

#endif
