#include "core/device_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/home.h"
#include "core/signals.h"

/* How often a waiter tries again: a blocking flock cannot be woken by a
 * stop that came just before it started to wait, so the wait polls, and
 * sleeps on the stop descriptor in between. */
#define RETRY_MS 100

static bool valid_name(const char *device)
{
	size_t n = strlen(device);
	return n > 0 && n < sizeof ((struct ul_device_lock *)0)->device &&
	       strspn(device, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

int ul_device_lock_open(struct ul_device_lock *l, const char *device, jv *err)
{
	*l = (struct ul_device_lock){ .fd = -1 };
	if (!valid_name(device))
		return ul_invalid(err, "device lock \"%s\": a name of letters, digits, - and _, such as cpu or cuda0", device);
	snprintf(l->device, sizeof l->device, "%s", device);
	jv dir = ul_home_path("locks");
	if (!jv_is_valid(dir)) {
		*err = dir;
		return -1;
	}
	int rc = 0;
	if (mkdir(jv_string_value(dir), 0700) < 0 && errno != EEXIST) {
		rc = ul_invalid(err, "cannot make %s: %s", jv_string_value(dir), strerror(errno));
	} else {
		jv path = jv_string_fmt("%s/%s.lock", jv_string_value(dir), device);
		l->fd = open(jv_string_value(path), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (l->fd < 0)
			rc = ul_invalid(err, "cannot open the device lock %s: %s", jv_string_value(path), strerror(errno));
		jv_free(path);
	}
	jv_free(dir);
	return rc;
}

/* The pid the holder wrote, or 0. */
static pid_t holder_of(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	return n > 0 && *end == '\n' && pid > 0 ? (pid_t)pid : 0;
}

int ul_device_lock_try(struct ul_device_lock *l, jv *err)
{
	if (l->held)
		return 1;
	if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			l->holder = holder_of(l->fd);
			return 0;
		}
		return ul_invalid(err, "cannot lock the device %s: %s", l->device, strerror(errno));
	}
	l->held = true;
	l->holder = getpid();
	/* for the waiters' messages only: a failure here changes nothing */
	char pid[24];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)l->holder);
	if (ftruncate(l->fd, 0) == 0) {
		ssize_t ignored = pwrite(l->fd, pid, (size_t)n, 0);
		(void)ignored;
	}
	return 1;
}

int ul_device_lock_wait(struct ul_device_lock *l, jv *err)
{
	for (;;) {
		if (ul_stop_requested())
			return 1;
		int got = ul_device_lock_try(l, err);
		if (got != 0)
			return got < 0 ? -1 : 0;
		struct pollfd stop = { .fd = ul_stop_fd(), .events = POLLIN };
		if (poll(&stop, 1, RETRY_MS) < 0 && errno != EINTR)
			return ul_invalid(err, "waiting for the device %s: %s", l->device, strerror(errno));
	}
}

void ul_device_lock_close(struct ul_device_lock *l)
{
	if (l->fd >= 0) {
		if (l->held) {
			int ignored = ftruncate(l->fd, 0);  /* a pid left behind is only a stale hint */
			(void)ignored;
		}
		close(l->fd);  /* lets the flock go */
	}
	*l = (struct ul_device_lock){ .fd = -1 };
}
