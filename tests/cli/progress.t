#!/bin/sh
# The progress line goes to stderr, and only when stderr is a terminal and
# quiet is not set; the records on stdout are the same either way. The
# terminal is a pseudo-terminal from script(1) (util-linux).
# shellcheck disable=SC2016 # the commands for script(1) expand there
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { for (i = 1; i <= 3; i++) printf "{\"type\":\"n\",\"i\":%d}\n", i }' >"$tmp/in"
printf 'quiet: true\n' >"$tmp/quiet.yaml"

# in_pty COMMAND: runs the sh command under a pseudo-terminal with E (the
# driver), IN, OUT, ERR and QUIET (a cfg file) in its environment; what
# reached the terminal goes to $tmp/tty, the status to $rc.
in_pty()
{
	rm -f "$tmp/out" "$tmp/err"
	E=$UL_ECHO IN=$tmp/in OUT=$tmp/out ERR=$tmp/err QUIET=$tmp/quiet.yaml SHELL=/bin/sh \
		script -qec "$1" /dev/null </dev/null >"$tmp/tty" 2>&1
	rc=$?
}

# --- stderr not a terminal: nothing on it ---------------------------------------------
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "stderr a file: exit 0"
ok "stderr a file: stdout is the records" cmp "$tmp/in" "$tmp/out"
is "$(err)" "" "stderr a file: stderr stays empty"

"$UL_ECHO" <"$tmp/in" 2>&1 >"$tmp/out" | cat >"$tmp/err"
is "$(err)" "" "stderr a pipe: stderr stays empty"
ok "stderr a pipe: stdout is the records" cmp "$tmp/in" "$tmp/out"

# stdout a terminal does not count: progress follows stderr.
in_pty '"$E" <"$IN" 2>"$ERR"'
is "$rc" 0 "stdout a terminal, stderr a file: exit 0"
is "$(err)" "" "stdout a terminal, stderr a file: stderr stays empty"
is "$(tr -d '\r' <"$tmp/tty")" "$(cat "$tmp/in")" "stdout a terminal, stderr a file: the terminal shows just the records"

# --- stderr a terminal: a progress line -----------------------------------------------------
in_pty '"$E" <"$IN" >"$OUT"'
is "$rc" 0 "stderr a terminal: exit 0"
like "$(tr '\r' '\n' <"$tmp/tty")" '^records [0-9]+ ' "stderr a terminal: a records progress line"
like "$(tr '\r' '\n' <"$tmp/tty")" '^records 3 [0-9.]+s [0-9]+/s' "stderr a terminal: it ends on the count of records"
ok "stderr a terminal: stdout is the records, unaffected" cmp "$tmp/in" "$tmp/out"

in_pty '"$E" quiet=true <"$IN" >"$OUT"'
is "$rc" 0 "quiet=true: exit 0"
is "$(cat "$tmp/tty")" "" "quiet=true: nothing on the terminal"
ok "quiet=true: stdout is the records, unaffected" cmp "$tmp/in" "$tmp/out"

in_pty '"$E" cfg="$IN.missing" <"$IN" >"$OUT"'
is "$rc" 2 "a usage error under a terminal: exit 2"
unlike "$(cat "$tmp/tty")" 'records' "a usage error under a terminal: no progress line"

in_pty '"$E" cfg="$QUIET" <"$IN" >"$OUT"'
is "$rc" 0 "quiet: true in a cfg file: exit 0"
is "$(cat "$tmp/tty")" "" "quiet: true in a cfg file: nothing on the terminal"
ok "quiet: true in a cfg file: stdout is the records" cmp "$tmp/in" "$tmp/out"

done_testing
