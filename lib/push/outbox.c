#include "push/sender_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/grow.h"

/* --- deliverables ---------------------------------------------------------- */

void push_add_deliverable(struct ul_sender *s, const char *event, const char *data, const char *upload)
{
	jv up = jv_string("");
	if (upload) {
		jv path = push_json_text(upload);
		jv_free(up);
		up = jv_string_fmt(",\"upload\":%s", jv_string_value(path));
		jv_free(path);
	}
	jv line = jv_string_fmt("{\"key\":\"%s-%ld\"%s,\"body\":{\"event\":\"%s\",\"project\":%s,\"name\":%s,\"data\":%s}}",
		s->run_id, s->seq++, jv_string_value(up), event, jv_string_value(s->project_json),
		jv_string_value(s->name_json), data);
	jv_free(up);
	struct deliverable *d = calloc(1, sizeof *d);
	if (d) {
		d->line = strdup(jv_string_value(line));
		d->born = push_now();
		if (s->tail)
			s->tail->next = d;
		else
			s->head = d;
		s->tail = d;
		s->pending++;
	}
	jv_free(line);
}

static void pop_deliverable(struct ul_sender *s)
{
	struct deliverable *d = s->head;
	s->head = d->next;
	if (!s->head)
		s->tail = NULL;
	s->pending--;
	free(d->line);
	free(d);
}

void push_finish_chunk(struct ul_sender *s)
{
	if (!s->chunk_lines)
		return;
	jv content = jv_dump_string(jv_string_sized(s->chunk, (int)s->chunk_len), 0);
	jv data = jv_string_fmt("{\"chunkId\":%ld,\"content\":%s,\"lineCount\":%d}", s->chunk_id++,
		jv_string_value(content), s->chunk_lines);
	push_add_deliverable(s, "console_output", jv_string_value(data), NULL);
	jv_free(content);
	jv_free(data);
	s->chunk_len = 0;
	s->chunk_lines = 0;
}

void push_add_console(struct ul_sender *s, const char *text)
{
	size_t len = strlen(text);
	if (s->chunk_lines >= CHUNK_MAX_LINES || s->chunk_len + len + 1 > CHUNK_MAX_BYTES)
		push_finish_chunk(s);
	if (ul_grow(&s->chunk, &s->chunk_cap, s->chunk_len + len + 2, 1) < 0)
		return;
	if (!s->chunk_lines)
		s->chunk_first = push_now();
	else
		s->chunk[s->chunk_len++] = '\n';
	memcpy(s->chunk + s->chunk_len, text, len);
	s->chunk_len += len;
	s->chunk_lines++;
}

bool push_have_head(const struct ul_sender *s)
{
	return ul_spool_pending(&s->old) || s->old_next < jv_array_length(jv_copy(s->old_files)) ||
	       ul_spool_pending(&s->own) || s->head;
}

bool push_can_send(const struct ul_sender *s)
{
	return s->key && !s->disabled;
}

/* Console lines go out 5 at a time when the line is free, else they pile
 * up into one bigger chunk: that is the batching. */
void push_maybe_finish_chunk(struct ul_sender *s, double t)
{
	if (!s->chunk_lines)
		return;
	bool idle = !s->main.busy && !push_have_head(s);
	if (s->closing || t - s->chunk_first >= CHUNK_SECONDS || (s->chunk_lines >= CHUNK_LINES && idle))
		push_finish_chunk(s);
}

/* --- the spool -------------------------------------------------------------- */

/* A line as it goes to disk: with the ids the platform gave this run, so a
 * later ul-push sends it to the same model. */
static jv spool_form(const struct ul_sender *s, const char *line)
{
	if (!jv_is_valid(s->live.model_id) || strncmp(line, "{\"key\"", 6))
		return jv_string(line);
	jv mid = jv_dump_string(jv_copy(s->live.model_id), 0);
	jv rid = jv_is_valid(s->live.run_id) ? jv_dump_string(jv_copy(s->live.run_id), 0) : jv_string("null");
	jv out = jv_string_fmt("{\"modelId\":%s,\"runId\":%s,%s", jv_string_value(mid), jv_string_value(rid), line + 1);
	jv_free(mid);
	jv_free(rid);
	return out;
}

/* With no disk to spool to, memory stays bounded: the oldest go (not the
 * one in flight, which goes when it is answered). */
static void spool_failed(struct ul_sender *s)
{
	s->stats.spool_failed = true;
	bool head_busy = s->main.busy && s->main.src == FROM_MEMORY;
	while (s->pending > s->o.queue_max && !head_busy) {
		pop_deliverable(s);
		s->stats.lost++;
	}
}

void push_spool_pending(struct ul_sender *s)
{
	if (!s->head)
		return;
	if (s->own.fd < 0) {
		jv err = jv_invalid();
		if (s->stats.spool_failed || ul_spool_create(&s->own, s->spool_dir, s->run_id, &err) < 0) {
			if (!s->stats.spool_failed) {
				jv msg = jv_invalid_get_msg(err);
				ul_errorf("cannot spool: %s", jv_string_value(msg));
				jv_free(msg);
			}
			spool_failed(s);
			return;
		}
	}
	char *buf = NULL;
	size_t len = 0, cap = 0, first_len = 0;
	for (struct deliverable *d = s->head; d; d = d->next) {
		jv line = spool_form(s, d->line);
		size_t n = (size_t)jv_string_length_bytes(jv_copy(line));
		if (ul_grow(&buf, &cap, len + n + 1, 1) == 0) {
			memcpy(buf + len, jv_string_value(line), n);
			buf[len + n] = '\n';
			if (d == s->head)
				first_len = n;
			len += n + 1;
		}
		jv_free(line);
	}
	if (ul_spool_append(&s->own, buf, len) < 0) {
		if (!s->stats.spool_failed)
			ul_errorf("cannot write the spool %s: %s", s->own.path, strerror(errno));
		free(buf);
		spool_failed(s);
		return;
	}
	free(buf);
	/* The request in flight is for the first of them: it now stands for
	 * that spooled line. */
	if (s->main.busy && s->main.src == FROM_MEMORY) {
		s->main.src = FROM_OWN;
		s->main.raw_len = first_len;
	}
	while (s->head)
		pop_deliverable(s);
}

/* The end: everything to disk; what the disk does not take is lost. */
void push_spool_rest(struct ul_sender *s)
{
	push_finish_chunk(s);
	push_spool_pending(s);
	for (; s->head; s->stats.lost++)
		pop_deliverable(s);
}

bool push_must_spool(const struct ul_sender *s, double t)
{
	return s->head && (!push_can_send(s) || s->failures > 0 || s->pending >= s->o.queue_max ||
			   t - s->head->born >= SPOOL_AFTER_S || (s->closing && t >= s->deadline));
}

/* The next line to deliver, from the oldest place that has one. */
const char *push_next_line(struct ul_sender *s, enum source *src, size_t *len)
{
	while (!ul_spool_pending(&s->old) && s->old_next < jv_array_length(jv_copy(s->old_files))) {
		ul_spool_close(&s->old);
		push_reset_session(&s->old_session);
		jv path = jv_array_get(jv_copy(s->old_files), s->old_next++);
		ul_spool_open(&s->old, jv_string_value(path));
		jv_free(path);
	}
	const char *line;
	if ((line = ul_spool_peek(&s->old, len))) {
		*src = FROM_OLD;
		return line;
	}
	if ((line = ul_spool_peek(&s->own, len))) {
		*src = FROM_OWN;
		return line;
	}
	if (s->head) {
		*src = FROM_MEMORY;
		*len = strlen(s->head->line);
		return s->head->line;
	}
	return NULL;
}

void push_delivered(struct ul_sender *s, struct job *j)
{
	if (j->src == FROM_MEMORY)
		pop_deliverable(s);
	else
		ul_spool_done(j->src == FROM_OWN ? &s->own : &s->old, j->raw_len);
	jv_free(j->line);
	jv_free(j->upload);
	j->line = j->upload = jv_invalid();
}
