/* BatchNorm over NHWC maps on the GPU, with SiLU fused when bn->silu is
 * set: the semantics of nn/batchnorm.h, which the CPU's op defines.
 *
 * Per-channel sums come from a fixed grid: the pixels are cut into chunks
 * fixed by the shape, a block sums one chunk for 32 channels (threads
 * along channels, so reads coalesce) in double, and a second kernel adds
 * the chunks' sums in order, so results repeat bit for bit without
 * atomics. The moments sum d = x - x[pixel 0] rather than x: a sample lies
 * within a few deviations of the mean, so sum d^2 - (sum d)^2 / N barely
 * cancels, and it is in double besides.
 * A last elementwise pass normalises (forward) or forms dx (backward),
 * recomputing SiLU's input from x rather than storing it. The chunks' sums
 * and the per-channel factors live in a scratch buffer this file keeps:
 * the caller's workspace is sized for the CPU's thread pieces. */
#include <math.h>

#include "cuda/context.h"
#include "cuda/ops.h"

#define GROUP_CHANNELS 32   /* channels a block covers: one warp across them */
#define ROWS 8              /* warps a block has, each on its own pixels */
#define CHUNK_PIXELS 1024   /* pixels a block sums at least, */
#define MAX_CHUNKS 1024     /* unless that makes more chunks than this */
#define THREADS 256         /* elementwise passes */

static struct ul_cuda_scratch scratch;

/* What every pass reads. */
struct bn_pass {
	int c;
	size_t pixels;
	int chunks;
	float eps, momentum;
	bool silu;
	const float *x, *dy, *gamma, *beta;
	const float *mean, *invstd, *scale;  /* per channel */
	double *sums;                        /* per chunk: two arrays of c */
	float *mean_dy, *mean_dy_xhat;       /* backward, per channel */
};

static __device__ float sigmoid(float x)
{
	float e = expf(-fabsf(x));  /* never overflows */
	return (x >= 0 ? 1.0f : e) / (1 + e);
}

static __device__ float silu(float x)
{
	return x * sigmoid(x);
}

static __device__ float silu_grad(float x)
{
	float s = sigmoid(x);
	return s * fmaf(x, 1 - s, 1);
}

/* How a block's threads cover its chunk: a warp spans min(c, 32) channels,
 * and when c < 32 several pixels side by side, so no lane idles needlessly. */
struct lanes {
	int width;         /* channels a warp spans */
	int across;        /* pixels a warp spans */
	int ch;            /* this thread's channel */
	bool active;
	size_t first, end, step;  /* this thread's pixels */
};

static __device__ struct lanes lanes_of(const struct bn_pass *p)
{
	struct lanes l;
	l.width = p->c < GROUP_CHANNELS ? p->c : GROUP_CHANNELS;
	l.across = GROUP_CHANNELS / l.width;
	int sub = threadIdx.x / l.width;
	l.ch = blockIdx.y * GROUP_CHANNELS + threadIdx.x % l.width;
	l.active = sub < l.across && l.ch < p->c;
	size_t begin = blockIdx.x * p->pixels / p->chunks;
	l.end = (blockIdx.x + 1) * p->pixels / p->chunks;
	l.first = begin + (size_t)threadIdx.y * l.across + sub;
	l.step = (size_t)l.across * ROWS;
	return l;
}

/* The block's per-thread sums a and b, added per channel in a fixed order
 * and stored as this chunk's: sums[chunk][0][ch] and sums[chunk][1][ch]. */
static __device__ void store_chunk_sums(const struct bn_pass *p, const struct lanes *l, double a, double b)
{
	__shared__ double shared_a[ROWS][GROUP_CHANNELS], shared_b[ROWS][GROUP_CHANNELS];
	shared_a[threadIdx.y][threadIdx.x] = a;
	shared_b[threadIdx.y][threadIdx.x] = b;
	__syncthreads();
	if (threadIdx.y != 0 || threadIdx.x >= l->width || !l->active)
		return;
	double sum_a = 0, sum_b = 0;
	for (int r = 0; r < ROWS; r++)
		for (int j = 0; j < l->across; j++) {
			sum_a += shared_a[r][j * l->width + threadIdx.x];
			sum_b += shared_b[r][j * l->width + threadIdx.x];
		}
	double *chunk = p->sums + (size_t)blockIdx.x * 2 * p->c;
	chunk[l->ch] = sum_a;
	chunk[p->c + l->ch] = sum_b;
}

/* Sums of d and d^2 with d = x - x[pixel 0], per chunk. */
static __global__ void moments_kernel(struct bn_pass p)
{
	struct lanes l = lanes_of(&p);
	double s1 = 0, s2 = 0;
	if (l.active) {
		double shift = p.x[l.ch];
		for (size_t q = l.first; q < l.end; q += l.step) {
			double d = (double)p.x[q * p.c + l.ch] - shift;
			s1 += d;
			s2 += d * d;
		}
	}
	store_chunk_sums(&p, &l, s1, s2);
}

/* Per channel: the chunks' sums in order, the batch's mean and invstd
 * (saved), scale = gamma invstd, and the running statistics moved towards
 * the batch's, with the unbiased variance, unless they are NULL. */
static __global__ void statistics_kernel(struct bn_pass p, float *running_mean, float *running_var, float *save_mean,
					 float *save_invstd, float *scale)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= p.c)
		return;
	double s1 = 0, s2 = 0;
	for (int i = 0; i < p.chunks; i++) {
		s1 += p.sums[(size_t)i * 2 * p.c + ch];
		s2 += p.sums[(size_t)i * 2 * p.c + p.c + ch];
	}
	double n = (double)p.pixels, mean = (double)p.x[ch] + s1 / n, m2 = s2 - s1 * s1 / n;
	m2 = m2 > 0 ? m2 : 0;
	save_mean[ch] = (float)mean;
	save_invstd[ch] = (float)(1.0 / sqrt(m2 / n + (double)p.eps));
	scale[ch] = p.gamma[ch] * save_invstd[ch];
	if (running_mean) {
		float mo = p.momentum;
		running_mean[ch] = (1 - mo) * running_mean[ch] + mo * (float)mean;
		running_var[ch] = (1 - mo) * running_var[ch] + mo * (float)(m2 / (n - 1));
	}
}

/* y = (x - mean) * scale + beta, then SiLU if asked; y may be x. */
static __global__ void normalise_kernel(struct bn_pass p, float *y)
{
	size_t n = p.pixels * p.c;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		int ch = (int)(i % p.c);
		float u = (p.x[i] - p.mean[ch]) * p.scale[ch] + p.beta[ch];
		y[i] = p.silu ? silu(u) : u;
	}
}

/* Evaluation: the running statistics' scale, per element; y may be x. */
static __global__ void normalise_eval_kernel(struct bn_pass p, const float *running_var, float *y)
{
	size_t n = p.pixels * p.c;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		int ch = (int)(i % p.c);
		float scale = p.gamma[ch] / sqrtf(running_var[ch] + p.eps);
		float u = (p.x[i] - p.mean[ch]) * scale + p.beta[ch];
		y[i] = p.silu ? silu(u) : u;
	}
}

/* g, the gradient at BatchNorm's output: dy, through SiLU if fused, whose
 * input is recomputed as the forward had it. */
static __device__ float output_grad(const struct bn_pass *p, size_t i, int ch)
{
	float dy = p->dy[i];
	if (!p->silu)
		return dy;
	return dy * silu_grad((p->x[i] - p->mean[ch]) * p->scale[ch] + p->beta[ch]);
}

/* Sums of g and of g xhat per chunk. */
static __global__ void output_grad_sums_kernel(struct bn_pass p)
{
	struct lanes l = lanes_of(&p);
	double sum_g = 0, sum_g_xhat = 0;
	if (l.active) {
		float mean = p.mean[l.ch], invstd = p.invstd[l.ch];
		for (size_t q = l.first; q < l.end; q += l.step) {
			size_t i = q * p.c + l.ch;
			double g = output_grad(&p, i, l.ch);
			sum_g += g;
			sum_g_xhat += g * (double)((p.x[i] - mean) * invstd);
		}
	}
	store_chunk_sums(&p, &l, sum_g, sum_g_xhat);
}

/* Per channel: dbeta += sum g, dgamma += sum g xhat, and both sums' means
 * for dx. */
static __global__ void parameter_grad_kernel(struct bn_pass p, float *dgamma, float *dbeta)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= p.c)
		return;
	double sum_g = 0, sum_g_xhat = 0;
	for (int i = 0; i < p.chunks; i++) {
		sum_g += p.sums[(size_t)i * 2 * p.c + ch];
		sum_g_xhat += p.sums[(size_t)i * 2 * p.c + p.c + ch];
	}
	dbeta[ch] += (float)sum_g;
	dgamma[ch] += (float)sum_g_xhat;
	p.mean_dy[ch] = (float)(sum_g / (double)p.pixels);
	p.mean_dy_xhat[ch] = (float)(sum_g_xhat / (double)p.pixels);
}

/* dx = scale (g - mean(g) - xhat mean(g xhat)); dx may be dy: each element
 * is read before it is written, by the same thread. */
static __global__ void input_grad_kernel(struct bn_pass p, float *dx)
{
	size_t n = p.pixels * p.c;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		int ch = (int)(i % p.c);
		float g = output_grad(&p, i, ch);
		float xhat = (p.x[i] - p.mean[ch]) * p.invstd[ch];
		dx[i] = p.scale[ch] * (g - p.mean_dy[ch] - xhat * p.mean_dy_xhat[ch]);
	}
}

/* scale = gamma * invstd, as the forward formed it, so SiLU sees the same input. */
static __global__ void backward_scale_kernel(struct bn_pass p, float *scale)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch < p.c)
		scale[ch] = p.gamma[ch] * p.invstd[ch];
}

/* The pass's shape and its scratch: the chunks' sums, then three floats per
 * channel (scale, and backward's two means). false when there is nothing
 * to do or no memory for it. */
static bool pass_begin(struct bn_pass *p, const struct ul_batchnorm *bn, float **per_channel)
{
	p->c = bn->c;
	p->pixels = (size_t)bn->n * bn->h * bn->w;
	size_t chunks = (p->pixels + CHUNK_PIXELS - 1) / CHUNK_PIXELS;
	p->chunks = (int)(chunks < 1 ? 1 : chunks > MAX_CHUNKS ? MAX_CHUNKS : chunks);
	p->eps = bn->eps;
	p->momentum = bn->momentum;
	p->silu = bn->silu;
	if (!p->pixels || p->c <= 0)
		return false;
	size_t sums = (size_t)p->chunks * 2 * bn->c;
	char *s = (char *)ul_cuda_scratch(&scratch, sizeof(double) * sums + sizeof(float) * 3 * bn->c);
	if (!s)
		return false;
	p->sums = (double *)s;
	*per_channel = (float *)(s + sizeof(double) * sums);
	return true;
}

static dim3 sums_grid(const struct bn_pass *p)
{
	return dim3((unsigned)p->chunks, (unsigned)((p->c + GROUP_CHANNELS - 1) / GROUP_CHANNELS));
}

void ul_cuda_batchnorm_forward_train(const struct ul_batchnorm *bn, const float *x, const float *gamma,
				     const float *beta, float *running_mean, float *running_var, float *y,
				     float *save_mean, float *save_invstd, float *workspace)
{
	(void)workspace;
	struct bn_pass p = {};
	float *scale;
	if (!pass_begin(&p, bn, &scale))
		return;
	p.x = x, p.gamma = gamma, p.beta = beta;
	moments_kernel<<<sums_grid(&p), dim3(GROUP_CHANNELS, ROWS), 0, ul_cuda.stream>>>(p);
	UL_CUDA_LAUNCHED("moments_kernel");
	unsigned channel_blocks = ul_cuda_blocks(p.c, THREADS);
	statistics_kernel<<<channel_blocks, THREADS, 0, ul_cuda.stream>>>(p, running_mean, running_var, save_mean,
									    save_invstd, scale);
	UL_CUDA_LAUNCHED("statistics_kernel");
	p.mean = save_mean, p.scale = scale;
	size_t n = p.pixels * p.c;
	normalise_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(p, y);
	UL_CUDA_LAUNCHED("normalise_kernel");
}

void ul_cuda_batchnorm_forward_eval(const struct ul_batchnorm *bn, const float *x, const float *gamma,
				    const float *beta, const float *running_mean, const float *running_var, float *y,
				    float *workspace)
{
	(void)workspace;
	struct bn_pass p = {};
	p.c = bn->c;
	p.pixels = (size_t)bn->n * bn->h * bn->w;
	p.eps = bn->eps;
	p.silu = bn->silu;
	p.x = x, p.gamma = gamma, p.beta = beta, p.mean = running_mean;
	size_t n = p.pixels * p.c;
	if (!n)
		return;
	normalise_eval_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(p, running_var, y);
	UL_CUDA_LAUNCHED("normalise_eval_kernel");
}

void ul_cuda_batchnorm_backward(const struct ul_batchnorm *bn, const float *x, const float *gamma, const float *beta,
				const float *save_mean, const float *save_invstd, const float *dy, float *dx,
				float *dgamma, float *dbeta, float *workspace)
{
	(void)workspace;
	struct bn_pass p = {};
	float *per_channel;
	if (!pass_begin(&p, bn, &per_channel))
		return;
	float *scale = per_channel;
	p.x = x, p.dy = dy, p.gamma = gamma, p.beta = beta, p.mean = save_mean, p.invstd = save_invstd, p.scale = scale;
	p.mean_dy = per_channel + p.c, p.mean_dy_xhat = per_channel + 2 * p.c;
	backward_scale_kernel<<<ul_cuda_blocks(p.c, THREADS), THREADS, 0, ul_cuda.stream>>>(p, scale);
	UL_CUDA_LAUNCHED("backward_scale_kernel");
	output_grad_sums_kernel<<<sums_grid(&p), dim3(GROUP_CHANNELS, ROWS), 0, ul_cuda.stream>>>(p);
	UL_CUDA_LAUNCHED("output_grad_sums_kernel");
	parameter_grad_kernel<<<ul_cuda_blocks(p.c, THREADS), THREADS, 0, ul_cuda.stream>>>(p, dgamma, dbeta);
	UL_CUDA_LAUNCHED("parameter_grad_kernel");
	size_t n = p.pixels * p.c;
	input_grad_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(p, dx);
	UL_CUDA_LAUNCHED("input_grad_kernel");
}
