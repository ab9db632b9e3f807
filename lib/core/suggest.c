#include "core/suggest.h"

#include <stdlib.h>
#include <string.h>

/* Optimal string alignment distance: Levenshtein plus adjacent swaps, so
 * "lr0" -> "l0r" counts as one typo. Names are short; 64 bytes is plenty. */
static size_t distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	size_t n = strlen(a), m = strlen(b);
	if (n >= MAX || m >= MAX)
		return (size_t)-1;
	size_t d[MAX][MAX];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

const char *ul_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t allowed = strlen(word) / 3;
	if (allowed < 1)
		allowed = 1;
	const char *best = NULL;
	size_t best_d = allowed + 1;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
