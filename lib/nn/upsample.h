/* Nearest-neighbour upsampling by an integer factor (torch's nn.Upsample,
 * mode "nearest"), forward and backward. YOLO26's neck uses 2, Proto26 also
 * 4. Activations are NHWC float32. */
#ifndef UL_NN_UPSAMPLE_H
#define UL_NN_UPSAMPLE_H

struct ul_upsample {
	int n, h, w, c;   /* input batch, size and channels */
	int factor;
};

/* y (n, h * factor, w * factor, c): each x pixel repeated factor x factor. */
void ul_upsample_forward(const struct ul_upsample *u, const float *x, float *y);

/* dx (overwritten): the sum of the factor² dy pixels each x pixel became. */
void ul_upsample_backward(const struct ul_upsample *u, const float *dy, float *dx);

#endif
