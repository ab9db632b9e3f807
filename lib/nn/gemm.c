#include "nn/gemm.h"

#include <stddef.h>

#include <cblas.h>

#include "core/parallel.h"

/* Below this many multiply-adds a product is not worth a hand-over. */
#define SERIAL_WORK ((size_t)1 << 18)
/* Rows (or columns) a piece keeps at least: narrower strips lose more to
 * OpenBLAS's packing than threads win. */
#define MIN_STRIP 32
/* Strips at most. Their number comes from the shape alone, never from the
 * thread count: OpenBLAS rounds differently for a product cut elsewhere,
 * and a result must not change with the machine's cores. 8 shares evenly
 * among 1, 2, 4 or 8 threads. */
#define MAX_STRIPS 8

struct product {
	bool trans_a, trans_b, split_rows;
	int m, n, k, lda, ldb, ldc, pieces;
	float alpha, beta;
	const float *a, *b;
	float *c;
};

static void strip(void *ctx, int i)
{
	const struct product *p = ctx;
	size_t begin, end;
	ul_parallel_piece((size_t)(p->split_rows ? p->m : p->n), p->pieces, i, &begin, &end);
	int len = (int)(end - begin);
	if (len == 0)
		return;
	const float *a = p->a, *b = p->b;
	float *c = p->c;
	int m = p->m, n = p->n;
	if (p->split_rows) {
		a += p->trans_a ? begin : begin * (size_t)p->lda;
		c += begin * (size_t)p->ldc;
		m = len;
	} else {
		b += p->trans_b ? begin * (size_t)p->ldb : begin;
		c += begin;
		n = len;
	}
	cblas_sgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans, p->trans_b ? CblasTrans : CblasNoTrans, m, n,
		    p->k, p->alpha, a, p->lda, b, p->ldb, p->beta, c, p->ldc);
}

void ul_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
	     int ldb, float beta, float *c, int ldc)
{
	struct product p = { trans_a, trans_b, m >= n, m, n, k, lda, ldb, ldc, 1, alpha, beta, a, b, c };
	int strips = (p.split_rows ? m : n) / MIN_STRIP;
	if ((size_t)m * n * k >= SERIAL_WORK)
		p.pieces = strips < 1 ? 1 : strips < MAX_STRIPS ? strips : MAX_STRIPS;
	ul_parallel_for(p.pieces, strip, &p);
}
