/* Exit codes, error records and diagnostics on stderr.
 *
 * Every ul tool reports failure twice: an `error` record on stdout, so the
 * rest of the pipeline (and the dashboard) sees it, and one readable line on
 * stderr, prefixed with the program's name, for the person at the terminal. */
#ifndef UL_CORE_ERROR_H
#define UL_CORE_ERROR_H

#include <stdarg.h>

#include <jv.h>

/* The exit status of every tool; ul(7) documents it for users. */
enum ul_exit {
	UL_EXIT_OK      = 0,   /* the work was done */
	UL_EXIT_FAILED  = 1,   /* the work failed: bad input, no balance, training failed */
	UL_EXIT_USAGE   = 2,   /* the command line was wrong */
	UL_EXIT_STOPPED = 3,   /* stopped on purpose: paused for credits, downstream closed */
	UL_EXIT_SIGNAL  = 128, /* 128+N: shut down cleanly after signal N */
};

/* Sets the name used in messages and records (the basename of argv[0]). */
void ul_set_program(const char *argv0);
const char *ul_program(void);

/* "PROGRAM: warning: ..." and "PROGRAM: error: ..." on stderr; printf-style
 * formats, no trailing newline needed. */
void ul_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ul_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For library calls that fail with -1 and a message: sets *err to an
 * invalid jv carrying the formatted message, and returns -1. */
int ul_invalid(jv *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ul_invalidv(jv *err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* {"type":"error","v":1,"tool":PROGRAM,"code":CODE,"message":MESSAGE} plus
 * "hint" when hint is not NULL. Add fields such as "param" or "line" with
 * jv_object_set before reporting it. */
jv ul_error_record(const char *code, const char *message, const char *hint);

/* Writes the error record to stdout and its message (and hint) to stderr,
 * then returns exit_code, so a tool can `return ul_fail(...)`. Consumes err. */
int ul_fail(int exit_code, jv err);

#endif
