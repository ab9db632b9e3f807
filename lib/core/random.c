#include "core/random.h"

#define GOLDEN 0x9e3779b97f4a7c15ull  /* the stream's step: 2^64 / golden ratio */

uint64_t ul_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t ul_random_next(uint64_t *state)
{
	return ul_mix64(*state += GOLDEN);
}

double ul_random_unit(uint64_t *state)
{
	return (double)(ul_random_next(state) >> 11) * 0x1p-53;
}
