/* Shared by the op tests: a seeded random stream, random arrays, and error
 * measures that never lose a NaN (fmax would drop one, and a broken op
 * producing NaN would pass). */
#ifndef UL_TESTS_NUMERIC_H
#define UL_TESTS_NUMERIC_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long numeric_state = 88172645463325252ull;

/* xorshift64: the same numbers on every machine and every run. */
static inline unsigned long long random_bits(void)
{
	numeric_state ^= numeric_state << 13;
	numeric_state ^= numeric_state >> 7;
	numeric_state ^= numeric_state << 17;
	return numeric_state;
}

/* In [-1, 1). */
static inline float uniform(void)
{
	return (float)((random_bits() >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

/* n values offset + spread * uniform(); the caller frees them. */
static inline float *randoms(size_t n, float offset, float spread)
{
	float *p = malloc(sizeof *p * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		p[i] = offset + spread * uniform();
	return p;
}

/* The larger error, NaN counting as the largest. */
static inline double worse(double worst, double err)
{
	return err > worst || isnan(err) ? err : worst;
}

/* |got - want| relative to max(1, |want|). */
static inline double rel(double got, double want)
{
	return fabs(got - want) / fmax(1.0, fabs(want));
}

/* sum(y * r) in double: the loss whose gradient dL/dy is r. */
static inline double dot(const float *y, const float *r, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)y[i] * r[i];
	return sum;
}

/* The worst difference, relative to max(1, |numeric|), between analytic
 * dL/dv and central differences of loss(ctx) with step eps over v's n
 * values; v is nudged in place and restored. */
static inline double fd_worst_at(double (*loss)(void *ctx), void *ctx, float *v, const float *analytic, size_t n, float eps)
{
	double worst = 0;
	for (size_t i = 0; i < n; i++) {
		float keep = v[i];
		v[i] = keep + eps;
		double up = loss(ctx);
		v[i] = keep - eps;
		double down = loss(ctx);
		v[i] = keep;
		double numeric = (up - down) / (2 * eps);
		worst = worse(worst, fabs(numeric - analytic[i]) / fmax(1.0, fabs(numeric)));
	}
	return worst;
}

/* fd_worst_at with the usual step, 3e-3: it balances the truncation error
 * (~step^2, which 1e-2 let reach 3e-3 through C3k2's attention) and float
 * rounding in the loss (~1/step). */
static inline double fd_worst(double (*loss)(void *ctx), void *ctx, float *v, const float *analytic, size_t n)
{
	return fd_worst_at(loss, ctx, v, analytic, n, 3e-3f);
}

/* For a parameter deep in a network, where a single value's differences
 * drown in float rounding: loss(v + h d) - loss(v - h d) over a fixed
 * random +-1 direction d, against what the analytic gradient predicts for
 * the steps float really took, at h = eps and eps / 2 with Richardson's
 * extrapolation cancelling the h^2 truncation term. Returns |ratio - 1|,
 * scaled down where the gradient's elements cancel along d (their sum
 * against the sum of their sizes): the error is then measured against
 * the gradient's size, not against a directional derivative that can be
 * a hundred times smaller than it. */
/* The fixed +-1 direction of fd_directional: a hash of the index. */
static inline float direction(size_t i)
{
	return (i * 2654435761u >> 7) & 1 ? 1.0f : -1.0f;
}

static inline double fd_directional(double (*loss)(void *ctx), void *ctx, float *v, const float *analytic, size_t n,
				    float eps)
{
	float *keep = malloc(sizeof *keep * n);
	memcpy(keep, v, sizeof *keep * n);
	double ratio[2], along = 0, size = 0;
	for (int s = 0; s < 2; s++) {
		float h = s ? eps / 2 : eps;
		double predicted = 0;
		for (size_t i = 0; i < n; i++) {
			v[i] = keep[i] + h * direction(i);
			predicted += analytic[i] * ((double)v[i] - keep[i]);
		}
		double up = loss(ctx);
		for (size_t i = 0; i < n; i++) {
			v[i] = keep[i] - h * direction(i);
			predicted -= analytic[i] * ((double)v[i] - keep[i]);
		}
		double down = loss(ctx);
		ratio[s] = (up - down) / predicted;
	}
	for (size_t i = 0; i < n; i++)
		along += analytic[i] * direction(i), size += fabs(analytic[i]);
	memcpy(v, keep, sizeof *keep * n);
	free(keep);
	return fabs((4 * ratio[1] - ratio[0]) / 3 - 1) * (size > 0 ? fabs(along) / size : 1);
}

#endif
