/* SiLU against x * sigmoid(x) in double, also at large |x| where a naive
 * sigmoid overflows; its gradient against finite differences of
 * L = sum(y * r); and in-place use.
 * Tolerance: 1e-6 relative (absolute below 1) on [-8, 8]; at large |x|
 * 1e-6 of the value itself, plus FLT_MIN, below which floats lose
 * precision, so the far negative tail is checked for relative accuracy
 * too; 1e-3 for finite differences (float central differences, step 3e-3). */
#include <float.h>
#include <math.h>

#include "nn/silu.h"
#include "numeric.h"
#include "tap.h"

static double silu(double x)
{
	return x / (1 + exp(-x));
}

static double dsilu(double x)
{
	double s = 1 / (1 + exp(-x));
	return s * (1 + x * (1 - s));
}

static int near(float got, double want)
{
	return isfinite(got) && fabs(got - want) <= 1e-6 * fabs(want) + FLT_MIN;
}

#define N 512

static float x[N], r[N], y[N], dx[N], copy[N];

static double loss(void *ctx)
{
	(void)ctx;  /* the arrays above */
	ul_silu_forward(N, x, y);
	return dot(y, r, N);
}

int main(void)
{
	for (size_t i = 0; i < N; i++)
		x[i] = 8 * uniform(), r[i] = uniform();

	ul_silu_forward(N, x, y);
	double worst = 0;
	for (size_t i = 0; i < N; i++)
		worst = worse(worst, rel(y[i], silu(x[i])));
	ok(worst < 1e-6, "forward matches x * sigmoid(x) on [-8, 8] (worst %.2g)", worst);

	static const float big[] = { 10, -10, 15, -15, 30, -30, 88, -88, 89, -89, 104, -104, 1000, -1000, 1e30f, -1e30f, FLT_MAX, -FLT_MAX };
	enum { NBIG = sizeof big / sizeof *big };
	float ybig[NBIG], ones[NBIG], dbig[NBIG];
	for (size_t i = 0; i < NBIG; i++)
		ones[i] = 1;
	ul_silu_forward(NBIG, big, ybig);
	ul_silu_backward(NBIG, big, ones, dbig);
	for (size_t i = 0; i < NBIG; i++) {
		ok(near(ybig[i], silu(big[i])), "silu(%g) = %g", big[i], ybig[i]);
		ok(near(dbig[i], dsilu(big[i])), "silu'(%g) = %g", big[i], dbig[i]);
	}

	ul_silu_backward(N, x, r, dx);
	worst = 0;
	for (size_t i = 0; i < N; i++)
		worst = worse(worst, rel(dx[i], r[i] * dsilu(x[i])));
	ok(worst < 1e-6, "backward matches dy * silu'(x) (worst %.2g)", worst);

	worst = fd_worst(loss, NULL, x, dx, N);
	ok(worst < 1e-3, "dx matches finite differences (worst %.2g)", worst);

	ul_silu_forward(N, x, y);
	memcpy(copy, x, sizeof x);
	ul_silu_forward(N, copy, copy);
	ok(memcmp(copy, y, sizeof y) == 0, "forward in place gives the same y");
	memcpy(copy, r, sizeof r);
	ul_silu_backward(N, x, copy, copy);
	ok(memcmp(copy, dx, sizeof dx) == 0, "backward may overwrite dy");
	return done_testing();
}
