/* Shared by the module tests: Conv modules and the heads' biased 1x1
 * Conv2d outputs with random parameters and zeroed gradients, from pools
 * that one call frees. */
#ifndef UL_TESTS_CONV_PARAMS_H
#define UL_TESTS_CONV_PARAMS_H

#include <stdlib.h>

#include "nn/detect_level.h"
#include "numeric.h"

struct conv_params {
	float *w, *gamma, *beta, *rm, *rv, *dw, *dg, *db;
	size_t nw;
};

static struct conv_params conv_pool[64];
static int conv_pool_used;

/* m gets shape, act, and fresh random parameters; the returned entry holds
 * them and their gradients, for the checks. */
static inline struct conv_params *random_conv(struct ul_conv_module *m, struct ul_conv2d shape, bool act)
{
	struct conv_params *p = &conv_pool[conv_pool_used++];
	size_t c = (size_t)shape.c_out;
	m->conv = shape;
	m->act = act;
	p->nw = c * (size_t)(shape.c_in / shape.groups) * shape.k * shape.k;
	p->w = randoms(p->nw, 0, 1), p->gamma = randoms(c, 1, 0.5f), p->beta = randoms(c, 0, 1);
	p->rm = randoms(c, 0, 0.1f), p->rv = randoms(c, 1, 0.2f);
	p->dw = calloc(p->nw, sizeof(float)), p->dg = calloc(c, sizeof(float)), p->db = calloc(c, sizeof(float));
	m->weight = p->w, m->gamma = p->gamma, m->beta = p->beta, m->running_mean = p->rm, m->running_var = p->rv;
	m->dweight = p->dw, m->dgamma = p->dg, m->dbeta = p->db;
	return p;
}

/* A biased conv's weight, bias and their gradients. */
struct biased_params {
	float *w, *b, *dw, *db;
	size_t nw;
};

static struct biased_params biased_pool[8];
static int biased_pool_used;

/* A biased 1x1 conv on (n, h, w, c_in) inputs with random weights. */
static inline struct biased_params *random_biased(struct ul_biased_conv *bc, int n, int h, int w, int c_in, int c_out)
{
	struct biased_params *p = &biased_pool[biased_pool_used++];
	bc->conv = (struct ul_conv2d){ n, h, w, c_in, c_out, 1, 1, 0, 1 };
	p->nw = (size_t)c_out * c_in;
	p->w = randoms(p->nw, 0, 1), p->b = randoms((size_t)c_out, 0, 1);
	p->dw = calloc(p->nw, sizeof(float)), p->db = calloc((size_t)c_out, sizeof(float));
	bc->weight = p->w, bc->bias = p->b, bc->dweight = p->dw, bc->dbias = p->db;
	return p;
}

static inline void free_random_convs(void)
{
	for (int i = 0; i < conv_pool_used; i++) {
		struct conv_params *p = &conv_pool[i];
		free(p->w), free(p->gamma), free(p->beta), free(p->rm), free(p->rv), free(p->dw), free(p->dg), free(p->db);
	}
	conv_pool_used = 0;
	for (int i = 0; i < biased_pool_used; i++)
		free(biased_pool[i].w), free(biased_pool[i].b), free(biased_pool[i].dw), free(biased_pool[i].db);
	biased_pool_used = 0;
}

#endif
