/* Growing a buffer that is reused from call to call: no allocation once it
 * is big enough, so a training step allocates nothing after the first. */
#ifndef UL_CORE_GROW_H
#define UL_CORE_GROW_H

#include <stddef.h>

/* Room for n elements of `size` bytes in the buffer *(void **)p, which
 * holds *cap of them; doubles, at least to n. 0, or -1 when out of memory
 * (the buffer then unchanged). */
int ul_grow(void *p, size_t *cap, size_t n, size_t size);

#endif
