/* Linear (nn.Linear) on the GPU with cuBLAS, forward and backward, with
 * the meaning of nn/linear.c: x (n, in) and y (n, out) row-major, the
 * weight in PyTorch's (out, in).
 *
 * cuBLAS is column-major, and a row-major (r x c) matrix is to it the
 * column-major (c x r) one, its transpose: so each product is taken of the
 * transposes, y^T = W . x^T and so on, and each matrix's leading dimension
 * is its row-major row length. The bias is a rank-one update of y with a
 * vector of ones kept on the device, its gradient a GEMV of dy with it. */
#include "cuda/context.h"
#include "cuda/ops.h"

#define THREADS 256

/* Only ones() grows this scratch, so every float of it is 1 once filled. */
static struct ul_cuda_scratch ones_scratch;
static size_t ones_filled;  /* its leading floats that hold 1 */

static const float one = 1.0f, zero = 0.0f;

static __global__ void fill_ones(size_t n, float *__restrict__ v)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		v[i] = 1.0f;
}

/* n ones on the device; NULL with the failure recorded. */
static const float *ones(size_t n)
{
	float *v = (float *)ul_cuda_scratch(&ones_scratch, sizeof *v * n);
	if (!v) {
		ones_filled = 0;  /* a failed growth leaves no block */
		return NULL;
	}
	/* a block that grew is a new one: fill it all */
	if (n > ones_filled) {
		fill_ones<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(n, v);
		if (UL_CUDA_LAUNCHED("linear: a vector of ones"))
			return NULL;
		ones_filled = n;
	}
	return v;
}

void ul_cuda_linear_forward(const struct ul_linear *l, const float *x, const float *weight, const float *bias, float *y)
{
	/* y^T (out x n) = W (out x in: W^T to cuBLAS, transposed back) . x^T (in x n) */
	if (UL_CUBLAS(cublasSgemm(ul_cuda.blas, CUBLAS_OP_T, CUBLAS_OP_N, l->out, l->n, l->in, &one, weight, l->in, x,
				  l->in, &zero, y, l->out)))
		return;
	if (bias) {
		const float *unit = ones((size_t)l->n);
		/* y^T (out x n) += bias (out) . ones (n)^T */
		if (unit)
			UL_CUBLAS(cublasSger(ul_cuda.blas, l->out, l->n, &one, bias, 1, unit, 1, y, l->out));
	}
}

void ul_cuda_linear_backward(const struct ul_linear *l, const float *x, const float *weight, const float *dy, float *dx,
			     float *dweight, float *dbias)
{
	/* dW^T (in x out) += x^T (in x n) . dy (n x out: dy^T to cuBLAS, transposed back); beta 1 accumulates */
	UL_CUBLAS(cublasSgemm(ul_cuda.blas, CUBLAS_OP_N, CUBLAS_OP_T, l->in, l->out, l->n, &one, x, l->in, dy, l->out,
			      &one, dweight, l->in));
	/* dx^T (in x n) = W^T (in x out) . dy^T (out x n), overwritten */
	if (dx)
		UL_CUBLAS(cublasSgemm(ul_cuda.blas, CUBLAS_OP_N, CUBLAS_OP_N, l->in, l->n, l->out, &one, weight, l->in,
				      dy, l->out, &zero, dx, l->in));
	if (dbias) {
		const float *unit = ones((size_t)l->n);
		/* dbias (out) += dy^T (out x n) . ones (n) */
		if (unit)
			UL_CUBLAS(cublasSgemv(ul_cuda.blas, CUBLAS_OP_N, l->out, l->n, &one, dy, l->out, unit, 1, &one,
					      dbias, 1));
	}
}
