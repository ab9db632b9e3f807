#include "core/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/error.h"
#include "core/signals.h"
#include "core/writer.h"

void ul_tool_start(const char *argv0)
{
	ul_set_program(argv0);
	ul_writer_init();
	/* A closed stdin or stderr would let the next open() take its place. */
	for (int fd = 0; fd <= 2; fd += 2) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (null >= 0 && null != fd) {
				dup2(null, fd);
				close(null);
			}
		}
	}
	if (ul_signals_install() < 0)
		ul_warn("could not install signal handlers; Ctrl-C will not stop cleanly");
}

int ul_tool_exit(int rc)
{
	ul_writer_finish();
	if (ul_stop_requested())
		return UL_EXIT_SIGNAL + ul_stop_signal();
	if (ul_output_failed())
		return UL_EXIT_FAILED;
	if (ul_output_closed() && rc == UL_EXIT_OK)
		return UL_EXIT_STOPPED;
	return rc;
}
