/* YOLO26's C3k2 and the C3k inside it (yolo26.md 3.3, 3.4).
 *
 *   C3k(x)  = cv3(concat(m(cv1 x), cv2 x)), m = n Bottlenecks (e 1.0)
 *   C3k2(x) = cv2(concat(a, b, o1 .. on)), (a, b) = split(cv1 x),
 *             o1 = block1(b), oi = blocki(o(i-1))
 *
 * C3k2's inner block is a Bottleneck (e 0.5), a C3k of 2 Bottlenecks (at
 * scales m, l, x, or when the YAML asks), or a Bottleneck then a PSABlock
 * (the attention variant). Memory as in conv_module.h; dx is required. */
#ifndef UL_NN_C3K2_H
#define UL_NN_C3K2_H

#include "nn/bottleneck.h"
#include "nn/psa.h"

#define UL_C3K_MAX 2  /* C3k2 always builds C3k with 2 Bottlenecks */

struct ul_c3k {
	struct ul_conv_module cv1, cv2, cv3;
	int n;
	struct ul_bottleneck m[UL_C3K_MAX];
};

enum ul_inner { UL_INNER_BOTTLENECK, UL_INNER_C3K, UL_INNER_ATTENTION };

struct ul_c3k2_block {
	enum ul_inner kind;
	struct ul_bottleneck bottleneck;  /* BOTTLENECK, and the first half of ATTENTION */
	struct ul_c3k c3k;                /* C3K */
	struct ul_psablock psa;           /* the second half of ATTENTION */
};

struct ul_c3k2 {
	struct ul_conv_module cv1, cv2;
	int n;
	struct ul_c3k2_block *m;  /* n of them */
};

size_t ul_c3k_saved(const struct ul_c3k *c);
size_t ul_c3k_workspace(const struct ul_c3k *c);
void ul_c3k_forward(const struct ul_c3k *c, const float *x, float *y, float *saved, float *workspace, bool train);
void ul_c3k_backward(const struct ul_c3k *c, const float *x, const float *saved, const float *dy, float *dx, float *workspace);

size_t ul_c3k2_saved(const struct ul_c3k2 *c);
size_t ul_c3k2_workspace(const struct ul_c3k2 *c);
void ul_c3k2_forward(const struct ul_c3k2 *c, const float *x, float *y, float *saved, float *workspace, bool train);
void ul_c3k2_backward(const struct ul_c3k2 *c, const float *x, const float *saved, const float *dy, float *dx,
		      float *workspace);

#endif
