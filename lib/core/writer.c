#include "core/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

static bool closed;  /* EPIPE: downstream is gone */
static bool failed;  /* any other write error, already reported */

jv ul_record(const char *type)
{
	jv record = jv_object();
	record = jv_object_set(record, jv_string("type"), jv_string(type));
	return jv_object_set(record, jv_string("v"), jv_number(UL_RECORD_VERSION));
}

void ul_writer_init(void)
{
	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0 || errno != EBADF)
		return;
	/* Opened for reading only, so every write to descriptor 1, stdio's
	 * included, still fails with EBADF. */
	int fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDOUT_FILENO) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
}

static void write_failed(int err)
{
	if (err == EPIPE) {
		closed = true;
		return;
	}
	if (!failed)
		ul_errorf("writing output failed: %s", strerror(err));
	failed = true;
}

static int write_all(const char *p, size_t n)
{
	if (closed || failed)
		return -1;
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			/* A signal must not cut a record in half: finish it. */
			if (errno == EINTR)
				continue;
			write_failed(errno);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ul_write_line(const char *line, size_t len)
{
	/* One write call per line when it fits, so lines stay whole. */
	char small[4096];
	if (len < sizeof small) {
		memcpy(small, line, len);
		small[len] = '\n';
		return write_all(small, len + 1);
	}
	if (write_all(line, len) < 0)
		return -1;
	return write_all("\n", 1);
}

int ul_write_record(jv record)
{
	if (jv_get_kind(record) == JV_KIND_OBJECT &&
	    !jv_object_has(jv_copy(record), jv_string("v")))
		record = jv_object_set(record, jv_string("v"), jv_number(UL_RECORD_VERSION));
	jv text = jv_dump_string(record, 0);
	int rc = ul_write_line(jv_string_value(text), (size_t)jv_string_length_bytes(jv_copy(text)));
	jv_free(text);
	return rc;
}

bool ul_output_closed(void)
{
	return closed;
}

bool ul_output_failed(void)
{
	return failed;
}

int ul_writer_finish(void)
{
	/* --help and other stdio output must reach the descriptor first. */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		write_failed(errno ? errno : EIO);
	if (close(STDOUT_FILENO) < 0 && errno != EBADF)
		write_failed(errno);
	return closed || failed ? -1 : 0;
}
