/* A training batch made up from a seed, for the programs that time or
 * compare a training step: images uniform in [0, 1], `boxes` boxes per
 * image of 5-35% of each side, anywhere inside, of random classes below
 * nc. Header-only. */
#ifndef UL_TESTS_RANDOM_BATCH_H
#define UL_TESTS_RANDOM_BATCH_H

#include <stdint.h>

#include "core/random.h"
#include "data/labels.h"

/* images: batch x imgsz x imgsz x 3 floats; labels: batch x boxes. */
static inline void random_batch(uint64_t seed, int batch, int imgsz, int boxes, int nc, float *images,
				struct ul_label *labels)
{
	uint64_t state = seed;
	size_t pixels = (size_t)batch * imgsz * imgsz * 3;
	for (size_t i = 0; i < pixels; i++)
		images[i] = (float)ul_random_unit(&state);
	for (int i = 0; i < batch * boxes; i++) {
		float bw = 0.05f + 0.3f * (float)ul_random_unit(&state), bh = 0.05f + 0.3f * (float)ul_random_unit(&state);
		labels[i] = (struct ul_label){ i / boxes, (int)(ul_random_unit(&state) * nc),
					       bw / 2 + (1 - bw) * (float)ul_random_unit(&state),
					       bh / 2 + (1 - bh) * (float)ul_random_unit(&state), bw, bh };
	}
}

#endif
