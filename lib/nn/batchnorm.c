#include "nn/batchnorm.h"

#include <math.h>
#include <stdint.h>

#include "core/parallel.h"
#include "nn/silu.h"

/* A piece is a run of pixels, all channels; within it channels go in
 * blocks whose sums live on the stack while x is read pixel by pixel, in
 * memory order. Sums run in float over RUN pixels, which vectorises, and
 * in double beyond. */
#define BLOCK 64
#define RUN 256
#define GRAIN 512  /* pixels a piece holds at least: small maps still go to every core */

static size_t pixels(const struct ul_batchnorm *bn)
{
	return (size_t)bn->n * bn->h * bn->w;
}

static int pieces(const struct ul_batchnorm *bn)
{
	return ul_parallel_pieces(pixels(bn), GRAIN);
}

static int block_len(const struct ul_batchnorm *bn, int c0)
{
	return bn->c - c0 < BLOCK ? bn->c - c0 : BLOCK;
}

/* Three float arrays of c, then two doubles per channel per piece, from
 * the first 8-byte boundary. */
size_t ul_batchnorm_workspace(const struct ul_batchnorm *bn)
{
	return 3 * (size_t)bn->c + 1 + 4 * (size_t)pieces(bn) * bn->c;
}

static double *sums_in(const struct ul_batchnorm *bn, float *workspace)
{
	uintptr_t at = (uintptr_t)(workspace + 3 * (size_t)bn->c);
	return (double *)((at + 7) & ~(uintptr_t)7);
}

/* What one pass over the pieces reads and writes. Per channel, the map is
 * normalised as (x - mean) * scale + beta. */
struct pass {
	const struct ul_batchnorm *bn;
	int pieces;
	const float *x, *dy;
	const float *mean, *scale, *beta;
	const float *invstd, *mean_dy, *mean_dy_xhat;  /* backward */
	float *out;
	double *sums;  /* per piece, two of c */
};

static void piece_pixels(const struct pass *p, int i, size_t *begin, size_t *end)
{
	ul_parallel_piece(pixels(p->bn), p->pieces, i, begin, end);
}

/* Piece i's mean and sum of squared deviations per channel: each run's
 * from its own mean, then merged into the piece's (Chan's update), which
 * neither cancels the way sum(x^2) - n mean^2 does nor reads x twice. */
static void moments_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_batchnorm *bn = p->bn;
	size_t begin, end;
	piece_pixels(p, i, &begin, &end);
	double *mean = p->sums + (size_t)i * 2 * bn->c, *m2 = mean + bn->c;
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		double count = 0;
		for (int k = 0; k < len; k++)
			mean[c0 + k] = m2[c0 + k] = 0;
		for (size_t r0 = begin; r0 < end; r0 += RUN) {
			size_t r1 = end - r0 < RUN ? end : r0 + RUN;
			float run_mean[BLOCK] = { 0 }, run_m2[BLOCK] = { 0 }, nr = (float)(r1 - r0);
			for (size_t q = r0; q < r1; q++) {
				const float *restrict xp = p->x + q * bn->c + c0;
				for (int k = 0; k < len; k++)
					run_mean[k] += xp[k];
			}
			for (int k = 0; k < len; k++)
				run_mean[k] /= nr;
			for (size_t q = r0; q < r1; q++) {
				const float *restrict xp = p->x + q * bn->c + c0;
				for (int k = 0; k < len; k++) {
					float d = xp[k] - run_mean[k];
					run_m2[k] += d * d;
				}
			}
			double total = count + nr;
			for (int k = 0; k < len; k++) {
				double delta = run_mean[k] - mean[c0 + k];
				mean[c0 + k] += delta * nr / total;
				m2[c0 + k] += run_m2[k] + delta * delta * count * nr / total;
			}
			count = total;
		}
	}
}

/* y = (x - mean) * scale + beta, then SiLU if asked, over piece i. y may
 * be x: each element is read before it is written. */
static void normalise_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_batchnorm *bn = p->bn;
	size_t begin, end;
	piece_pixels(p, i, &begin, &end);
	const float *restrict mean = p->mean, *restrict scale = p->scale, *restrict beta = p->beta;
	for (size_t q = begin; q < end; q++) {
		const float *xp = p->x + q * bn->c;
		float *yp = p->out + q * bn->c;
		if (bn->silu)
			for (int k = 0; k < bn->c; k++)
				yp[k] = ul_silu((xp[k] - mean[k]) * scale[k] + beta[k]);
		else
			for (int k = 0; k < bn->c; k++)
				yp[k] = (xp[k] - mean[k]) * scale[k] + beta[k];
	}
}

static void normalise(struct pass *p)
{
	p->pieces = pieces(p->bn);
	ul_parallel_for(p->pieces, normalise_piece, p);
}

void ul_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				float *running_mean, float *running_var, float *y, float *save_mean, float *save_invstd,
				float *workspace)
{
	struct pass p = { .bn = bn, .pieces = pieces(bn), .x = x, .beta = beta, .out = y, .sums = sums_in(bn, workspace) };
	ul_parallel_for(p.pieces, moments_piece, &p);
	size_t np = pixels(bn);
	float *scale = workspace;
	for (int ch = 0; ch < bn->c; ch++) {
		double count = 0, mean = 0, m2 = 0;
		for (int i = 0; i < p.pieces; i++) {
			size_t begin, end;
			piece_pixels(&p, i, &begin, &end);
			double n = (double)(end - begin), total = count + n;
			const double *sums = p.sums + (size_t)i * 2 * bn->c;
			double delta = sums[ch] - mean;
			mean += delta * n / total;
			m2 += sums[bn->c + ch] + delta * delta * count * n / total;
			count = total;
		}
		save_mean[ch] = (float)mean;
		save_invstd[ch] = (float)(1.0 / sqrt(m2 / (double)np + bn->eps));
		scale[ch] = gamma[ch] * save_invstd[ch];
		if (running_mean) {
			float mo = bn->momentum;
			running_mean[ch] = (1 - mo) * running_mean[ch] + mo * (float)mean;
			running_var[ch] = (1 - mo) * running_var[ch] + mo * (float)(m2 / (double)(np - 1));
		}
	}
	p.mean = save_mean, p.scale = scale;
	normalise(&p);
}

void ul_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			       const float *running_mean, const float *running_var, float *y, float *workspace)
{
	float *scale = workspace;
	for (int ch = 0; ch < bn->c; ch++)
		scale[ch] = gamma[ch] / sqrtf(running_var[ch] + bn->eps);
	struct pass p = { .bn = bn, .x = x, .mean = running_mean, .scale = scale, .beta = beta, .out = y };
	normalise(&p);
}

/* Backward's first pass over piece i: g, the gradient at BatchNorm's
 * output (through SiLU, from the recomputed normalised value), written to
 * out, and per channel the sums of g and of g * xhat. */
static void output_grad_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_batchnorm *bn = p->bn;
	size_t begin, end;
	piece_pixels(p, i, &begin, &end);
	double *sum_g = p->sums + (size_t)i * 2 * bn->c, *sum_gx = sum_g + bn->c;
	for (int c0 = 0; c0 < bn->c; c0 += BLOCK) {
		int len = block_len(bn, c0);
		const float *restrict mean = p->mean + c0, *restrict invstd = p->invstd + c0;
		const float *restrict scale = p->scale + c0, *restrict beta = p->beta + c0;
		for (int k = 0; k < len; k++)
			sum_g[c0 + k] = sum_gx[c0 + k] = 0;
		for (size_t r0 = begin; r0 < end; r0 += RUN) {
			size_t r1 = end - r0 < RUN ? end : r0 + RUN;
			float run_g[BLOCK] = { 0 }, run_gx[BLOCK] = { 0 };
			for (size_t q = r0; q < r1; q++) {
				size_t at = q * bn->c + c0;
				const float *xp = p->x + at, *dyp = p->dy + at;
				float *gp = p->out + at;
				if (bn->silu)
					for (int k = 0; k < len; k++)
						gp[k] = dyp[k] * ul_silu_grad((xp[k] - mean[k]) * scale[k] + beta[k]);
				else if (gp != dyp)
					for (int k = 0; k < len; k++)
						gp[k] = dyp[k];
				for (int k = 0; k < len; k++) {
					run_g[k] += gp[k];
					run_gx[k] += gp[k] * ((xp[k] - mean[k]) * invstd[k]);
				}
			}
			for (int k = 0; k < len; k++)
				sum_g[c0 + k] += run_g[k], sum_gx[c0 + k] += run_gx[k];
		}
	}
}

/* The second: out (holding g) becomes dx in place. */
static void input_grad_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_batchnorm *bn = p->bn;
	size_t begin, end;
	piece_pixels(p, i, &begin, &end);
	const float *restrict mean = p->mean, *restrict invstd = p->invstd, *restrict scale = p->scale;
	const float *restrict mdy = p->mean_dy, *restrict mdyx = p->mean_dy_xhat;
	for (size_t q = begin; q < end; q++) {
		const float *restrict xp = p->x + q * bn->c;
		float *restrict gp = p->out + q * bn->c;
		for (int k = 0; k < bn->c; k++) {
			float xhat = (xp[k] - mean[k]) * invstd[k];
			gp[k] = scale[k] * (gp[k] - mdy[k] - xhat * mdyx[k]);
		}
	}
}

/* With g the gradient at the affine output, xhat = (x - mean) * invstd
 * and N = n*h*w, per channel:
 *   dbeta = sum(g), dgamma = sum(g * xhat),
 *   dx = gamma * invstd * (g - dbeta / N - xhat * dgamma / N),
 * the last two terms being the gradient through the mean and the variance. */
void ul_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
			   const float *save_mean, const float *save_invstd, const float *dy, float *dx, float *dgamma,
			   float *dbeta, float *workspace)
{
	float *scale = workspace, *mdy = scale + bn->c, *mdyx = mdy + bn->c;
	for (int ch = 0; ch < bn->c; ch++)
		scale[ch] = gamma[ch] * save_invstd[ch];  /* as the forward had it, so SiLU sees the same u */
	struct pass p = { .bn = bn, .pieces = pieces(bn), .x = x, .dy = dy, .mean = save_mean, .invstd = save_invstd,
			  .scale = scale, .beta = beta, .out = dx, .sums = sums_in(bn, workspace) };
	ul_parallel_for(p.pieces, output_grad_piece, &p);
	size_t np = pixels(bn);
	for (int ch = 0; ch < bn->c; ch++) {
		double sg = 0, sgx = 0;
		for (int i = 0; i < p.pieces; i++) {
			sg += p.sums[(size_t)i * 2 * bn->c + ch];
			sgx += p.sums[(size_t)i * 2 * bn->c + bn->c + ch];
		}
		dbeta[ch] += (float)sg;
		dgamma[ch] += (float)sgx;
		mdy[ch] = (float)(sg / (double)np);
		mdyx[ch] = (float)(sgx / (double)np);
	}
	p.mean_dy = mdy, p.mean_dy_xhat = mdyx;
	ul_parallel_for(p.pieces, input_grad_piece, &p);
}
