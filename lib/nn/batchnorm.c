#include "nn/batchnorm.h"

#include <math.h>
#include <stddef.h>

/* Channels are handled in blocks so the per-channel sums live on the stack
 * while each pass still reads x pixel by pixel, in memory order. Sums run in
 * float over runs of RUN pixels, which vectorises, and in double across
 * runs, as n*h*w reaches hundreds of thousands. */
#define BLOCK 64
#define RUN 256

static size_t pixels(const struct ul_batchnorm *bn)
{
	return (size_t)bn->n * bn->h * bn->w;
}

static int block_len(const struct ul_batchnorm *bn, int c0)
{
	return bn->c - c0 < BLOCK ? bn->c - c0 : BLOCK;
}

/* y = (x - mean) * scale + beta over one block of channels; mean and scale
 * are indexed within the block. Subtracting first keeps precision when the
 * mean is large against the spread. */
static void normalise(const struct ul_batchnorm *bn, int c0, int len, const float *x, const float *mean,
		      const float *scale, const float *beta, float *y)
{
	size_t np = pixels(bn);
	for (size_t p = 0; p < np; p++) {
		const float *restrict xp = x + p * bn->c + c0;
		float *restrict yp = y + p * bn->c + c0;
		for (int k = 0; k < len; k++)
			yp[k] = (xp[k] - mean[k]) * scale[k] + beta[c0 + k];
	}
}

void ul_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				float *running_mean, float *running_var, float *y, float *save_mean, float *save_invstd)
{
	size_t np = pixels(bn);
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		double mean[BLOCK] = { 0 }, ss[BLOCK] = { 0 };
		/* two passes: the mean, then squared deviations from it, which
		 * does not cancel the way sum(x^2) - n*mean^2 does */
		for (size_t p0 = 0; p0 < np; p0 += RUN) {
			float run[BLOCK] = { 0 };
			for (size_t p = p0; p < np && p < p0 + RUN; p++) {
				const float *restrict xp = x + p * bn->c + c0;
				for (int k = 0; k < len; k++)
					run[k] += xp[k];
			}
			for (int k = 0; k < len; k++)
				mean[k] += run[k];
		}
		float m[BLOCK], scale[BLOCK];
		for (int k = 0; k < len; k++)
			mean[k] /= (double)np, m[k] = (float)mean[k];
		for (size_t p0 = 0; p0 < np; p0 += RUN) {
			float run[BLOCK] = { 0 };
			for (size_t p = p0; p < np && p < p0 + RUN; p++) {
				const float *restrict xp = x + p * bn->c + c0;
				for (int k = 0; k < len; k++) {
					float d = xp[k] - m[k];
					run[k] += d * d;
				}
			}
			for (int k = 0; k < len; k++)
				ss[k] += run[k];
		}
		for (int k = 0; k < len; k++) {
			int ch = c0 + k;
			double var = ss[k] / (double)np;
			save_mean[ch] = m[k];
			save_invstd[ch] = (float)(1.0 / sqrt(var + bn->eps));
			scale[k] = gamma[ch] * save_invstd[ch];
			if (running_mean) {
				float mo = bn->momentum;
				running_mean[ch] = (1 - mo) * running_mean[ch] + mo * (float)mean[k];
				running_var[ch] = (1 - mo) * running_var[ch] + mo * (float)(ss[k] / (double)(np - 1));
			}
		}
		normalise(bn, c0, len, x, m, scale, beta, y);
	}
}

void ul_batchnorm_apply(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			const float *save_mean, const float *save_invstd, float *y)
{
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		float scale[BLOCK];
		for (int k = 0; k < len; k++)
			scale[k] = gamma[c0 + k] * save_invstd[c0 + k];
		normalise(bn, c0, len, x, save_mean + c0, scale, beta, y);
	}
}

void ul_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			       const float *running_mean, const float *running_var, float *y)
{
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		float scale[BLOCK];
		for (int k = 0; k < len; k++)
			scale[k] = gamma[c0 + k] / sqrtf(running_var[c0 + k] + bn->eps);
		normalise(bn, c0, len, x, running_mean + c0, scale, beta, y);
	}
}

/* With xhat = (x - mean) * invstd and N = n*h*w, per channel:
 *   dbeta = sum(dy), dgamma = sum(dy * xhat),
 *   dx = gamma * invstd * (dy - dbeta / N - xhat * dgamma / N),
 * the last two terms being the gradient through the mean and the variance. */
void ul_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *save_mean,
			   const float *save_invstd, const float *dy, float *dx, float *dgamma, float *dbeta)
{
	size_t np = pixels(bn);
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		const float *mean = save_mean + c0, *invstd = save_invstd + c0;
		double sdy[BLOCK] = { 0 }, sdyx[BLOCK] = { 0 };
		for (size_t p0 = 0; p0 < np; p0 += RUN) {
			float run_dy[BLOCK] = { 0 }, run_dyx[BLOCK] = { 0 };
			for (size_t p = p0; p < np && p < p0 + RUN; p++) {
				const float *restrict xp = x + p * bn->c + c0, *restrict g = dy + p * bn->c + c0;
				for (int k = 0; k < len; k++) {
					run_dy[k] += g[k];
					run_dyx[k] += g[k] * ((xp[k] - mean[k]) * invstd[k]);
				}
			}
			for (int k = 0; k < len; k++)
				sdy[k] += run_dy[k], sdyx[k] += run_dyx[k];
		}
		float scale[BLOCK], mdy[BLOCK], mdyx[BLOCK];
		for (int k = 0; k < len; k++) {
			dbeta[c0 + k] += (float)sdy[k];
			dgamma[c0 + k] += (float)sdyx[k];
			scale[k] = gamma[c0 + k] * invstd[k];
			mdy[k] = (float)(sdy[k] / (double)np);
			mdyx[k] = (float)(sdyx[k] / (double)np);
		}
		/* dy is read before dx is written at each element, so they may alias */
		for (size_t p = 0; p < np; p++)
			for (int k = 0; k < len; k++) {
				size_t i = p * bn->c + c0 + k;
				float xhat = (x[i] - mean[k]) * invstd[k];
				dx[i] = scale[k] * (dy[i] - mdy[k] - xhat * mdyx[k]);
			}
	}
}
