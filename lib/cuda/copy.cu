/* Moving and summing maps on the GPU: the strided per-pixel channel copy
 * that concat and split are made of, to += from, and zeroing. One thread
 * per element, in a grid-stride loop so any size fits the grid; each
 * element is touched by exactly one thread, so results are exact. */
#include "cuda/context.h"
#include "cuda/ops.h"

#define THREADS 256

/* dst[p * dst_stride + ch] = src[p * src_stride + ch] for p < pixels, ch < c. */
static __global__ void channels_copy_kernel(size_t pixels, int c, const float *src, int src_stride, float *dst,
					    int dst_stride)
{
	size_t n = pixels * (size_t)c;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		size_t p = i / (size_t)c, ch = i % (size_t)c;
		dst[p * dst_stride + ch] = src[p * src_stride + ch];
	}
}

static __global__ void add_kernel(size_t n, const float *from, float *to)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		to[i] += from[i];
}

void ul_cuda_channels_copy(size_t pixels, int c, const float *src, int src_stride, float *dst, int dst_stride)
{
	size_t n = pixels * (size_t)c;
	if (!n)
		return;
	unsigned blocks = ul_cuda_blocks(n, THREADS);
	channels_copy_kernel<<<blocks, THREADS, 0, ul_cuda.stream>>>(pixels, c, src, src_stride, dst, dst_stride);
	UL_CUDA_LAUNCHED("channels_copy_kernel");
}

void ul_cuda_add(size_t n, const float *from, float *to)
{
	if (!n)
		return;
	add_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(n, from, to);
	UL_CUDA_LAUNCHED("add_kernel");
}

void ul_cuda_zero(size_t n, float *x)
{
	if (n)
		UL_CUDA_RT(cudaMemsetAsync(x, 0, sizeof *x * n, ul_cuda.stream));
}
