#include "nn/concat.h"

#include <string.h>

#include "core/parallel.h"
#include "nn/backend.h"

int ul_concat_channels(const struct ul_concat *cat)
{
	int total = 0;
	for (int i = 0; i < cat->nparts; i++)
		total += cat->c[i];
	return total;
}

struct copy {
	size_t pixels;
	int c, src_stride, dst_stride, pieces;
	const float *src;
	float *dst;
};

static void copy_piece(void *ctx, int i)
{
	const struct copy *k = ctx;
	size_t begin, end;
	ul_parallel_piece(k->pixels, k->pieces, i, &begin, &end);
	for (size_t p = begin; p < end; p++)
		memcpy(k->dst + p * k->dst_stride, k->src + p * k->src_stride, sizeof *k->dst * k->c);
}

void ul_channels_copy(size_t pixels, int c, const float *src, int src_stride, float *dst, int dst_stride)
{
	struct copy k = { pixels, c, src_stride, dst_stride, ul_parallel_pieces(pixels * c, 1 << 14), src, dst };
	ul_parallel_for(k.pieces, copy_piece, &k);
}

void ul_concat_forward(const struct ul_concat *cat, const float *const *x, float *y)
{
	int total = ul_concat_channels(cat);
	for (int i = 0, offset = 0; i < cat->nparts; offset += cat->c[i], i++)
		ul_ops->channels_copy(cat->pixels, cat->c[i], x[i], cat->c[i], y + offset, total);
}

void ul_concat_backward(const struct ul_concat *cat, const float *dy, float *const *dx)
{
	int total = ul_concat_channels(cat);
	for (int i = 0, offset = 0; i < cat->nparts; offset += cat->c[i], i++)
		if (dx[i])
			ul_ops->channels_copy(cat->pixels, cat->c[i], dy + offset, total, dx[i], cat->c[i]);
}

void ul_split_forward(const struct ul_concat *cat, const float *x, float *const *y)
{
	ul_concat_backward(cat, x, y);
}

void ul_split_backward(const struct ul_concat *cat, const float *const *dy, float *dx)
{
	ul_concat_forward(cat, dy, dx);
}

struct ul_concat ul_concat_equal(size_t pixels, int parts, int c, int *channels)
{
	for (int i = 0; i < parts; i++)
		channels[i] = c;
	return (struct ul_concat){ pixels, parts, channels };
}
