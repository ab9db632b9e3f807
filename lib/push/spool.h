/* The push spool: what could not be delivered yet, on disk, in order.
 *
 * $UL_HOME/push/ holds one file per ul-push run that had to spool, named by
 * the time the run started so that names sort in run order:
 * 20261201T093000Z-1234-1f2e3d4c.jsonl. Each line is one deliverable
 * (push/sender.h). Lines are only ever appended, and a batch counts as
 * accepted once it is fsynced. NAME.sent holds how many bytes of NAME have
 * been delivered; a file that is all delivered is removed. Whoever reads or
 * writes a file holds an flock on it, so two ul-push never send the same
 * file at once, and a live run's file is left to that run. */
#ifndef UL_PUSH_SPOOL_H
#define UL_PUSH_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

struct ul_spool {
	int fd;           /* -1 while closed */
	char *path;
	long long sent;   /* bytes delivered, from the start */
	long long size;   /* bytes of whole lines in the file */
	char *line;       /* the last line read by ul_spool_peek */
	size_t line_cap;
};

/* A closed spool: nothing to send, nothing to free. */
void ul_spool_init(struct ul_spool *s);

/* Makes this run's own file in dir (created as needed) and locks it.
 * 0, or -1 with *err an error message (invalid jv). */
int ul_spool_create(struct ul_spool *s, const char *dir, const char *run_id, jv *err);

/* Opens another run's file to send it. 0; 1 when another process holds
 * it; -1 when it cannot be read. */
int ul_spool_open(struct ul_spool *s, const char *path);

/* Appends len bytes of whole lines and fsyncs. 0, or -1 with errno. */
int ul_spool_append(struct ul_spool *s, const char *data, size_t len);

/* The next undelivered line, without its newline, valid until the next
 * call; NULL when none is left (a torn last line never counts). */
const char *ul_spool_peek(struct ul_spool *s, size_t *len);

/* Marks the line ul_spool_peek returned as delivered. */
void ul_spool_done(struct ul_spool *s, size_t len);

static inline bool ul_spool_pending(const struct ul_spool *s) { return s->fd >= 0 && s->sent < s->size; }

/* Closes s: removes the file when all of it was delivered. */
void ul_spool_close(struct ul_spool *s);

/* How many lines wait in all the spool files in dir. */
long ul_spool_count(const char *dir);

/* The spool files in dir, oldest first, as a jv array of paths. */
jv ul_spool_list(const char *dir);

#endif
