#!/bin/sh
# Lines that are not records: each becomes an `error` record (code
# bad_record, naming the line) on stdout and a readable line on stderr; the
# good lines around it still go through, and the exit status is 1.
. "$(dirname "$0")/lib.sh"

before='{"type":"before"}'
after='{"type":"after"}'

# bad_case NAME ERE FORMAT [ARG...]: the line printf FORMAT makes is line 3
# of before, a blank line, it, after; ERE must match the rest of the
# message after "line 3: ".
bad_case()
{
	name=$1 pattern=$2 format=$3
	shift 3
	# shellcheck disable=SC2059 # FORMAT is a printf format on purpose
	{ printf '%s\n\n' "$before"; printf "$format"; printf '\n%s\n' "$after"; } >"$tmp/in"
	run "$UL_ECHO" "$@" <"$tmp/in"
	is "$rc" 1 "$name: exit 1"
	is "$(sed -n '1p;3p' "$tmp/out")" "$before
$after" "$name: the good lines around it pass through"
	is "$(sed -n 2p "$tmp/out" | jq -c '[.type, .code, .line, .tool]' 2>&1)" '["error","bad_record",3,"ul-echo"]' \
		"$name: an error record for line 3"
	msg=$(sed -n 2p "$tmp/out" | jq -r .message 2>/dev/null)
	like "$msg" "^line 3: $pattern" "$name: the message says why"
	is "$(sed -n 1p "$tmp/err")" "ul-echo: error: $msg" "$name: the same message on stderr"
	is "$(lines "$tmp/out")" 3 "$name: nothing else on stdout"
}

bad_case "invalid UTF-8 (0xff)" "invalid UTF-8 at column 10" '{"type":"\377"}'
bad_case "invalid UTF-8 (lone continuation byte)" "invalid UTF-8 at column 18" '{"type":"a","s":"\200"}'
bad_case "invalid UTF-8 (overlong encoding)" "invalid UTF-8" '{"type":"a","s":"\300\200"}'
bad_case "invalid UTF-8 (encoded surrogate)" "invalid UTF-8" '{"type":"a","s":"\355\240\200"}'
bad_case "invalid UTF-8 (beyond U+10FFFF)" "invalid UTF-8" '{"type":"a","s":"\364\220\200\200"}'
bad_case "invalid UTF-8 (sequence cut short)" "invalid UTF-8" '{"type":"a","s":"\303x"}'
bad_case "invalid UTF-8 (sequence cut by the line end)" "invalid UTF-8 at column 13" '{"type":"a"}\303'
bad_case "NUL byte inside a string" "NUL byte at column 11" '{"type":"a\000b"}'
bad_case "NUL byte at the start" "NUL byte at column 1" '\000{"type":"a"}'
bad_case "an array" "a record must be a JSON object, not array" '[1,2]'
bad_case "a string" "a record must be a JSON object, not string" '"text"'
bad_case "a number" "a record must be a JSON object, not number" '42'
bad_case "null" "a record must be a JSON object, not null" 'null'
bad_case "no type" 'record has no "type"$' '{"a":1}'
bad_case "type a number" 'record "type" must be a non-empty string$' '{"type":1}'
bad_case "type null" 'record "type" must be a non-empty string$' '{"type":null}'
bad_case "type a list" 'record "type" must be a non-empty string$' '{"type":["a"]}'
bad_case "type empty" 'record "type" must be a non-empty string$' '{"type":""}'
bad_case "two objects on one line" "not valid JSON" '{"type":"a"} {"type":"b"}'
bad_case "two objects run together" "not valid JSON" '{"type":"a"}{"type":"b"}'
bad_case "an object and a number" "not valid JSON" '{"type":"a"} 1'
bad_case "truncated JSON" "not valid JSON" '{"type":"a","x":[1,2'
bad_case "truncated string" "not valid JSON" '{"type":"a'
bad_case "trailing comma" "not valid JSON" '{"type":"a",}'
bad_case "not JSON at all" "not valid JSON" 'type=a'
bad_case "over max_line" "longer than the limit of 20 bytes" '{"type":"abcdefghij"}' max_line=20

# --- the line limit, at the edge -----------------------------------------------
printf '{"type":"abcdefghi"}\n{"type":"abcdefghij"}\n{"type":"abcdefghi"}' >"$tmp/in"
run "$UL_ECHO" max_line=20 <"$tmp/in"
is "$rc" 1 "max_line=20: exit 1"
is "$(jq -c 'if .type == "error" then .line else .type end' "$tmp/out")" '"abcdefghi"
2
"abcdefghi"' "max_line=20: 20 bytes pass, 21 do not, the next line passes"

# A line past the limit at the end of input, with no newline.
printf '{"type":"a"}\n{"type":"a","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' >"$tmp/in"
run "$UL_ECHO" max_line=20 <"$tmp/in"
is "$rc" 1 "overlong last line without newline: exit 1"
is "$(jq -c 'if .type == "error" then .line else .type end' "$tmp/out")" '"a"
2' "overlong last line without newline: reported as line 2"

# Several bad lines: one error each, line numbers kept after an overlong one.
{
	printf '{"type":"a"}\n'
	head -c 100000 /dev/zero | tr '\0' x
	printf '\n{"type":"b"}\n[]\n\n{"type":"c"}\n{"type":\n'
} >"$tmp/in"
run "$UL_ECHO" max_line=1000 <"$tmp/in"
is "$rc" 1 "several bad lines: exit 1"
is "$(jq -c 'if .type == "error" then .line else .type end' "$tmp/out")" '"a"
2
"b"
4
"c"
7' "several bad lines: one error each, in place, with the right line numbers"
is "$(grep -c '^ul-echo: error: line ' "$tmp/err")" 3 "several bad lines: three errors on stderr"

# --- a line of 100 MB: reported, skipped, memory stays bounded ---------------------
# ul-echo needs about 30 MB of address space with its 16 MiB line buffer;
# under a limit of 90 MB, below the line's size, any buffer that holds the
# whole line fails. (300 MB would let a reader that reads the whole line and
# only then checks its length pass.) ASan needs terabytes of address space,
# so it runs without.
{
	printf '{"type":"big","pad":"'
	head -c 100000000 /dev/zero | tr '\0' x
	printf '"}\n%s\n' "$after"
} | (
	# shellcheck disable=SC3045 # dash, bash, ash and ksh all have ulimit -v
	if [ "$UL_SAN" != 1 ]; then ulimit -v 90000 || exit 99; fi
	exec "$UL_ECHO"
) >"$tmp/out" 2>"$tmp/err"
rc=$?
is "$rc" 1 "100 MB line: exit 1"
is "$(jq -c 'if .type == "error" then [.code, .line] else .type end' "$tmp/out")" '["bad_record",1]
"after"' "100 MB line: one bad_record error naming line 1, then the next record"
like "$(sed -n 1p "$tmp/err")" '^ul-echo: error: line 1: longer than the limit of 16777216 bytes$' \
	"100 MB line: a readable message on stderr"

done_testing
