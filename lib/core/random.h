/* splitmix64: seeded random numbers that are the same on every machine,
 * which rand() is not. Weights, dropout masks and generated datasets all
 * draw from it, so a seed reproduces a run. */
#ifndef UL_CORE_RANDOM_H
#define UL_CORE_RANDOM_H

#include <stdint.h>

/* The output function: a bijection that scrambles every bit of z. Also a
 * stateless hash of (seed, index) when called on their mix. */
uint64_t ul_mix64(uint64_t z);

/* The next number of the stream state. */
uint64_t ul_random_next(uint64_t *state);

/* Uniform in [0, 1), 53 bits. */
double ul_random_unit(uint64_t *state);

#endif
