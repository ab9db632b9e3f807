/* Device locks (lib/core/device_lock) under a scratch $UL_HOME, between
 * real processes kept in step by pipes (no sleeps): a second process finds
 * the lock taken and who holds it, and gets it once the holder lets go; a
 * holder killed with SIGKILL frees it; a waiter gets it when it is freed;
 * and a SIGTERM ends a wait at once. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/device_lock.h"
#include "core/signals.h"
#include "scratch_files.h"
#include "tap.h"

/* One byte each way between parent and child. */
struct line {
	int to_child[2], to_parent[2];
};

static void say(int fd, char c)
{
	ssize_t ignored = write(fd, &c, 1);
	(void)ignored;
}

/* The next byte, or 0 at end of file. */
static char hear(int fd)
{
	char c;
	return read(fd, &c, 1) == 1 ? c : 0;
}

/* A child that runs fn(device, fds) and exits with its result. It closes
 * the parent's lock (or -1) first: a forked copy of it would hold the lock
 * too. */
static pid_t child(struct line *p, const char *device, int (*fn)(const char *, int, int), int parents)
{
	if (pipe(p->to_child) || pipe(p->to_parent))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		if (parents >= 0)
			close(parents);
		close(p->to_child[1]);
		close(p->to_parent[0]);
		_exit(fn(device, p->to_child[0], p->to_parent[1]));
	}
	close(p->to_child[0]);
	close(p->to_parent[1]);
	return pid;
}

static int exit_status(pid_t pid)
{
	int status;
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void done(struct line *p)
{
	close(p->to_child[1]);
	close(p->to_parent[0]);
}

/* Takes the lock, says 'L', lets go when told 'R', says 'F'. */
static int holds_until_told(const char *device, int in, int out)
{
	struct ul_device_lock l;
	jv err;
	if (ul_device_lock_open(&l, device, &err) || ul_device_lock_try(&l, &err) != 1)
		return 1;
	say(out, 'L');
	if (hear(in) != 'R')
		return 2;
	ul_device_lock_close(&l);
	say(out, 'F');
	return 0;
}

/* Takes the lock, says 'L', and waits to be killed. */
static int holds_forever(const char *device, int in, int out)
{
	struct ul_device_lock l;
	jv err;
	if (ul_device_lock_open(&l, device, &err) || ul_device_lock_try(&l, &err) != 1)
		return 1;
	say(out, 'L');
	hear(in);  /* blocks: the parent never writes */
	return 2;
}

/* Finds the lock taken, says 'W', waits for it, says 'G'. */
static int waits(const char *device, int in, int out)
{
	(void)in;
	struct ul_device_lock l;
	jv err;
	if (ul_device_lock_open(&l, device, &err) || ul_device_lock_try(&l, &err) != 0)
		return 1;
	say(out, 'W');
	if (ul_device_lock_wait(&l, &err) != 0 || !l.held)
		return 2;
	say(out, 'G');
	ul_device_lock_close(&l);
	return 0;
}

/* As waits, with the stop handlers: a SIGTERM ends the wait with 1. */
static int waits_until_stopped(const char *device, int in, int out)
{
	(void)in;
	struct ul_device_lock l;
	jv err;
	if (ul_signals_install() || ul_device_lock_open(&l, device, &err))
		return 1;
	say(out, 'W');
	int rc = ul_device_lock_wait(&l, &err);
	return rc == 1 && !l.held && ul_stop_signal() == SIGTERM ? 0 : 2;
}

static int try_lock(const char *device, struct ul_device_lock *l)
{
	jv err;
	if (ul_device_lock_open(l, device, &err)) {
		jv msg = jv_invalid_get_msg(err);
		printf("# %s\n", jv_string_value(msg));
		jv_free(msg);
		return -1;
	}
	return ul_device_lock_try(l, &err);
}

static void names(void)
{
	struct ul_device_lock l;
	jv err;
	static const char *const bad[] = { "", "../x", "a/b", "cuda 0", "a.lock" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(ul_device_lock_open(&l, bad[i], &err) == -1, "the name \"%s\" is refused", bad[i]);
		jv_free(err);
	}
	is_int(try_lock("cpu", &l), 1, "cpu: taken");
	char path[300];
	snprintf(path, sizeof path, "%s/locks/cpu.lock", scratch_dir);
	struct stat st;
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode), "as $UL_HOME/locks/cpu.lock");
	char want[32], got[32] = "";
	snprintf(want, sizeof want, "%ld\n", (long)getpid());
	FILE *f = fopen(path, "r");
	if (f && !fgets(got, sizeof got, f))
		got[0] = '\0';
	if (f)
		fclose(f);
	is_str(got, want, "holding our pid");
	struct ul_device_lock again;
	is_int(try_lock("cpu", &again), 0, "a second lock on cpu in this process waits");
	is_int(again.holder, getpid(), "and knows who holds it");
	is_int(ul_device_lock_try(&l, &err), 1, "the holder trying again still holds it");
	ul_device_lock_close(&l);
	is_int(ul_device_lock_try(&again, &err), 1, "once it is let go, the second takes it");
	ul_device_lock_close(&again);
}

static void contended(void)
{
	struct line p;
	struct ul_device_lock l;
	jv err;
	pid_t pid = child(&p, "cuda0", holds_until_told, -1);
	ok(hear(p.to_parent[0]) == 'L', "a child takes cuda0");
	is_int(try_lock("cuda0", &l), 0, "the parent must wait for it");
	is_int(l.holder, pid, "held by the child, as the file says");
	say(p.to_child[1], 'R');
	ok(hear(p.to_parent[0]) == 'F', "the child lets go");
	is_int(ul_device_lock_try(&l, &err), 1, "and the parent takes it");
	is_int(exit_status(pid), 0, "the child ended well");
	done(&p);
	ul_device_lock_close(&l);
}

static void killed(void)
{
	struct line p;
	struct ul_device_lock l;
	jv err;
	pid_t pid = child(&p, "cuda1", holds_forever, -1);
	ok(hear(p.to_parent[0]) == 'L', "a child takes cuda1");
	is_int(try_lock("cuda1", &l), 0, "the parent must wait for it");
	ok(kill(pid, SIGKILL) == 0 && exit_status(pid) == -1, "the child is killed with SIGKILL");
	is_int(ul_device_lock_try(&l, &err), 1, "and the lock is free at once");
	done(&p);
	ul_device_lock_close(&l);
}

static void waiting(void)
{
	struct line p;
	struct ul_device_lock l;
	is_int(try_lock("cuda2", &l), 1, "the parent takes cuda2");
	pid_t pid = child(&p, "cuda2", waits, l.fd);
	ok(hear(p.to_parent[0]) == 'W', "a child finds it taken and waits");
	ul_device_lock_close(&l);
	ok(hear(p.to_parent[0]) == 'G', "the parent lets go: the waiting child gets it");
	is_int(exit_status(pid), 0, "the child ended well");
	done(&p);

	is_int(try_lock("cuda3", &l), 1, "the parent takes cuda3");
	pid = child(&p, "cuda3", waits_until_stopped, l.fd);
	ok(hear(p.to_parent[0]) == 'W', "a child waits for it");
	ok(kill(pid, SIGTERM) == 0, "SIGTERM to the waiting child");
	is_int(exit_status(pid), 0, "ends its wait, without the lock");
	done(&p);
	ul_device_lock_close(&l);
}

int main(void)
{
	if (!scratch_begin() || setenv("UL_HOME", scratch_dir, 1)) {
		ok(0, "a scratch $UL_HOME");
		return done_testing();
	}
	names();
	contended();
	killed();
	waiting();
	scratch_end();
	return done_testing();
}
