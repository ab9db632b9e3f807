/* Writing records: compact lines, raw pass-through, and failed writes.
 * Each case runs in a child whose stdout is what the case needs, because
 * a failed or closed output is (rightly) remembered for the process. */
#include <fcntl.h>
#include <sys/wait.h>

#include "core/error.h"
#include "core/tool.h"
#include "core/writer.h"
#include "tap.h"

enum target { TO_PIPE, TO_CLOSED_PIPE, TO_DEV_FULL, TO_NOTHING };

/* Runs body in a child with stdout set up as target; returns its exit
 * status, with what it wrote to stdout (pipe only) and stderr in bufs. */
static int in_child(enum target target, void (*body)(void), char *out, char *err, size_t cap)
{
	int o[2], e[2];
	if (pipe(o) < 0 || pipe(e) < 0)
		abort();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(e[1], 2);
		if (target == TO_PIPE || target == TO_CLOSED_PIPE)
			dup2(o[1], 1);
		else if (target == TO_DEV_FULL)
			dup2(open("/dev/full", O_WRONLY), 1);
		else
			close(1);
		close(o[0]), close(o[1]), close(e[0]), close(e[1]);
		if (target == TO_CLOSED_PIPE) {
			/* wait until the parent has closed the read end */
			char c;
			if (read(0, &c, 1) < 0)
				_exit(99);
		}
		ul_tool_start("ul-test");
		body();
		_exit(ul_tool_exit(UL_EXIT_OK));
	}
	close(o[1]), close(e[1]);
	if (target == TO_CLOSED_PIPE)
		close(o[0]);
	size_t n = 0;
	ssize_t got;
	if (target != TO_CLOSED_PIPE) {
		while ((got = read(o[0], out + n, cap - 1 - n)) > 0)
			n += (size_t)got;
		close(o[0]);
	}
	out[n] = '\0';
	n = 0;
	while ((got = read(e[0], err + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	err[n] = '\0';
	close(e[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void write_records(void)
{
	jv rec = ul_record("epoch");
	rec = jv_object_set(rec, jv_string("epoch"), jv_number(3));
	rec = jv_object_set(rec, jv_string("loss"), jv_number(0.25));
	rec = jv_object_set(rec, jv_string("note"), jv_string("caf\xc3\xa9 \"q\"\n"));
	ul_write_record(rec);
	jv bare = jv_object_set(jv_object(), jv_string("type"), jv_string("log"));
	ul_write_record(bare);  /* no "v": the writer adds it */
	const char *raw = "{\"type\":\"dataset\",  \"keep\" : 1.50e0}";
	ul_write_line(raw, strlen(raw));
	char big[10000];
	memset(big, 'y', sizeof big);
	ul_write_line(big, sizeof big);
}

static void write_forever(void)
{
	while (ul_write_record(ul_record("tick")) == 0)
		;
}

static void write_one(void)
{
	ul_write_record(ul_record("tick"));
}

static void write_nothing(void)
{
}

int main(void)
{
	static char out[65536], err[65536];
	char want[20000];

	int rc = in_child(TO_PIPE, write_records, out, err, sizeof out);
	is_int(rc, 0, "records written: exit 0");
	char big[10001];
	memset(big, 'y', 10000);
	big[10000] = '\0';
	snprintf(want, sizeof want,
		"{\"type\":\"epoch\",\"v\":1,\"epoch\":3,\"loss\":0.25,\"note\":\"caf\xc3\xa9 \\\"q\\\"\\n\"}\n"
		"{\"type\":\"log\",\"v\":1}\n"
		"{\"type\":\"dataset\",  \"keep\" : 1.50e0}\n%s\n", big);
	is_str(out, want, "compact lines, type first, v added, raw lines untouched, long lines whole");
	is_str(err, "", "nothing on stderr");

	rc = in_child(TO_CLOSED_PIPE, write_forever, out, err, sizeof out);
	is_int(rc, UL_EXIT_STOPPED, "downstream closed: exit 3");
	is_str(err, "", "and no complaint on stderr");

	rc = in_child(TO_DEV_FULL, write_one, out, err, sizeof out);
	is_int(rc, UL_EXIT_FAILED, "disk full: exit 1");
	contains(err, "ul-test: error: writing output failed: No space left on device", "and says so");

	rc = in_child(TO_NOTHING, write_one, out, err, sizeof out);
	is_int(rc, UL_EXIT_FAILED, "closed stdout: exit 1");
	contains(err, "writing output failed: Bad file descriptor", "and says so");

	rc = in_child(TO_NOTHING, write_nothing, out, err, sizeof out);
	is_int(rc, UL_EXIT_OK, "closed stdout with nothing to write: exit 0");

	return done_testing();
}
