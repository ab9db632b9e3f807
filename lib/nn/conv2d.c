#include "nn/conv2d.h"

#include <stdbool.h>
#include <string.h>

#include <cblas.h>

#include "core/parallel.h"
#include "nn/gemm.h"
#include "nn/silu.h"

/* Forward, and backward's input gradient, build and multiply patches a
 * block of rows at a time, each thread in its own block, while they are
 * still in cache. */
#define BLOCK_FLOATS ((size_t)1 << 18)
#define MIN_BLOCK_ROWS 64
/* The weight gradient sums products over blocks of this many patch rows
 * (OpenBLAS runs short sums fastest), in at most GRAD_PIECES pieces fixed
 * by the shape, each into its own copy, added up in order at the end. */
#define GRAD_ROWS 256
#define GRAD_PIECES 8
/* Depthwise backward sums each piece's weight gradient apart, then in
 * order: at most this many pieces, whatever the thread count. */
#define DEPTHWISE_PIECES 16
/* Channels the depthwise loops take at a time: four AVX-512 vectors. */
#define DEPTHWISE_RUN 64
/* A conv with at most this many output channels makes a GEMM too thin to
 * pay for its patches: a direct loop instead, NARROW_RUN output channels,
 * one AVX-512 vector, at a time. */
#define NARROW_OUT 32
#define NARROW_RUN 16
/* Output pixels of an image row it takes at once, away from the edges:
 * their sums run side by side rather than one chain waiting on each add. */
#define NARROW_PIXELS 4

int ul_conv2d_out_h(const struct ul_conv2d *c)
{
	return (c->h + 2 * c->pad - c->k) / c->stride + 1;
}

int ul_conv2d_out_w(const struct ul_conv2d *c)
{
	return (c->w + 2 * c->pad - c->k) / c->stride + 1;
}

/* A 1x1 conv over NHWC is one GEMM on the input as it lies. */
static bool pointwise(const struct ul_conv2d *c)
{
	return c->k == 1 && c->stride == 1 && c->pad == 0 && c->groups == 1;
}

/* One filter per channel: a direct loop beats c_in GEMMs of one row. */
static bool depthwise(const struct ul_conv2d *c)
{
	return c->groups > 1 && c->groups == c->c_in && c->c_out == c->c_in;
}

static bool narrow(const struct ul_conv2d *c)
{
	return c->groups == 1 && c->c_out <= NARROW_OUT && c->c_out % NARROW_RUN == 0;
}

static size_t pixels_out(const struct ul_conv2d *c)
{
	return (size_t)ul_conv2d_out_h(c) * ul_conv2d_out_w(c);
}

/* Columns of one group's patch matrix: (ky, kx, channel), so each tap
 * copies a run of channels that NHWC keeps together. */
static size_t cols(const struct ul_conv2d *c)
{
	return (size_t)c->k * c->k * (c->c_in / c->groups);
}

static size_t weight_floats(const struct ul_conv2d *c)
{
	return (size_t)c->c_out * cols(c);
}

/* Patch rows forward builds before multiplying them. */
static size_t block_rows(const struct ul_conv2d *c)
{
	size_t rows = BLOCK_FLOATS / cols(c);
	return rows < MIN_BLOCK_ROWS ? MIN_BLOCK_ROWS : rows;
}

static size_t blocks(size_t rows, size_t block)
{
	return (rows + block - 1) / block;
}

/* The weight gradient's blocks of patch rows, and its pieces. */
static size_t grad_rows(const struct ul_conv2d *c)
{
	size_t rows = block_rows(c);
	return rows < GRAD_ROWS ? rows : GRAD_ROWS;
}

static int grad_pieces(const struct ul_conv2d *c)
{
	size_t n = blocks((size_t)c->n * pixels_out(c), grad_rows(c));
	return n < GRAD_PIECES ? (int)n : GRAD_PIECES;
}

/* Input rows of one image a block of the input gradient gathers, and the
 * output rows whose patches it reads at most. */
static int dx_rows(const struct ul_conv2d *c)
{
	int budget = (int)(BLOCK_FLOATS / ((size_t)ul_conv2d_out_w(c) * cols(c)));
	int rows = (budget - 1) * c->stride - c->k + 2;
	return rows < 1 ? 1 : rows > c->h ? c->h : rows;
}

static size_t dx_block_floats(const struct ul_conv2d *c)
{
	return (size_t)((dx_rows(c) + c->k - 2) / c->stride + 1) * ul_conv2d_out_w(c) * cols(c);
}

/* A stride-1 conv's input gradient is itself a stride-1 conv, of dy with
 * the kernel flipped and in and out swapped, whose patches of dy, k*k*c_out
 * wide, give the weight gradient too (x^T . patches): with no more outputs
 * than inputs, narrower patches than x's, one build for both gradients,
 * GEMMs that sum over k*k*c_out rather than c_out, and no patch gradient
 * to gather back. */
static bool by_transpose(const struct ul_conv2d *c)
{
	return c->stride == 1 && c->groups == 1 && c->pad < c->k && c->c_out <= c->c_in;
}

static struct ul_conv2d transposed(const struct ul_conv2d *c)
{
	return (struct ul_conv2d){ .n = c->n, .h = ul_conv2d_out_h(c), .w = ul_conv2d_out_w(c), .c_in = c->c_out,
				   .c_out = c->c_in, .k = c->k, .stride = 1, .pad = c->k - 1 - c->pad, .groups = 1 };
}

static int depthwise_pieces(const struct ul_conv2d *c)
{
	return c->n < DEPTHWISE_PIECES ? c->n : DEPTHWISE_PIECES;
}

size_t ul_conv2d_workspace(const struct ul_conv2d *c)
{
	size_t wf = weight_floats(c);
	/* the pieces' weight gradients */
	if (pointwise(c))
		return (size_t)grad_pieces(c) * wf;
	/* the weights and their gradient in tap-major order, then the
	 * depthwise pieces' weight gradients, or the pieces' weight
	 * gradients and then patches */
	if (depthwise(c))
		return (2 + (size_t)depthwise_pieces(c)) * wf;
	size_t threads = (size_t)ul_parallel_threads(), grad = (size_t)grad_pieces(c) * grad_rows(c) * cols(c);
	size_t forward = threads * block_rows(c) * cols(c), dx = threads * dx_block_floats(c);
	if (by_transpose(c)) {
		/* backward's pieces and patches are the transposed conv's */
		struct ul_conv2d t = transposed(c);
		size_t both = (size_t)grad_pieces(&t) * (wf + grad_rows(&t) * cols(&t));
		return 2 * wf + (forward > both ? forward : both);
	}
	size_t patches = grad > forward ? grad : forward;
	return (2 + (size_t)grad_pieces(c)) * wf + (patches > dx ? patches : dx);
}

/* Where weight (o, ci, tap) of OIHW goes in the order the kernels read:
 * (out, ky, kx, in/groups), the patch columns' order, or for depthwise
 * (ky, kx, channel). */
static size_t tap_major(const struct ul_conv2d *c, int o, int ci, int tap)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	return depthwise(c) ? (size_t)tap * c->c_out + o : ((size_t)o * kk + tap) * cg + ci;
}

static void to_tap_major(const struct ul_conv2d *c, const float *w, float *t)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	for (int o = 0; o < c->c_out; o++)
		for (int ci = 0; ci < cg; ci++)
			for (int tap = 0; tap < kk; tap++)
				t[tap_major(c, o, ci, tap)] = w[((size_t)o * cg + ci) * kk + tap];
}

static void add_from_tap_major(const struct ul_conv2d *c, const float *t, float *w)
{
	int cg = c->c_in / c->groups, kk = c->k * c->k;
	for (int o = 0; o < c->c_out; o++)
		for (int ci = 0; ci < cg; ci++)
			for (int tap = 0; tap < kk; tap++)
				w[((size_t)o * cg + ci) * kk + tap] += t[tap_major(c, o, ci, tap)];
}

/* The taps kx in [lo, hi) of a kernel row starting at input column ix0
 * fall inside the image. */
static void inside(const struct ul_conv2d *c, int ix0, int *lo, int *hi)
{
	*lo = ix0 < 0 ? -ix0 : 0;
	*hi = c->w - ix0 < c->k ? c->w - ix0 : c->k;
	if (*hi < *lo)
		*hi = *lo;
}

/* Patch rows [r0, r1) of one group, a row per output pixel counted across
 * the images of x, into patches from its start. With one group the taps
 * of a kernel row are adjacent in NHWC, so each kernel row is one copy. */
static void im2col(const struct ul_conv2d *c, const float *x, int group, size_t r0, size_t r1, float *patches)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	size_t m = pixels_out(c), kk = cols(c), b = r0 / m;
	/* the pixel counted on, not divided out per row: short rows cost
	 * about as much to copy as a division */
	int oy = (int)(r0 % m / ow), ox = (int)(r0 % m % ow);
	for (size_t r = r0; r < r1; r++) {
		int ix0 = ox * c->stride - c->pad, lo, hi;
		const float *image = x + b * c->h * c->w * c->c_in + group * cg;
		float *row = patches + (r - r0) * kk;
		inside(c, ix0, &lo, &hi);
		for (int ky = 0; ky < k; ky++, row += (size_t)k * cg) {
			int iy = oy * c->stride - c->pad + ky;
			if (iy < 0 || iy >= c->h) {
				memset(row, 0, sizeof *row * k * cg);
				continue;
			}
			const float *from = image + ((size_t)iy * c->w + (size_t)(ix0 + lo)) * c->c_in;
			if (lo > 0)
				memset(row, 0, sizeof *row * lo * cg);
			if (c->groups == 1)
				memcpy(row + lo * cg, from, sizeof *row * (hi - lo) * cg);
			else
				for (int kx = lo; kx < hi; kx++)
					memcpy(row + kx * cg, from + (size_t)(kx - lo) * c->c_in, sizeof *row * cg);
			if (hi < k)
				memset(row + hi * cg, 0, sizeof *row * (k - hi) * cg);
		}
		if (++ox == ow) {
			ox = 0;
			if (++oy == oh)
				oy = 0, b++;
		}
	}
}

/* The transpose of im2col for input rows [iy0, iy1) of image b, from
 * the patches of its output rows from oy0 on: each input pixel gathers
 * the patch values that came from it, so blocks of rows never write the
 * same memory. The first group's pass clears the rows first. */
static void col2im(const struct ul_conv2d *c, const float *patches, int oy0, int group, int b, int iy0, int iy1,
		   float *dx)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), cg = c->c_in / c->groups, k = c->k;
	size_t kk = cols(c);
	for (int iy = iy0; iy < iy1; iy++) {
		float *dx_row = dx + ((size_t)b * c->h + iy) * c->w * c->c_in;
		if (group == 0)
			memset(dx_row, 0, sizeof *dx_row * c->w * c->c_in);
		for (int ky = 0; ky < k; ky++) {
			int t = iy + c->pad - ky, oy = t / c->stride;
			if (t < 0 || t % c->stride || oy >= oh)
				continue;
			const float *patch_row = patches + ((size_t)(oy - oy0) * ow) * kk + (size_t)ky * k * cg;
			for (int ox = 0; ox < ow; ox++) {
				int ix0 = ox * c->stride - c->pad, lo, hi;
				inside(c, ix0, &lo, &hi);
				const float *restrict from = patch_row + ox * kk + lo * cg;
				float *restrict to = dx_row + (size_t)(ix0 + lo) * c->c_in + group * cg;
				/* with one group the taps of a kernel row are adjacent in
				 * dx as in the patch: one run, not one per tap */
				if (c->groups == 1)
					for (int j = 0; j < (hi - lo) * cg; j++)
						to[j] += from[j];
				else
					for (int kx = 0; kx < hi - lo; kx++)
						for (int ci = 0; ci < cg; ci++)
							to[(size_t)kx * c->c_in + ci] += from[kx * cg + ci];
			}
		}
	}
}

/* acc[0, len) += a * b over a run of channels: a run of exactly
 * DEPTHWISE_RUN compiles to a fixed count of vector operations, where a
 * loop of unknown length costs more in its set-up (alias checks, tails)
 * than the few vectors a pixel's channels fill. */
static inline void run_madd(float *restrict acc, const float *restrict a, const float *restrict b, int len)
{
	if (len == DEPTHWISE_RUN)
		for (int i = 0; i < DEPTHWISE_RUN; i++)
			acc[i] += a[i] * b[i];
	else
		for (int i = 0; i < len; i++)
			acc[i] += a[i] * b[i];
}

/* Output rows [r0, r1) of a depthwise conv (a row per output image row,
 * counted across the images), with weights tap-major (tap, channel):
 * every loop runs over channels, contiguous in NHWC and in the weights,
 * a run of them at a time summed over the taps in a buffer of their own. */
static void depthwise_forward(const struct ul_conv2d *c, const float *x, const float *taps, float *y, size_t r0,
			      size_t r1)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (size_t r = r0; r < r1; r++) {
		int oy = (int)(r % oh);
		const float *xb = x + r / oh * c->h * c->w * ch;
		for (int ox = 0; ox < ow; ox++)
			for (int c0 = 0; c0 < ch; c0 += DEPTHWISE_RUN) {
				int len = ch - c0 < DEPTHWISE_RUN ? ch - c0 : DEPTHWISE_RUN;
				float acc[DEPTHWISE_RUN] = { 0 };
				for (int ky = 0; ky < k; ky++) {
					int iy = oy * c->stride - c->pad + ky;
					for (int kx = 0; kx < k; kx++) {
						int ix = ox * c->stride - c->pad + kx;
						if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
							continue;
						run_madd(acc, xb + ((size_t)iy * c->w + ix) * ch + c0,
							 taps + (size_t)(ky * k + kx) * ch + c0, len);
					}
				}
				memcpy(y + (r * ow + ox) * ch + c0, acc, sizeof *acc * len);
			}
	}
}

/* Output pixels [ox, ox + count) of output row oy of a narrow conv,
 * count 1 or NARROW_PIXELS (then clear of the left and right edges), with
 * weights (ky, kx, in, out): each input value scales a vector of output
 * channels' weights, a kernel row's taps being one run of input in NHWC
 * as of weights. */
static void narrow_pixels(const struct ul_conv2d *c, const float *xb, const float *weights, float *out, int oy, int ox,
			  int count)
{
	int ci = c->c_in, co = c->c_out, k = c->k, ix0 = ox * c->stride - c->pad, lo, hi;
	size_t step = (size_t)c->stride * ci;
	inside(c, ix0, &lo, &hi);
	for (int o0 = 0; o0 < co; o0 += NARROW_RUN) {
		float a0[NARROW_RUN] = { 0 }, a1[NARROW_RUN] = { 0 }, a2[NARROW_RUN] = { 0 }, a3[NARROW_RUN] = { 0 };
		for (int ky = 0; ky < k; ky++) {
			int iy = oy * c->stride - c->pad + ky;
			if (iy < 0 || iy >= c->h)
				continue;
			const float *restrict xp = xb + ((size_t)iy * c->w + ix0 + lo) * ci;
			const float *restrict wp = weights + (size_t)(ky * k + lo) * ci * co + o0;
			if (count == NARROW_PIXELS)
				for (int j = 0; j < (hi - lo) * ci; j++, wp += co) {
					float x0 = xp[j], x1 = xp[step + j], x2 = xp[2 * step + j], x3 = xp[3 * step + j];
					for (int o = 0; o < NARROW_RUN; o++) {
						a0[o] = ul_madd(x0, wp[o], a0[o]);
						a1[o] = ul_madd(x1, wp[o], a1[o]);
						a2[o] = ul_madd(x2, wp[o], a2[o]);
						a3[o] = ul_madd(x3, wp[o], a3[o]);
					}
				}
			else
				for (int j = 0; j < (hi - lo) * ci; j++, wp += co)
					for (int o = 0; o < NARROW_RUN; o++)
						a0[o] = ul_madd(xp[j], wp[o], a0[o]);
		}
		const float *acc[NARROW_PIXELS] = { a0, a1, a2, a3 };
		for (int q = 0; q < count; q++)
			memcpy(out + (size_t)q * co + o0, acc[q], sizeof a0);
	}
}

/* Output rows [r0, r1) of a narrow conv, a row per output image row
 * counted across the images. */
static void narrow_forward(const struct ul_conv2d *c, const float *x, const float *weights, float *y, size_t r0,
			   size_t r1)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c);
	for (size_t r = r0; r < r1; r++) {
		const float *xb = x + r / oh * c->h * c->w * c->c_in;
		for (int ox = 0; ox < ow;) {
			/* the block's last kernel column inside the image */
			int last = (ox + NARROW_PIXELS - 1) * c->stride - c->pad + c->k - 1;
			int count = ox * c->stride >= c->pad && ox + NARROW_PIXELS <= ow && last < c->w ? NARROW_PIXELS : 1;
			narrow_pixels(c, xb, weights, y + (r * ow + ox) * c->c_out, (int)(r % oh), ox, count);
			ox += count;
		}
	}
}

/* Images [b0, b1): dx for them (cleared first; NULL to skip) and their
 * share of the weight gradient, added to dtaps. */
static void depthwise_backward(const struct ul_conv2d *c, const float *x, const float *taps, const float *dy, float *dx,
			       float *dtaps, int b0, int b1)
{
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), ch = c->c_in, k = c->k;
	for (int b = b0; b < b1; b++) {
		const float *xb = x + (size_t)b * c->h * c->w * ch;
		float *dxb = dx ? dx + (size_t)b * c->h * c->w * ch : NULL;
		if (dxb)
			memset(dxb, 0, sizeof *dxb * c->h * c->w * ch);
		for (int oy = 0; oy < oh; oy++)
			for (int ox = 0; ox < ow; ox++)
				for (int c0 = 0; c0 < ch; c0 += DEPTHWISE_RUN) {
					int len = ch - c0 < DEPTHWISE_RUN ? ch - c0 : DEPTHWISE_RUN;
					const float *g = dy + (((size_t)b * oh + oy) * ow + ox) * ch + c0;
					for (int ky = 0; ky < k; ky++) {
						int iy = oy * c->stride - c->pad + ky;
						for (int kx = 0; kx < k; kx++) {
							int ix = ox * c->stride - c->pad + kx;
							if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w)
								continue;
							size_t at = ((size_t)iy * c->w + ix) * ch + c0, tap = (size_t)(ky * k + kx) * ch + c0;
							run_madd(dtaps + tap, g, xb + at, len);
							if (dxb)
								run_madd(dxb + at, g, taps + tap, len);
						}
					}
				}
	}
}

static void add_bias(const struct ul_conv2d *c, const float *restrict bias, float *restrict y)
{
	size_t m = (size_t)c->n * pixels_out(c);
	for (size_t p = 0; p < m; p++)
		for (int o = 0; o < c->c_out; o++)
			y[p * c->c_out + o] += bias[o];
}

/* total[o] += sum over rows of m[row][o]: the bias gradient. */
static void sum_rows(const float *restrict m, size_t rows, int width, float *restrict total)
{
	for (size_t p = 0; p < rows; p++)
		for (int o = 0; o < width; o++)
			total[o] += m[p * width + o];
}

/* Pieces for `rows` rows of light work. */
static int row_pieces(size_t rows)
{
	return ul_parallel_pieces(rows, 16);
}

/* One pass of a conv over pieces of rows on the thread pool: what every
 * piece function reads. */
struct pass {
	const struct ul_conv2d *c;
	const float *x, *taps, *dy;
	float *y, *patches, *dx, *dtaps;
	int group, pieces;
	size_t rows;
};

/* Forward, piece i: its rows of the output, a block of patches at a time
 * in the piece's own part of the patch buffer. */
static void forward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_conv2d *c = p->c;
	size_t begin, end, block = block_rows(c), kk = cols(c);
	int og = c->c_out / c->groups;
	/* whole blocks, cut where they would be on any number of threads (a
	 * product cut elsewhere rounds differently) */
	ul_parallel_piece((p->rows + block - 1) / block, p->pieces, i, &begin, &end);
	begin *= block, end = end * block < p->rows ? end * block : p->rows;
	float *patches = p->patches + (size_t)i * block * kk;
	for (size_t r0 = begin; r0 < end; r0 += block) {
		size_t r1 = end - r0 < block ? end : r0 + block;
		im2col(c, p->x, p->group, r0, r1, patches);
		/* outputs = patches (rows x kk) . taps_g^T; ldc strides over
		 * every output channel of a pixel */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), og, (int)kk, 1.0f, patches, (int)kk,
			    p->taps + (size_t)p->group * og * kk, (int)kk, 0.0f, p->y + r0 * c->c_out + p->group * og,
			    c->c_out);
	}
}

/* Weight gradient, piece i: its blocks of patch rows, each built in the
 * piece's own part of the patch buffer (a 1x1 conv reads x as it lies),
 * their products summed into the piece's own copy of the gradient. */
static void weight_grad_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_conv2d *c = p->c;
	size_t begin, end, block = grad_rows(c), kk = cols(c), wf = weight_floats(c);
	int og = c->c_out / c->groups;
	ul_parallel_piece(blocks(p->rows, block), p->pieces, i, &begin, &end);
	float *patches = p->patches + (size_t)i * block * kk, *dtaps = p->dtaps + (size_t)i * wf;
	for (size_t r0 = begin * block; r0 < end * block && r0 < p->rows; r0 += block) {
		size_t r1 = p->rows - r0 < block ? p->rows : r0 + block;
		for (int g = 0; g < c->groups; g++) {
			const float *from = p->x + r0 * c->c_in;
			if (!pointwise(c))
				im2col(c, p->x, g, r0, r1, patches), from = patches;
			/* dtaps_g (og x kk) += dy_g^T (og x rows) . patches */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, og, (int)kk, (int)(r1 - r0), 1.0f,
				    p->dy + r0 * c->c_out + g * og, c->c_out, from, (int)kk, r0 == begin * block ? 0.0f : 1.0f,
				    dtaps + (size_t)g * og * kk, (int)kk);
		}
		/* a 1x1 conv's dx = dy . weight for the same rows, while dy is in cache */
		if (pointwise(c) && p->dx)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), c->c_in, c->c_out, 1.0f,
				    p->dy + r0 * c->c_out, c->c_out, p->taps, c->c_in, 0.0f, p->dx + r0 * c->c_in, c->c_in);
	}
}

/* The pieces' weight gradients added in order into y (dweight, or the
 * tap-major gradient), a run of elements each. */
static void weight_sum_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end, wf = weight_floats(p->c);
	ul_parallel_piece(wf, p->pieces, i, &begin, &end);
	for (int piece = 0; piece < grad_pieces(p->c); piece++) {
		const float *restrict from = p->dtaps + (size_t)piece * wf;
		float *restrict to = p->y;
		for (size_t j = begin; j < end; j++)
			to[j] += from[j];
	}
}

/* The weight gradient, added to dweight: tap-major in dtaps' order unless
 * the conv is 1x1, whose weights need no reordering, and whose dx (when
 * asked for, with its weight) comes in the same pass. */
static void weight_grad(const struct ul_conv2d *c, const float *x, const float *dy, float *dweight, float *pieces,
			float *patches, const float *weight, float *dx)
{
	struct pass p = { .c = c, .x = x, .taps = weight, .dy = dy, .patches = patches, .dtaps = pieces, .y = dweight,
			  .dx = dx, .rows = (size_t)c->n * pixels_out(c), .pieces = grad_pieces(c) };
	ul_parallel_for(p.pieces, weight_grad_piece, &p);
	p.pieces = row_pieces(weight_floats(c));
	ul_parallel_for(p.pieces, weight_sum_piece, &p);
}

/* The transposed pass of a stride-1 conv (p->c its transposed conv, whose
 * patches are dy's around each input pixel), piece i: per block of input
 * pixels, the weight gradient in the transposed conv's tap-major order,
 * x^T . patches, into the piece's own copy, and dx = patches . taps^T,
 * from one patch build. */
static void transposed_grad_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_conv2d *t = p->c;
	size_t begin, end, block = grad_rows(t), kk = cols(t), wf = weight_floats(t);
	ul_parallel_piece(blocks(p->rows, block), p->pieces, i, &begin, &end);
	float *patches = p->patches + (size_t)i * block * kk, *dtaps = p->dtaps + (size_t)i * wf;
	for (size_t r0 = begin * block; r0 < end * block && r0 < p->rows; r0 += block) {
		size_t r1 = p->rows - r0 < block ? p->rows : r0 + block;
		im2col(t, p->dy, 0, r0, r1, patches);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t->c_out, (int)kk, (int)(r1 - r0), 1.0f,
			    p->x + r0 * t->c_out, t->c_out, patches, (int)kk, r0 == begin * block ? 0.0f : 1.0f, dtaps,
			    (int)kk);
		if (p->dx)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), t->c_out, (int)kk, 1.0f,
				    patches, (int)kk, p->taps, (int)kk, 0.0f, p->dx + r0 * t->c_out, t->c_out);
	}
}

/* Input gradient, piece i: its blocks of input rows, each from the
 * patches' gradient (dy . taps) for the output rows it draws on, made in
 * the piece's own part of the patch buffer. */
static void input_grad_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	const struct ul_conv2d *c = p->c;
	int oh = ul_conv2d_out_h(c), ow = ul_conv2d_out_w(c), og = c->c_out / c->groups, kk = (int)cols(c);
	int rows = dx_rows(c), per_image = (c->h + rows - 1) / rows;
	size_t begin, end;
	ul_parallel_piece((size_t)c->n * per_image, p->pieces, i, &begin, &end);
	float *patches = p->patches + (size_t)i * dx_block_floats(c);
	for (size_t q = begin; q < end; q++) {
		int b = (int)(q / per_image), iy0 = (int)(q % per_image) * rows;
		int iy1 = c->h - iy0 < rows ? c->h : iy0 + rows;
		/* the output rows whose taps reach [iy0, iy1) */
		int lo = iy0 + c->pad - c->k + 1, oy0 = lo <= 0 ? 0 : (lo + c->stride - 1) / c->stride;
		int oy1 = (iy1 - 1 + c->pad) / c->stride + 1;
		oy1 = oy1 < oh ? oy1 : oh;
		for (int g = 0; g < c->groups; g++) {
			if (oy1 > oy0)
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (oy1 - oy0) * ow, kk, og, 1.0f,
					    p->dy + ((size_t)b * oh + oy0) * ow * c->c_out + g * og, c->c_out,
					    p->taps + (size_t)g * og * kk, kk, 0.0f, patches, kk);
			col2im(c, patches, oy0, g, b, iy0, iy1, p->dx);
		}
	}
}

static void narrow_forward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	narrow_forward(p->c, p->x, p->taps, p->y, begin, end);
}

static void depthwise_forward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end;
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	depthwise_forward(p->c, p->x, p->taps, p->y, begin, end);
}

/* Piece i's images, its weight gradient in its own slot of dtaps. */
static void depthwise_backward_piece(void *ctx, int i)
{
	const struct pass *p = ctx;
	size_t begin, end, wf = weight_floats(p->c);
	ul_parallel_piece(p->rows, p->pieces, i, &begin, &end);
	float *dtaps = p->dtaps + (size_t)i * wf;
	memset(dtaps, 0, sizeof *dtaps * wf);
	depthwise_backward(p->c, p->x, p->taps, p->dy, p->dx, dtaps, (int)begin, (int)end);
}

/* y = conv(x) of a narrow conv, the weights tap-major in taps, turned to
 * (cols, out) in weights. */
static void narrow_conv(const struct ul_conv2d *c, const float *x, const float *taps, float *y, float *weights)
{
	size_t kk = cols(c);
	for (int o = 0; o < c->c_out; o++)
		for (size_t j = 0; j < kk; j++)
			weights[j * c->c_out + o] = taps[o * kk + j];
	struct pass p = { .c = c, .x = x, .taps = weights, .y = y, .rows = (size_t)c->n * ul_conv2d_out_h(c) };
	p.pieces = row_pieces(p.rows);
	ul_parallel_for(p.pieces, narrow_forward_piece, &p);
}

/* y = conv(x) by patches, the weights tap-major in taps. */
static void patch_forward(const struct ul_conv2d *c, const float *x, const float *taps, float *y, float *patches)
{
	struct pass p = { .c = c, .x = x, .taps = taps, .y = y, .patches = patches, .rows = (size_t)c->n * pixels_out(c) };
	size_t blocks = (p.rows + block_rows(c) - 1) / block_rows(c);
	p.pieces = (size_t)ul_parallel_threads() < blocks ? ul_parallel_threads() : (int)blocks;
	for (p.group = 0; p.group < c->groups; p.group++)
		ul_parallel_for(p.pieces, forward_piece, &p);
}

/* The transposed conv's weights tap-major: its filter ci, tap (ky, kx),
 * channel o is the weight (o, ci, k-1-ky, k-1-kx). */
static void to_transposed_taps(const struct ul_conv2d *c, const float *w, float *t)
{
	int kk = c->k * c->k;
	for (int ci = 0; ci < c->c_in; ci++)
		for (int tap = 0; tap < kk; tap++)
			for (int o = 0; o < c->c_out; o++)
				t[((size_t)ci * kk + tap) * c->c_out + o] = w[((size_t)o * c->c_in + ci) * kk + kk - 1 - tap];
}

static void add_from_transposed_taps(const struct ul_conv2d *c, const float *t, float *w)
{
	int kk = c->k * c->k;
	for (int ci = 0; ci < c->c_in; ci++)
		for (int tap = 0; tap < kk; tap++)
			for (int o = 0; o < c->c_out; o++)
				w[((size_t)o * c->c_in + ci) * kk + kk - 1 - tap] += t[((size_t)ci * kk + tap) * c->c_out + o];
}

/* Both gradients of a stride-1 conv in its transposed pass. */
static void transposed_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy,
				float *dx, float *dweight, float *workspace)
{
	struct ul_conv2d t = transposed(c);
	size_t wf = weight_floats(c);
	float *taps = workspace, *dtaps = taps + wf, *pieces = dtaps + wf;
	struct pass p = { .c = &t, .x = x, .taps = taps, .dy = dy, .dx = dx, .dtaps = pieces, .y = dtaps,
			  .patches = pieces + (size_t)grad_pieces(&t) * wf, .rows = (size_t)c->n * c->h * c->w,
			  .pieces = grad_pieces(&t) };
	to_transposed_taps(c, weight, taps);
	ul_parallel_for(p.pieces, transposed_grad_piece, &p);
	memset(dtaps, 0, sizeof *dtaps * wf);
	p.pieces = row_pieces(wf);
	ul_parallel_for(p.pieces, weight_sum_piece, &p);
	add_from_transposed_taps(c, dtaps, dweight);
}

void ul_conv2d_forward(const struct ul_conv2d *c, const float *x, const float *weight, const float *bias, float *y,
		       float *workspace)
{
	if (pointwise(c)) {
		/* y (n h w x c_out) = x (n h w x c_in) . weight^T */
		ul_gemm(false, true, c->n * (int)pixels_out(c), c->c_out, c->c_in, 1.0f, x, c->c_in, weight, c->c_in, 0.0f,
			y, c->c_out);
	} else {
		to_tap_major(c, weight, workspace);
		if (narrow(c)) {
			narrow_conv(c, x, workspace, y, workspace + weight_floats(c));
		} else if (depthwise(c)) {
			struct pass p = { .c = c, .x = x, .taps = workspace, .y = y, .rows = (size_t)c->n * ul_conv2d_out_h(c) };
			p.pieces = row_pieces(p.rows);
			ul_parallel_for(p.pieces, depthwise_forward_piece, &p);
		} else {
			patch_forward(c, x, workspace, y, workspace + 2 * weight_floats(c));
		}
	}
	if (bias)
		add_bias(c, bias, y);
}

void ul_conv2d_backward(const struct ul_conv2d *c, const float *x, const float *weight, const float *dy, float *dx,
			float *dweight, float *dbias, float *workspace)
{
	size_t wf = weight_floats(c);
	if (dbias)
		sum_rows(dy, (size_t)c->n * pixels_out(c), c->c_out, dbias);
	if (pointwise(c)) {
		weight_grad(c, x, dy, dweight, workspace, NULL, weight, dx);
		return;
	}
	if (by_transpose(c)) {
		transposed_backward(c, x, weight, dy, dx, dweight, workspace);
		return;
	}
	float *taps = workspace, *dtaps = workspace + wf, *scratch = dtaps + wf;
	to_tap_major(c, weight, taps);
	memset(dtaps, 0, sizeof *dtaps * wf);
	if (depthwise(c)) {
		struct pass p = { .c = c, .x = x, .taps = taps, .dy = dy, .dx = dx, .dtaps = scratch, .rows = (size_t)c->n,
				  .pieces = depthwise_pieces(c) };
		ul_parallel_for(p.pieces, depthwise_backward_piece, &p);
		for (int i = 0; i < p.pieces; i++)
			for (size_t j = 0; j < wf; j++)
				dtaps[j] += scratch[(size_t)i * wf + j];
	} else {
		float *patches = scratch + (size_t)grad_pieces(c) * wf;
		weight_grad(c, x, dy, dtaps, scratch, patches, NULL, NULL);
		if (dx) {
			int per_image = (c->h + dx_rows(c) - 1) / dx_rows(c);
			struct pass p = { .c = c, .taps = taps, .dy = dy, .dx = dx, .patches = patches };
			p.pieces = c->n * per_image < ul_parallel_threads() ? c->n * per_image : ul_parallel_threads();
			ul_parallel_for(p.pieces, input_grad_piece, &p);
		}
	}
	add_from_tap_major(c, dtaps, dweight);
}
