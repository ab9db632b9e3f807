#include "core/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;
static int wake_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	int saved = errno;
	if (stop_signal) {
		/* Asked twice: the person means it. Die of the signal now. */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
	if (wake_pipe[1] >= 0) {
		char byte = 1;
		/* Nonblocking: a full pipe already says "stop". */
		ssize_t ignored = write(wake_pipe[1], &byte, 1);
		(void)ignored;
	}
	errno = saved;
}

int ul_signals_install(void)
{
	if (wake_pipe[0] < 0) {
		if (pipe(wake_pipe) < 0)
			return -1;
		for (int i = 0; i < 2; i++) {
			fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
			fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
		}
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: blocking calls return EINTR so loops see the flag. */
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int ul_stop_signal(void)
{
	return stop_signal;
}

int ul_stop_fd(void)
{
	return wake_pipe[0];
}
