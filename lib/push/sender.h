/* The background sender: delivers events to the platform without ever
 * making the pipeline wait on the network.
 *
 * The main thread hands over items (ul_sender_push) and goes on at once.
 * The sender thread turns them into deliverables, one JSON line each:
 *
 *   {"key":"RUNID-SEQ","upload":PATH?,"modelId":ID?,"runId":ID?,"body":{"event":...,"project":...,"name":...,"data":...}}
 *
 * and POSTs each body to {API}/training/metrics, one at a time and in
 * order, on a kept-alive connection, with "Authorization: Bearer KEY" and
 * "Idempotency-Key: KEY" (the same key on every retry, so the server can
 * drop repeats). Console lines are batched into console_output chunks: 5
 * lines, or every 5 seconds, or as many as pile up (up to 1000) while a
 * request is in flight. A deliverable with "upload" first gets an upload
 * URL from {API}/models/upload and PUTs the file there, then sends its
 * body with the stored path. Checkpoint items start such an upload beside
 * the event stream, at most one per upload_every seconds and never two at
 * once.
 *
 * Answers: 2xx delivers; 401 stops sending for good (the key is wrong);
 * 408, 429, 5xx, timeouts and network errors are retried with exponential
 * backoff (Retry-After, when sent, sets the wait); any other 4xx drops the
 * event. A deliverable not delivered within a second (the server is down,
 * slow or erroring), or beyond queue_max in memory, is appended to the
 * spool (push/spool.h) and sent from there, still in order. Spool files of
 * earlier runs are sent first. */
#ifndef UL_PUSH_SENDER_H
#define UL_PUSH_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jv.h>

struct ul_push_options {
	const char *api;          /* the webhook base: {API}/training/metrics */
	const char *web;          /* the dashboard, for "view the run at" */
	const char *key;          /* the bearer token; NULL sends nothing and spools all */
	const char *spool_dir;    /* $UL_HOME/push */
	const char *project;      /* slugs, as the platform stores them */
	const char *name;
	const char *run_id;       /* hex; prefixes every idempotency key and names the spool file */
	double backoff_s;         /* first retry wait, doubled per failure, at most 60 s */
	double upload_every_s;    /* at most one checkpoint upload per this many seconds */
	size_t queue_max;         /* deliverables held in memory before they are spooled */
	bool live;                /* pushing a run; false: only sending the spool (ul-push flush) */
};

enum ul_push_kind {
	UL_PUSH_EVENT,       /* event and data (JSON text) */
	UL_PUSH_COMPLETE,    /* the same, after uploading path (may be NULL) */
	UL_PUSH_CONSOLE,     /* one line of console text */
	UL_PUSH_CHECKPOINT,  /* a checkpoint file at path that may be uploaded */
	UL_PUSH_NAME,        /* the run's name from here on is text (a slug) */
};

struct ul_push_stats {
	long sent;            /* deliverables the server accepted */
	long spooled;         /* left in the spool for later */
	long refused;         /* dropped after a 4xx */
	long refused_status;  /* the last such status */
	long uploads;         /* files uploaded */
	bool unauthorized;    /* a 401 stopped sending */
	bool spool_failed;    /* the spool could not be written */
	long lost;            /* dropped because neither the server nor the disk took them */
	bool cancelled;       /* the platform said the run was cancelled */
};

struct ul_sender;

/* Starts the thread. NULL with *err (an error record) when it cannot. */
struct ul_sender *ul_sender_start(const struct ul_push_options *o, jv *err);

/* Hands one item over (strings are copied; NULL where unused). Waits only
 * when the spool disk falls behind the input, never on the network. */
void ul_sender_push(struct ul_sender *s, enum ul_push_kind kind, const char *event, const char *text, const char *path);

/* Becomes readable once the platform answered that the run was cancelled. */
int ul_sender_cancel_fd(const struct ul_sender *s);

/* Keeps delivering for up to timeout_s seconds, spools what is left, stops
 * the thread and frees s; what happened in *st. */
void ul_sender_finish(struct ul_sender *s, double timeout_s, struct ul_push_stats *st);

#endif
