/* Matrix products for the CPU ops: cblas_sgemm's row-major contract, with
 * the rows or the columns of C (whichever are more) shared out over the
 * thread pool. Each element of C is still one dot product summed in the
 * same order, so the bits do not depend on the number of threads. */
#ifndef UL_NN_GEMM_H
#define UL_NN_GEMM_H

#include <stdbool.h>

/* C (m x n) = alpha op(A) op(B) + beta C, op(A) m x k, op(B) k x n; op
 * transposes when asked. */
void ul_gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
	     int ldb, float beta, float *c, int ldc);

#endif
