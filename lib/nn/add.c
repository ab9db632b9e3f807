#include "nn/add.h"

#include "core/parallel.h"

#define GRAIN ((size_t)1 << 14)  /* floats a piece adds at least */

struct sum {
	size_t n;
	const float *from;
	float *to;
	int pieces;
};

static void add_piece(void *ctx, int i)
{
	const struct sum *s = ctx;
	size_t begin, end;
	ul_parallel_piece(s->n, s->pieces, i, &begin, &end);
	const float *restrict from = s->from;
	float *restrict to = s->to;
	for (size_t j = begin; j < end; j++)
		to[j] += from[j];
}

void ul_add(size_t n, const float *from, float *to)
{
	struct sum s = { n, from, to, ul_parallel_pieces(n, GRAIN) };
	ul_parallel_for(s.pieces, add_piece, &s);
}
