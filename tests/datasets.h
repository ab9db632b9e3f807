/* Where the real datasets are: $UL_DATASETS (make check sets it), or
 * shared/datasets beside the checkout. */
#ifndef UL_TESTS_DATASETS_H
#define UL_TESTS_DATASETS_H

#include <stdio.h>
#include <stdlib.h>

/* dir/rest into out (size bytes). */
static inline const char *dataset_path(char *out, size_t size, const char *rest)
{
	const char *dir = getenv("UL_DATASETS");
	snprintf(out, size, "%s/%s", dir && *dir ? dir : "../shared/datasets", rest);
	return out;
}

#endif
