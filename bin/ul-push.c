/* ul-push: stream a run to the platform's dashboard, passing every record on.
 *
 *   ul-train ... | ul-meter | ul-push project=me/pets name=exp1
 *   ul-push flush
 *
 * Every input line goes to stdout at once, unchanged, whatever the network
 * does: the sending happens on a thread of its own (push/sender.h), which
 * spools to $UL_HOME/push/ what it cannot deliver. At the end of the input
 * it keeps delivering for up to timeout= seconds, leaves the rest in the
 * spool for the next ul-push (or `ul-push flush`) and exits. When the
 * platform answers that the run was cancelled, ul-push closes its input,
 * which stops the stages upstream, and writes a `status` cancelled record.
 * The API key comes from $UL_API_KEY or $ULTRALYTICS_API_KEY only. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/args.h"
#include "core/error.h"
#include "core/home.h"
#include "core/human.h"
#include "core/reader.h"
#include "core/signals.h"
#include "core/tool.h"
#include "core/writer.h"
#include "net/platform_env.h"
#include "push/events.h"
#include "push/select.h"
#include "push/sender.h"
#include "push/slug.h"

static const struct ul_arg push_args[] = {
	{ "project", UL_ARG_STRING, "null" },
	{ "name", UL_ARG_STRING, "null" },
	{ "select", UL_ARG_STRING, "null" },
	{ "timeout", UL_ARG_FLOAT, "30" },
	{ "queue", UL_ARG_INT, "10000" },
	{ "backoff", UL_ARG_FLOAT, "1" },
	{ "upload_every", UL_ARG_FLOAT, "900" },
	{ NULL },
};

static const struct ul_tool push_tool = {
	.name = "ul-push",
	.manual = ul_manual,
	.args = push_args,
	.max_words = 1,
};

/* 64 random bits as hex: every idempotency key starts with them. */
static void make_run_id(char out[17])
{
	unsigned long long r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
		r = (unsigned long long)time(NULL) * 6364136223846793005ull ^ (unsigned long long)getpid();
	if (fd >= 0)
		close(fd);
	snprintf(out, 17, "%016llx", r);
}

/* --- output: whole lines, written together while more input is waiting ---- */

static char out_buf[1 << 16];
static size_t out_len;

static void out_flush(void)
{
	if (out_len)
		ul_write_line(out_buf, out_len - 1);
	out_len = 0;
}

static void out_line(const char *line, size_t len)
{
	if (out_len + len + 1 > sizeof out_buf)
		out_flush();
	if (len + 1 > sizeof out_buf) {
		ul_write_line(line, len);
		return;
	}
	memcpy(out_buf + out_len, line, len);
	out_buf[out_len + len] = '\n';
	out_len += len + 1;
}

/* True when the reader holds a whole record already, so reading it cannot
 * wait; blank lines are skipped as the reader does. */
static bool record_ready(const struct ul_reader *r)
{
	const char *p = r->buf + r->start, *end = r->buf + r->end;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return r->eof || (p < end && memchr(p, '\n', (size_t)(end - p)));
}

/* Waits for input; false when the platform cancelled the run first. */
static bool wait_input(int cancel_fd)
{
	struct pollfd fds[3] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = cancel_fd, .events = POLLIN },
				 { .fd = ul_stop_fd(), .events = POLLIN } };
	for (;;) {
		int n = poll(fds, fds[2].fd >= 0 ? 3 : 2, -1);
		if (n > 0 && fds[1].revents)
			return false;
		if (n > 0 || ul_stop_requested())
			return true;
	}
}

/* --- the end ------------------------------------------------------------- */

static void write_cancelled(jv run)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	jv rec = ul_record("status");
	rec = jv_object_set(rec, jv_string("run"), jv_get_kind(run) == JV_KIND_STRING ? run : jv_string("unknown"));
	rec = jv_object_set(rec, jv_string("status"), jv_string("cancelled"));
	rec = jv_object_set(rec, jv_string("reason"), jv_string("cancelled from the platform's dashboard"));
	rec = jv_object_set(rec, jv_string("time"), jv_string(when));
	ul_write_record(rec);
}

/* Says what became of the events; the exit status that follows. */
static int report(const struct ul_push_stats *st, const char *spool_dir, bool have_key, int rc)
{
	ul_note("%ld event%s delivered, %ld file%s uploaded", st->sent, st->sent == 1 ? "" : "s", st->uploads,
		st->uploads == 1 ? "" : "s");
	if (st->spooled > 0)
		ul_note("%ld event%s in the spool %s; the next ul-push or 'ul-push flush' sends %s", st->spooled,
			st->spooled == 1 ? " waits" : "s wait", spool_dir, st->spooled == 1 ? "it" : "them");
	if (!have_key || st->unauthorized) {
		jv err = ul_error_record("unauthorized", have_key ? "the platform refused the API key (HTTP 401)" : "no API key: nothing was sent",
			"set UL_API_KEY (or ULTRALYTICS_API_KEY) to a valid key, then run 'ul-push flush'");
		ul_write_record(err);
		rc = rc ? rc : UL_EXIT_FAILED;
	}
	if (st->refused > 0) {
		char message[160];
		snprintf(message, sizeof message, "the platform refused %ld request%s (last: HTTP %ld), which were not retried",
			st->refused, st->refused == 1 ? "" : "s", st->refused_status);
		jv err = ul_error_record("refused", message, NULL);
		ul_write_record(jv_object_set(err, jv_string("status"), jv_number((double)st->refused_status)));
		rc = rc ? rc : UL_EXIT_FAILED;
	}
	if (st->spool_failed) {
		char message[160];
		snprintf(message, sizeof message, "the spool could not be written: %ld event%s lost", st->lost, st->lost == 1 ? "" : "s");
		ul_write_record(ul_error_record("io", message, "check the disk and the permissions of $UL_HOME/push"));
		rc = rc ? rc : UL_EXIT_FAILED;
	}
	return rc;
}

/* ul-push flush: the spool only. */
static int flush(struct ul_push_options *o, double timeout)
{
	if (!o->key)
		return ul_fail(UL_EXIT_FAILED, ul_error_record("unauthorized", "no API key: the spool cannot be sent",
			"set UL_API_KEY (or ULTRALYTICS_API_KEY)"));
	jv err = jv_invalid();
	struct ul_sender *s = ul_sender_start(o, &err);
	if (!s)
		return ul_fail(UL_EXIT_FAILED, err);
	struct ul_push_stats st;
	ul_sender_finish(s, timeout, &st);
	int rc = report(&st, o->spool_dir, true, UL_EXIT_OK);
	if (st.spooled > 0 && rc == UL_EXIT_OK) {
		jv e = ul_error_record("network", "the platform could not take every spooled event in time",
			"run 'ul-push flush' again later, or with a larger timeout=");
		rc = ul_fail(UL_EXIT_FAILED, e);
	}
	return rc;
}

/* The filter: pass everything on, hand the chosen records to the sender. */
static int push(struct ul_push_options *o, struct ul_select *sel, bool named, double timeout)
{
	jv err = jv_invalid();
	struct ul_sender *s = ul_sender_start(o, &err);
	if (!s)
		return ul_fail(UL_EXIT_FAILED, err);
	if (!o->key)
		ul_warn("no API key (set UL_API_KEY or ULTRALYTICS_API_KEY): records are kept in the spool, not sent");
	struct ul_push_map map;
	ul_push_map_init(&map, s, named);
	struct ul_reader reader;
	ul_reader_init(&reader, STDIN_FILENO, UL_MAX_LINE_DEFAULT);
	int rc = UL_EXIT_OK;
	bool cancelled = false;
	for (;;) {
		if (!record_ready(&reader)) {
			out_flush();
			if (ul_output_closed())
				break;
			if (!wait_input(ul_sender_cancel_fd(s))) {
				cancelled = true;
				break;
			}
		}
		struct ul_record rec;
		enum ul_read_status status = ul_read(&reader, &rec);
		if (status == UL_READ_RECORD) {
			out_line(rec.line, rec.len);
			ul_push_map_record(&map, rec.value, rec.type, rec.line, ul_select_wants(sel, rec.value, rec.type));
			jv_free(rec.value);
		} else if (status == UL_READ_BAD || status == UL_READ_IO_ERROR) {
			out_flush();
			rc = ul_fail(UL_EXIT_FAILED, rec.error);
			if (status == UL_READ_IO_ERROR)
				break;
		} else {
			break;
		}
	}
	out_flush();
	ul_reader_free(&reader);
	if (cancelled) {
		/* Closing the pipe is how the stages upstream learn to stop. */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			close(null);
		}
		ul_errorf("the run was cancelled from the platform's dashboard; stopping the pipeline");
		ul_push_map_cancelled(&map);
		write_cancelled(jv_copy(map.run));
		rc = UL_EXIT_STOPPED;
	}
	struct ul_push_stats st;
	ul_sender_finish(s, ul_stop_requested() ? 0 : timeout, &st);
	ul_push_map_free(&map);
	return report(&st, o->spool_dir, o->key != NULL, rc);
}

int main(int argc, char **argv)
{
	ul_tool_start(argv[0]);
	struct ul_args args;
	int rc = ul_args_parse(&args, &push_tool, argc, argv);
	if (rc >= 0)
		goto done;
	bool flushing = false;
	if (jv_array_length(jv_copy(args.words)) > 0) {
		jv word = jv_array_get(jv_copy(args.words), 0);
		flushing = !strcmp(jv_string_value(word), "flush");
		if (!flushing) {
			jv e = ul_error_record("usage", "the only command is 'flush'", "run 'ul-push --help' for the arguments it takes");
			rc = ul_fail(UL_EXIT_USAGE, e);
		}
		jv_free(word);
		if (!flushing)
			goto done;
	}
	const char *project = ul_arg_str(&args, "project");
	if (!flushing && (!project || !*project)) {
		jv e = ul_error_record("usage", "no project given", "name one with project=OWNER/PROJECT");
		rc = ul_fail(UL_EXIT_USAGE, jv_object_set(e, jv_string("param"), jv_string("project")));
		goto done;
	}
	long long queue = ul_arg_int(&args, "queue");
	double backoff = ul_arg_float(&args, "backoff"), timeout = ul_arg_float(&args, "timeout");
	double every = ul_arg_float(&args, "upload_every");
	const char *bad = queue < 1 ? "queue" : !(backoff > 0) ? "backoff" : !(timeout >= 0) ? "timeout" : !(every >= 0) ? "upload_every" : NULL;
	if (bad) {
		jv e = ul_error_record("usage", "queue must be at least 1, backoff above 0, timeout and upload_every at least 0", NULL);
		rc = ul_fail(UL_EXIT_USAGE, jv_object_set(e, jv_string("param"), jv_string(bad)));
		goto done;
	}
	struct ul_select sel;
	jv err = jv_invalid();
	if (ul_select_init(&sel, ul_arg_str(&args, "select"), &err) < 0) {
		jv msg = jv_invalid_get_msg(err);
		jv e = ul_error_record("usage", jv_string_value(msg), "select= takes a jq expression, for example select='.type == \"epoch\"'");
		jv_free(msg);
		rc = ul_fail(UL_EXIT_USAGE, jv_object_set(e, jv_string("param"), jv_string("select")));
		goto done;
	}
	jv spool = ul_home_path("push");
	if (!jv_is_valid(spool)) {
		jv msg = jv_invalid_get_msg(spool);
		rc = ul_fail(UL_EXIT_FAILED, ul_error_record("io", jv_string_value(msg), NULL));
		jv_free(msg);
		ul_select_free(&sel);
		goto done;
	}
	const char *name = ul_arg_str(&args, "name");
	jv project_slug = flushing ? jv_string("") : ul_project_slug(project);
	jv name_slug = ul_slugify(name && *name ? name : "train");
	jv web = ul_platform_web_url();
	jv api = ul_platform_webhooks_url();
	char run_id[17];
	make_run_id(run_id);
	struct ul_push_options o = {
		.api = jv_string_value(api), .web = jv_string_value(web), .key = ul_platform_key(),
		.spool_dir = jv_string_value(spool), .project = jv_string_value(project_slug), .name = jv_string_value(name_slug),
		.run_id = run_id, .backoff_s = backoff, .upload_every_s = every, .queue_max = (size_t)queue, .live = !flushing,
	};
	rc = flushing ? flush(&o, timeout) : push(&o, &sel, name && *name, timeout);
	ul_select_free(&sel);
	jv_free(project_slug);
	jv_free(name_slug);
	jv_free(web);
	jv_free(api);
	jv_free(spool);
done:
	ul_args_free(&args);
	return ul_tool_exit(rc);
}
