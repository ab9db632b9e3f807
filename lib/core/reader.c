#include "core/reader.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/signals.h"

#define READ_CHUNK 65536

void ul_reader_init(struct ul_reader *r, int fd, size_t max_line)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->max_line = max_line < 1 ? 1 : max_line > UL_MAX_LINE_CEILING ? UL_MAX_LINE_CEILING : max_line;
}

void ul_reader_free(struct ul_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Waits until fd is readable or a stop is requested. */
static enum ul_read_status wait_readable(int fd)
{
	struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = ul_stop_fd(), .events = POLLIN } };
	for (;;) {
		if (ul_stop_requested())
			return UL_READ_STOPPED;
		int n = poll(fds, fds[1].fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno != EINTR)
			return UL_READ_IO_ERROR;
		if (n > 0 && fds[0].revents)
			return UL_READ_RECORD;
	}
}

/* Appends up to READ_CHUNK bytes to the buffer; returns bytes read, 0 at end
 * of input, -1 on error (errno) or -2 when stopped. */
static ssize_t fill(struct ul_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	/* Room for one whole line of max_line bytes plus its newline, no more. */
	size_t limit = r->max_line + 1;
	size_t want = r->end + READ_CHUNK < limit ? r->end + READ_CHUNK : limit;
	if (want > r->cap) {
		char *grown = realloc(r->buf, want);
		if (!grown)
			return -1;
		r->buf = grown;
		r->cap = want;
	}
	if (r->cap == r->end) {  /* full: the caller checks for an overlong line */
		errno = ENOBUFS;
		return -1;
	}
	for (;;) {
		enum ul_read_status w = wait_readable(r->fd);
		if (w == UL_READ_STOPPED)
			return -2;
		if (w == UL_READ_IO_ERROR)
			return -1;
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0)
			r->end += (size_t)n;
		return n;
	}
}

static enum ul_read_status bad_line(struct ul_record *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum ul_read_status bad_line(struct ul_record *rec, const char *fmt, ...)
{
	char what[512], message[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(message, sizeof message, "line %ld: %s", rec->line_no, what);
	rec->error = ul_error_record("bad_record", message,
		"each input line must be one JSON object with a string \"type\" (see ul-records(7))");
	rec->error = jv_object_set(rec->error, jv_string("line"), jv_number((double)rec->line_no));
	return UL_READ_BAD;
}

/* Offset of the first byte that breaks UTF-8 (RFC 3629), or len if none. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned min;
		unsigned cp;
		if (c < 0x80) { i++; continue; }
		else if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
		else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
		else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
		else return i;
		if (i + n >= len)  /* truncated sequence */
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += n + 1;
	}
	return len;
}

/* Turns one complete line into a record or a BAD status. */
static enum ul_read_status parse_line(struct ul_record *rec, const char *line, size_t len)
{
	const char *nul = memchr(line, '\0', len);
	if (nul)
		return bad_line(rec, "NUL byte at column %zu", (size_t)(nul - line) + 1);
	size_t bad = utf8_invalid_at((const unsigned char *)line, len);
	if (bad < len)
		return bad_line(rec, "invalid UTF-8 at column %zu", bad + 1);
	if (len > (size_t)0x7fffffff)
		return bad_line(rec, "line too long to parse");

	jv value = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(value)) {
		jv msg = jv_invalid_get_msg(value);
		char why[256] = "not JSON";
		if (jv_get_kind(msg) == JV_KIND_STRING) {
			/* jq appends the whole line; the line number says enough. */
			snprintf(why, sizeof why, "%s", jv_string_value(msg));
			char *cut = strstr(why, " (while parsing");
			if (cut)
				*cut = '\0';
			/* The input is one line, so jq's "at line 1, column N" is
			 * just "at column N". */
			char *at = strstr(why, " at line 1, column ");
			if (at)
				memmove(at + 4, at + 12, strlen(at + 12) + 1);
		}
		jv_free(msg);
		return bad_line(rec, "not valid JSON: %s", why);
	}
	if (jv_get_kind(value) != JV_KIND_OBJECT) {
		const char *kind = jv_kind_name(jv_get_kind(value));
		jv_free(value);
		return bad_line(rec, "a record must be a JSON object, not %s", kind);
	}
	jv type = jv_object_get(jv_copy(value), jv_string("type"));
	if (jv_get_kind(type) != JV_KIND_STRING || jv_string_length_bytes(jv_copy(type)) == 0) {
		bool missing = jv_get_kind(type) == JV_KIND_INVALID;
		jv_free(type);
		jv_free(value);
		return bad_line(rec, missing ? "record has no \"type\"" : "record \"type\" must be a non-empty string");
	}
	/* The object keeps its own reference to the string, so the pointer
	 * stays valid as long as rec->value does. */
	rec->type = jv_string_value(type);
	jv_free(type);
	rec->value = value;
	rec->line = line;
	rec->len = len;
	return UL_READ_RECORD;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

enum ul_read_status ul_read(struct ul_reader *r, struct ul_record *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->value = jv_invalid();
	rec->error = jv_invalid();
	bool overlong = false;  /* discarding the rest of a line past the limit */
	size_t scanned = 0;     /* bytes of the current line already searched */

	for (;;) {
		size_t unscanned = r->end - r->start - scanned;
		char *nl = unscanned ? memchr(r->buf + r->start + scanned, '\n', unscanned) : NULL;
		if (nl || (r->eof && r->end > r->start)) {
			char *line = r->buf + r->start;
			size_t len = nl ? (size_t)(nl - line) : r->end - r->start;
			r->start += len + (nl ? 1 : 0);
			rec->line_no = ++r->line_no;
			if (overlong)
				return bad_line(rec, "longer than the limit of %zu bytes", r->max_line);
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (blank(line, len)) {
				scanned = 0;
				continue;
			}
			return parse_line(rec, line, len);
		}
		if (r->eof) {
			if (overlong) {
				rec->line_no = ++r->line_no;
				return bad_line(rec, "longer than the limit of %zu bytes", r->max_line);
			}
			return UL_READ_EOF;
		}
		scanned = r->end - r->start;
		if (scanned > r->max_line) {
			/* Drop what we have of this line and keep looking for its end. */
			overlong = true;
			r->start = r->end;
			scanned = 0;
		}
		ssize_t n = fill(r);
		if (n == -2)
			return UL_READ_STOPPED;
		if (n < 0) {
			char message[256];
			snprintf(message, sizeof message, "reading input failed: %s", strerror(errno));
			rec->error = ul_error_record("io", message, NULL);
			return UL_READ_IO_ERROR;
		}
		if (n == 0)
			r->eof = true;
	}
}
