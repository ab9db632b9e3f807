#include "net/download.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/home.h"
#include "core/human.h"
#include "core/sha256.h"
#include "core/signals.h"
#include "core/version.h"

/* No wait between tries is longer, whatever Retry-After says. */
#define MAX_WAIT_S 60.0

/* One file's way through its tries. Single downloads and batches share
 * this, and the one loop in run(), so both follow the same rules. */
struct transfer {
	const struct ul_download *d;
	enum { QUEUED, ACTIVE, WAITING, DONE } state;
	CURL *curl;
	struct curl_slist *headers;
	jv shown;                 /* the URL for messages: no user info, query or fragment */
	jv part;                  /* DEST.part */
	FILE *file;               /* open on DEST.part while a 2xx body arrives */
	long long offset;         /* bytes of .part kept from before: where the Range starts */
	long long received;       /* body bytes written by this try */
	long long announced;      /* this response's Content-Length, -1 when unknown */
	enum { KEEP_GOING, TOO_LARGE, WRITE_FAILED, STALLED } abort;
	int write_errno;
	int tries;
	bool restarted;           /* the one clean restart (416, bad checksum) is spent */
	bool fresh;               /* the next try drops .part and starts from zero */
	double not_before;        /* a waiting try starts no sooner (monotonic seconds) */
	double window_start;      /* the stall check: when the current window began */
	long long window_bytes;   /* and how many body bytes had come by then */
	bool show_bar;
	struct ul_progress bar;
	char range[32];
	struct ul_download_result res;
	jv error;                 /* the error record once it failed for good, else null */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
	/* A failure here shows up as curl_easy_init() returning NULL. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Signed URLs carry their secret in the query, and user:password@ is a
 * secret too: neither may reach a message. */
static jv shown_url(const char *url)
{
	size_t len = strcspn(url, "?#");
	const char *scheme = strstr(url, "://");
	const char *host = scheme && (size_t)(scheme - url) < len ? scheme + 3 : url;
	const char *at = memchr(host, '@', strcspn(host, "/?#"));
	if (!at)
		return jv_string_sized(url, (int)len);
	return jv_string_fmt("%.*s%.*s", (int)(host - url), url, (int)(url + len - at - 1), at + 1);
}

/* host[:port] of a shown URL. */
static jv host_of(jv shown)
{
	const char *s = jv_string_value(shown);
	const char *scheme = strstr(s, "://");
	const char *host = scheme ? scheme + 3 : s;
	return jv_string_sized(host, (int)strcspn(host, "/"));
}

static void give_up(struct transfer *t, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the final error of t and ends it. */
static void give_up(struct transfer *t, const char *code, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	jv message = t->tries > 1 ? jv_string_fmt("%s: %s (%d tries)", jv_string_value(t->shown), what, t->tries)
				  : jv_string_fmt("%s: %s", jv_string_value(t->shown), what);
	jv err = ul_error_record(code, jv_string_value(message), NULL);
	jv_free(message);
	err = jv_object_set(err, jv_string("url"), jv_copy(t->shown));
	if (t->res.status)
		err = jv_object_set(err, jv_string("status"), jv_number((double)t->res.status));
	jv_free(t->error);
	t->error = err;
	t->state = DONE;
}

static int attempts(const struct ul_download *d)
{
	return d->attempts > 0 ? d->attempts : 5;
}

/* Schedules another try if any are left: after Retry-After when the server
 * sent one, else after the doubling backoff. */
static bool retry_later(struct transfer *t)
{
	if (t->tries >= attempts(t->d) + t->restarted)
		return false;
	double wait = (t->d->backoff_s > 0 ? t->d->backoff_s : 2.0) * ldexp(1.0, t->tries - 1);
	curl_off_t after = 0;
	if (curl_easy_getinfo(t->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
		wait = (double)after;
	t->state = WAITING;
	t->not_before = now() + (wait < MAX_WAIT_S ? wait : MAX_WAIT_S);
	return true;
}

/* Drops .part and tries again from zero, at once; only once per file. */
static void restart(struct transfer *t)
{
	t->restarted = true;
	t->fresh = true;
	t->state = WAITING;
	t->not_before = now();
}

/* mkdir -p for the directories above path. */
static int make_parents(const char *path)
{
	char dir[4096];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return ul_mkdirs(dir, 0755);
}

/* Closes .part; sync when it is about to become DEST, so a crash cannot
 * leave a complete-looking DEST with lost blocks. 0 or -1 with errno. */
static int close_part(struct transfer *t, bool sync)
{
	if (!t->file)
		return 0;
	int rc = 0, err = 0;
	if (fflush(t->file) != 0 || (sync && fsync(fileno(t->file)) != 0)) {
		rc = -1;
		err = errno;
	}
	if (fclose(t->file) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	t->file = NULL;
	errno = err;
	return rc;
}

/* The headers of a 2xx are in: decide between appending to .part (206 to
 * our Range) and starting over (200), and check the announced size. */
static int begin_body(struct transfer *t, long status)
{
	const struct ul_download *d = t->d;
	curl_off_t length = -1;
	curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
	bool append = status == 206 && t->offset > 0;
	if (!append)
		t->offset = 0;
	t->res.resumed = append;
	t->announced = length;
	if (d->max_bytes > 0 && length >= 0 && t->offset + length > d->max_bytes) {
		t->abort = TOO_LARGE;
		return -1;
	}
	t->file = fopen(jv_string_value(t->part), append ? "ab" : "wb");
	if (!t->file) {
		t->abort = WRITE_FAILED;
		t->write_errno = errno;
		return -1;
	}
	if (t->show_bar) {
		ul_progress_begin(&t->bar, d->progress_label, length >= 0 ? (long)(t->offset + length) : 0);
		ul_progress_update(&t->bar, (long)t->offset);
	}
	return 0;
}

static size_t on_header(char *line, size_t size, size_t n, void *data)
{
	struct transfer *t = data;
	size_t len = size * n;
	/* Only the blank line that ends a header block matters; a block of
	 * trailers after the body must not reopen the file. */
	bool end = (len == 2 && line[0] == '\r' && line[1] == '\n') || (len == 1 && line[0] == '\n');
	if (!end || t->file)
		return len;
	long status = 0;
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 != 2)
		return len;
	return begin_body(t, status) == 0 ? len : 0;
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n;
	/* The body of an error or a redirect is not ours to keep. */
	if (!t->file)
		return len;
	if (t->d->max_bytes > 0 && t->offset + t->received + (long long)len > t->d->max_bytes) {
		t->abort = TOO_LARGE;
		return 0;
	}
	if (fwrite(data, 1, len, t->file) != len) {
		t->abort = WRITE_FAILED;
		t->write_errno = errno;
		return 0;
	}
	t->received += (long long)len;
	return len;
}

static long stall_limit(const struct ul_download *d)
{
	return d->stall_timeout_s > 0 ? d->stall_timeout_s : 30L;
}

/* Called by curl about once a second even when nothing arrives. The stall
 * check is ours, not CURLOPT_LOW_SPEED_TIME, whose average over the last
 * five seconds lets a few early bytes hide a dead server for that long: a
 * window of N seconds that brings fewer than N bytes is a stall. */
static int on_progress(void *data, curl_off_t total, curl_off_t got, curl_off_t up_total, curl_off_t up_now)
{
	(void)total, (void)up_total, (void)up_now;
	struct transfer *t = data;
	long limit = stall_limit(t->d);
	double at = now();
	/* got starts again from zero after a followed redirect. */
	if (got < t->window_bytes || got - t->window_bytes >= limit) {
		t->window_start = at;
		t->window_bytes = got;
	} else if (at - t->window_start >= (double)limit) {
		t->abort = STALLED;
		return 1;
	}
	if (t->show_bar && t->file)
		ul_progress_update(&t->bar, (long)(t->offset + got));
	return 0;
}

/* The handle for all of t's tries; its connections come from the multi's pool. */
static CURL *make_handle(struct transfer *t)
{
	const struct ul_download *d = t->d;
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	const char *version = ul_version_string();
	char agent[64];
	snprintf(agent, sizeof agent, "ul/%.*s", (int)strcspn(version, " "), version);
	curl_easy_setopt(c, CURLOPT_URL, d->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, t);
	curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, d->no_redirects ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, d->connect_timeout_s > 0 ? d->connect_timeout_s : 10L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	if (d->bearer_token) {
		/* curl keeps a custom Authorization to the host the URL names: a
		 * redirect to a signed storage URL elsewhere does not get the key. */
		jv header = jv_string_fmt("Authorization: Bearer %s", d->bearer_token);
		t->headers = curl_slist_append(NULL, jv_string_value(header));
		jv_free(header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
	}
	return c;
}

/* Starts a try: the handle the first time, then a Range when .part holds bytes. */
static void start_try(struct transfer *t, CURLM *multi)
{
	const char *part = jv_string_value(t->part);
	if (!t->curl) {
		if (make_parents(t->d->dest) < 0) {
			give_up(t, "io", "cannot create the directory for %s: %s", t->d->dest, strerror(errno));
			return;
		}
		t->curl = make_handle(t);
		if (!t->curl) {
			give_up(t, "network", "cannot start libcurl");
			return;
		}
	}
	if (t->fresh && unlink(part) < 0 && errno != ENOENT) {
		give_up(t, "io", "cannot remove %s: %s", part, strerror(errno));
		return;
	}
	t->fresh = false;
	t->tries++;
	t->received = 0;
	t->announced = -1;
	t->abort = KEEP_GOING;
	t->window_start = now();
	t->window_bytes = 0;
	t->res.status = 0;
	t->res.resumed = false;
	struct stat st;
	t->offset = stat(part, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
	snprintf(t->range, sizeof t->range, "%lld-", t->offset);
	curl_easy_setopt(t->curl, CURLOPT_RANGE, t->offset > 0 ? t->range : NULL);
	curl_multi_add_handle(multi, t->curl);
	t->state = ACTIVE;
}

static bool transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void network_failure(struct transfer *t, CURLcode rc)
{
	bool stalled = t->abort == STALLED;
	if ((stalled || transient(rc)) && retry_later(t))
		return;
	jv host = host_of(t->shown);
	const char *h = jv_string_value(host);
	if (stalled)
		give_up(t, "network", "the transfer from %s stalled: under 1 byte/s for %ld s", h, stall_limit(t->d));
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		give_up(t, "network", "connecting to %s timed out after %ld s", h,
			t->d->connect_timeout_s > 0 ? t->d->connect_timeout_s : 10L);
	else if (rc == CURLE_PARTIAL_FILE)
		give_up(t, "network", "the connection to %s closed after %lld of %lld bytes", h,
			t->offset + t->received, t->offset + t->announced);
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		give_up(t, "network", "cannot connect to %s: %s", h, curl_easy_strerror(rc));
	else
		give_up(t, "network", "the transfer from %s failed: %s", h, curl_easy_strerror(rc));
	jv_free(host);
}

static void http_failure(struct transfer *t, long status)
{
	if ((status == 408 || status == 429 || status >= 500) && retry_later(t))
		return;
	switch (status) {
	case 401:
		give_up(t, "unauthorized", "%s (HTTP 401)",
			t->d->bearer_token ? "the API key was refused" : "the server asks for an API key");
		break;
	case 403:
		give_up(t, "forbidden", "access denied (HTTP 403)");
		break;
	case 404:
		give_up(t, "not_found", "not found (HTTP 404)");
		break;
	case 409:
		give_up(t, "not_ready", "the dataset is still being processed; try again later (HTTP 409)");
		break;
	default:
		give_up(t, "http", "the server answered HTTP %ld", status);
	}
}

/* The body is complete: check it, then make it DEST. */
static void publish(struct transfer *t)
{
	const struct ul_download *d = t->d;
	const char *part = jv_string_value(t->part);
	if (d->sha256) {
		char got[UL_SHA256_HEX];
		if (ul_sha256_file(part, got) < 0) {
			give_up(t, "io", "cannot read %s: %s", part, strerror(errno));
			return;
		}
		if (strcasecmp(got, d->sha256) != 0) {
			unlink(part);
			if (!t->restarted)
				restart(t);
			else
				give_up(t, "checksum", "SHA-256 is %s, expected %s", got, d->sha256);
			return;
		}
	}
	if (rename(part, d->dest) < 0) {
		give_up(t, "io", "cannot rename %s to %s: %s", part, d->dest, strerror(errno));
		return;
	}
	t->res.bytes = t->offset + t->received;
	t->state = DONE;
}

/* A try ended: done, failed for good, or another try scheduled. */
static void finish_try(struct transfer *t, CURLcode rc)
{
	const struct ul_download *d = t->d;
	long status = 0;
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	t->res.status = status;
	ul_progress_end(&t->bar);
	bool complete = rc == CURLE_OK && status / 100 == 2;
	if (close_part(t, complete) < 0 && complete) {
		give_up(t, "io", "cannot write %s: %s", jv_string_value(t->part), strerror(errno));
		return;
	}
	if (t->abort == TOO_LARGE) {
		unlink(jv_string_value(t->part));
		if (t->received == 0 && t->announced >= 0)
			give_up(t, "too_large", "the server announces %lld bytes, over the limit of %lld",
				t->offset + t->announced, d->max_bytes);
		else
			give_up(t, "too_large", "larger than the limit of %lld bytes", d->max_bytes);
	} else if (t->abort == WRITE_FAILED) {
		give_up(t, "io", "cannot write %s: %s", jv_string_value(t->part), strerror(t->write_errno));
	} else if (rc == CURLE_TOO_MANY_REDIRECTS) {
		give_up(t, "http", "too many redirects");
	} else if (rc != CURLE_OK) {
		network_failure(t, rc);
	} else if (status / 100 == 3 && d->no_redirects) {
		char *location = NULL;
		curl_easy_getinfo(t->curl, CURLINFO_REDIRECT_URL, &location);
		if (location) {
			t->res.location = jv_string(location);
			t->state = DONE;
		} else {
			give_up(t, "http", "HTTP %ld without a Location", status);
		}
	} else if (status == 416 && !t->restarted) {
		restart(t);
	} else if (!complete) {
		http_failure(t, status);
	} else {
		publish(t);
	}
}

/* Ctrl-C: every file not yet done ends as stopped; .part files stay for
 * the next run to continue. */
static void stop_all(struct transfer *t, size_t n, CURLM *multi)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].state == DONE)
			continue;
		if (t[i].state == ACTIVE) {
			curl_multi_remove_handle(multi, t[i].curl);
			close_part(&t[i], false);
			ul_progress_end(&t[i].bar);
		}
		give_up(&t[i], "stopped", "stopped by signal %d", ul_stop_signal());
	}
}

static void finished(size_t *done, struct ul_progress *count)
{
	++*done;
	if (count)
		ul_progress_update(count, (long)*done);
}

/* Runs every transfer to DONE, at most `parallel` at a time. */
static void run(struct transfer *t, size_t n, int parallel, struct ul_progress *count)
{
	pthread_once(&curl_once, init_curl);
	CURLM *multi = curl_multi_init();
	if (!multi) {
		for (size_t i = 0; i < n; i++)
			give_up(&t[i], "network", "cannot start libcurl");
		return;
	}
	size_t next = 0, done = 0, waiting = 0;
	int active = 0;
	while (done < n) {
		if (ul_stop_requested()) {
			stop_all(t, n, multi);
			break;
		}
		double at = now(), wake = at + 1.0;
		/* Retries that are due go first, then files not started yet. */
		for (size_t i = 0; waiting > 0 && i < next && active < parallel; i++) {
			if (t[i].state != WAITING)
				continue;
			if (t[i].not_before > at) {
				wake = t[i].not_before < wake ? t[i].not_before : wake;
				continue;
			}
			waiting--;
			start_try(&t[i], multi);
			if (t[i].state == ACTIVE)
				active++;
			else
				finished(&done, count);
		}
		while (next < n && active < parallel) {
			start_try(&t[next], multi);
			if (t[next++].state == ACTIVE)
				active++;
			else
				finished(&done, count);
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			void *owner = NULL;
			CURLcode rc = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &owner);
			struct transfer *x = owner;
			curl_multi_remove_handle(multi, x->curl);
			active--;
			finish_try(x, rc);
			if (x->state == WAITING) {
				waiting++;
				wake = at;
			} else {
				finished(&done, count);
			}
		}
		if (done == n)
			break;
		/* curl shortens the wait to its own timers; the stop pipe, when
		 * there is one, wakes us at once on Ctrl-C. */
		double ms = (wake - now()) * 1000;
		struct curl_waitfd stop = { .fd = ul_stop_fd(), .events = CURL_WAIT_POLLIN };
		curl_multi_poll(multi, stop.fd >= 0 ? &stop : NULL, stop.fd >= 0 ? 1 : 0, ms > 0 ? (int)ms : 0, NULL);
	}
	curl_multi_cleanup(multi);
}

static void prepare(struct transfer *t, const struct ul_download *d, bool show_bar)
{
	memset(t, 0, sizeof *t);
	t->d = d;
	t->state = QUEUED;
	t->shown = shown_url(d->url);
	t->part = jv_string_fmt("%s.part", d->dest);
	t->show_bar = show_bar && d->progress_label;
	t->res.location = jv_null();
	t->error = jv_null();
}

/* Frees what t holds, except what was handed out (error, location). */
static void release(struct transfer *t)
{
	if (t->curl)
		curl_easy_cleanup(t->curl);
	curl_slist_free_all(t->headers);
	jv_free(t->shown);
	jv_free(t->part);
}

int ul_download_file(const struct ul_download *d, struct ul_download_result *res, jv *err)
{
	struct transfer t;
	prepare(&t, d, true);
	run(&t, 1, 1, NULL);
	release(&t);
	int rc = jv_get_kind(t.error) == JV_KIND_NULL ? 0 : -1;
	if (res)
		*res = t.res;
	else
		jv_free(t.res.location);
	if (rc < 0 && err)
		*err = t.error;
	else
		jv_free(t.error);
	return rc;
}

/* The file name the cache keeps: the URL's last path segment when it is a
 * usable name. */
static jv cache_name(jv shown)
{
	const char *s = jv_string_value(shown);
	const char *scheme = strstr(s, "://");
	const char *path = strchr(scheme ? scheme + 3 : s, '/');
	const char *name = path ? strrchr(path, '/') + 1 : "";
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > 200)
		name = "download";
	return jv_string(name);
}

jv ul_download_cached(const struct ul_download *d, jv *err)
{
	char key[UL_SHA256_HEX];
	ul_sha256_hex(d->url, strlen(d->url), key);
	jv shown = shown_url(d->url);
	jv name = cache_name(shown);
	jv_free(shown);
	jv rel = jv_string_fmt("cache/downloads/%.16s/%s", key, jv_string_value(name));
	jv_free(name);
	jv path = ul_home_path(jv_string_value(rel));
	jv_free(rel);
	if (!jv_is_valid(path)) {
		jv msg = jv_invalid_get_msg(path);
		if (err)
			*err = ul_error_record("io", jv_string_value(msg), NULL);
		jv_free(msg);
		return jv_invalid();
	}
	/* DEST only ever appears complete, so being there is enough. */
	struct stat st;
	if (stat(jv_string_value(path), &st) == 0 && S_ISREG(st.st_mode))
		return path;
	struct ul_download copy = *d;
	copy.dest = jv_string_value(path);
	if (ul_download_file(&copy, NULL, err) < 0) {
		jv_free(path);
		return jv_invalid();
	}
	return path;
}

int ul_download_many(const struct ul_download *list, size_t n, int parallel, jv *errors)
{
	if (n == 0)
		return 0;
	struct transfer *t = calloc(n, sizeof *t);
	if (!t)
		abort(); /* out of memory: what jv does too */
	for (size_t i = 0; i < n; i++)
		prepare(&t[i], &list[i], false);
	struct ul_progress count;
	memset(&count, 0, sizeof count);
	if (list[0].progress_label)
		ul_progress_begin(&count, list[0].progress_label, (long)n);
	run(t, n, parallel > 0 ? parallel : 1, &count);
	ul_progress_end(&count);
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		release(&t[i]);
		jv_free(t[i].res.location);
		if (jv_get_kind(t[i].error) == JV_KIND_NULL) {
			jv_free(t[i].error);
			continue;
		}
		failed++;
		*errors = jv_array_append(*errors, t[i].error);
	}
	free(t);
	return failed;
}
