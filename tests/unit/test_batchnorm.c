/* BatchNorm2d against its definition summed in double: the batch
 * statistics, the running-statistics update (unbiased variance) and eval
 * mode; and its training-mode gradients, through the batch statistics,
 * against finite differences of L = sum(y * r). Each with SiLU fused and
 * without, on shapes from one piece of pixels to many, so the pieces'
 * sums are combined; the same bits on one thread as on the pool.
 * Tolerance: relative 1e-5 for forward values and statistics (float
 * arithmetic on doubles' sums), 2e-3 for gradients (float central
 * differences with step 3e-3). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/parallel.h"
#include "nn/batchnorm.h"
#include "nn/silu.h"
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
	float *x, *gamma, *beta, *r, *y, *mean, *invstd, *ws;
};

static double activate(const struct ul_batchnorm *bn, double u)
{
	return bn->silu ? u / (1 + exp(-u)) : u;
}

/* L = sum(y * r) of the training forward, running statistics untouched. */
static double loss(void *ctx)
{
	struct fixture *f = ctx;
	ul_batchnorm_forward_train(&f->bn, f->x, f->gamma, f->beta, NULL, NULL, f->y, f->mean, f->invstd, f->ws);
	return dot(f->y, f->r, f->nx);
}

/* dx, dgamma and dbeta from the formula in ul_batchnorm_backward's comment,
 * in double from the definition's statistics, for dL/dy = r. */
static void reference_grads(const struct fixture *f, const float *dx, const float *dg, const float *db, double *worst_dx,
			    double *worst_dgb)
{
	const struct ul_batchnorm *bn = &f->bn;
	size_t np = (size_t)bn->n * bn->h * bn->w;
	double *g = malloc(sizeof *g * np);
	*worst_dx = *worst_dgb = 0;
	for (int ch = 0; ch < bn->c; ch++) {
		double mean, var, sg = 0, sgx = 0;
		stats(bn, f->x, ch, &mean, &var);
		double invstd = 1 / sqrt(var + UL_BATCHNORM_EPS);
		for (size_t p = 0; p < np; p++) {
			double xhat = (f->x[p * bn->c + ch] - mean) * invstd, u = xhat * f->gamma[ch] + f->beta[ch];
			double s = 1 / (1 + exp(-u));
			g[p] = f->r[p * bn->c + ch] * (bn->silu ? s * (1 + u * (1 - s)) : 1);
			sg += g[p], sgx += g[p] * xhat;
		}
		*worst_dgb = worse(*worst_dgb, worse(rel(db[ch], sg), rel(dg[ch], sgx)));
		for (size_t p = 0; p < np; p++) {
			double xhat = (f->x[p * bn->c + ch] - mean) * invstd;
			double want = f->gamma[ch] * invstd * (g[p] - sg / (double)np - xhat * sgx / (double)np);
			*worst_dx = worse(*worst_dx, rel(dx[p * bn->c + ch], want));
		}
	}
	free(g);
}

/* The forward and backward run from inside a piece of a pool loop, where
 * their own loops run in order on one thread. */
struct serial {
	struct fixture *f;
	float *dx, *dg, *db;
};

static void serial_piece(void *ctx, int i)
{
	struct serial *s = ctx;
	struct fixture *f = s->f;
	if (i != 0)
		return;
	ul_batchnorm_forward_train(&f->bn, f->x, f->gamma, f->beta, NULL, NULL, f->y, f->mean, f->invstd, f->ws);
	ul_batchnorm_backward(&f->bn, f->x, f->gamma, f->beta, f->mean, f->invstd, f->r, s->dx, s->dg, s->db, f->ws);
}

static bool same_bits_serial(struct fixture *f, const float *dx_pool)
{
	size_t nc = (size_t)f->bn.c;
	float *y_pool = malloc(sizeof *y_pool * f->nx);
	memcpy(y_pool, f->y, sizeof *y_pool * f->nx);
	struct serial s = { f, malloc(sizeof *s.dx * f->nx), calloc(nc, sizeof *s.dg), calloc(nc, sizeof *s.db) };
	ul_parallel_for(2, serial_piece, &s);
	bool same = !memcmp(y_pool, f->y, sizeof *y_pool * f->nx) && !memcmp(dx_pool, s.dx, sizeof *s.dx * f->nx);
	free(y_pool), free(s.dx), free(s.dg), free(s.db);
	return same;
}

static void run(int n, int h, int w, int c, bool silu, bool gradients, const char *shape)
{
	struct fixture f = { .bn = { .n = n, .h = h, .w = w, .c = c, .eps = UL_BATCHNORM_EPS,
				     .momentum = UL_BATCHNORM_MOMENTUM, .silu = silu } };
	char name[96];
	snprintf(name, sizeof name, "%s%s", shape, silu ? " + SiLU" : "");
	size_t nc = (size_t)c, np = (size_t)n * h * w;
	f.nx = np * nc;
	/* per-channel statistics away from 0 and 1, so a missing shift or scale shows */
	f.x = randoms(f.nx, 0.5f, 2), f.gamma = randoms(nc, 1, 0.5f), f.beta = randoms(nc, 0, 1), f.r = randoms(f.nx, 0, 1);
	f.y = malloc(sizeof *f.y * f.nx), f.mean = malloc(sizeof *f.mean * nc), f.invstd = malloc(sizeof *f.invstd * nc);
	f.ws = malloc(sizeof *f.ws * ul_batchnorm_workspace(&f.bn));
	float *rmean = randoms(nc, 0, 1), *rvar = randoms(nc, 1, 0.5f);
	float *rmean0 = malloc(sizeof *rmean0 * nc), *rvar0 = malloc(sizeof *rvar0 * nc);
	memcpy(rmean0, rmean, sizeof *rmean * nc), memcpy(rvar0, rvar, sizeof *rvar * nc);

	ul_batchnorm_forward_train(&f.bn, f.x, f.gamma, f.beta, rmean, rvar, f.y, f.mean, f.invstd, f.ws);
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
			worst_y = worse(worst_y, rel(f.y[i], activate(&f.bn, (f.x[i] - mean) * invstd * f.gamma[ch] + f.beta[ch])));
		}
	}
	ok(worst_y < 1e-5, "%s: training forward matches the definition (worst %.2g)", name, worst_y);
	ok(worst_stat < 1e-5, "%s: saved mean and invstd are the batch's (worst %.2g)", name, worst_stat);
	ok(worst_rmean < 1e-5, "%s: running mean moves by the momentum (worst %.2g)", name, worst_rmean);
	ok(worst_rvar < 1e-5, "%s: running var moves towards the unbiased variance (worst %.2g)", name, worst_rvar);

	ul_batchnorm_forward_eval(&f.bn, f.x, f.gamma, f.beta, rmean, rvar, f.y, f.ws);
	worst_y = 0;
	for (size_t i = 0; i < f.nx; i++) {
		size_t ch = i % nc;
		double want = activate(&f.bn, (f.x[i] - (double)rmean[ch]) / sqrt((double)rvar[ch] + UL_BATCHNORM_EPS) * f.gamma[ch] + f.beta[ch]);
		worst_y = worse(worst_y, rel(f.y[i], want));
	}
	ok(worst_y < 1e-5, "%s: eval forward uses the running statistics (worst %.2g)", name, worst_y);

	/* dL/dy = r; the saved statistics come from a fresh training forward */
	float *dx = malloc(sizeof *dx * f.nx), *dg = calloc(nc, sizeof *dg), *db = calloc(nc, sizeof *db);
	loss(&f);
	ul_batchnorm_backward(&f.bn, f.x, f.gamma, f.beta, f.mean, f.invstd, f.r, dx, dg, db, f.ws);
	double worst_dx, worst_dgb;
	reference_grads(&f, dx, dg, db, &worst_dx, &worst_dgb);
	ok(worst_dx < 1e-5 && worst_dgb < 1e-4, "%s: gradients match the formula in double (worst dx %.2g, dgamma/dbeta %.2g)",
	   name, worst_dx, worst_dgb);
	ok(same_bits_serial(&f, dx), "%s: the same bits with the pool as on one thread", name);
	if (!gradients)
		goto out;
	double ex = fd_worst(loss, &f, f.x, dx, f.nx), eg = fd_worst(loss, &f, f.gamma, dg, nc), eb = fd_worst(loss, &f, f.beta, db, nc);
	ok(ex < 2e-3, "%s: dx matches finite differences (worst %.2g)", name, ex);
	ok(eg < 2e-3, "%s: dgamma matches finite differences (worst %.2g)", name, eg);
	ok(eb < 2e-3, "%s: dbeta matches finite differences (worst %.2g)", name, eb);

	/* a second backward doubles the parameter gradients; dx in dy's place is the same dx */
	float g0 = dg[0], b0 = db[0];
	float *inplace = malloc(sizeof *inplace * f.nx);
	memcpy(inplace, f.r, sizeof *inplace * f.nx);
	ul_batchnorm_backward(&f.bn, f.x, f.gamma, f.beta, f.mean, f.invstd, inplace, inplace, dg, db, f.ws);
	ok(fabsf(dg[0] - 2 * g0) <= 1e-5f * fmaxf(1, fabsf(g0)) && fabsf(db[0] - 2 * b0) <= 1e-5f * fmaxf(1, fabsf(b0)),
	   "%s: dgamma and dbeta accumulate", name);
	ok(memcmp(inplace, dx, sizeof *dx * f.nx) == 0, "%s: dx may overwrite dy", name);
	free(inplace);
out:
	free(f.x), free(f.gamma), free(f.beta), free(f.r), free(f.y), free(f.mean), free(f.invstd);
	free(rmean), free(rvar), free(rmean0), free(rvar0), free(dx), free(dg), free(db), free(f.ws);
}

int main(void)
{
	for (int silu = 0; silu <= 1; silu++) {
		run(2, 3, 4, 5, silu, true, "2x3x4x5");
		run(1, 1, 7, 3, silu, true, "1x1x7x3");
		run(2, 2, 3, 70, silu, true, "70 channels, past one block");
		run(1, 1, 2, 2, silu, true, "two values per channel");
		run(4, 40, 43, 70, silu, false, "4x40x43x70, many pieces of pixels");
	}
	return done_testing();
}
