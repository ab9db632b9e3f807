/* A small TAP producer for the C unit tests, read by prove.
 *
 *   ok(cond, "name %d", i);  is_int(got, want, "name");  is_str(...);
 *   return done_testing();
 *
 * capture_begin(fd) / capture_end(fd) collect what the code under test
 * writes to stdout or stderr, so it does not mix with the TAP stream. */
#ifndef UL_TESTS_TAP_H
#define UL_TESTS_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_count, tap_failures;

static void tap_result(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void tap_result(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failures++;
		printf("#   failed at %s line %d\n", file, line);
	}
	fflush(stdout);
}

#define ok(cond, ...) tap_result(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) do { \
	long long got_ = (long long)(got), want_ = (long long)(want); \
	tap_result(got_ == want_, __FILE__, __LINE__, __VA_ARGS__); \
	if (got_ != want_) printf("#   got %lld, want %lld\n", got_, want_); \
} while (0)

#define is_double(got, want, tol, ...) do { \
	double got_ = (got), want_ = (want); \
	int pass_ = fabs(got_ - want_) <= (tol) || (isnan(got_) && isnan(want_)); \
	tap_result(pass_, __FILE__, __LINE__, __VA_ARGS__); \
	if (!pass_) printf("#   got %.17g, want %.17g\n", got_, want_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *got_ = (got), *want_ = (want); \
	int pass_ = got_ && want_ ? strcmp(got_, want_) == 0 : got_ == want_; \
	tap_result(pass_, __FILE__, __LINE__, __VA_ARGS__); \
	if (!pass_) printf("#   got  '%s'\n#   want '%s'\n", got_ ? got_ : "(null)", want_ ? want_ : "(null)"); \
} while (0)

/* ok() for "haystack contains needle", showing the haystack on failure. */
#define contains(haystack, needle, ...) do { \
	const char *h_ = (haystack), *n_ = (needle); \
	int pass_ = h_ && strstr(h_, n_) != NULL; \
	tap_result(pass_, __FILE__, __LINE__, __VA_ARGS__); \
	if (!pass_) printf("#   '%s'\n#   does not contain '%s'\n", h_ ? h_ : "(null)", n_); \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

static int capture_saved[3] = { -1, -1, -1 };
static FILE *capture_file[3];

static inline void capture_begin(int fd)
{
	fflush(fd == 1 ? stdout : stderr);
	capture_file[fd] = tmpfile();
	capture_saved[fd] = dup(fd);
	dup2(fileno(capture_file[fd]), fd);
}

/* What was written since capture_begin(fd); the caller frees it. */
static inline char *capture_end(int fd)
{
	fflush(fd == 1 ? stdout : stderr);
	dup2(capture_saved[fd], fd);
	close(capture_saved[fd]);
	FILE *f = capture_file[fd];
	long n = ftell(f);
	char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (n > 0 && fread(text, 1, (size_t)n, f) != (size_t)n)
		text[0] = '\0';
	fclose(f);
	return text;
}

#endif
