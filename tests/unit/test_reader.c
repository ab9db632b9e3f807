/* Reading JSON lines: records, bad lines, limits, and a stop signal. */
#include <pthread.h>
#include <signal.h>

#include "core/error.h"
#include "core/reader.h"
#include "core/signals.h"
#include "tap.h"

/* A reader over a pipe holding text (small enough for the pipe buffer). */
static int pipe_with(const char *text, size_t len)
{
	int fds[2];
	if (pipe(fds) < 0 || write(fds[1], text, len) != (ssize_t)len)
		abort();
	close(fds[1]);
	return fds[0];
}

/* Reads everything, describing each result on its own line:
 * "R<line>:<type>:<raw bytes>" or "B<line>:<message>". */
static char *read_all(const char *text, size_t len, size_t max_line)
{
	int fd = pipe_with(text, len);
	struct ul_reader r;
	ul_reader_init(&r, fd, max_line);
	char *out = calloc(1, 65536);
	size_t used = 0;
	for (;;) {
		struct ul_record rec;
		enum ul_read_status st = ul_read(&r, &rec);
		if (st == UL_READ_RECORD) {
			used += (size_t)snprintf(out + used, 65536 - used, "R%ld:%s:%.*s\n", rec.line_no,
				rec.type, (int)rec.len, rec.line);
			jv_free(rec.value);
		} else if (st == UL_READ_BAD) {
			jv msg = jv_object_get(rec.error, jv_string("message"));
			used += (size_t)snprintf(out + used, 65536 - used, "B%ld:%s\n", rec.line_no, jv_string_value(msg));
			jv_free(msg);
		} else {
			break;
		}
	}
	ul_reader_free(&r);
	close(fd);
	return out;
}

static void reads(const char *text, size_t len, const char *want, const char *name)
{
	char *got = read_all(text, len, UL_MAX_LINE_DEFAULT);
	is_str(got, want, "%s", name);
	free(got);
}
#define READS(text, want, name) reads(text, sizeof(text) - 1, want, name)

struct feeder { int fd; size_t bytes; };

/* Writes a huge line (no newline in it), then a newline and a good record. */
static void *feed_huge(void *arg)
{
	struct feeder *f = arg;
	char chunk[65536];
	memset(chunk, 'x', sizeof chunk);
	for (size_t sent = 0; sent < f->bytes; sent += sizeof chunk)
		if (write(f->fd, chunk, sizeof chunk) < 0)
			break;
	const char *tail = "\n{\"type\":\"after\"}\n";
	if (write(f->fd, tail, strlen(tail)) < 0)
		perror("write");
	close(f->fd);
	return NULL;
}

int main(void)
{
	ul_set_program("ul-test");

	READS("{\"type\":\"a\", \"x\" : 1.50}\n{\"type\":\"b\"}\n",
	      "R1:a:{\"type\":\"a\", \"x\" : 1.50}\nR2:b:{\"type\":\"b\"}\n", "records keep their raw bytes");
	READS("{\"type\":\"a\"}", "R1:a:{\"type\":\"a\"}\n", "a last line without a newline is read");
	READS("", "", "an empty stream has no records");
	READS("\n  \n{\"type\":\"a\"}\r\n\r\n{\"type\":\"b\"}\n",
	      "R3:a:{\"type\":\"a\"}\nR5:b:{\"type\":\"b\"}\n", "blank lines are skipped, CRLF is trimmed, line numbers count them");
	READS("{\"type\":\"\xc3\xa9t\xc3\xa9\"}\n", "R1:\xc3\xa9t\xc3\xa9:{\"type\":\"\xc3\xa9t\xc3\xa9\"}\n", "UTF-8 is fine");

	READS("not json\n{\"type\":\"ok\"}\n", "B1:line 1: not valid JSON: Invalid numeric literal at column 4\nR2:ok:{\"type\":\"ok\"}\n",
	      "bad JSON is reported and reading goes on");
	READS("[1,2]\n\"s\"\n3\nnull\n", "B1:line 1: a record must be a JSON object, not array\n"
	      "B2:line 2: a record must be a JSON object, not string\nB3:line 3: a record must be a JSON object, not number\n"
	      "B4:line 4: a record must be a JSON object, not null\n", "values that are not objects");
	READS("{\"x\":1}\n{\"type\":3}\n{\"type\":\"\"}\n", "B1:line 1: record has no \"type\"\n"
	      "B2:line 2: record \"type\" must be a non-empty string\nB3:line 3: record \"type\" must be a non-empty string\n",
	      "type missing, not a string, empty");
	READS("{\"type\":\"a\"}{\"type\":\"b\"}\n", "B1:line 1: not valid JSON: Unexpected extra JSON values\n",
	      "two values on one line");
	READS("{\"type\":\"a\",\n", "B1:line 1: not valid JSON: Unfinished JSON term at EOF at column 12\n", "truncated JSON");
	READS("{\"type\":\"a\xff\"}\n", "B1:line 1: invalid UTF-8 at column 11\n", "invalid UTF-8 byte");
	READS("{\"type\":\"\xc3\"}\n", "B1:line 1: invalid UTF-8 at column 10\n", "truncated UTF-8 sequence");
	READS("{\"type\":\"\xc0\xaf\"}\n", "B1:line 1: invalid UTF-8 at column 10\n", "overlong UTF-8 encoding");
	READS("{\"type\":\"\xed\xa0\x80\"}\n", "B1:line 1: invalid UTF-8 at column 10\n", "UTF-16 surrogate in UTF-8");
	READS("{\"type\":\"a\0b\"}\n{\"type\":\"c\"}\n", "B1:line 1: NUL byte at column 11\nR2:c:{\"type\":\"c\"}\n",
	      "a NUL byte inside a line");

	/* the line limit: exactly at the limit is fine, one byte more is not */
	const char *limits = "{\"type\":\"abc\"}\n{\"type\":\"abcd\"}\n{\"type\":\"z\"}\n";
	char *got = read_all(limits, strlen(limits), 14);
	is_str(got, "R1:abc:{\"type\":\"abc\"}\nB2:line 2: longer than the limit of 14 bytes\nR3:z:{\"type\":\"z\"}\n",
	       "a line one byte over the limit is refused, the next is read");
	free(got);
	got = read_all("{\"type\":\"abcd\"}", 15, 14);
	is_str(got, "B1:line 1: longer than the limit of 14 bytes\n", "an overlong last line without newline");
	free(got);

	/* 100 MB in one line: refused without ever holding more than the limit */
	int fds[2];
	ok(pipe(fds) == 0, "pipe");
	struct feeder f = { fds[1], 100u << 20 };
	pthread_t writer;
	pthread_create(&writer, NULL, feed_huge, &f);
	struct ul_reader r;
	ul_reader_init(&r, fds[0], 1u << 20);
	struct ul_record rec;
	is_int(ul_read(&r, &rec), UL_READ_BAD, "a 100 MB line is bad");
	is_int(rec.line_no, 1, "it is line 1");
	jv_free(rec.error);
	is_int(ul_read(&r, &rec), UL_READ_RECORD, "the record after it is read");
	is_str(rec.type, "after", "and it is the right one");
	is_int(rec.line_no, 2, "on line 2");
	jv_free(rec.value);
	ok(r.cap <= (1u << 20) + 1, "the buffer never grew past the limit (%zu bytes)", r.cap);
	is_int(ul_read(&r, &rec), UL_READ_EOF, "then the end");
	pthread_join(writer, NULL);
	ul_reader_free(&r);
	close(fds[0]);

	/* a stop signal ends a blocked read */
	ok(ul_signals_install() == 0, "signal handlers installed");
	ok(pipe(fds) == 0, "pipe");
	ul_reader_init(&r, fds[0], 1024);
	raise(SIGTERM);
	is_int(ul_read(&r, &rec), UL_READ_STOPPED, "SIGTERM stops a read that would block");
	is_int(ul_stop_signal(), SIGTERM, "and is remembered");
	ul_reader_free(&r);
	close(fds[0]);
	close(fds[1]);

	return done_testing();
}
