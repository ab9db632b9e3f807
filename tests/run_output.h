/* A program's standard output, for tests that ask another program (a
 * python reference, say) what it makes of a file. */
#ifndef UL_TESTS_RUN_OUTPUT_H
#define UL_TESTS_RUN_OUTPUT_H

#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv (argv[0] looked up on the PATH), its stdout into out (cap
 * bytes, NUL-ended). Its exit status; 127 when it cannot be run, -1 when
 * it did not exit. */
static inline int run_output(char *const argv[], char *out, size_t cap)
{
	int fd[2];
	out[0] = '\0';
	if (pipe(fd))
		return 127;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	size_t have = 0;
	ssize_t n;
	while (have + 1 < cap && (n = read(fd[0], out + have, cap - 1 - have)) > 0)
		have += (size_t)n;
	out[have] = '\0';
	close(fd[0]);
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
