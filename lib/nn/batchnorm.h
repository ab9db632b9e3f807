/* BatchNorm2d on the CPU, forward and backward, with PyTorch's semantics
 * as Ultralytics uses them: the reference the CUDA backend is checked
 * against.
 *
 * Activations are NHWC float32; statistics are per channel over n*h*w.
 * Training normalises with the biased batch variance but moves the running
 * variance towards the unbiased one, as PyTorch does. The op owns no
 * memory: what backward needs is kept in save_mean and save_invstd (c
 * floats each). num_batches_tracked is the caller's to count; with a fixed
 * momentum nothing here reads it. */
#ifndef UL_NN_BATCHNORM_H
#define UL_NN_BATCHNORM_H

/* Ultralytics' initialize_weights sets these on every BatchNorm2d. */
#define UL_BATCHNORM_EPS 1e-3f
#define UL_BATCHNORM_MOMENTUM 0.03f

struct ul_batchnorm {
	int n, h, w, c;
	float eps;
	float momentum;   /* running = (1 - momentum) * running + momentum * batch */
};

/* Training: y = (x - mean) * invstd * gamma + beta with the batch's mean and
 * invstd = 1 / sqrt(biased var + eps), both saved for backward. The running
 * statistics are updated, or left alone when both are NULL. n*h*w must be
 * above 1: PyTorch refuses one value per channel, its unbiased variance
 * being undefined. */
void ul_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				float *running_mean, float *running_var, float *y, float *save_mean, float *save_invstd);

/* The training forward's output again, bit for bit, from its saved
 * statistics: backward recomputes it rather than keeping a copy. */
void ul_batchnorm_apply(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			const float *save_mean, const float *save_invstd, float *y);

/* Evaluation: y = (x - running_mean) / sqrt(running_var + eps) * gamma + beta. */
void ul_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			       const float *running_mean, const float *running_var, float *y);

/* Backward of the training forward, through the batch statistics: dx
 * (overwritten; may be dy), and dgamma and dbeta (added to, so gradients
 * accumulate). x, gamma and the saved statistics are the forward's. */
void ul_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *save_mean,
			   const float *save_invstd, const float *dy, float *dx, float *dgamma, float *dbeta);

#endif
