#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>

int ul_grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return 0;
	size_t want = *cap > n / 2 ? 2 * *cap : n;
	if (size && want > SIZE_MAX / size)
		return -1;
	void *q = realloc(*(void **)p, want * size);
	if (!q)
		return -1;
	*(void **)p = q, *cap = want;
	return 0;
}
