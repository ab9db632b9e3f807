#!/bin/sh
# Records go through ul-echo byte for byte: spacing, key order, unicode,
# numbers beyond double, escapes; line endings normalised to one \n.
. "$(dirname "$0")/lib.sh"

# --- records that a re-serialising filter would change --------------------
cat >"$tmp/in" <<'EOF'
{"type":"a"}
{ "type" : "spaced" ,	"tab":	1 }
   {"type":"indented and trailing"}   
{"z":1,"type":"keys out of order","a":{"y":2,"b":3}}
{"type":"unicode","s":"é 日本語 😀","k":"Ωmega"}
{"type":"escaped unicode","s":"\u00e9 \u65e5 \ud83d\ude00 \u0000"}
{"type":"big","huge":1e400,"tiny":1e-400,"long":123456789012345678901234567890,"neg":-0,"prec":0.1000000000000000055511151231257827}
{"type":"exp","a":1E+2,"b":2.50e-3,"c":1.0,"d":100}
{"type":"escapes","s":"\"quoted\" back\\slash \/ \b\f\n\r\t end"}
{"type":"nested","a":[[],{},[{"b":[null,true,false]}]],"e":""}
{"type":"dup","type2":"x","v":1}
EOF
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "odd records: exit 0"
ok "odd records: output is the input, byte for byte" cmp "$tmp/in" "$tmp/out"
is "$(err)" "" "odd records: nothing on stderr"

# --- lines around the writer's 4096-byte single-write boundary and a long one
: >"$tmp/in"
for n in 4094 4095 4096 4097 65535 65536 65537 300000; do
	# {"type":"pad","p":"xxx"} is 21 bytes plus the padding
	pad=$(head -c $((n - 21)) /dev/zero | tr '\0' x)
	printf '{"type":"pad","p":"%s"}\n' "$pad" >>"$tmp/in"
done
is "$(awk '{ printf "%d ", length($0) }' "$tmp/in")" "4094 4095 4096 4097 65535 65536 65537 300000 " \
	"long lines: the input has the intended lengths"
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "long lines: exit 0"
ok "long lines: output is the input, byte for byte" cmp "$tmp/in" "$tmp/out"

# --- a last line without a newline gets one ----------------------------------
printf '{"type":"a"}\n{"type":"last","x":1}' >"$tmp/in"
printf '{"type":"a"}\n{"type":"last","x":1}\n' >"$tmp/want"
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "no final newline: exit 0"
ok "no final newline: the last record comes out with one" cmp "$tmp/want" "$tmp/out"

printf '{"type":"only"}' >"$tmp/in"
run "$UL_ECHO" <"$tmp/in"
is "$rc$(out)" '0{"type":"only"}' "a single record without newline goes through"

# --- blank lines are skipped, CRLF becomes LF, line numbers still count them --
printf '\n{"type":"a"}\r\n\r\n  \n\t\n \t\r\n{"type":"b","s":"x y"}\r\n\n{"type":"c"}\r' >"$tmp/in"
printf '{"type":"a"}\n{"type":"b","s":"x y"}\n{"type":"c"}\n' >"$tmp/want"
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "blank lines and CRLF: exit 0"
ok "blank lines and CRLF: blank lines dropped, CR stripped" cmp "$tmp/want" "$tmp/out"
is "$(err)" "" "blank lines and CRLF: nothing on stderr"

printf '\n{"type":"a"}\r\n\r\n[]\r\n' >"$tmp/in"
run "$UL_ECHO" <"$tmp/in"
is "$rc" 1 "a bad line after blank and CRLF lines: exit 1"
is "$(sed -n 2p "$tmp/out" | jq -r '"\(.type) \(.line)"')" "error 4" "blank lines count in the line number"

# --- empty streams ----------------------------------------------------------------
run "$UL_ECHO" </dev/null
is "$rc" 0 "empty input: exit 0"
ok "empty input: no output" test ! -s "$tmp/out"
ok "empty input: nothing on stderr" test ! -s "$tmp/err"

printf '\n\n \r\n\t\n' >"$tmp/in"
run "$UL_ECHO" <"$tmp/in"
is "$rc" 0 "only blank lines: exit 0"
ok "only blank lines: no output" test ! -s "$tmp/out"

# --- many records, in order -----------------------------------------------------
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	printf "{\"type\":\"epoch\",\"epoch\":%d,\"loss\":%.6f,\"tag\":\"r%05d\"}\n", i, 1 / i, i % 99991 }' >"$tmp/many"
is "$(lines "$tmp/many")" 100000 "100000 records generated"
run "$UL_ECHO" <"$tmp/many"
is "$rc" 0 "100000 records from a file: exit 0"
ok "100000 records from a file: output equals input, in order" cmp "$tmp/many" "$tmp/out"
# Through a pipe reads come in pieces that cut records in half.
# shellcheck disable=SC2002 # the pipe is the point
cat "$tmp/many" | "$UL_ECHO" >"$tmp/out" 2>"$tmp/err"
rc=$?  # a pipeline's status is its last command's
is "$rc" 0 "100000 records from a pipe: exit 0"
ok "100000 records from a pipe: output equals input, in order" cmp "$tmp/many" "$tmp/out"
is "$(err)" "" "100000 records: nothing on stderr"

done_testing
