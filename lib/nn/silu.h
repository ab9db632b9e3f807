/* SiLU, y = x * sigmoid(x), per element, and its derivative: the
 * activation of every Ultralytics Conv. Inline, so BatchNorm applies it in
 * the same pass over the map (nn/batchnorm.h) and the loops vectorise. */
#ifndef UL_NN_SILU_H
#define UL_NN_SILU_H

#include <stdint.h>
#include <string.h>

/* 2^k for integer k in [-126, 127], by building the float's exponent.
 * Unsigned arithmetic: a lane out of range, whose result a select drops,
 * must not be undefined behaviour. */
static inline float ul_pow2i(int32_t k)
{
	uint32_t bits = (uint32_t)(k + 127) << 23;
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

/* e^a for a <= 0, within 2 ulp, down into the subnormal floats, in plain
 * arithmetic the compiler vectorises (libm's expf is a call per element):
 * a = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7, and
 * 2^k as two normal halves, so their product rounds once to a subnormal. */
static inline float ul_exp_nonpositive(float a)
{
	a = a < -127.0f ? -127.0f : a;  /* e^-127 rounds to 0 in float */
	const float round = 12582912.0f;  /* 1.5 * 2^23: adding it rounds to an integer */
	float k = (a * 1.44269504f + round) - round;
	float r = (a - k * 0.693145752f) - k * 1.42860677e-6f;  /* ln2 in two parts, for exact products */
	float p = 1 + r * (1 + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
	int32_t half = (int32_t)k / 2;
	return p * ul_pow2i(half) * ul_pow2i((int32_t)k - half);
}

/* exp only ever sees -|x|, so it cannot overflow for large |x|. */
static inline float ul_sigmoid(float x)
{
	float e = ul_exp_nonpositive(x < 0 ? x : -x);
	float numerator = x >= 0 ? 1.0f : e;
	return numerator / (1 + e);
}

static inline float ul_silu(float x)
{
	return x * ul_sigmoid(x);
}

/* d silu / dx = s (1 + x (1 - s)). 1 - s loses bits to cancellation for
 * large x, but only where x (1 - s) is far below 1, so the sum hides it. */
static inline float ul_silu_grad(float x)
{
	float s = ul_sigmoid(x);
	return s * (1 + x * (1 - s));
}

#endif
