#include "push/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/grow.h"

void ul_spool_init(struct ul_spool *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static jv sent_path(const struct ul_spool *s)
{
	return jv_string_fmt("%s.sent", s->path);
}

static long long read_sent(const struct ul_spool *s)
{
	jv path = sent_path(s);
	size_t len = 0;
	char *text = ul_read_file(jv_string_value(path), &len);
	jv_free(path);
	long long sent = 0;
	if (text && len < 32) {
		char digits[32];
		memcpy(digits, text, len);
		digits[len] = '\0';
		sent = strtoll(digits, NULL, 10);
	}
	free(text);
	return sent;
}

/* Not fsynced: a lost update only resends lines, and every line carries
 * the idempotency key the server drops a repeat by. */
static void write_sent(const struct ul_spool *s)
{
	jv path = sent_path(s);
	int fd = open(jv_string_value(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		char digits[32];
		int n = snprintf(digits, sizeof digits, "%lld", s->sent);
		ssize_t ignored = write(fd, digits, (size_t)n);
		(void)ignored;
		close(fd);
	}
	jv_free(path);
}

/* The size up to the end of the last whole line. */
static long long whole_lines(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return 0;
	long long end = st.st_size;
	char c;
	while (end > 0 && (pread(fd, &c, 1, end - 1) != 1 || c != '\n'))
		end--;
	return end;
}

int ul_spool_create(struct ul_spool *s, const char *dir, const char *run_id, jv *err)
{
	if (ul_mkdirs(dir, 0700) < 0) {
		*err = jv_invalid_with_msg(jv_string_fmt("cannot create %s: %s", dir, strerror(errno)));
		return -1;
	}
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&t, &tm));
	jv path = jv_string_fmt("%s/%s-%ld-%.8s.jsonl", dir, stamp, (long)getpid(), run_id);
	int fd = open(jv_string_value(path), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*err = jv_invalid_with_msg(jv_string_fmt("cannot create %s: %s", jv_string_value(path), strerror(errno)));
		if (fd >= 0)
			close(fd);
		jv_free(path);
		return -1;
	}
	ul_spool_init(s);
	s->fd = fd;
	s->path = strdup(jv_string_value(path));
	jv_free(path);
	/* The new name must survive a crash too, not only the lines in it. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int ul_spool_open(struct ul_spool *s, const char *path)
{
	ul_spool_init(s);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 1;
	}
	s->fd = fd;
	s->path = strdup(path);
	s->size = whole_lines(fd);
	s->sent = read_sent(s);
	if (s->sent < 0 || s->sent > s->size)
		s->sent = 0;
	return 0;
}

int ul_spool_append(struct ul_spool *s, const char *data, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(s->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	if (fdatasync(s->fd) < 0)
		return -1;
	s->size += (long long)len;
	return 0;
}

const char *ul_spool_peek(struct ul_spool *s, size_t *len)
{
	if (!ul_spool_pending(s))
		return NULL;
	size_t have = 0;
	for (;;) {
		if (ul_grow(&s->line, &s->line_cap, have + 65536, 1) < 0)
			return NULL;
		long long at = s->sent + (long long)have;
		size_t want = (size_t)(s->size - at) < 65536 ? (size_t)(s->size - at) : 65536;
		ssize_t n = want ? pread(s->fd, s->line + have, want, at) : 0;
		if (n <= 0)
			return NULL;
		char *nl = memchr(s->line + have, '\n', (size_t)n);
		if (nl) {
			*len = (size_t)(nl - s->line);
			*nl = '\0';
			return s->line;
		}
		have += (size_t)n;
	}
}

void ul_spool_done(struct ul_spool *s, size_t len)
{
	s->sent += (long long)len + 1;
	write_sent(s);
}

void ul_spool_close(struct ul_spool *s)
{
	if (s->fd >= 0) {
		if (s->sent >= s->size) {
			jv path = sent_path(s);
			unlink(s->path);
			unlink(jv_string_value(path));
			jv_free(path);
		}
		close(s->fd);
	}
	free(s->path);
	free(s->line);
	ul_spool_init(s);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

jv ul_spool_list(const char *dir)
{
	jv out = jv_array();
	DIR *d = opendir(dir);
	if (!d)
		return out;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 6 && !strcmp(e->d_name + len - 6, ".jsonl") && !ul_grow(&names, &cap, n + 1, sizeof *names))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		out = jv_array_append(out, jv_string_fmt("%s/%s", dir, names[i]));
		free(names[i]);
	}
	free(names);
	return out;
}

long ul_spool_count(const char *dir)
{
	jv files = ul_spool_list(dir);
	long lines = 0;
	jv_array_foreach(files, i, path) {
		struct ul_spool s;
		/* A file another run holds is counted too: its lines wait as well. */
		int fd = open(jv_string_value(path), O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ul_spool_init(&s);
			s.path = (char *)jv_string_value(path);
			long long at = read_sent(&s), size = whole_lines(fd);
			char buf[65536];
			ssize_t n;
			while (at < size && (n = pread(fd, buf, sizeof buf, at)) > 0) {
				for (ssize_t k = 0; k < n && at + k < size; k++)
					lines += buf[k] == '\n';
				at += n;
			}
			close(fd);
		}
		jv_free(path);
	}
	jv_free(files);
	return lines;
}
