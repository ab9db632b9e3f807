#include "core/mt19937.h"

#define M 397
#define MATRIX 0x9908b0dfu
#define UPPER 0x80000000u

void ul_mt19937_seed(struct ul_mt19937 *mt, uint64_t seed)
{
	mt->state[0] = (uint32_t)seed;
	for (uint32_t i = 1; i < UL_MT19937_N; i++)
		mt->state[i] = 1812433253u * (mt->state[i - 1] ^ (mt->state[i - 1] >> 30)) + i;
	mt->next = UL_MT19937_N;
}

/* The next 624 words of the state, all at once. */
static void twist(struct ul_mt19937 *mt)
{
	for (int i = 0; i < UL_MT19937_N; i++) {
		uint32_t y = (mt->state[i] & UPPER) | (mt->state[(i + 1) % UL_MT19937_N] & ~UPPER);
		mt->state[i] = mt->state[(i + M) % UL_MT19937_N] ^ (y >> 1) ^ (y & 1 ? MATRIX : 0);
	}
	mt->next = 0;
}

uint32_t ul_mt19937_next(struct ul_mt19937 *mt)
{
	if (mt->next >= UL_MT19937_N)
		twist(mt);
	uint32_t y = mt->state[mt->next++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	return y ^ (y >> 18);
}
