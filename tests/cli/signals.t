#!/usr/bin/env bash
# SIGTERM and SIGINT stop ul-echo cleanly while it waits for input: it exits
# by itself with 128+N, it is not killed by the signal.
#
# The shell's `wait` gives 128+N both for exit(128+N) and for death by
# signal N, so a small perl parent runs ul-echo and reports how it ended:
# "exit N" or "signal N". Without a handler SIGTERM and SIGINT kill it and
# the report says "signal 15"/"signal 2"; a handler that does not wake the
# blocked read leaves it running and the report never comes (read -t 10).
# The child starts with SIGINT and SIGTERM at their defaults, whatever the
# shell running this test ignores.
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2016 # perl, not shell
watch='
use strict;
use IO::Handle;
use POSIX ();
open(my $report, ">&=", 3) or die "fd 3: $!";
$report->autoflush(1);
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	POSIX::close(3);
	$SIG{INT} = $SIG{TERM} = "DEFAULT";
	exec { $ARGV[0] } @ARGV or exit 127;
}
print $report "pid $pid\n";
waitpid($pid, 0) == $pid or die "waitpid: $!";
my $st = $?;
print $report (($st & 127) ? "signal " . ($st & 127) : "exit " . ($st >> 8)), "\n";
'

# sig_case SIGNAL WANT_STATUS FIRST_RECORD [ARG...]: start ul-echo on fifos we
# hold open, write FIRST_RECORD (if not empty), read back the first line
# (the record, or the args record), signal it, see how it ends.
sig_case()
{
	local sig=$1 want=$2 first=$3 name
	shift 3
	name="SIG$sig while blocked reading${first:+ after a record}${1:+ ($*)}"
	local d
	d=$(mktemp -d "$tmp/case.XXXXXX")
	mkfifo "$d/in" "$d/out" "$d/report"
	perl -e "$watch" "$UL_ECHO" "$@" <"$d/in" >"$d/out" 2>"$d/err" 3>"$d/report" &
	local watcher=$!
	exec 5>"$d/in" 6<"$d/out" 7<"$d/report"

	local word pid line status
	read -r -t 10 -u 7 word pid
	is "$word" pid "$name: started"
	[ -n "$first" ] && printf '%s\n' "$first" >&5
	read -r -t 10 -u 6 line
	if [ -n "$first" ]; then
		is "$line" "$first" "$name: the record came back, so it is running"
	else
		is "$(jq -r .type <<<"$line" 2>/dev/null)" args "$name: the args record came, so it is running"
	fi

	kill -s "$sig" "$pid"
	status=
	read -r -t 10 -u 7 status
	is "$status" "exit $want" "$name: exits by itself with $want, within 10 s"
	[ -z "$status" ] && kill -s KILL "$pid" 2>/dev/null  # it hangs: end it
	line=
	read -r -t 10 -u 6 line
	is "$?:$line" "1:" "$name: writes nothing more and closes its output"

	# The input stays open until here: it stopped for the signal, not at
	# the end of its input.
	exec 5>&- 6<&- 7<&-
	wait "$watcher"
}

sig_case TERM 143 '{"type":"a","n":1}'
sig_case INT 130 '{"type":"a","n":1}'
sig_case TERM 143 '' show_args=true
sig_case INT 130 '' show_args=true

done_testing
