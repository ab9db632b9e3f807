/* "Did you mean ...?" for misspelt names. */
#ifndef UL_CORE_SUGGEST_H
#define UL_CORE_SUGGEST_H

#include <stddef.h>

/* The candidate closest to word by edit distance, if it is close enough to
 * be a likely typo (at most a third of the word's letters, at least one),
 * else NULL. candidates has n entries. */
const char *ul_suggest(const char *word, const char *const *candidates, size_t n);

#endif
