/* Files a test writes for the code under test to read: one temporary
 * folder per test (scratch_dir, made by scratch_begin), removed by
 * scratch_end. */
#ifndef UL_TESTS_SCRATCH_FILES_H
#define UL_TESTS_SCRATCH_FILES_H

#include <stdio.h>
#include <stdlib.h>

static char scratch_dir[] = "/tmp/ul-test-XXXXXX";

/* The folder, or NULL when it could not be made. */
static inline const char *scratch_begin(void)
{
	return mkdtemp(scratch_dir);
}

/* Writes n bytes as scratch_dir/name; its path, valid until the next call. */
static inline const char *write_file(const char *name, const void *bytes, size_t n)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(bytes, 1, n, f);
		fclose(f);
	}
	return path;
}

static inline void scratch_end(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", scratch_dir);
}

#endif
