/* MaxPool2d on the CPU, forward and backward, as PyTorch computes it.
 *
 * Activations are NHWC float32. Padding counts as -infinity, so a window
 * takes the maximum of its real pixels only; PyTorch requires pad <= k / 2,
 * which keeps at least one real pixel in every window. YOLO26's SPPF runs
 * k 5, stride 1, pad 2 three times over. */
#ifndef UL_NN_MAXPOOL_H
#define UL_NN_MAXPOOL_H

#include <stdint.h>

struct ul_maxpool {
	int n, h, w, c;       /* input batch, size and channels */
	int k, stride, pad;   /* square window */
};

/* Output size. */
int ul_maxpool_out_h(const struct ul_maxpool *p);
int ul_maxpool_out_w(const struct ul_maxpool *p);

/* y (n, oh, ow, c) = the maximum over each window of x (n, h, w, c). For
 * training, argmax (one per element of y; NULL to skip) gets the pixel the
 * maximum came from, iy * w + ix within its image. Ties go to the first
 * maximum in scan order and a NaN always wins (the last NaN if several), as
 * in PyTorch's CPU kernel. */
void ul_maxpool_forward(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax);

/* dx (overwritten) from dy, each dy going to the pixel argmax names. */
void ul_maxpool_backward(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx);

#endif
