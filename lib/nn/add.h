/* Elementwise sums of maps: residual shortcuts, and the gradient of a map
 * that several modules read, one contribution at a time. Shared out over
 * the thread pool; each element is its own sum, so the bits do not depend
 * on the pieces. */
#ifndef UL_NN_ADD_H
#define UL_NN_ADD_H

#include <stddef.h>

/* to[i] += from[i] for i in [0, n). */
void ul_add(size_t n, const float *from, float *to);

#endif
