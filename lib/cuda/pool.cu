/* Pooling and resampling on the GPU: max pooling (with the argmax that
 * backward routes by), global average pooling and nearest upsampling,
 * NHWC as on the CPU (nn/maxpool.h, nn/linear.h, nn/upsample.h).
 *
 * Backward passes gather instead of scatter: each input element's thread
 * sums, in the CPU's order, the output gradients that came from it, so no
 * atomics are needed and results repeat bit for bit. */
#include <math.h>

#include "cuda/context.h"
#include "cuda/ops.h"

#define THREADS 256

#define GRID_STRIDE(i, n) \
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

/* One thread per output element. The window is clipped to the image, so
 * padding never wins; it starts from -inf with the argmax at the window's
 * first real pixel, and takes a pixel that is greater or NaN, as the CPU
 * (and PyTorch's CPU kernel) does: ties keep the first, the last NaN wins. */
static __global__ void maxpool_forward_kernel(struct ul_maxpool p, int oh, int ow, const float *x, float *y,
					      int32_t *argmax)
{
	size_t n = (size_t)p.n * oh * ow * p.c;
	GRID_STRIDE(i, n) {
		int ch = (int)(i % p.c);
		size_t pixel = i / p.c;
		int ox = (int)(pixel % ow), oy = (int)(pixel / ow % oh), b = (int)(pixel / ow / oh);
		int y0 = max(oy * p.stride - p.pad, 0), y1 = min(oy * p.stride - p.pad + p.k, p.h);
		int x0 = max(ox * p.stride - p.pad, 0), x1 = min(ox * p.stride - p.pad + p.k, p.w);
		const float *xb = x + (size_t)b * p.h * p.w * p.c + ch;
		float best = -INFINITY;
		int32_t at = y0 * p.w + x0;
		for (int iy = y0; iy < y1; iy++)
			for (int ix = x0; ix < x1; ix++) {
				float v = xb[((size_t)iy * p.w + ix) * p.c];
				if (v > best || isnan(v)) {
					best = v;
					at = iy * p.w + ix;
				}
			}
		y[i] = best;
		if (argmax)
			argmax[i] = at;
	}
}

/* First output row or column whose window (stride s, k wide, pad) holds
 * input row or column i: the least o with o s - pad + k > i. */
static __device__ int first_window(int i, int k, int s, int pad)
{
	int past = i + pad - k + 1;
	return past <= 0 ? 0 : (past + s - 1) / s;
}

/* One thread per input element: the sum of dy over the windows holding it
 * whose argmax names it, in output order, as the CPU adds them. */
static __global__ void maxpool_backward_kernel(struct ul_maxpool p, int oh, int ow, const int32_t *argmax,
					       const float *dy, float *dx)
{
	size_t n = (size_t)p.n * p.h * p.w * p.c;
	GRID_STRIDE(i, n) {
		int ch = (int)(i % p.c);
		size_t pixel = i / p.c;
		int ix = (int)(pixel % p.w), iy = (int)(pixel / p.w % p.h), b = (int)(pixel / p.w / p.h);
		int32_t here = iy * p.w + ix;
		int oy0 = first_window(iy, p.k, p.stride, p.pad), oy1 = min((iy + p.pad) / p.stride, oh - 1);
		int ox0 = first_window(ix, p.k, p.stride, p.pad), ox1 = min((ix + p.pad) / p.stride, ow - 1);
		size_t image = (size_t)b * oh * ow;
		float sum = 0;
		for (int oy = oy0; oy <= oy1; oy++)
			for (int ox = ox0; ox <= ox1; ox++) {
				size_t o = ((image + (size_t)oy * ow + ox) * p.c) + ch;
				if (argmax[o] == here)
					sum += dy[o];
			}
		dx[i] = sum;
	}
}

/* One thread per (image, channel), adding the pixels in order as the CPU
 * does; neighbouring threads read neighbouring channels, so reads coalesce. */
static __global__ void global_avgpool_forward_kernel(struct ul_global_avgpool p, const float *x, float *y)
{
	size_t pixels = (size_t)p.h * p.w;
	GRID_STRIDE(i, (size_t)p.n * p.c) {
		size_t b = i / p.c, ch = i % p.c;
		const float *xb = x + b * pixels * p.c + ch;
		float sum = 0;
		for (size_t q = 0; q < pixels; q++)
			sum += xb[q * p.c];
		y[i] = sum / (float)pixels;
	}
}

static __global__ void global_avgpool_backward_kernel(struct ul_global_avgpool p, const float *dy, float *dx)
{
	size_t pixels = (size_t)p.h * p.w;
	GRID_STRIDE(i, (size_t)p.n * pixels * p.c) {
		size_t ch = i % p.c, b = i / p.c / pixels;
		dx[i] = dy[b * p.c + ch] / (float)pixels;
	}
}

/* One thread per output element: the input pixel it repeats. */
static __global__ void upsample_forward_kernel(struct ul_upsample u, const float *x, float *y)
{
	int f = u.factor, oh = u.h * f, ow = u.w * f;
	GRID_STRIDE(i, (size_t)u.n * oh * ow * u.c) {
		size_t ch = i % u.c, pixel = i / u.c;
		size_t ox = pixel % ow, oy = pixel / ow % oh, b = pixel / ow / oh;
		y[i] = x[((b * u.h + oy / f) * u.w + ox / f) * u.c + ch];
	}
}

/* One thread per input element: the sum of its f x f copies' gradients,
 * row by row, as the CPU adds them. */
static __global__ void upsample_backward_kernel(struct ul_upsample u, const float *dy, float *dx)
{
	int f = u.factor, ow = u.w * f;
	GRID_STRIDE(i, (size_t)u.n * u.h * u.w * u.c) {
		size_t ch = i % u.c, pixel = i / u.c;
		size_t ix = pixel % u.w, row = pixel / u.w;  /* row: b * h + iy */
		const float *g = dy + (row * f * ow + ix * f) * u.c + ch;
		float sum = 0;
		for (int r = 0; r < f; r++)
			for (int j = 0; j < f; j++)
				sum += g[((size_t)r * ow + j) * u.c];
		dx[i] = sum;
	}
}

void ul_cuda_maxpool_forward(const struct ul_maxpool *p, const float *x, float *y, int32_t *argmax)
{
	int oh = ul_maxpool_out_h(p), ow = ul_maxpool_out_w(p);
	size_t n = (size_t)p->n * oh * ow * p->c;
	if (!n)
		return;
	maxpool_forward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*p, oh, ow, x, y, argmax);
	UL_CUDA_LAUNCHED("maxpool_forward_kernel");
}

void ul_cuda_maxpool_backward(const struct ul_maxpool *p, const int32_t *argmax, const float *dy, float *dx)
{
	int oh = ul_maxpool_out_h(p), ow = ul_maxpool_out_w(p);
	size_t n = (size_t)p->n * p->h * p->w * p->c;
	if (!n)
		return;
	maxpool_backward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*p, oh, ow, argmax, dy, dx);
	UL_CUDA_LAUNCHED("maxpool_backward_kernel");
}

void ul_cuda_global_avgpool_forward(const struct ul_global_avgpool *p, const float *x, float *y)
{
	size_t n = (size_t)p->n * p->c;
	if (!n)
		return;
	global_avgpool_forward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*p, x, y);
	UL_CUDA_LAUNCHED("global_avgpool_forward_kernel");
}

void ul_cuda_global_avgpool_backward(const struct ul_global_avgpool *p, const float *dy, float *dx)
{
	size_t n = (size_t)p->n * p->h * p->w * p->c;
	if (!n)
		return;
	global_avgpool_backward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*p, dy, dx);
	UL_CUDA_LAUNCHED("global_avgpool_backward_kernel");
}

void ul_cuda_upsample_forward(const struct ul_upsample *u, const float *x, float *y)
{
	size_t n = (size_t)u->n * u->h * u->factor * u->w * u->factor * u->c;
	if (!n)
		return;
	upsample_forward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*u, x, y);
	UL_CUDA_LAUNCHED("upsample_forward_kernel");
}

void ul_cuda_upsample_backward(const struct ul_upsample *u, const float *dy, float *dx)
{
	size_t n = (size_t)u->n * u->h * u->w * u->c;
	if (!n)
		return;
	upsample_backward_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(*u, dy, dx);
	UL_CUDA_LAUNCHED("upsample_backward_kernel");
}
