/* Size arithmetic the modules share: a module's workspace is the most any
 * of its parts needs at once. */
#ifndef UL_NN_SIZES_H
#define UL_NN_SIZES_H

#include <stddef.h>

static inline size_t ul_size_max(size_t a, size_t b)
{
	return a > b ? a : b;
}

#endif
