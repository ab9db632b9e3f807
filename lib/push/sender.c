#include "push/sender_state.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"

double push_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

jv push_json_text(const char *s)
{
	return jv_dump_string(jv_string(s), 0);
}

/* --- the main thread's side ------------------------------------------------ */

/* One allocation: the item, then its strings. */
static char *copy_in(char **at, const char *src)
{
	if (!src)
		return NULL;
	size_t n = strlen(src) + 1;
	char *dst = memcpy(*at, src, n);
	*at += n;
	return dst;
}

void ul_sender_push(struct ul_sender *s, enum ul_push_kind kind, const char *event, const char *text, const char *path)
{
	size_t bytes = sizeof(struct item) + (event ? strlen(event) + 1 : 0) + (text ? strlen(text) + 1 : 0) +
		       (path ? strlen(path) + 1 : 0);
	struct item *it = malloc(bytes);
	if (!it)
		return;
	char *at = (char *)(it + 1);
	it->next = NULL;
	it->kind = kind;
	it->bytes = bytes;
	it->event = copy_in(&at, event);
	it->text = copy_in(&at, text);
	it->path = copy_in(&at, path);
	pthread_mutex_lock(&s->lock);
	/* The thread empties the inbox at disk speed whatever the network does,
	 * so this waits only when the disk is behind. */
	while (s->in_count >= 2 * s->o.queue_max || s->in_bytes > INBOX_MAX_BYTES)
		pthread_cond_wait(&s->room, &s->lock);
	if (s->in_tail)
		s->in_tail->next = it;
	else
		s->in_head = it;
	s->in_tail = it;
	s->in_count++;
	s->in_bytes += it->bytes;
	/* A wakeup is a system call: only when the thread is asleep, once. */
	bool wake = s->sleeping;
	s->sleeping = false;
	pthread_mutex_unlock(&s->lock);
	if (wake)
		curl_multi_wakeup(s->multi);
}

int ul_sender_cancel_fd(const struct ul_sender *s)
{
	return s->cancel_pipe[0];
}

/* --- the loop --------------------------------------------------------------- */

static bool take_inbox(struct ul_sender *s)
{
	pthread_mutex_lock(&s->lock);
	s->closing = s->finishing;
	struct item *it = s->in_head;
	s->in_head = s->in_tail = NULL;
	s->in_count = s->in_bytes = 0;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	bool any = it != NULL;
	while (it) {
		struct item *next = it->next;
		switch (it->kind) {
		case UL_PUSH_CONSOLE:
			push_add_console(s, it->text);
			break;
		case UL_PUSH_EVENT:
		case UL_PUSH_COMPLETE:
			push_finish_chunk(s);
			push_add_deliverable(s, it->event, it->text, it->kind == UL_PUSH_COMPLETE ? it->path : NULL);
			break;
		case UL_PUSH_CHECKPOINT:
			push_maybe_upload(s, it->path);
			break;
		case UL_PUSH_NAME:
			push_finish_chunk(s);
			jv_free(s->name_json);
			s->name_json = push_json_text(it->text);
			break;
		}
		free(it);
		it = next;
	}
	return any;
}

static bool drained(struct ul_sender *s)
{
	pthread_mutex_lock(&s->lock);
	bool inbox = s->in_head != NULL;
	pthread_mutex_unlock(&s->lock);
	return !inbox && !s->chunk_lines && !s->main.busy && !s->side.busy && (!push_have_head(s) || !push_can_send(s));
}

static int poll_ms(struct ul_sender *s, double t)
{
	double wait = 1.0;
	if (s->closing && s->deadline - t < wait)
		wait = s->deadline - t;
	if (s->chunk_lines && s->chunk_first + CHUNK_SECONDS - t < wait)
		wait = s->chunk_first + CHUNK_SECONDS - t;
	if (s->head && s->head->born + SPOOL_AFTER_S - t < wait)
		wait = s->head->born + SPOOL_AFTER_S - t;
	if (!s->main.busy && push_can_send(s) && push_have_head(s) && s->not_before - t < wait)
		wait = s->not_before - t;
	return wait > 0 ? (int)ceil(wait * 1000) : 0;
}

static void *run(void *arg)
{
	struct ul_sender *s = arg;
	for (;;) {
		take_inbox(s);
		double t = push_now();
		push_maybe_finish_chunk(s, t);
		if (push_must_spool(s, t))
			push_spool_pending(s);
		if (s->closing && (t >= s->deadline || drained(s)))
			break;
		push_start_main(s, t);
		if (push_handle_done(s))
			continue;
		pthread_mutex_lock(&s->lock);
		bool idle = !s->in_head;
		s->sleeping = idle;
		pthread_mutex_unlock(&s->lock);
		if (idle)
			curl_multi_poll(s->multi, NULL, 0, poll_ms(s, push_now()), NULL);
		pthread_mutex_lock(&s->lock);
		s->sleeping = false;
		pthread_mutex_unlock(&s->lock);
	}
	/* Out of time: what is in flight stays where it is (a spooled line
	 * stays in its file), and memory goes to disk. */
	for (struct job *j = &s->main; j <= &s->side; j++) {
		if (j->busy) {
			curl_multi_remove_handle(s->multi, j->req.h);
			j->busy = false;
		}
	}
	push_spool_rest(s);
	return NULL;
}

static void init_curl(void)
{
	/* A failure shows up as curl_multi_init() returning NULL. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct ul_sender *ul_sender_start(const struct ul_push_options *o, jv *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_curl);
	struct ul_sender *s = calloc(1, sizeof *s);
	if (!s) {
		*err = ul_error_record("io", "out of memory", NULL);
		return NULL;
	}
	s->o = *o;
	s->api = strdup(o->api);
	s->web = strdup(o->web);
	s->key = dup_or_null(o->key);
	s->spool_dir = strdup(o->spool_dir);
	s->run_id = strdup(o->run_id);
	s->project_json = push_json_text(o->project);
	s->name_json = push_json_text(o->name);
	s->live.model_id = s->live.run_id = s->old_session.model_id = s->old_session.run_id = jv_invalid();
	s->main.line = s->main.upload = s->side.line = s->side.upload = jv_invalid();
	s->last_upload = push_now();
	ul_spool_init(&s->own);
	ul_spool_init(&s->old);
	/* Earlier runs' files go first, oldest first; this run's comes later. */
	s->old_files = ul_spool_list(s->spool_dir);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->room, NULL);
	s->multi = curl_multi_init();
	bool ok = s->multi && ul_request_init(&s->main.req) == 0 && ul_request_init(&s->side.req) == 0 &&
		  pipe(s->cancel_pipe) == 0;
	if (ok) {
		for (int i = 0; i < 2; i++) {
			fcntl(s->cancel_pipe[i], F_SETFD, FD_CLOEXEC);
			fcntl(s->cancel_pipe[i], F_SETFL, O_NONBLOCK);
		}
		ok = pthread_create(&s->thread, NULL, run, s) == 0;
	}
	if (!ok) {
		*err = ul_error_record("network", "cannot start the sender (libcurl or a thread)", NULL);
		return NULL;  /* a tool exits after this; nothing to tidy */
	}
	return s;
}

void ul_sender_finish(struct ul_sender *s, double timeout_s, struct ul_push_stats *st)
{
	pthread_mutex_lock(&s->lock);
	s->finishing = true;
	s->deadline = push_now() + (timeout_s > 0 ? timeout_s : 0);
	pthread_mutex_unlock(&s->lock);
	curl_multi_wakeup(s->multi);
	pthread_join(s->thread, NULL);
	ul_spool_close(&s->own);
	ul_spool_close(&s->old);
	*st = s->stats;
	st->spooled = ul_spool_count(s->spool_dir);
	ul_request_free(&s->main.req);
	ul_request_free(&s->side.req);
	curl_multi_cleanup(s->multi);
	jv_free(s->main.line);
	jv_free(s->main.upload);
	jv_free(s->side.line);
	jv_free(s->side.upload);
	push_reset_session(&s->live);
	push_reset_session(&s->old_session);
	jv_free(s->old_files);
	jv_free(s->project_json);
	jv_free(s->name_json);
	close(s->cancel_pipe[0]);
	close(s->cancel_pipe[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->room);
	free(s->side.path);
	free(s->chunk);
	free(s->api);
	free(s->web);
	free(s->key);
	free(s->spool_dir);
	free(s->run_id);
	free(s);
}
