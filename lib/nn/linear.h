/* Linear (nn.Linear) and AdaptiveAvgPool2d(1) on the CPU, forward and
 * backward: the Classify head's pool and fully connected layer, and the
 * small networks of Pose26's RealNVP flow.
 *
 * Weights stay in PyTorch's (out, in) layout so a state dict maps onto the
 * parameter buffer unchanged. */
#ifndef UL_NN_LINEAR_H
#define UL_NN_LINEAR_H

struct ul_linear {
	int n;            /* rows of the batch */
	int in, out;      /* features */
};

/* y (n, out) = x (n, in) . weight^T + bias (NULL: none). */
void ul_linear_forward(const struct ul_linear *l, const float *x, const float *weight, const float *bias, float *y);

/* From dy: dx (overwritten; NULL to skip), and dweight and dbias (added to,
 * so gradients accumulate; dbias NULL when there is no bias). */
void ul_linear_backward(const struct ul_linear *l, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias);

struct ul_global_avgpool {
	int n, h, w, c;   /* input batch, size and channels */
};

/* y (n, c) = the mean of x (n, h, w, c) over each image, which is also
 * NCHW's (n, c, 1, 1) flattened, as Classify feeds it to its Linear. */
void ul_global_avgpool_forward(const struct ul_global_avgpool *p, const float *x, float *y);

/* dx (overwritten) = dy / (h * w) at every pixel. */
void ul_global_avgpool_backward(const struct ul_global_avgpool *p, const float *dy, float *dx);

#endif
