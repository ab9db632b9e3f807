/* The two clocks the tools read: a monotonic one for durations, and the
 * UTC wall clock for the `time` of records. */
#ifndef UL_CORE_CLOCK_H
#define UL_CORE_CLOCK_H

#include <jv.h>

/* Seconds on the monotonic clock, for differences. */
double ul_seconds(void);

/* Now in UTC as ISO 8601 to the second: "2026-12-01T09:14:21Z". */
jv ul_utc_now(void);

#endif
