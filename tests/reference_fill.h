/* The weights of the PyTorch reference vectors (tests/reference), fill rule
 * "splitmix64-1": the vectors store no weights, only the seed, and this
 * draws the same float32 numbers as tests/reference/make_vectors.py.
 *
 * One splitmix64 stream from the seed runs over the size table in order
 * (PyTorch's state-dict order), each tensor's elements row-major; each
 * element is (float)(lo + span * u) in double, u = (next >> 40) * 2^-24 and
 * span = (float)(hi - lo): 24 bits each, so span * u is exact and the sum
 * rounds once, fused into a multiply-add or not:
 *
 *   *.running_mean          [-0.1, 0.1]
 *   *.running_var           [0.5, 1.5]
 *   *.bn.weight             [0.5, 1.5]   (every BatchNorm is a Conv's "bn")
 *   *.bn.bias               [-0.5, 0.5]
 *   other *.weight, 2+ dims [-b, b], b = 1 / sqrt(fan_in), fan_in = shape[1] x the kernel
 *   other *.bias            [-b, b] with b of the weight before it
 *
 * Nothing else is drawn (num_batches_tracked, the RealNVP prior and masks):
 * fill over ul_init_weights, which gives those their values. */
#ifndef UL_TESTS_REFERENCE_FILL_H
#define UL_TESTS_REFERENCE_FILL_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/random.h"
#include "core/sha256.h"
#include "nn/tensor_table.h"

struct reference_fill {
	uint64_t state;
	double fan_in;   /* of the last weight drawn: the bias after it uses it */
};

static inline bool reference_fill_ends(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* Draws s's values into out; false, drawing nothing, for a tensor the rule
 * leaves as built. */
static inline bool reference_fill(struct reference_fill *f, const struct ul_tensor_spec *s, float *out)
{
	double lo, hi;
	if (reference_fill_ends(s->name, ".running_mean")) {
		lo = -0.1, hi = 0.1;
	} else if (reference_fill_ends(s->name, ".running_var") || reference_fill_ends(s->name, ".bn.weight")) {
		lo = 0.5, hi = 1.5;
	} else if (reference_fill_ends(s->name, ".bn.bias")) {
		lo = -0.5, hi = 0.5;
	} else if (reference_fill_ends(s->name, ".weight") && s->ndim >= 2) {
		f->fan_in = s->shape[1];
		for (int i = 2; i < s->ndim; i++)
			f->fan_in *= s->shape[i];
		hi = 1 / sqrt(f->fan_in), lo = -hi;
	} else if (reference_fill_ends(s->name, ".bias")) {
		hi = 1 / sqrt(f->fan_in), lo = -hi;
	} else {
		return false;
	}
	double span = (float)(hi - lo);
	for (size_t i = 0; i < ul_tensor_numel(s); i++)
		out[i] = (float)(lo + span * ((double)(ul_random_next(&f->state) >> 40) * 0x1p-24));
	return true;
}

/* Fills a whole table's parameters and buffers (each tensor at its offset
 * in the one or the other) from seed; hex gets the SHA-256 of the values
 * drawn, which the vectors store as fill_sha256. */
static inline void reference_fill_table(const struct ul_tensor_table *t, float *params, float *buffers, uint64_t seed,
					char hex[UL_SHA256_HEX])
{
	struct reference_fill f = { seed, 1 };
	struct ul_sha256 sha;
	ul_sha256_init(&sha);
	for (size_t i = 0; i < t->n; i++) {
		const struct ul_tensor_spec *s = &t->specs[i];
		float *out = (s->buffer ? buffers : params) + s->offset;
		if (reference_fill(&f, s, out))
			ul_sha256_update(&sha, out, sizeof *out * ul_tensor_numel(s));
	}
	unsigned char digest[UL_SHA256_SIZE];
	ul_sha256_final(&sha, digest);
	for (int i = 0; i < UL_SHA256_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

#endif
