/* BatchNorm2d on the CPU, forward and backward, with PyTorch's semantics
 * as Ultralytics uses them: the reference the CUDA backend is checked
 * against.
 *
 * Activations are NHWC float32; statistics are per channel over n*h*w.
 * Training normalises with the biased batch variance but moves the running
 * variance towards the unbiased one, as PyTorch does. The op owns no
 * memory: what backward needs is kept in save_mean and save_invstd (c
 * floats each), and scratch comes from the caller's workspace.
 * num_batches_tracked is the caller's to count; with a fixed momentum
 * nothing here reads it.
 *
 * With `silu` set the op is BatchNorm then SiLU, Ultralytics' Conv after
 * its convolution, fused: the forward writes SiLU's output, the backward
 * takes its gradient and recomputes the normalised map on the fly, so the
 * map is read once per pass and never stored twice.
 *
 * Passes run on the thread pool (core/parallel.h) in pieces of pixels
 * fixed by the shape, and the pieces' sums are combined in order, so
 * results do not depend on the number of threads. */
#ifndef UL_NN_BATCHNORM_H
#define UL_NN_BATCHNORM_H

#include <stdbool.h>
#include <stddef.h>

/* Ultralytics' initialize_weights sets these on every BatchNorm2d. */
#define UL_BATCHNORM_EPS 1e-3f
#define UL_BATCHNORM_MOMENTUM 0.03f

struct ul_batchnorm {
	int n, h, w, c;
	float eps;
	float momentum;   /* running = (1 - momentum) * running + momentum * batch */
	bool silu;        /* SiLU applied to the output */
};

/* Floats of workspace every pass needs. */
size_t ul_batchnorm_workspace(const struct ul_batchnorm *bn);

/* Training: y = (x - mean) * invstd * gamma + beta (then SiLU) with the
 * batch's mean and invstd = 1 / sqrt(biased var + eps), both saved for backward. The running
 * statistics are updated, or left alone when both are NULL. n*h*w must be
 * above 1: PyTorch refuses one value per channel, its unbiased variance
 * being undefined. */
void ul_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				float *running_mean, float *running_var, float *y, float *save_mean, float *save_invstd,
				float *workspace);

/* Evaluation: y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta
 * (then SiLU); y may be x. */
void ul_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			       const float *running_mean, const float *running_var, float *y, float *workspace);

/* Backward of the training forward, through the batch statistics (and
 * SiLU): dx (overwritten; may be dy), and dgamma and dbeta (added to, so
 * gradients accumulate). x, gamma, beta and the saved statistics are the
 * forward's. */
void ul_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			   const float *save_mean, const float *save_invstd, const float *dy, float *dx, float *dgamma,
			   float *dbeta, float *workspace);

#endif
