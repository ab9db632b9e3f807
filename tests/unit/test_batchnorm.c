/* BatchNorm2d against its definition summed in double: the batch
 * statistics, the running-statistics update (unbiased variance) and eval
 * mode; and its training-mode gradients, through the batch statistics,
 * against finite differences of L = sum(y * r).
 * Tolerance: relative 1e-5 for forward values and statistics (float
 * arithmetic on doubles' sums), 2e-3 for gradients (float central
 * differences with step 3e-3). */
#include <math.h>

#include "nn/batchnorm.h"
#include "numeric.h"
#include "tap.h"

/* One channel's mean and biased variance, in double. */
static void stats(const struct ul_batchnorm *bn, const float *x, int ch, double *mean, double *var)
{
	size_t np = (size_t)bn->n * bn->h * bn->w;
	double sum = 0, ss = 0;
	for (size_t p = 0; p < np; p++)
		sum += x[p * bn->c + ch];
	*mean = sum / (double)np;
	for (size_t p = 0; p < np; p++)
		ss += (x[p * bn->c + ch] - *mean) * (x[p * bn->c + ch] - *mean);
	*var = ss / (double)np;
}

/* Everything one shape's checks share. */
struct fixture {
	struct ul_batchnorm bn;
	size_t nx;
	float *x, *gamma, *beta, *r, *y, *mean, *invstd;
};

/* L = sum(y * r) of the training forward, running statistics untouched. */
static double loss(void *ctx)
{
	struct fixture *f = ctx;
	ul_batchnorm_forward_train(&f->bn, f->x, f->gamma, f->beta, NULL, NULL, f->y, f->mean, f->invstd);
	return dot(f->y, f->r, f->nx);
}

static void run(int n, int h, int w, int c, const char *name)
{
	struct fixture f = { .bn = { .n = n, .h = h, .w = w, .c = c, .eps = UL_BATCHNORM_EPS,
				     .momentum = UL_BATCHNORM_MOMENTUM } };
	size_t nc = (size_t)c, np = (size_t)n * h * w;
	f.nx = np * nc;
	/* per-channel statistics away from 0 and 1, so a missing shift or scale shows */
	f.x = randoms(f.nx, 0.5f, 2), f.gamma = randoms(nc, 1, 0.5f), f.beta = randoms(nc, 0, 1), f.r = randoms(f.nx, 0, 1);
	f.y = malloc(sizeof *f.y * f.nx), f.mean = malloc(sizeof *f.mean * nc), f.invstd = malloc(sizeof *f.invstd * nc);
	float *rmean = randoms(nc, 0, 1), *rvar = randoms(nc, 1, 0.5f);
	float *rmean0 = malloc(sizeof *rmean0 * nc), *rvar0 = malloc(sizeof *rvar0 * nc);
	memcpy(rmean0, rmean, sizeof *rmean * nc), memcpy(rvar0, rvar, sizeof *rvar * nc);

	ul_batchnorm_forward_train(&f.bn, f.x, f.gamma, f.beta, rmean, rvar, f.y, f.mean, f.invstd);
	double worst_y = 0, worst_stat = 0, worst_rmean = 0, worst_rvar = 0;
	const double m = UL_BATCHNORM_MOMENTUM;
	for (int ch = 0; ch < c; ch++) {
		double mean, var;
		stats(&f.bn, f.x, ch, &mean, &var);
		double invstd = 1 / sqrt(var + UL_BATCHNORM_EPS);
		worst_stat = worse(worst_stat, worse(rel(f.mean[ch], mean), rel(f.invstd[ch], invstd)));
		worst_rmean = worse(worst_rmean, rel(rmean[ch], (1 - m) * rmean0[ch] + m * mean));
		worst_rvar = worse(worst_rvar, rel(rvar[ch], (1 - m) * rvar0[ch] + m * var * (double)np / (double)(np - 1)));
		for (size_t p = 0; p < np; p++) {
			size_t i = p * nc + ch;
			worst_y = worse(worst_y, rel(f.y[i], (f.x[i] - mean) * invstd * f.gamma[ch] + f.beta[ch]));
		}
	}
	ok(worst_y < 1e-5, "%s: training forward matches the definition (worst %.2g)", name, worst_y);
	ok(worst_stat < 1e-5, "%s: saved mean and invstd are the batch's (worst %.2g)", name, worst_stat);
	ok(worst_rmean < 1e-5, "%s: running mean moves by the momentum (worst %.2g)", name, worst_rmean);
	ok(worst_rvar < 1e-5, "%s: running var moves towards the unbiased variance (worst %.2g)", name, worst_rvar);

	ul_batchnorm_forward_eval(&f.bn, f.x, f.gamma, f.beta, rmean, rvar, f.y);
	worst_y = 0;
	for (size_t i = 0; i < f.nx; i++) {
		size_t ch = i % nc;
		double want = (f.x[i] - (double)rmean[ch]) / sqrt((double)rvar[ch] + UL_BATCHNORM_EPS) * f.gamma[ch] + f.beta[ch];
		worst_y = worse(worst_y, rel(f.y[i], want));
	}
	ok(worst_y < 1e-5, "%s: eval forward uses the running statistics (worst %.2g)", name, worst_y);

	/* dL/dy = r; the saved statistics come from a fresh training forward */
	float *dx = malloc(sizeof *dx * f.nx), *dg = calloc(nc, sizeof *dg), *db = calloc(nc, sizeof *db);
	loss(&f);
	ul_batchnorm_backward(&f.bn, f.x, f.gamma, f.mean, f.invstd, f.r, dx, dg, db);
	double ex = fd_worst(loss, &f, f.x, dx, f.nx), eg = fd_worst(loss, &f, f.gamma, dg, nc), eb = fd_worst(loss, &f, f.beta, db, nc);
	ok(ex < 2e-3, "%s: dx matches finite differences (worst %.2g)", name, ex);
	ok(eg < 2e-3, "%s: dgamma matches finite differences (worst %.2g)", name, eg);
	ok(eb < 2e-3, "%s: dbeta matches finite differences (worst %.2g)", name, eb);

	/* a second backward doubles the parameter gradients; dx in dy's place is the same dx */
	float g0 = dg[0], b0 = db[0];
	float *inplace = malloc(sizeof *inplace * f.nx);
	memcpy(inplace, f.r, sizeof *inplace * f.nx);
	ul_batchnorm_backward(&f.bn, f.x, f.gamma, f.mean, f.invstd, inplace, inplace, dg, db);
	ok(fabsf(dg[0] - 2 * g0) <= 1e-5f * fmaxf(1, fabsf(g0)) && fabsf(db[0] - 2 * b0) <= 1e-5f * fmaxf(1, fabsf(b0)),
	   "%s: dgamma and dbeta accumulate", name);
	ok(memcmp(inplace, dx, sizeof *dx * f.nx) == 0, "%s: dx may overwrite dy", name);

	free(f.x), free(f.gamma), free(f.beta), free(f.r), free(f.y), free(f.mean), free(f.invstd);
	free(rmean), free(rvar), free(rmean0), free(rvar0), free(dx), free(dg), free(db), free(inplace);
}

int main(void)
{
	run(2, 3, 4, 5, "2x3x4x5");
	run(1, 1, 7, 3, "1x1x7x3");
	run(2, 2, 3, 70, "70 channels, past one block");
	run(1, 1, 2, 2, "two values per channel");
	return done_testing();
}
