/* The image the OpenCV fixtures start from (tests/reference/make_resize_vectors.py
 * and make_warp_vectors.py draw the same): pixel (x, y), channel c =
 * (3 x^2 + 17 y + 5 x y + 71 c) mod 256. */
#ifndef UL_TESTS_FORMULA_IMAGE_H
#define UL_TESTS_FORMULA_IMAGE_H

#include <stdlib.h>

#include "data/decode.h"

static inline struct ul_image formula_image(int w, int h)
{
	struct ul_image img = { w, h, malloc((size_t)w * h * 3) };
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
				img.rgb[((size_t)y * w + x) * 3 + c] = (unsigned char)((3 * x * x + 17 * y + 5 * x * y + 71 * c) % 256);
	return img;
}

#endif
