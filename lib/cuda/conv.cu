/* Conv2d and ConvTranspose2d on the GPU with cuDNN, forward and backward,
 * with the meaning of nn/conv2d.c and nn/conv_transpose2d.c.
 *
 * Activations are NHWC (cuDNN's CUDNN_TENSOR_NHWC); weights stay in
 * PyTorch's layout, which is cuDNN's NCHW filter format, (out, in/groups,
 * k, k). Each shape gets its descriptors once, and for each pass the first
 * algorithm cuDNN's heuristics offer whose workspace fits (deterministic
 * ones first), kept in a small cache. A transposed conv is the input gradient of the conv that maps its
 * output back to its input, with the same weight: its forward is that
 * conv's backward-data, its backward that conv's forward (dx) and
 * backward-filter (dweight). Kernels here add the bias and sum its
 * gradient, in pieces fixed by the shape so each run gives the same bits. */
#include <string.h>

#include "cuda/context.h"
#include "cuda/ops.h"

/* Shapes whose descriptors and algorithms are kept: a network has a few
 * dozen per input size, so the cache turns over only when sizes keep
 * changing, and then the oldest shape goes. */
#define PLANS 256
/* The most workspace an algorithm may ask for. */
#define WORKSPACE_CAP ((size_t)1 << 30)
/* The bias gradient sums dy's rows in at most BIAS_PIECES pieces of at
 * least BIAS_PIECE_ROWS rows, each block a tile of BIAS_TILE channels (a
 * warp, so reads are coalesced) over BIAS_LANES rows at a time. */
#define BIAS_PIECES 512
#define BIAS_PIECE_ROWS 256
#define BIAS_TILE 32
#define BIAS_LANES 8
#define THREADS 256

enum pass { PASS_FORWARD, PASS_BACKWARD_DATA, PASS_BACKWARD_FILTER, PASSES };

/* One shape's descriptors, and per pass its algorithm once picked. */
struct plan {
	struct ul_conv2d shape;
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	cudnnConvolutionDescriptor_t conv;
	bool picked[PASSES];
	int algo[PASSES];          /* a cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t */
	size_t workspace[PASSES];  /* bytes it needs */
};

static struct plan plans[PLANS];
static unsigned long plans_made;  /* the next new shape goes in slot plans_made % PLANS */
static struct ul_cuda_scratch workspace_scratch, bias_scratch;

static const float one = 1.0f, zero = 0.0f;

static bool same_shape(const struct ul_conv2d *a, const struct ul_conv2d *b)
{
	return a->n == b->n && a->h == b->h && a->w == b->w && a->c_in == b->c_in && a->c_out == b->c_out &&
	       a->k == b->k && a->stride == b->stride && a->pad == b->pad && a->groups == b->groups;
}

static void destroy_plan(struct plan *p)
{
	if (p->x)
		UL_CUDNN(cudnnDestroyTensorDescriptor(p->x));
	if (p->y)
		UL_CUDNN(cudnnDestroyTensorDescriptor(p->y));
	if (p->w)
		UL_CUDNN(cudnnDestroyFilterDescriptor(p->w));
	if (p->conv)
		UL_CUDNN(cudnnDestroyConvolutionDescriptor(p->conv));
	memset(p, 0, sizeof *p);
}

/* 0, or -1 with the failure recorded. */
static int describe(struct plan *p, const struct ul_conv2d *c)
{
	p->shape = *c;
	if (UL_CUDNN(cudnnCreateTensorDescriptor(&p->x)) || UL_CUDNN(cudnnCreateTensorDescriptor(&p->y)) ||
	    UL_CUDNN(cudnnCreateFilterDescriptor(&p->w)) || UL_CUDNN(cudnnCreateConvolutionDescriptor(&p->conv)))
		return -1;
	/* cuDNN takes sizes as (n, c, h, w) whatever the layout; its NCHW
	 * filter is PyTorch's (out, in/groups, k, k) */
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups;
	cudnnTensorFormat_t nhwc = CUDNN_TENSOR_NHWC;
	if (UL_CUDNN(cudnnSetTensor4dDescriptor(p->x, nhwc, CUDNN_DATA_FLOAT, c->n, c->c_in, c->h, c->w)) ||
	    UL_CUDNN(cudnnSetTensor4dDescriptor(p->y, nhwc, CUDNN_DATA_FLOAT, c->n, c->c_out, oh, ow)) ||
	    UL_CUDNN(cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, c->c_out, cg, c->k, c->k)))
		return -1;
	if (UL_CUDNN(cudnnSetConvolution2dDescriptor(p->conv, c->pad, c->pad, c->stride, c->stride, 1, 1,
						     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT)) ||
	    UL_CUDNN(cudnnSetConvolutionGroupCount(p->conv, c->groups)))
		return -1;
	/* fp32 means fp32: CUDNN_DEFAULT_MATH lets Ampere and later run float
	 * convs in TF32 on tensor cores, FMA math does not. Mixed precision
	 * (amp, TF32 by choice) is future work. */
	return UL_CUDNN(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
}

/* The shape's plan, made on first sight; NULL with the failure recorded. */
static struct plan *plan_of(const struct ul_conv2d *c)
{
	unsigned long used = plans_made < PLANS ? plans_made : PLANS;
	for (unsigned long i = 0; i < used; i++)
		if (same_shape(&plans[i].shape, c))
			return &plans[i];
	struct plan *p = &plans[plans_made % PLANS];
	destroy_plan(p);
	if (describe(p, c)) {
		destroy_plan(p);
		return NULL;
	}
	plans_made++;
	return p;
}

/* An offer cuDNN can run in the workspace allowed, in true fp32, and (in
 * the first round) that gives the same bits every run (no atomics), so a
 * seeded run repeats as the CPU's does; a shape with no such offer takes
 * the best of the others in a second round. */
static bool usable(cudnnStatus_t status, size_t memory, cudnnMathType_t math, cudnnDeterminism_t determinism, int round)
{
	return status == CUDNN_STATUS_SUCCESS && memory <= WORKSPACE_CAP && math == CUDNN_FMA_MATH &&
	       (round > 0 || determinism == CUDNN_DETERMINISTIC);
}

/* The pass's algorithm: the first offer usable, ranked by cuDNN's
 * heuristics (no timed trials, so no waiting), and the workspace it needs
 * with the plan's math type. 0, or -1 with the failure recorded. */
static int pick(struct plan *p, enum pass pass)
{
	cudnnHandle_t dnn = ul_cuda.dnn;
	int found = 0, algo = -1;
	size_t bytes = 0;
	if (pass == PASS_FORWARD) {
		cudnnConvolutionFwdAlgoPerf_t offers[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
		if (UL_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(dnn, p->x, p->w, p->conv, p->y,
								     CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, offers)))
			return -1;
		for (int round = 0; round < 2 && algo < 0; round++)
			for (int i = 0; i < found && algo < 0; i++)
				if (usable(offers[i].status, offers[i].memory, offers[i].mathType, offers[i].determinism, round))
					algo = offers[i].algo;
		if (algo >= 0 &&
		    UL_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(dnn, p->x, p->w, p->conv, p->y,
								     (cudnnConvolutionFwdAlgo_t)algo, &bytes)))
			return -1;
	} else if (pass == PASS_BACKWARD_DATA) {
		cudnnConvolutionBwdDataAlgoPerf_t offers[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
		if (UL_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(dnn, p->w, p->y, p->conv, p->x,
									 CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &found,
									 offers)))
			return -1;
		for (int round = 0; round < 2 && algo < 0; round++)
			for (int i = 0; i < found && algo < 0; i++)
				if (usable(offers[i].status, offers[i].memory, offers[i].mathType, offers[i].determinism, round))
					algo = offers[i].algo;
		if (algo >= 0 &&
		    UL_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(dnn, p->w, p->y, p->conv, p->x,
									  (cudnnConvolutionBwdDataAlgo_t)algo, &bytes)))
			return -1;
	} else {
		cudnnConvolutionBwdFilterAlgoPerf_t offers[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
		if (UL_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(dnn, p->x, p->y, p->conv, p->w,
									   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
									   &found, offers)))
			return -1;
		for (int round = 0; round < 2 && algo < 0; round++)
			for (int i = 0; i < found && algo < 0; i++)
				if (usable(offers[i].status, offers[i].memory, offers[i].mathType, offers[i].determinism, round))
					algo = offers[i].algo;
		if (algo >= 0 &&
		    UL_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(dnn, p->x, p->y, p->conv, p->w,
									    (cudnnConvolutionBwdFilterAlgo_t)algo,
									    &bytes)))
			return -1;
	}
	if (algo < 0) {
		ul_cuda_fail("conv2d", "cuDNN offers no fp32 algorithm for this shape within the workspace cap");
		return -1;
	}
	p->algo[pass] = algo;
	p->workspace[pass] = bytes;
	p->picked[pass] = true;
	return 0;
}

/* The shape's plan with the pass's algorithm picked, and in *workspace
 * room for it (NULL when it needs none); NULL with the failure recorded. */
static struct plan *ready(const struct ul_conv2d *c, enum pass pass, void **workspace)
{
	struct plan *p = plan_of(c);
	if (!p || (!p->picked[pass] && pick(p, pass)))
		return NULL;
	/* asked for 0 bytes, the scratch may answer NULL, which cuDNN takes */
	*workspace = ul_cuda_scratch(&workspace_scratch, p->workspace[pass]);
	return p->workspace[pass] && !*workspace ? NULL : p;
}

/* y (pixels, c) += bias, the same c values at every pixel. */
static __global__ void add_bias_kernel(size_t total, int c, const float *__restrict__ bias, float *__restrict__ y)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < total; i += (size_t)gridDim.x * blockDim.x)
		y[i] += bias[i % c];
}

static void add_bias(size_t pixels, int c, const float *bias, float *y)
{
	size_t total = pixels * c;
	add_bias_kernel<<<ul_cuda_blocks(total, THREADS), THREADS, 0, ul_cuda.stream>>>(total, c, bias, y);
	UL_CUDA_LAUNCHED("conv: adding the bias");
}

/* The sum of dy's rows in piece blockIdx.y of `pieces`, for the channels
 * of tile blockIdx.x: thread row threadIdx.y takes every BIAS_LANES-th
 * row, then the tile's first thread row adds the lanes in order. */
static __global__ void bias_partials(size_t rows, int c, int pieces, const float *__restrict__ dy,
				     float *__restrict__ partials)
{
	__shared__ float lanes[BIAS_LANES][BIAS_TILE];
	int ch = blockIdx.x * BIAS_TILE + threadIdx.x;
	size_t begin = rows * blockIdx.y / pieces, end = rows * (blockIdx.y + 1) / pieces;
	float sum = 0.0f;
	if (ch < c)
		for (size_t r = begin + threadIdx.y; r < end; r += BIAS_LANES)
			sum += dy[r * c + ch];
	lanes[threadIdx.y][threadIdx.x] = sum;
	__syncthreads();
	if (threadIdx.y == 0 && ch < c) {
		for (int lane = 1; lane < BIAS_LANES; lane++)
			sum += lanes[lane][threadIdx.x];
		partials[(size_t)blockIdx.y * c + ch] = sum;
	}
}

/* dbias += the pieces' sums, added in order. */
static __global__ void bias_total(int c, int pieces, const float *__restrict__ partials, float *__restrict__ dbias)
{
	int ch = blockIdx.x * blockDim.x + threadIdx.x;
	if (ch >= c)
		return;
	float sum = 0.0f;
	for (int i = 0; i < pieces; i++)
		sum += partials[(size_t)i * c + ch];
	dbias[ch] += sum;
}

/* dbias (c) += the column sums of dy (rows, c). */
static void add_bias_grad(size_t rows, int c, const float *dy, float *dbias)
{
	size_t pieces = (rows + BIAS_PIECE_ROWS - 1) / BIAS_PIECE_ROWS;
	pieces = pieces < 1 ? 1 : pieces > BIAS_PIECES ? BIAS_PIECES : pieces;
	float *partials = (float *)ul_cuda_scratch(&bias_scratch, sizeof *partials * pieces * c);
	if (!partials)
		return;
	dim3 tile(BIAS_TILE, BIAS_LANES), grid((c + BIAS_TILE - 1) / BIAS_TILE, (unsigned)pieces);
	bias_partials<<<grid, tile, 0, ul_cuda.stream>>>(rows, c, (int)pieces, dy, partials);
	if (UL_CUDA_LAUNCHED("conv: the bias gradient's pieces"))
		return;
	bias_total<<<ul_cuda_blocks(c, THREADS), THREADS, 0, ul_cuda.stream>>>(c, (int)pieces, partials, dbias);
	UL_CUDA_LAUNCHED("conv: the bias gradient");
}

static size_t pixels_out(const struct ul_conv2d *c)
{
	return (size_t)c->n * ul_conv2d_out_h(c) * ul_conv2d_out_w(c);
}

/* y = conv(x) (overwritten). */
static void conv_forward(const struct ul_conv2d *c, const float *x, const float *weight, float *y)
{
	void *ws;
	struct plan *p = ready(c, PASS_FORWARD, &ws);
	if (p)
		UL_CUDNN(cudnnConvolutionForward(ul_cuda.dnn, &one, p->x, x, p->w, weight, p->conv,
						 (cudnnConvolutionFwdAlgo_t)p->algo[PASS_FORWARD], ws,
						 p->workspace[PASS_FORWARD], &zero, p->y, y));
}

/* dx = the input gradient from dy (overwritten). */
static void conv_backward_data(const struct ul_conv2d *c, const float *weight, const float *dy, float *dx)
{
	void *ws;
	struct plan *p = ready(c, PASS_BACKWARD_DATA, &ws);
	if (p)
		UL_CUDNN(cudnnConvolutionBackwardData(ul_cuda.dnn, &one, p->w, weight, p->y, dy, p->conv,
						      (cudnnConvolutionBwdDataAlgo_t)p->algo[PASS_BACKWARD_DATA], ws,
						      p->workspace[PASS_BACKWARD_DATA], &zero, p->x, dx));
}

/* dweight += the weight gradient from x and dy (beta 1: accumulated). */
static void conv_backward_filter(const struct ul_conv2d *c, const float *x, const float *dy, float *dweight)
{
	void *ws;
	struct plan *p = ready(c, PASS_BACKWARD_FILTER, &ws);
	if (p)
		UL_CUDNN(cudnnConvolutionBackwardFilter(ul_cuda.dnn, &one, p->x, x, p->y, dy, p->conv,
							(cudnnConvolutionBwdFilterAlgo_t)p->algo[PASS_BACKWARD_FILTER],
							ws, p->workspace[PASS_BACKWARD_FILTER], &one, p->w, dweight));
}

/* The `workspace` arguments are sized for the CPU's patches; cuDNN's
 * workspace is this file's own scratch. */
void ul_cuda_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
			    float *workspace)
{
	(void)workspace;
	conv_forward(c, x, weight, y);
	if (bias)
		add_bias(pixels_out(c), c->c_out, bias, y);
}

void ul_cuda_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			     float *dweight, float *dbias, float *workspace)
{
	(void)workspace;
	if (dbias)
		add_bias_grad(pixels_out(c), c->c_out, dy, dbias);
	conv_backward_filter(c, x, dy, dweight);
	if (dx)
		conv_backward_data(c, weight, dy, dx);
}

/* The conv a transposed conv is the input gradient of: from the transposed
 * conv's output (n, oh, ow, c_out) to its input (n, h, w, c_in), whose
 * weight (out, in, k, k) is the transposed conv's (c_in, c_out, k, k). */
static struct ul_conv2d conv_of(const struct ul_conv_transpose2d *t)
{
	struct ul_conv2d c;
	c.n = t->n;
	c.h = ul_conv_transpose2d_out_h(t);
	c.w = ul_conv_transpose2d_out_w(t);
	c.c_in = t->c_out;
	c.c_out = t->c_in;
	c.k = t->k;
	c.stride = t->stride;
	c.pad = 0;
	c.groups = 1;
	return c;
}

void ul_cuda_conv_transpose2d_forward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				      const float *bias, float *y, float *workspace)
{
	(void)workspace;
	struct ul_conv2d conv = conv_of(c);
	/* every output pixel is written, those no input reaches (s > k) with 0 */
	conv_backward_data(&conv, weight, x, y);
	if (bias)
		add_bias((size_t)conv.n * conv.h * conv.w, c->c_out, bias, y);
}

void ul_cuda_conv_transpose2d_backward(const struct ul_conv_transpose2d *c, const float *x, const float *weight,
				       const float *dy, float *dx, float *dweight, float *dbias, float *workspace)
{
	(void)workspace;
	struct ul_conv2d conv = conv_of(c);
	if (dbias)
		add_bias_grad((size_t)conv.n * conv.h * conv.w, c->c_out, dy, dbias);
	/* to the conv, dy is the input and x the output's gradient */
	conv_backward_filter(&conv, dy, x, dweight);
	if (dx)
		conv_forward(&conv, dy, weight, dx);
}
