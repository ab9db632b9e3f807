#include "plot/smooth.h"

#include <math.h>
#include <stdlib.h>

/* numpy's "symmetric" padding: the edge value repeated, then mirrored on,
 * as often as the window needs. */
static int mirror(int i, int n)
{
	i %= 2 * n;
	if (i < 0)
		i += 2 * n;
	return i < n ? i : 2 * n - 1 - i;
}

int ul_smooth_gaussian(const double *y, int n, double sigma, double *out)
{
	int radius = (int)(4 * sigma + 0.5);
	double *k = malloc(sizeof *k * (2 * radius + 1)), sum = 0;
	if (!k)
		return -1;
	for (int j = -radius; j <= radius; j++)
		sum += k[j + radius] = exp(-0.5 * (j / sigma) * (j / sigma));
	for (int i = 0; i < n; i++) {
		double v = 0;
		for (int j = -radius; j <= radius; j++)
			v += k[j + radius] / sum * y[mirror(i + j, n)];
		out[i] = v;
	}
	free(k);
	return 0;
}

void ul_smooth_box(const double *y, int n, double f, double *out)
{
	int half = (int)lround(n * f * 2) / 2 / 2;  /* the window is 2 half + 1 */
	for (int i = 0; i < n; i++) {
		double v = 0;
		for (int j = i - half; j <= i + half; j++)
			v += y[j < 0 ? 0 : j >= n ? n - 1 : j];
		out[i] = v / (2 * half + 1);
	}
}
