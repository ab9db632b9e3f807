/* SiLU against x * sigmoid(x) in double, also at large |x| where a naive
 * sigmoid overflows and far into the negative tail where e^x is
 * subnormal; its gradient against finite differences of L = sum(y * r).
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

static float x[N], r[N], y[N], dx[N];

static void forward(size_t n, const float *in, float *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ul_silu(in[i]);
}

static void backward(size_t n, const float *in, const float *dout, float *din)
{
	for (size_t i = 0; i < n; i++)
		din[i] = dout[i] * ul_silu_grad(in[i]);
}

static double loss(void *ctx)
{
	(void)ctx;  /* the arrays above */
	forward(N, x, y);
	return dot(y, r, N);
}

int main(void)
{
	for (size_t i = 0; i < N; i++)
		x[i] = 8 * uniform(), r[i] = uniform();

	forward(N, x, y);
	double worst = 0;
	for (size_t i = 0; i < N; i++)
		worst = worse(worst, rel(y[i], silu(x[i])));
	ok(worst < 1e-6, "forward matches x * sigmoid(x) on [-8, 8] (worst %.2g)", worst);

	static const float big[] = { 10, -10, 15, -15, 30, -30, 80, -80, 88, -88, 89, -89, 95, -95, 100, -100, 104, -104,
				     1000, -1000, 1e30f, -1e30f, FLT_MAX, -FLT_MAX };
	enum { NBIG = sizeof big / sizeof *big };
	float ybig[NBIG], ones[NBIG], dbig[NBIG];
	for (size_t i = 0; i < NBIG; i++)
		ones[i] = 1;
	forward(NBIG, big, ybig);
	backward(NBIG, big, ones, dbig);
	for (size_t i = 0; i < NBIG; i++) {
		ok(near(ybig[i], silu(big[i])), "silu(%g) = %g", big[i], ybig[i]);
		ok(near(dbig[i], dsilu(big[i])), "silu'(%g) = %g", big[i], dbig[i]);
	}

	/* where e^x itself is subnormal, the products of two halves of 2^k
	 * must still give it to the last bit or so */
	double worst_tail = 0;
	for (float a = -103; a <= -86; a += 0.37f) {
		double want = exp((double)a);
		worst_tail = worse(worst_tail, fabs(ul_exp_nonpositive(a) - want) / (want * 1e-6 + 2e-45));
	}
	ok(worst_tail <= 1, "e^x on [-103, -86], subnormal results included, within 1e-6 or one subnormal step (worst %.2g)",
	   worst_tail);

	backward(N, x, r, dx);
	worst = 0;
	for (size_t i = 0; i < N; i++)
		worst = worse(worst, rel(dx[i], r[i] * dsilu(x[i])));
	ok(worst < 1e-6, "backward matches dy * silu'(x) (worst %.2g)", worst);

	worst = fd_worst(loss, NULL, x, dx, N);
	ok(worst < 1e-3, "dx matches finite differences (worst %.2g)", worst);

	return done_testing();
}
