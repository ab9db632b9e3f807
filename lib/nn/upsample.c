#include "nn/upsample.h"

#include <stddef.h>
#include <string.h>

void ul_upsample_forward(const struct ul_upsample *u, const float *x, float *y)
{
	int f = u->factor, ow = u->w * f, c = u->c;
	for (size_t row = 0; row < (size_t)u->n * u->h; row++) {
		const float *xr = x + row * u->w * c;
		float *yr = y + row * f * ow * c;
		/* build the first output row, then copy it down f - 1 times */
		for (int ix = 0; ix < u->w; ix++)
			for (int j = 0; j < f; j++)
				memcpy(yr + ((size_t)ix * f + j) * c, xr + (size_t)ix * c, sizeof *y * c);
		for (int i = 1; i < f; i++)
			memcpy(yr + (size_t)i * ow * c, yr, sizeof *y * ow * c);
	}
}

void ul_upsample_backward(const struct ul_upsample *u, const float *dy, float *dx)
{
	int f = u->factor, ow = u->w * f, c = u->c;
	for (size_t row = 0; row < (size_t)u->n * u->h; row++) {
		float *dxr = dx + row * u->w * c;
		const float *dyr = dy + row * f * ow * c;
		memset(dxr, 0, sizeof *dx * u->w * c);
		for (int i = 0; i < f; i++)
			for (int ox = 0; ox < ow; ox++) {
				float *d = dxr + (size_t)(ox / f) * c;
				const float *g = dyr + ((size_t)i * ow + ox) * c;
				for (int ch = 0; ch < c; ch++)
					d[ch] += g[ch];
			}
	}
}
