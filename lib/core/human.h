/* Output for people: stderr only, never stdout.
 *
 * Notes are plain lines; progress bars are drawn only when stderr is a
 * terminal, redrawn at most ten times a second. quiet=true silences both
 * (warnings and errors always print). */
#ifndef UL_CORE_HUMAN_H
#define UL_CORE_HUMAN_H

#include <stdbool.h>

void ul_human_set_quiet(bool quiet);
bool ul_human_quiet(void);

/* "PROGRAM: ..." on stderr unless quiet. */
void ul_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct ul_progress {
	char label[48];
	long total;       /* 0 when unknown: a count and a rate, no bar */
	long done;
	double started, drawn;
	bool active;      /* stderr is a terminal and not quiet */
};

void ul_progress_begin(struct ul_progress *p, const char *label, long total);
void ul_progress_update(struct ul_progress *p, long done);
/* Draws the final state and ends the line. */
void ul_progress_end(struct ul_progress *p);

#endif
