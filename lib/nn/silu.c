#include "nn/silu.h"

#include <stdint.h>
#include <string.h>

/* e^x for x in [-87, 87], within 2 ulp, in plain arithmetic the compiler
 * can vectorise (libm's expf is a call per element, a fifth of a training
 * step): x = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7,
 * 2^k by building the float's exponent. */
static inline float exp_bounded(float x)
{
	const float round = 12582912.0f;  /* 1.5 * 2^23: adding it rounds to an integer */
	float k = (x * 1.44269504f + round) - round;
	float r = (x - k * 0.693145752f) - k * 1.42860677e-6f;  /* ln2 in two parts, for exact products */
	float p = 1 + r * (1 + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
	/* unsigned: an argument out of range (in a lane whose result a select
	 * drops) must not be undefined behaviour */
	uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

/* e^a for a <= 0: below -80 in two steps, so the tail still reaches the
 * subnormal floats instead of stopping at the smallest normal one. Both
 * are computed and one chosen: a select, not a branch, keeps the loops
 * vectorised. */
static inline float exp_nonpositive(float a)
{
	a = a < -127.0f ? -127.0f : a;  /* e^-127 is 0 in float */
	float far = exp_bounded(a + 40.0f) * 4.24835426e-18f;  /* e^-40 */
	float near = exp_bounded(a);
	return a < -80.0f ? far : near;
}

/* exp only ever sees -|x|, so it cannot overflow for large |x|. */
static inline float sigmoid(float x)
{
	float e = exp_nonpositive(x < 0 ? x : -x);
	float numerator = x >= 0 ? 1.0f : e;
	return numerator / (1 + e);
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
