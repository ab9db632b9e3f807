#include "nn/silu.h"

#include <math.h>

/* exp only ever sees -|x|, so it cannot overflow to inf for large |x|. */
static float sigmoid(float x)
{
	float e = expf(-fabsf(x));
	return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

void ul_silu_forward(size_t n, const float *x, float *y)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] * sigmoid(x[i]);
}

/* 1 - s loses bits to cancellation for large x, but only where x * (1 - s)
 * is far below 1, so the sum hides it. */
void ul_silu_backward(size_t n, const float *x, const float *dy, float *dx)
{
	for (size_t i = 0; i < n; i++) {
		float s = sigmoid(x[i]);
		dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
	}
}
