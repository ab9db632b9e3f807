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

/* a * b + c, fused where the CPU has the instruction: half the work of
 * the polynomial below, one rounding fewer. C11 mode never fuses on its
 * own, and a libm fmaf without the instruction would be a slow call. */
static inline float ul_madd(float a, float b, float c)
{
#ifdef __FP_FAST_FMAF
	return __builtin_fmaf(a, b, c);
#else
	return a * b + c;
#endif
}

/* e^a for a <= 0, within 2 ulp, down into the subnormal floats, in plain
 * arithmetic the compiler vectorises (libm's expf is a call per element):
 * a = k ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7, and
 * 2^k as 2^(k+64), exact and normal for k >= -190, times 2^-64, so the
 * product rounds once to a subnormal. */
static inline float ul_exp_nonpositive(float a)
{
	a = a < -127.0f ? -127.0f : a;  /* e^-127 rounds to 0 in float */
	const float round = 12582912.0f;  /* 1.5 * 2^23: adding it rounds to an integer */
	float k = ul_madd(a, 1.44269504f, round) - round;
	float r = ul_madd(k, -1.42860677e-6f, ul_madd(k, -0.693145752f, a));  /* ln2 in two parts, for exact products */
	float p = ul_madd(r, 1.0f / 5040, 1.0f / 720);
	p = ul_madd(p, r, 1.0f / 120);
	p = ul_madd(p, r, 1.0f / 24);
	p = ul_madd(p, r, 1.0f / 6);
	p = ul_madd(p, r, 0.5f);
	p = ul_madd(p, r, 1);
	p = ul_madd(p, r, 1);
	return p * ul_pow2i((int32_t)k + 64) * 0x1p-64f;
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
	return s * ul_madd(x, 1 - s, 1);
}

#endif
