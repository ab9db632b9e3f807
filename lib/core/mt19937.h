/* MT19937, the Mersenne Twister, seeded as PyTorch seeds its CPU generator
 * (torch.manual_seed: the seed's low 32 bits, Knuth's initialisation).
 * Weight init draws from it so that a seed gives the very numbers PyTorch
 * would; everything else draws from core/random. */
#ifndef UL_CORE_MT19937_H
#define UL_CORE_MT19937_H

#include <stdint.h>

#define UL_MT19937_N 624

struct ul_mt19937 {
	uint32_t state[UL_MT19937_N];
	int next;  /* the state word to temper next; N: regenerate first */
};

void ul_mt19937_seed(struct ul_mt19937 *mt, uint64_t seed);

/* The next 32 bits. */
uint32_t ul_mt19937_next(struct ul_mt19937 *mt);

#endif
