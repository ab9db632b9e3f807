/* Graceful shutdown on SIGINT and SIGTERM.
 *
 * The handlers only record the signal and wake anyone waiting on
 * ul_stop_fd(); tools finish the record (or batch) in hand, write what they
 * owe, and exit with 128+N. A second SIGINT or SIGTERM kills at once.
 * SIGPIPE is ignored: a closed downstream shows up as EPIPE from the
 * writer, which every tool handles. */
#ifndef UL_CORE_SIGNALS_H
#define UL_CORE_SIGNALS_H

#include <stdbool.h>

/* Installs the handlers. Returns 0, or -1 with errno set. */
int ul_signals_install(void);

/* The signal that asked us to stop, or 0. */
int ul_stop_signal(void);
static inline bool ul_stop_requested(void) { return ul_stop_signal() != 0; }

/* A descriptor that becomes readable once a stop is requested, for poll(). */
int ul_stop_fd(void);

#endif
