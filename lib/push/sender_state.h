/* The sender's insides, shared by its three files and nothing else:
 *
 *   sender.c    the thread: the inbox from the main thread, the loop, start and finish
 *   outbox.c    what waits to be delivered, in order: memory, console chunks, the spool
 *   exchange.c  the requests that deliver it, and what the platform answers
 */
#ifndef UL_PUSH_SENDER_STATE_H
#define UL_PUSH_SENDER_STATE_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

#include "push/request.h"
#include "push/sender.h"
#include "push/spool.h"

#define SPOOL_AFTER_S 1.0         /* durability: in memory no longer than this */
#define MAX_WAIT_S 3600.0         /* no backoff or Retry-After waits longer */
#define MAX_BACKOFF_S 60.0
#define CHUNK_LINES 5             /* console_output: Ultralytics' batch */
#define CHUNK_SECONDS 5.0
#define CHUNK_MAX_LINES 1000      /* while a request is in flight, lines pile up to here */
#define CHUNK_MAX_BYTES (256u << 10)
#define INBOX_MAX_BYTES (64u << 20)

struct item {
	struct item *next;
	enum ul_push_kind kind;
	char *event, *text, *path;
	size_t bytes;
};

struct deliverable {
	struct deliverable *next;
	char *line;
	double born;
};

/* What the platform said about one run: its ids, for the events after. */
struct session {
	jv model_id, run_id;
	bool shown;  /* "view the run at" said */
};

enum source { FROM_MEMORY, FROM_OWN, FROM_OLD };
enum stage { STAGE_URL, STAGE_PUT, STAGE_EVENT };

/* A request in flight, with what it is for. */
struct job {
	struct ul_request req;
	bool busy;
	enum stage stage;
	enum source src;
	size_t raw_len;   /* the line's bytes in its spool, to mark it delivered */
	jv line;          /* the deliverable, parsed */
	jv upload;        /* the answer of models/upload */
	long long bytes;  /* of the file uploaded */
	char *path;       /* side uploads: the file */
};

struct ul_sender {
	struct ul_push_options o;
	char *api, *web, *key, *spool_dir, *run_id;
	jv project_json, name_json;  /* ready to paste into a line */

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t room;
	struct item *in_head, *in_tail;  /* the inbox, under lock */
	size_t in_count, in_bytes;
	bool finishing;
	double deadline;
	int cancel_pipe[2];
	bool closing;  /* the thread's copy of finishing */
	bool sleeping; /* the thread waits in poll: a new item must wake it */

	/* the thread's own */
	CURLM *multi;
	struct job main, side;
	struct deliverable *head, *tail;
	size_t pending;
	char *chunk;
	size_t chunk_len, chunk_cap;
	int chunk_lines;
	double chunk_first;
	long chunk_id;
	long seq;
	struct session live, old_session;
	struct ul_spool own, old;
	jv old_files;
	int old_next;
	int failures;
	double not_before;
	double last_upload;
	bool disabled;
	struct ul_push_stats stats;
};

/* sender.c */
double push_now(void);
jv push_json_text(const char *s);  /* s as a JSON string literal */

/* outbox.c */
bool push_can_send(const struct ul_sender *s);
bool push_have_head(const struct ul_sender *s);
void push_add_deliverable(struct ul_sender *s, const char *event, const char *data, const char *upload);
void push_add_console(struct ul_sender *s, const char *text);
void push_finish_chunk(struct ul_sender *s);
void push_maybe_finish_chunk(struct ul_sender *s, double t);
bool push_must_spool(const struct ul_sender *s, double t);
void push_spool_pending(struct ul_sender *s);
void push_spool_rest(struct ul_sender *s);
const char *push_next_line(struct ul_sender *s, enum source *src, size_t *len);
void push_delivered(struct ul_sender *s, struct job *j);

/* exchange.c */
void push_reset_session(struct session *x);
void push_start_main(struct ul_sender *s, double t);
void push_maybe_upload(struct ul_sender *s, const char *path);
bool push_handle_done(struct ul_sender *s);  /* true when a request ended */

#endif
