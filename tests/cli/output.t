#!/usr/bin/env bash
# Writing stdout: failures are never silent, a reader going away is exit 3,
# and every record is written and flushed as soon as it is read.
. "$(dirname "$0")/lib.sh"

awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "{\"type\":\"n\",\"i\":%d}\n", i }' >"$tmp/in"

# --- stdout closed --------------------------------------------------------------
"$UL_ECHO" <"$tmp/in" >&- 2>"$tmp/err"
rc=$?
is "$rc" 1 "closed stdout: exit 1"
like "$(err)" "^ul-echo: error: writing output failed: Bad file descriptor$" "closed stdout: says writing output failed"
is "$(grep -c 'writing output failed' "$tmp/err")" 1 "closed stdout: said once, not once per record"

# --help and --version write through stdio, not the record writer; a closed
# stdout must fail them too.
for flag in --version --help; do
	"$UL_ECHO" $flag </dev/null >&- 2>"$tmp/err"
	rc=$?
	is "$rc" 1 "$flag with stdout closed: exit 1"
	like "$(err)" "writing output failed" "$flag with stdout closed: says writing output failed"
done

# --- disk full --------------------------------------------------------------------
"$UL_ECHO" <"$tmp/in" >/dev/full 2>"$tmp/err"
rc=$?
is "$rc" 1 "/dev/full: exit 1"
like "$(err)" "^ul-echo: error: writing output failed: No space left on device$" "/dev/full: says No space left"
is "$(grep -c 'writing output failed' "$tmp/err")" 1 "/dev/full: said once"

"$UL_ECHO" --help </dev/null >/dev/full 2>"$tmp/err"
rc=$?
is "$rc" 1 "--help to /dev/full: exit 1"
like "$(err)" "No space left on device" "--help to /dev/full: says No space left"

# --- the reader goes away ---------------------------------------------------------
# yes never ends: ul-echo stops only because head closed the pipe.
yes '{"type":"a"}' 2>/dev/null | "$UL_ECHO" 2>"$tmp/err" | head -n 1 >"$tmp/out"
status=("${PIPESTATUS[@]}")
is "${status[1]}" 3 "downstream closes early: exit 3"
is "$(out)" '{"type":"a"}' "downstream closes early: head got a record"
is "$(err)" "" "downstream closes early: not an error, nothing on stderr"

# Exit 3 means the work was fine; failed work keeps exit 1.
{ echo '[]'; yes '{"type":"a"}' 2>/dev/null; } | "$UL_ECHO" 2>"$tmp/err" | head -n 1 >"$tmp/out"
status=("${PIPESTATUS[@]}")
is "${status[1]}" 1 "downstream closes after a bad line: exit 1, not 3"
is "$(jq -c '[.type, .line]' "$tmp/out")" '["error",1]' "downstream closes after a bad line: head got the error record"

# --- each record is flushed at once ---------------------------------------------
# ul-echo reads a fifo we hold open and writes another: if a record sat in a
# buffer, the read below would wait for the input to close and time out.
mkfifo "$tmp/fin" "$tmp/fout"
"$UL_ECHO" show_args=true <"$tmp/fin" >"$tmp/fout" 2>"$tmp/err" &
pid=$!
exec 3>"$tmp/fin" 4<"$tmp/fout"

line=
read -r -t 10 -u 4 line
is "$(jq -r .type <<<"$line")" args "flush: the args record arrives before any input"
printf '{"type":"first","x":1}\n' >&3
line=
read -r -t 10 -u 4 line
is "$line" '{"type":"first","x":1}' "flush: a record comes back while the input is still open"
printf '{"type":"second"}\n' >&3
line=
read -r -t 10 -u 4 line
is "$line" '{"type":"second"}' "flush: so does the next one"
printf '{"type":\n' >&3
line=
read -r -t 10 -u 4 line
is "$(jq -c '[.type, .line]' <<<"$line")" '["error",3]' "flush: so does an error record"
# A partial line is not a record yet.
printf '{"type":"thi' >&3
line=
read -r -t 0.2 -u 4 line
is "$line" "" "flush: a partial line is held back"
printf 'rd"}\n' >&3
read -r -t 10 -u 4 line
is "$line" '{"type":"third"}' "flush: and comes out whole once its newline arrives"

exec 3>&-
line=
read -r -t 10 -u 4 line
is "$?:$line" "1:" "flush: after the input closes, the output ends"
exec 4<&-
wait "$pid"
rc=$?
is "$rc" 1 "flush: exit 1 after the bad line"

done_testing
