/* YOLO26's attention core on the GPU, the semantics of nn/attention.h:
 * per image, cuBLAS strided-batched products over the heads (qkv is read in
 * place, each head's q, k and v being column blocks of the NHWC rows) and a
 * softmax kernel, one warp per row.
 *
 * cuBLAS is column-major: a row-major matrix (rows x cols, leading
 * dimension ld) is, to it, its transpose (cols x rows, ld). So every
 * row-major product C = A B below is asked for as C^T = B^T A^T. The heads
 * are evenly spaced within an image (per_head channels of qkv, head_dim of
 * out, N N of probs) but images are not (N qkv rows apart), hence a batched
 * call per image. */
#include <math.h>

#include "cuda/context.h"
#include "cuda/ops.h"

#define WARP 32
#define ROWS_PER_BLOCK 4  /* softmax: a warp per row */
#define ROW_THREADS (WARP * ROWS_PER_BLOCK)
#define THREADS 256

static struct ul_cuda_scratch scratch;  /* backward: one image's dP, then dS, for all heads */

struct shape {
	int np, kd, hd, heads, per_head, c3, co;
	float scale;
};

static struct shape shape_of(const struct ul_attention *a)
{
	struct shape s;
	s.np = a->h * a->w;
	s.kd = a->key_dim;
	s.hd = a->head_dim;
	s.heads = a->heads;
	s.per_head = 2 * a->key_dim + a->head_dim;
	s.c3 = ul_attention_qkv_channels(a);
	s.co = ul_attention_out_channels(a);
	s.scale = (float)pow(a->key_dim, -0.5);  /* the CPU's rounding of key_dim ** -0.5 */
	return s;
}

static __device__ float warp_max(float v)
{
	for (int d = WARP / 2; d > 0; d /= 2) {
		float other = __shfl_xor_sync(0xffffffffu, v, d);
		v = other > v ? other : v;
	}
	return v;
}

/* Butterfly: every lane ends with the same sum, added in the same order. */
static __device__ float warp_sum(float v)
{
	for (int d = WARP / 2; d > 0; d /= 2)
		v += __shfl_xor_sync(0xffffffffu, v, d);
	return v;
}

/* Each row of s (rows of len) becomes its softmax, the row's maximum
 * subtracted first so exp cannot overflow. */
static __global__ void softmax_rows_kernel(float *s, size_t rows, int len)
{
	size_t row = (size_t)blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / WARP;
	int lane = threadIdx.x % WARP;
	if (row >= rows)
		return;  /* the whole warp: shuffles below see all lanes */
	float *r = s + row * len, row_max = -INFINITY, sum = 0;
	for (int j = lane; j < len; j += WARP)
		row_max = r[j] > row_max ? r[j] : row_max;
	row_max = warp_max(row_max);
	for (int j = lane; j < len; j += WARP) {
		float e = expf(r[j] - row_max);
		r[j] = e;
		sum += e;
	}
	float inv = 1 / warp_sum(sum);
	for (int j = lane; j < len; j += WARP)
		r[j] *= inv;
}

/* dp (rows of len) becomes the scores' gradient: ds_ij = p_ij (dp_ij - sum_k p_ik dp_ik). */
static __global__ void softmax_rows_backward_kernel(const float *p, float *dp, size_t rows, int len)
{
	size_t row = (size_t)blockIdx.x * ROWS_PER_BLOCK + threadIdx.x / WARP;
	int lane = threadIdx.x % WARP;
	if (row >= rows)
		return;
	const float *prow = p + row * len;
	float *drow = dp + row * len, dot = 0;
	for (int j = lane; j < len; j += WARP)
		dot += prow[j] * drow[j];
	dot = warp_sum(dot);
	for (int j = lane; j < len; j += WARP)
		drow[j] = prow[j] * (drow[j] - dot);
}

/* Between qkv's v rows and the (n, h, w, heads head_dim) v image, one
 * thread per image element: from qkv into the image when from_qkv, else
 * from the image into qkv's v slots. */
static __global__ void v_copy_kernel(struct shape s, size_t pixels, const float *from, float *to, bool from_qkv)
{
	size_t n = pixels * s.co;
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		size_t pixel = i / s.co;
		int channel = (int)(i % s.co), head = channel / s.hd, d = channel % s.hd;
		size_t slot = pixel * s.c3 + head * s.per_head + 2 * s.kd + d;
		if (from_qkv)
			to[i] = from[slot];
		else
			to[slot] = from[i];
	}
}

/* One cuBLAS product per head, column-major, the heads' matrices stride_* apart. */
static void heads_gemm(const struct shape *s, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
		       float alpha, const float *a, int lda, long long stride_a, const float *b, int ldb,
		       long long stride_b, float beta, float *c, int ldc, long long stride_c)
{
	UL_CUBLAS(cublasSgemmStridedBatched(ul_cuda.blas, op_a, op_b, m, n, k, &alpha, a, lda, stride_a, b, ldb,
					    stride_b, &beta, c, ldc, stride_c, s->heads));
}

static unsigned row_blocks(size_t rows)
{
	return ul_cuda_blocks(rows, ROWS_PER_BLOCK);
}

/* Per head, row-major: P = softmax(scale Q K^T), O = P V, then v copied out. */
void ul_cuda_attention_forward(const struct ul_attention *a, const float *qkv, float *out, float *v, float *probs)
{
	struct shape s = shape_of(a);
	size_t pixels = (size_t)a->n * s.np, pp = (size_t)s.np * s.np;
	if (!pixels || !s.heads)
		return;
	/* the scores S = scale Q K^T, row-major in probs, are to cuBLAS
	 * S^T = scale K Q^T, where K and Q are kd x N: op(A) = A^T with A = K */
	for (int b = 0; b < a->n; b++) {
		const float *q = qkv + (size_t)b * s.np * s.c3, *k = q + s.kd;
		heads_gemm(&s, CUBLAS_OP_T, CUBLAS_OP_N, s.np, s.np, s.kd, s.scale, k, s.c3, s.per_head, q, s.c3,
			   s.per_head, 0, probs + (size_t)b * s.heads * pp, s.np, pp);
	}
	size_t rows = pixels * s.heads;
	softmax_rows_kernel<<<row_blocks(rows), ROW_THREADS, 0, ul_cuda.stream>>>(probs, rows, s.np);
	UL_CUDA_LAUNCHED("softmax_rows_kernel");
	/* O^T = V^T P^T: V^T is hd x N to cuBLAS, P^T is probs as stored */
	for (int b = 0; b < a->n; b++) {
		const float *vh = qkv + (size_t)b * s.np * s.c3 + 2 * s.kd;
		heads_gemm(&s, CUBLAS_OP_N, CUBLAS_OP_N, s.hd, s.np, s.np, 1, vh, s.c3, s.per_head,
			   probs + (size_t)b * s.heads * pp, s.np, pp, 0, out + (size_t)b * s.np * s.co, s.co, s.hd);
	}
	size_t n = pixels * s.co;
	v_copy_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(s, pixels, qkv, v, true);
	UL_CUDA_LAUNCHED("v_copy_kernel");
}

/* Per head, row-major, with dO the head's columns of d_out:
 *   dV = d_v + P^T dO,  dS = softmax'(dO V^T),  dQ = scale dS K,  dK = scale dS^T Q,
 * which writes all of d_qkv. The caller's workspace holds one head's N N;
 * all heads of an image at once need a scratch of heads N N. */
void ul_cuda_attention_backward(const struct ul_attention *a, const float *qkv, const float *probs,
				const float *d_out, const float *d_v, float *d_qkv, float *workspace)
{
	(void)workspace;
	struct shape s = shape_of(a);
	size_t pixels = (size_t)a->n * s.np, pp = (size_t)s.np * s.np;
	if (!pixels || !s.heads)
		return;
	float *ds = (float *)ul_cuda_scratch(&scratch, sizeof(float) * s.heads * pp);
	if (!ds)
		return;
	size_t n = pixels * s.co;
	v_copy_kernel<<<ul_cuda_blocks(n, THREADS), THREADS, 0, ul_cuda.stream>>>(s, pixels, d_v, d_qkv, false);
	UL_CUDA_LAUNCHED("v_copy_kernel");
	size_t rows = (size_t)s.heads * s.np;
	for (int b = 0; b < a->n; b++) {
		size_t in = (size_t)b * s.np * s.c3;
		const float *q = qkv + in, *k = q + s.kd, *vh = k + s.kd;
		float *dq = d_qkv + in, *dk = dq + s.kd, *dvh = dk + s.kd;
		const float *p = probs + (size_t)b * s.heads * pp, *dout = d_out + (size_t)b * s.np * s.co;
		/* dV^T += dO^T P: dO^T is hd x N to cuBLAS, P the transpose of probs as stored */
		heads_gemm(&s, CUBLAS_OP_N, CUBLAS_OP_T, s.hd, s.np, s.np, 1, dout, s.co, s.hd, p, s.np, pp, 1, dvh,
			   s.c3, s.per_head);
		/* dP^T = V dO^T, stored as row-major dP */
		heads_gemm(&s, CUBLAS_OP_T, CUBLAS_OP_N, s.np, s.np, s.hd, 1, vh, s.c3, s.per_head, dout, s.co, s.hd, 0,
			   ds, s.np, pp);
		softmax_rows_backward_kernel<<<row_blocks(rows), ROW_THREADS, 0, ul_cuda.stream>>>(p, ds, rows, s.np);
		UL_CUDA_LAUNCHED("softmax_rows_backward_kernel");
		/* dQ^T = scale K^T dS^T: dS^T is ds as stored */
		heads_gemm(&s, CUBLAS_OP_N, CUBLAS_OP_N, s.kd, s.np, s.np, s.scale, k, s.c3, s.per_head, ds, s.np, pp,
			   0, dq, s.c3, s.per_head);
		/* dK^T = scale Q^T dS */
		heads_gemm(&s, CUBLAS_OP_N, CUBLAS_OP_T, s.kd, s.np, s.np, s.scale, q, s.c3, s.per_head, ds, s.np, pp,
			   0, dk, s.c3, s.per_head);
	}
}
