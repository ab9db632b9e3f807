#include "push/sender_state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/human.h"

/* --- requests --------------------------------------------------------------- */

static struct session *session_of(struct ul_sender *s, enum source src)
{
	return src == FROM_OLD ? &s->old_session : &s->live;
}

void push_reset_session(struct session *x)
{
	jv_free(x->model_id);
	jv_free(x->run_id);
	x->model_id = jv_invalid();
	x->run_id = jv_invalid();
	x->shown = false;
}

static jv url_of(const struct ul_sender *s, const char *path)
{
	return jv_string_fmt("%s/%s", s->api, path);
}

static void submit(struct ul_sender *s, struct job *j)
{
	j->busy = true;
	curl_multi_add_handle(s->multi, j->req.h);
}

static jv field(jv obj, const char *key)
{
	return jv_get_kind(obj) == JV_KIND_OBJECT ? jv_object_get(jv_copy(obj), jv_string(key)) : jv_invalid();
}

static jv project_of(jv line)
{
	jv body = field(line, "body");
	jv project = field(body, "project"), name = field(body, "name");
	jv_free(body);
	jv out = jv_object();
	out = jv_object_set(out, jv_string("project"), project);
	return jv_object_set(out, jv_string("name"), name);
}

/* The ids for a line: its own (spooled with it), else its session's. */
static jv id_for(jv line, struct session *x, const char *key)
{
	jv id = field(line, key);
	if (jv_get_kind(id) == JV_KIND_STRING || jv_get_kind(id) == JV_KIND_NUMBER)
		return id;
	jv_free(id);
	jv *known = !strcmp(key, "modelId") ? &x->model_id : &x->run_id;
	return jv_is_valid(*known) ? jv_copy(*known) : jv_invalid();
}

static void start_url(struct ul_sender *s, struct job *j, jv line, const char *path, struct session *x)
{
	jv req = project_of(line);
	const char *slash = strrchr(path, '/');
	req = jv_object_set(req, jv_string("filename"), jv_string(slash ? slash + 1 : path));
	jv mid = id_for(line, x, "modelId"), rid = id_for(line, x, "runId");
	if (jv_is_valid(mid))
		req = jv_object_set(req, jv_string("modelId"), mid);
	else
		jv_free(mid);
	if (jv_is_valid(rid))
		req = jv_object_set(req, jv_string("runId"), rid);
	else
		jv_free(rid);
	jv body = jv_dump_string(req, 0);
	jv url = url_of(s, "models/upload");
	ul_request_post(&j->req, jv_string_value(url), s->key, NULL, strdup(jv_string_value(body)));
	jv_free(url);
	jv_free(body);
	j->stage = STAGE_URL;
	submit(s, j);
}

static void start_event(struct ul_sender *s, struct job *j)
{
	struct session *x = session_of(s, j->src);
	jv body = field(j->line, "body");
	jv mid = id_for(j->line, x, "modelId");
	if (jv_is_valid(mid))
		body = jv_object_set(body, jv_string("modelId"), mid);
	else
		jv_free(mid);
	jv event = field(body, "event");
	bool wants_run = jv_get_kind(event) == JV_KIND_STRING &&
		(!strcmp(jv_string_value(event), "training_complete") || !strcmp(jv_string_value(event), "checkpoint_saved"));
	jv_free(event);
	jv data = field(body, "data");
	jv rid = id_for(j->line, x, "runId");
	if (wants_run && jv_is_valid(rid) && jv_get_kind(data) == JV_KIND_OBJECT)
		data = jv_object_set(data, jv_string("runId"), rid);
	else
		jv_free(rid);
	if (jv_is_valid(j->upload) && jv_get_kind(data) == JV_KIND_OBJECT) {
		jv results = field(data, "results");
		if (jv_get_kind(results) == JV_KIND_OBJECT) {
			results = jv_object_set(results, jv_string("modelPath"), field(j->upload, "gcsPath"));
			results = jv_object_set(results, jv_string("modelSize"), jv_number((double)j->bytes));
			data = jv_object_set(data, jv_string("results"), results);
		} else {
			jv_free(results);
		}
	}
	if (jv_is_valid(data))
		body = jv_object_set(body, jv_string("data"), data);
	else
		jv_free(data);
	jv text = jv_dump_string(body, 0);
	jv key = field(j->line, "key");
	jv url = url_of(s, "training/metrics");
	ul_request_post(&j->req, jv_string_value(url), s->key,
		jv_get_kind(key) == JV_KIND_STRING ? jv_string_value(key) : NULL, strdup(jv_string_value(text)));
	jv_free(url);
	jv_free(key);
	jv_free(text);
	j->stage = STAGE_EVENT;
	submit(s, j);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void push_start_main(struct ul_sender *s, double t)
{
	struct job *j = &s->main;
	if (j->busy || !push_can_send(s) || t < s->not_before)
		return;
	enum source src;
	size_t len;
	const char *text = push_next_line(s, &src, &len);
	if (!text)
		return;
	jv line = jv_parse_sized(text, (int)len);
	if (jv_get_kind(line) != JV_KIND_OBJECT) {
		ul_warn("dropping a spool line that is not a deliverable");
		jv_free(line);
		j->src = src, j->raw_len = len;
		j->line = j->upload = jv_invalid();
		push_delivered(s, j);
		return;
	}
	jv upload = field(line, "upload");
	bool uploading = jv_get_kind(upload) == JV_KIND_STRING && file_exists(jv_string_value(upload));
	/* Never two uploads at once: the final one waits for a periodic one. */
	if (uploading && s->side.busy) {
		jv_free(upload);
		jv_free(line);
		return;
	}
	j->src = src;
	j->raw_len = len;
	j->line = line;
	j->upload = jv_invalid();
	if (uploading)
		start_url(s, j, line, jv_string_value(upload), session_of(s, src));
	else
		start_event(s, j);
	jv_free(upload);
}

void push_maybe_upload(struct ul_sender *s, const char *path)
{
	struct job *j = &s->side;
	double t = push_now();
	bool main_uploading = s->main.busy && s->main.stage != STAGE_EVENT;
	if (!push_can_send(s) || j->busy || main_uploading || t - s->last_upload < s->o.upload_every_s || !file_exists(path))
		return;
	s->last_upload = t;
	free(j->path);
	j->path = strdup(path);
	jv line = jv_string_fmt("{\"body\":{\"project\":%s,\"name\":%s}}", jv_string_value(s->project_json), jv_string_value(s->name_json));
	jv_free(j->line);
	j->line = jv_parse(jv_string_value(line));
	jv_free(line);
	j->src = FROM_MEMORY;
	start_url(s, j, j->line, path, &s->live);
}

static void back_off(struct ul_sender *s, double retry_after)
{
	s->failures++;
	double wait = s->o.backoff_s * ldexp(1.0, s->failures - 1);
	if (wait > MAX_BACKOFF_S)
		wait = MAX_BACKOFF_S;
	if (retry_after > 0)
		wait = retry_after < MAX_WAIT_S ? retry_after : MAX_WAIT_S;
	s->not_before = push_now() + wait;
}

static void unauthorized(struct ul_sender *s)
{
	if (!s->disabled)
		ul_errorf("the platform refused the API key (HTTP 401): nothing more is sent by this run; "
			  "what is left stays in the spool for 'ul-push flush' with a valid key");
	s->disabled = true;
	s->stats.unauthorized = true;
}

static void refused(struct ul_sender *s, const char *what, long status)
{
	ul_warn("the platform refused %s (HTTP %ld); it is not sent again", what, status);
	s->stats.refused++;
	s->stats.refused_status = status;
}

/* The answer to an event: ids to keep, a link to show, a cancellation. */
static void answered(struct ul_sender *s, struct job *j)
{
	struct session *x = session_of(s, j->src);
	jv resp = j->req.resp_len ? jv_parse_sized(j->req.resp, (int)j->req.resp_len) : jv_invalid();
	if (jv_get_kind(resp) != JV_KIND_OBJECT) {
		jv_free(resp);
		return;
	}
	jv mid = field(resp, "modelId"), rid = field(resp, "runId"), slug = field(resp, "modelSlug");
	if (jv_get_kind(mid) == JV_KIND_STRING || jv_get_kind(mid) == JV_KIND_NUMBER) {
		jv_free(x->model_id);
		x->model_id = jv_copy(mid);
	}
	if (jv_get_kind(rid) == JV_KIND_STRING || jv_get_kind(rid) == JV_KIND_NUMBER) {
		jv_free(x->run_id);
		x->run_id = jv_copy(rid);
	}
	if (jv_get_kind(slug) == JV_KIND_STRING && !x->shown && j->src != FROM_OLD) {
		jv project = jv_parse(jv_string_value(s->project_json));
		ul_note("view the run at %s/%s/%s", s->web, jv_string_value(project), jv_string_value(slug));
		jv_free(project);
		x->shown = true;
	}
	jv cancelled = field(resp, "cancelled");
	if (jv_get_kind(cancelled) == JV_KIND_TRUE && j->src != FROM_OLD && !s->stats.cancelled) {
		s->stats.cancelled = true;
		char byte = 1;
		ssize_t ignored = write(s->cancel_pipe[1], &byte, 1);
		(void)ignored;
	}
	jv_free(mid);
	jv_free(rid);
	jv_free(slug);
	jv_free(cancelled);
	jv_free(resp);
}

static void main_done(struct ul_sender *s, CURLcode rc)
{
	struct job *j = &s->main;
	long status;
	double after;
	enum ul_verdict v = ul_request_done(&j->req, rc, &status, &after);
	j->busy = false;
	if (v == UL_UNAUTHORIZED && j->stage != STAGE_PUT) {
		unauthorized(s);
		return;
	}
	if (v == UL_RETRY) {
		jv_free(j->line);
		jv_free(j->upload);
		j->line = j->upload = jv_invalid();
		back_off(s, after);
		return;
	}
	s->failures = 0;
	if (j->stage == STAGE_URL) {
		jv upload = field(j->line, "upload");
		jv answer = v == UL_DELIVERED ? jv_parse_sized(j->req.resp, (int)j->req.resp_len) : jv_invalid();
		jv to = field(answer, "uploadUrl");
		if (jv_get_kind(to) == JV_KIND_STRING &&
		    ul_request_put(&j->req, jv_string_value(to), jv_string_value(upload), &j->bytes) == 0) {
			j->upload = answer;
			j->stage = STAGE_PUT;
			submit(s, j);
		} else {
			if (v != UL_DELIVERED)
				refused(s, "the upload", status);
			jv_free(answer);
			start_event(s, j);
		}
		jv_free(to);
		jv_free(upload);
		return;
	}
	if (j->stage == STAGE_PUT) {
		if (v == UL_DELIVERED) {
			s->stats.uploads++;
		} else {
			refused(s, "the upload", status);
			jv_free(j->upload);
			j->upload = jv_invalid();
		}
		start_event(s, j);
		return;
	}
	if (v == UL_DELIVERED) {
		answered(s, j);
		s->stats.sent++;
	} else {
		jv body = field(j->line, "body");
		jv event = field(body, "event");
		refused(s, jv_get_kind(event) == JV_KIND_STRING ? jv_string_value(event) : "an event", status);
		jv_free(event);
		jv_free(body);
	}
	push_delivered(s, j);
}

static void side_done(struct ul_sender *s, CURLcode rc)
{
	struct job *j = &s->side;
	long status;
	double after;
	enum ul_verdict v = ul_request_done(&j->req, rc, &status, &after);
	j->busy = false;
	if (v == UL_UNAUTHORIZED && j->stage == STAGE_URL) {
		unauthorized(s);
		return;
	}
	if (v != UL_DELIVERED) {
		/* One try, as Ultralytics makes: the next checkpoint comes soon. */
		ul_warn("a checkpoint upload failed (%s); the next checkpoint will be tried",
			status ? "HTTP error" : curl_easy_strerror(rc));
		jv_free(j->upload);
		j->upload = jv_invalid();
		return;
	}
	if (j->stage == STAGE_URL) {
		jv answer = jv_parse_sized(j->req.resp, (int)j->req.resp_len);
		jv to = field(answer, "uploadUrl");
		if (jv_get_kind(to) == JV_KIND_STRING && ul_request_put(&j->req, jv_string_value(to), j->path, &j->bytes) == 0) {
			jv_free(j->upload);
			j->upload = answer;
			j->stage = STAGE_PUT;
			submit(s, j);
		} else {
			jv_free(answer);
		}
		jv_free(to);
		return;
	}
	s->stats.uploads++;
	jv data = jv_object();
	data = jv_object_set(data, jv_string("modelPath"), field(j->upload, "gcsPath"));
	data = jv_object_set(data, jv_string("uploadPath"), field(j->upload, "uploadPath"));
	jv text = jv_dump_string(data, 0);
	push_finish_chunk(s);
	push_add_deliverable(s, "checkpoint_saved", jv_string_value(text), NULL);
	jv_free(text);
	jv_free(j->upload);
	j->upload = jv_invalid();
}

bool push_handle_done(struct ul_sender *s)
{
	int running;
	curl_multi_perform(s->multi, &running);
	bool any = false;
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *h = m->easy_handle;
		CURLcode rc = m->data.result;
		curl_multi_remove_handle(s->multi, h);
		if (h == s->main.req.h)
			main_done(s, rc);
		else
			side_done(s, rc);
		any = true;
	}
	return any;
}
