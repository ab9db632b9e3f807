#include "train/optim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/parallel.h"
#include "nn/gemm.h"

#define ADAM_BETA2 0.999
#define ADAM_EPS 1e-8f
#define RMSPROP_ALPHA 0.99
#define NADAM_MOMENTUM_DECAY 4e-3
#define AUTO_ITERATIONS 10000
/* MuSGD's weights of its two updates, as the trainer builds it */
#define MUSGD_MUON 0.2
#define MUSGD_SGD 1.0
#define NEWTON_SCHULZ_STEPS 5
#define NEWTON_SCHULZ_EPS 1e-7

static const char *const kind_names[] = { "SGD", "MuSGD", "Adam", "AdamW", "NAdam", "RAdam", "RMSprop", "Adamax" };

int ul_optim_kind_from_name(const char *name, enum ul_optim_kind *kind)
{
	for (size_t k = 0; k < sizeof kind_names / sizeof *kind_names; k++)
		if (!strcasecmp(name, kind_names[k])) {
			*kind = (enum ul_optim_kind)k;
			return 0;
		}
	return -1;
}

const char *ul_optim_kind_name(enum ul_optim_kind kind)
{
	return kind_names[kind];
}

struct ul_optim_choice ul_optim_auto(size_t n_train, int batch, int nbs, int epochs, int nc)
{
	size_t per_step = (size_t)(batch > nbs ? batch : nbs);
	size_t iterations = (n_train + per_step - 1) / per_step * (size_t)epochs;
	if (iterations > AUTO_ITERATIONS)
		return (struct ul_optim_choice){ UL_OPTIM_MUSGD, 0.01, 0.9, true };
	return (struct ul_optim_choice){ UL_OPTIM_ADAMW, round(0.002 * 5 / (4 + nc) * 1e6) / 1e6, 0.9, true };
}

static bool adam_family(enum ul_optim_kind kind)
{
	return kind != UL_OPTIM_SGD && kind != UL_OPTIM_MUSGD && kind != UL_OPTIM_RMSPROP;
}

/* --- the groups ----------------------------------------------------------- */

enum base_group { WEIGHT, BN, BIAS, MUON };
static const char *const base_names[] = { "weight", "bn", "bias", "muon" };

/* A normalisation layer's parameter: its module keeps running statistics. */
static bool in_norm_layer(const struct ul_tensor_table *t, const char *name)
{
	const char *dot = strrchr(name, '.');
	char stats[UL_TENSOR_NAME + 16];
	snprintf(stats, sizeof stats, "%.*s.running_mean", dot ? (int)(dot - name) : 0, name);
	const struct ul_tensor_spec *s = ul_tensor_find(t, stats);
	return s && s->buffer;
}

/* The head is the last layer: the highest N of "model.N.". */
static int last_layer(const struct ul_tensor_table *t)
{
	int last = -1;
	for (size_t i = 0; i < t->n; i++) {
		int layer;
		if (sscanf(t->specs[i].name, "model.%d.", &layer) == 1 && layer > last)
			last = layer;
	}
	return last;
}

/* MuSGD's 3x lr: the head's classification branches. */
static bool boosted(const char *name, int head)
{
	char cv3[32], one2one[48];
	snprintf(cv3, sizeof cv3, "model.%d.cv3.", head);
	snprintf(one2one, sizeof one2one, "model.%d.one2one_cv3.", head);
	return !strncmp(name, cv3, strlen(cv3)) || !strncmp(name, one2one, strlen(one2one)) ||
	       strstr(name, "proto.semseg");
}

static enum base_group classify(const struct ul_tensor_table *t, const struct ul_tensor_spec *s, bool use_muon)
{
	if (use_muon && (s->ndim == 2 || s->ndim == 4))
		return MUON;
	if (strstr(s->name, "bias"))
		return BIAS;
	if (in_norm_layer(t, s->name) || strstr(s->name, "logit_scale"))
		return BN;
	return WEIGHT;
}

static void build_groups(struct ul_optim *o, double lr, double momentum, double weight_decay)
{
	bool use_muon = o->kind == UL_OPTIM_MUSGD;
	int split = use_muon ? 2 : 1, head = last_layer(o->table);
	o->ngroups = use_muon ? 8 : 3;
	for (int j = 0; j < o->ngroups; j++) {
		enum base_group base = (enum base_group)(j / split);
		bool boost = use_muon && j % 2 == 0;
		struct ul_optim_group *g = &o->groups[j];
		*g = (struct ul_optim_group){
			.name = base_names[base],
			.boosted = boost,
			.muon = base == MUON,
			.has_momentum = !adam_family(o->kind),
			.initial_lr = boost ? 3 * lr : lr,
			.momentum = adam_family(o->kind) ? 0 : momentum,
			.weight_decay = base == WEIGHT || base == MUON ? weight_decay : 0,
			.betas = { adam_family(o->kind) ? momentum : 0, adam_family(o->kind) ? ADAM_BETA2 : 0 },
			.mu_product = 1,
		};
		g->lr = g->initial_lr;
	}
	for (size_t i = 0; i < o->table->n; i++) {
		const struct ul_tensor_spec *s = &o->table->specs[i];
		if (s->buffer) {
			o->group[i] = -1;
			continue;
		}
		int j = (int)classify(o->table, s, use_muon) * split + (use_muon && !boosted(s->name, head));
		o->group[i] = (signed char)j;
		o->groups[j].ntensors++;
	}
}

/* --- building ------------------------------------------------------------- */

/* Rows and columns of the matrix Newton-Schulz works on: (out, rest), wide. */
static void muon_matrix(const struct ul_tensor_spec *s, size_t *rows, size_t *cols)
{
	size_t out = (size_t)s->shape[0], rest = ul_tensor_numel(s) / out;
	*rows = out < rest ? out : rest;
	*cols = out < rest ? rest : out;
}

static bool is_muon(const struct ul_optim *o, size_t i)
{
	return o->group[i] >= 0 && o->groups[o->group[i]].muon;
}

/* Shares the muon tensors out among pieces, the costliest first to the
 * least loaded (which piece runs a tensor changes none of its bits), and
 * sizes each piece's matrices. 0, or -1 when out of memory. */
static int share_muon(struct ul_optim *o)
{
	int threads = ul_parallel_threads();
	o->pieces = threads < 64 ? threads : 64;
	o->piece_of = malloc(o->table->n + 1);
	double *load = calloc((size_t)o->pieces, sizeof *load);
	bool *done = calloc(o->table->n + 1, sizeof *done);
	int rc = o->piece_of && load && done ? 0 : -1;
	for (size_t i = 0; !rc && i < o->table->n; i++)
		o->piece_of[i] = -1;
	for (;;) {
		size_t pick = o->table->n, r, c;
		double cost = -1;
		for (size_t i = 0; !rc && i < o->table->n; i++) {
			if (!is_muon(o, i) || done[i])
				continue;
			muon_matrix(&o->table->specs[i], &r, &c);
			if ((double)r * r * c > cost)
				cost = (double)r * r * c, pick = i;
		}
		if (rc || pick == o->table->n)
			break;
		int least = 0;
		for (int k = 1; k < o->pieces; k++)
			if (load[k] < load[least])
				least = k;
		done[pick] = true, o->piece_of[pick] = (signed char)least, load[least] += cost;
		muon_matrix(&o->table->specs[pick], &r, &c);
		size_t need = 2 * r * c + 2 * r * r;
		o->scratch_floats = need > o->scratch_floats ? need : o->scratch_floats;
	}
	free(load), free(done);
	if (!rc && o->scratch_floats && !(o->scratch = malloc(sizeof(float) * o->scratch_floats * o->pieces)))
		rc = -1;
	return rc;
}

static int check_hyperparameters(enum ul_optim_kind kind, double lr, double momentum, double weight_decay, jv *err)
{
	if (!(lr >= 0))
		return ul_invalid(err, "%s: lr must be 0 or more, not %g", kind_names[kind], lr);
	if (!(weight_decay >= 0))
		return ul_invalid(err, "%s: weight_decay must be 0 or more, not %g", kind_names[kind], weight_decay);
	if (adam_family(kind) && !(momentum >= 0 && momentum < 1))
		return ul_invalid(err, "%s: momentum (beta1) must be in [0, 1), not %g", kind_names[kind], momentum);
	if (kind == UL_OPTIM_SGD && !(momentum > 0))
		return ul_invalid(err, "SGD: Nesterov momentum needs a momentum above 0, not %g", momentum);
	if (!(momentum >= 0))
		return ul_invalid(err, "%s: momentum must be 0 or more, not %g", kind_names[kind], momentum);
	return 0;
}

int ul_optim_create(struct ul_optim *o, enum ul_optim_kind kind, const struct ul_tensor_table *t, const bool *frozen,
		    double lr, double momentum, double weight_decay, jv *err)
{
	memset(o, 0, sizeof *o);
	if (check_hyperparameters(kind, lr, momentum, weight_decay, err))
		return -1;
	o->kind = kind;
	o->table = t;
	o->group = malloc(t->n + 1);
	o->frozen = calloc(t->n + 1, sizeof *o->frozen);
	if (!o->group || !o->frozen)
		goto oom;
	if (frozen)
		memcpy(o->frozen, frozen, t->n * sizeof *frozen);
	build_groups(o, lr, momentum, weight_decay);

	static const char *const names[][UL_OPTIM_STATES] = {
		[UL_OPTIM_SGD] = { "momentum_buffer", NULL },
		[UL_OPTIM_MUSGD] = { "momentum_buffer", "momentum_buffer_SGD" },
		[UL_OPTIM_ADAM] = { "exp_avg", "exp_avg_sq" },
		[UL_OPTIM_ADAMW] = { "exp_avg", "exp_avg_sq" },
		[UL_OPTIM_NADAM] = { "exp_avg", "exp_avg_sq" },
		[UL_OPTIM_RADAM] = { "exp_avg", "exp_avg_sq" },
		[UL_OPTIM_RMSPROP] = { "square_avg", "momentum_buffer" },
		[UL_OPTIM_ADAMAX] = { "exp_avg", "exp_inf" },
	};
	for (int k = 0; k < UL_OPTIM_STATES && names[kind][k]; k++) {
		o->state_names[k] = names[kind][k];
		if (!(o->state[k] = calloc(t->params + 1, sizeof(float))))
			goto oom;
	}
	if (kind == UL_OPTIM_MUSGD && share_muon(o))
		goto oom;
	return 0;
oom:
	ul_optim_free(o);
	return ul_invalid(err, "%s: out of memory for the optimizer's state", kind_names[kind]);
}

void ul_optim_free(struct ul_optim *o)
{
	free(o->group);
	free(o->frozen);
	for (int k = 0; k < UL_OPTIM_STATES; k++)
		free(o->state[k]);
	free(o->scratch);
	free(o->piece_of);
	memset(o, 0, sizeof *o);
}

/* --- the updates, one tensor of n values at a time ------------------------- */

/* SGD, Nesterov, no dampening, L2 decay: the first step's buffer is the
 * decayed gradient itself, as PyTorch's clone, since the buffer starts at 0. */
static void sgd_nesterov(float *p, const float *g, float *buf, size_t n, float lr, float mu, float wd)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + wd * p[i];
		buf[i] = mu * buf[i] + d;
		p[i] -= lr * (d + mu * buf[i]);
	}
}

/* Every coefficient, 1 - beta included, is computed in double and rounded
 * to float once, as PyTorch hands Python floats to its float32 kernels:
 * 1 - 0.999f would be 1.3e-5 off. */
struct adam_step {
	float beta1, beta2, wd, one_minus_beta1, one_minus_beta2;
	float shrink;           /* AdamW: 1 - lr wd */
	float step_size;        /* Adam, AdamW, Adamax: lr / (1 - beta1^t) */
	float inv_sqrt_bc2;     /* 1 / sqrt(1 - beta2^t) */
	/* NAdam: the gradient's and the average's weights */
	float nadam_grad, nadam_avg;
	/* RAdam: lr / (1 - beta1^t), times rect sqrt(1 - beta2^t) when rectified */
	bool rectified;
	float radam_scale;
};

/* This step's coefficients for group g; advances NAdam's mu_product. */
static struct adam_step adam_step_begin(const struct ul_optim *o, struct ul_optim_group *g)
{
	double t = (double)o->step, b1 = g->betas[0], b2 = g->betas[1];
	double bc1 = 1 - pow(b1, t), bc2 = 1 - pow(b2, t);
	struct adam_step a = {
		.beta1 = (float)b1,
		.beta2 = (float)b2,
		.wd = (float)g->weight_decay,
		.one_minus_beta1 = (float)(1 - b1),
		.one_minus_beta2 = (float)(1 - b2),
		.shrink = (float)(1 - g->lr * g->weight_decay),
		.step_size = (float)(g->lr / bc1),
		.inv_sqrt_bc2 = (float)(1 / sqrt(bc2)),
		.radam_scale = (float)(g->lr / bc1),
	};
	if (o->kind == UL_OPTIM_NADAM) {
		double mu = b1 * (1 - 0.5 * pow(0.96, t * NADAM_MOMENTUM_DECAY));
		double mu_next = b1 * (1 - 0.5 * pow(0.96, (t + 1) * NADAM_MOMENTUM_DECAY));
		g->mu_product *= mu;
		double mu_product_next = g->mu_product * mu * mu_next;  /* PyTorch 1.13's, see the header */
		a.nadam_grad = (float)(g->lr * (1 - mu) / (1 - g->mu_product));
		a.nadam_avg = (float)(g->lr * mu_next / (1 - mu_product_next));
	}
	if (o->kind == UL_OPTIM_RADAM) {
		double rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 * t * pow(b2, t) / bc2;
		a.rectified = rho_t > 5;
		if (a.rectified) {
			double rect = sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
			a.radam_scale = (float)(g->lr / bc1 * rect * sqrt(bc2));
		}
	}
	return a;
}

/* Adam and AdamW (AdamW's decay decoupled, p x (1 - lr wd), Adam's L2). */
static void adam(const struct adam_step *a, bool decoupled, float *p, const float *g, float *m, float *v, size_t n)
{
	float shrink = decoupled ? a->shrink : 1, l2 = decoupled ? 0 : a->wd;
	for (size_t i = 0; i < n; i++) {
		p[i] *= shrink;
		float d = g[i] + l2 * p[i];
		m[i] = a->beta1 * m[i] + a->one_minus_beta1 * d;
		v[i] = a->beta2 * v[i] + a->one_minus_beta2 * d * d;
		p[i] -= a->step_size * m[i] / (sqrtf(v[i]) * a->inv_sqrt_bc2 + ADAM_EPS);
	}
}

static void nadam(const struct adam_step *a, float *p, const float *g, float *m, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + a->wd * p[i];
		m[i] = a->beta1 * m[i] + a->one_minus_beta1 * d;
		v[i] = a->beta2 * v[i] + a->one_minus_beta2 * d * d;
		float denom = sqrtf(v[i]) * a->inv_sqrt_bc2 + ADAM_EPS;
		p[i] -= (a->nadam_grad * d + a->nadam_avg * m[i]) / denom;
	}
}

/* RAdam: plain momentum until the variance estimate's length rho_t passes
 * 5, then Adam rectified; eps is added to sqrt(v) before its correction. */
static void radam(const struct adam_step *a, float *p, const float *g, float *m, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + a->wd * p[i];
		m[i] = a->beta1 * m[i] + a->one_minus_beta1 * d;
		v[i] = a->beta2 * v[i] + a->one_minus_beta2 * d * d;
		p[i] -= a->rectified ? a->radam_scale * m[i] / (sqrtf(v[i]) + ADAM_EPS) : a->radam_scale * m[i];
	}
}

static void adamax(const struct adam_step *a, float *p, const float *g, float *m, float *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + a->wd * p[i];
		m[i] = a->beta1 * m[i] + a->one_minus_beta1 * d;
		u[i] = fmaxf(a->beta2 * u[i], fabsf(d) + ADAM_EPS);
		p[i] -= a->step_size * m[i] / u[i];
	}
}

/* RMSprop, not centred; with momentum 0 the buffer is just this step's
 * g / avg, so one rule serves both of PyTorch's branches. */
static void rmsprop(const struct ul_optim_group *grp, float *p, const float *g, float *sq, float *buf, size_t n)
{
	float lr = (float)grp->lr, mu = (float)grp->momentum, wd = (float)grp->weight_decay;
	float alpha = (float)RMSPROP_ALPHA, one_minus_alpha = (float)(1 - RMSPROP_ALPHA);
	for (size_t i = 0; i < n; i++) {
		float d = g[i] + wd * p[i];
		sq[i] = alpha * sq[i] + one_minus_alpha * d * d;
		buf[i] = mu * buf[i] + d / (sqrtf(sq[i]) + ADAM_EPS);
		p[i] -= lr * buf[i];
	}
}

/* MuSGD's orthogonalised step: m = mu m + (1 - mu) g, u = mu m + (1 - mu)
 * g (Nesterov), u as a (out, rest) matrix taken wide and divided by its
 * Frobenius norm, five quintic Newton-Schulz iterations X = a X + (b A +
 * c A A) X with A = X X^T, then p -= lr x 0.2 x sqrt(max(1, shape[-2] /
 * shape[-1])) X, back in u's orientation. */
static void muon(float *scratch, const struct ul_tensor_spec *s, double lr, double momentum, float *p,
		 const float *g, float *m)
{
	static const float a = 3.4445f, b = -4.7750f, c = 2.0315f;
	size_t n = ul_tensor_numel(s), out = (size_t)s->shape[0], rest = n / out, rows, cols;
	muon_matrix(s, &rows, &cols);
	bool wide = out == rows;
	float *x = scratch, *y = x + rows * cols, *aa = y + rows * cols, *bb = aa + rows * rows;
	float mu = (float)momentum, rest_mu = (float)(1 - momentum);
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		m[i] = mu * m[i] + rest_mu * g[i];
		float u = mu * m[i] + rest_mu * g[i];
		sum += (double)u * u;
	}
	float inv = (float)(1 / (sqrt(sum) + NEWTON_SCHULZ_EPS));
	for (size_t i = 0; i < out; i++)
		for (size_t j = 0; j < rest; j++) {
			size_t k = i * rest + j;
			x[wide ? k : j * out + i] = (mu * m[k] + rest_mu * g[k]) * inv;
		}
	int r = (int)rows, w = (int)cols;
	for (int step = 0; step < NEWTON_SCHULZ_STEPS; step++) {
		ul_gemm(false, true, r, r, w, 1, x, w, x, w, 0, aa, r);
		for (size_t i = 0; i < rows * rows; i++)
			bb[i] = b * aa[i];
		ul_gemm(false, false, r, r, r, c, aa, r, aa, r, 1, bb, r);
		for (size_t i = 0; i < rows * cols; i++)
			y[i] = a * x[i];
		ul_gemm(false, false, r, w, r, 1, bb, r, x, w, 1, y, w);
		float *swap = x;
		x = y, y = swap;
	}
	double ratio = s->ndim == 4 ? (double)s->shape[2] / s->shape[3] : (double)s->shape[0] / s->shape[1];
	float scale = (float)(lr * MUSGD_MUON * sqrt(ratio > 1 ? ratio : 1));
	for (size_t i = 0; i < out; i++)
		for (size_t j = 0; j < rest; j++) {
			size_t k = i * rest + j;
			p[k] -= scale * x[wide ? k : j * out + i];
		}
}

/* One piece of MuSGD's muon tensors: the orthogonalised update, then
 * their own SGD one. */
struct muon_pass {
	struct ul_optim *o;
	float *params;
	const float *grads;
};

static void muon_piece(void *ctx, int k)
{
	const struct muon_pass *m = ctx;
	struct ul_optim *o = m->o;
	for (size_t i = 0; i < o->table->n; i++) {
		if (o->piece_of[i] != k || o->frozen[i])
			continue;
		const struct ul_tensor_spec *s = &o->table->specs[i];
		const struct ul_optim_group *grp = &o->groups[o->group[i]];
		float *p = m->params + s->offset;
		const float *g = m->grads + s->offset;
		muon(o->scratch + (size_t)k * o->scratch_floats, s, grp->lr, grp->momentum, p, g, o->state[0] + s->offset);
		sgd_nesterov(p, g, o->state[1] + s->offset, ul_tensor_numel(s), (float)(grp->lr * MUSGD_SGD),
			     (float)grp->momentum, (float)grp->weight_decay);
	}
}

void ul_optim_step(struct ul_optim *o, float *params, const float *grads)
{
	o->step++;
	struct adam_step coeff[UL_OPTIM_GROUPS];
	if (adam_family(o->kind))
		for (int j = 0; j < o->ngroups; j++)
			coeff[j] = adam_step_begin(o, &o->groups[j]);
	for (size_t i = 0; i < o->table->n; i++) {
		if (o->group[i] < 0 || o->frozen[i])
			continue;
		const struct ul_tensor_spec *s = &o->table->specs[i];
		const struct ul_optim_group *grp = &o->groups[o->group[i]];
		const struct adam_step *a = &coeff[o->group[i]];
		size_t n = ul_tensor_numel(s);
		float *p = params + s->offset, *s0 = o->state[0] + s->offset;
		float *s1 = o->state[1] ? o->state[1] + s->offset : NULL;
		const float *g = grads + s->offset;
		float lr = (float)grp->lr, mu = (float)grp->momentum, wd = (float)grp->weight_decay;
		switch (o->kind) {
		case UL_OPTIM_SGD:
			sgd_nesterov(p, g, s0, n, lr, mu, wd);
			break;
		case UL_OPTIM_MUSGD:
			if (!grp->muon)  /* muon tensors: muon_piece */
				sgd_nesterov(p, g, s0, n, lr, mu, wd);
			break;
		case UL_OPTIM_ADAM:
		case UL_OPTIM_ADAMW:
			adam(a, o->kind == UL_OPTIM_ADAMW, p, g, s0, s1, n);
			break;
		case UL_OPTIM_NADAM:
			nadam(a, p, g, s0, s1, n);
			break;
		case UL_OPTIM_RADAM:
			radam(a, p, g, s0, s1, n);
			break;
		case UL_OPTIM_ADAMAX:
			adamax(a, p, g, s0, s1, n);
			break;
		case UL_OPTIM_RMSPROP:
			rmsprop(grp, p, g, s0, s1, n);
			break;
		}
	}
	if (o->kind == UL_OPTIM_MUSGD) {
		struct muon_pass m = { o, params, grads };
		ul_parallel_for(o->pieces, muon_piece, &m);
	}
}

double ul_clip_grad_norm(float *grads, const struct ul_tensor_table *t, const bool *frozen, double max_norm)
{
	double sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		if (s->buffer || (frozen && frozen[i]))
			continue;
		const float *g = grads + s->offset;
		for (size_t k = 0, n = ul_tensor_numel(s); k < n; k++)
			sum += (double)g[k] * g[k];
	}
	double norm = sqrt(sum), coef = max_norm / (norm + 1e-6);
	if (coef < 1)
		for (size_t i = 0; i < t->n; i++) {
			const struct ul_tensor_spec *s = &t->specs[i];
			if (s->buffer || (frozen && frozen[i]))
				continue;
			float *g = grads + s->offset;
			for (size_t k = 0, n = ul_tensor_numel(s); k < n; k++)
				g[k] *= (float)coef;
		}
	return norm;
}
