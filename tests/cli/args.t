#!/bin/sh
# key=value arguments: typing, usage errors, --help, --version, cfg files.
. "$(dirname "$0")/lib.sh"

# usage_error NAME PARAM ARG...: exit 2, one `usage` error record naming
# PARAM ("" for none) on stdout, "ul-echo: error: ..." on stderr.
usage_error()
{
	name=$1 param=$2
	shift 2
	run "$UL_ECHO" "$@" </dev/null
	is "$rc" 2 "$name: exit 2"
	is "$(jq -c '[.type, .code, .tool, .param]' "$tmp/out" 2>&1)" "[\"error\",\"usage\",\"ul-echo\",$( [ -n "$param" ] && printf '"%s"' "$param" || printf null)]" \
		"$name: a usage error record naming '$param' on stdout"
	is "$(sed -n 1p "$tmp/err")" "ul-echo: error: $(jq -r .message "$tmp/out" 2>/dev/null)" \
		"$name: the message on stderr"
}

# args ARG...: the `args` record show_args=true writes, compact.
args()
{
	"$UL_ECHO" show_args=true "$@" </dev/null
}

# --- unknown names --------------------------------------------------------------
usage_error "unknown argument" epoch epoch=3
like "$(err)" "unknown argument 'epoch'; did you mean 'epochs'\?" "unknown argument: did you mean 'epochs'?"
like "$(err)" "ul-echo --help" "unknown argument: the hint points at --help"
usage_error "unknown argument, nothing close" zzzzzzzz zzzzzzzz=1
unlike "$(err)" "did you mean" "nothing close: no suggestion"
usage_error "a typo with letters swapped" l0r l0r=0.1
like "$(err)" "did you mean 'lr0'\?" "swapped letters: did you mean 'lr0'?"

# --- values of the wrong type ----------------------------------------------------
usage_error "epochs=3.5" epochs epochs=3.5
like "$(err)" "epochs must be an integer, not 3.5" "epochs=3.5: says an integer is needed"
usage_error "epochs=abc" epochs epochs=abc
like "$(err)" "epochs must be an integer" "epochs=abc: says an integer is needed"
usage_error "epochs= (empty)" epochs epochs=
usage_error "rect=maybe" rect rect=maybe
like "$(err)" "rect must be a boolean" "rect=maybe: says a boolean is needed"
usage_error "lr0=fast" lr0 lr0=fast
like "$(err)" "lr0 must be a number" "lr0=fast: says a number is needed"
usage_error "a bad value after good ones" rect epochs=3 rect=maybe lr0=0.1
# An integer the tools cannot hold (a C long long) is not an integer argument:
# accepting it makes ul_arg_int's conversion undefined behaviour.
usage_error "epochs beyond 64 bits" epochs epochs=100000000000000000000

# --- not key=value ------------------------------------------------------------------
usage_error "a bare word" "" foo
like "$(err)" "unexpected argument 'foo'" "a bare word: named on stderr"
usage_error "a dash option" "" -x
usage_error "an empty key" "" =5

# --- --help and --version --------------------------------------------------------------
# Every argument: the driver's table, then the two every tool takes.
names="$(sed -n 's/^[[:space:]]*{ "\([a-z_0-9]*\)", UL_ARG_.*/\1/p' "$UL_ROOT/tests/drivers/ul-echo.c" | tr '\n' ' ')cfg quiet"
is "$(printf '%s\n' "$names" | wc -w | tr -d ' ')" 10 "the driver's table has 8 arguments, plus cfg and quiet"
is "$(args | jq -r '.values | keys_unsorted | join(" ")')" "$names" \
	"show_args lists a value for every argument, in table order"
# --help is the tool's man page (the shapes of it docs.t checks); the test
# driver has none, and says so.
for flag in --help -h; do
	run "$UL_BIN/ul-fetch" $flag </dev/null
	is "$rc" 0 "$flag: exit 0"
	like "$(head -n 1 "$tmp/out")" "^NAME$" "$flag: the manual's NAME on stdout"
	like "$(out)" "^ARGUMENTS$" "$flag: and its ARGUMENTS"
	is "$(err)" "" "$flag: nothing on stderr"
done
run "$UL_BIN/ul-fetch" epoch=3 --help </dev/null
is "$rc:$(head -n 1 "$tmp/out")" "0:NAME" "--help wins over a bad argument"
run "$UL_BIN/ul-fetch" --manual epoch=3 </dev/null
is "$rc:$(grep -c '^[A-Z]' "$tmp/out")" "0:$(grep -c '^\.SH' "$UL_ROOT/share/man/man1/ul-fetch.1")" "--manual: the whole page, every section"
run "$UL_ECHO" --help </dev/null
is "$rc:$(out)" "0:ul-echo: a test driver; its source says what it does" "a test driver has no manual, and says so"

version=$(sed -n 's/^VERSION *:= *//p' "$UL_ROOT/Makefile")
like "$version" '^[0-9]+\.[0-9]+\.[0-9]+' "the Makefile has a version"
for flag in --version -V; do
	run "$UL_ECHO" $flag </dev/null
	is "$rc" 0 "$flag: exit 0"
	is "$(lines "$tmp/out")" 1 "$flag: one line"
	like "$(out)" "^ul-echo $version \(.+\)$" "$flag: 'ul-echo $version (build features)'"
	is "$(err)" "" "$flag: nothing on stderr"
done

# --- values ---------------------------------------------------------------------------
is "$(args | jq -c .values)" \
	'{"max_line":16777216,"show_args":true,"epochs":100,"lr0":0.01,"rect":false,"name":null,"optimizer":"auto","classes":null,"cfg":null,"quiet":false}' \
	"defaults"
is "$(args | jq -c .given)" '{"show_args":"command line"}' "given names only what was set"
is "$(args | jq -c '[.type, .v]')" '["args",1]' "the args record is {type: args, v: 1}"
is "$(args epochs=50 lr0=1e-3 rect=True optimizer=AdamW quiet=TRUE | jq -c '.values | [.epochs, .lr0, .rect, .optimizer, .quiet]')" \
	'[50,0.001,true,"AdamW",true]' "typed values from the command line"
is "$(args epochs=1 epochs=2 | jq .values.epochs)" 2 "a key given twice keeps the last value"
is "$(args classes=0,2 | jq -c .values.classes)" '[0,2]' "classes=0,2 is a list"
is "$(args classes=[0,2] | jq -c .values.classes)" '[0,2]' "classes=[0,2] is a list"
is "$(args classes=5 | jq -c .values.classes)" '[5]' "classes=5 is a list of one"
is "$(args name=null | jq -c .values.name)" 'null' "name=null is null"
is "$(args name=None | jq -c .values.name)" 'null' "name=None is null"
is "$(args name=001 | jq -c .values.name)" '"001"' "name=001 stays the string \"001\""
is "$(args name=true optimizer=3 | jq -c '.values | [.name, .optimizer]')" '["true","3"]' \
	"string arguments keep what was typed"

run "$UL_ECHO" --epochs=5 show_args=true </dev/null
is "$rc" 0 "--epochs=5: exit 0"
is "$(jq -c '[.values.epochs, .given.epochs]' "$tmp/out")" '[5,"command line"]' "--epochs=5 sets epochs"
like "$(err)" "^ul-echo: warning: '--epochs=5' needs no leading dashes" "--epochs=5: a warning on stderr"

# --- cfg=FILE.yaml --------------------------------------------------------------------
cfg=$tmp/run.yaml
cat >"$cfg" <<'EOF'
# a comment
epochs: 30
lr0: 0.02
rect: yes
optimizer: SGD
classes: [1, 3]
quiet: true
EOF
run "$UL_ECHO" show_args=true "cfg=$cfg" epochs=7 </dev/null
is "$rc" 0 "cfg: exit 0"
is "$(jq -c '.values | [.epochs, .lr0, .rect, .optimizer, .classes, .quiet, .name]' "$tmp/out")" \
	'[7,0.02,true,"SGD",[1,3],true,null]' "cfg sets values, the command line beats it"
is "$(jq -r '.given | "\(.epochs)|\(.lr0)|\(.classes)|\(.cfg)"' "$tmp/out")" "command line|$cfg|$cfg|command line" \
	"given says where each value came from"
is "$(args epochs=7 "cfg=$cfg" | jq .values.epochs)" 7 "the command line wins before cfg= too"
is "$(args "cfg=$cfg" | jq .values.epochs)" 30 "cfg alone sets epochs"

: >"$tmp/empty.yaml"
is "$(args "cfg=$tmp/empty.yaml" | jq .values.epochs)" 100 "an empty cfg file changes nothing"

printf 'epochs: 30\nepoch: 4\n' >"$tmp/unknown.yaml"
usage_error "cfg with an unknown key" epoch "cfg=$tmp/unknown.yaml"
like "$(err)" "^ul-echo: error: $tmp/unknown.yaml: unknown argument 'epoch'; did you mean 'epochs'\?" \
	"cfg with an unknown key: names the file"

printf 'epochs: 3.5\n' >"$tmp/type.yaml"
usage_error "cfg with a value of the wrong type" epochs "cfg=$tmp/type.yaml"
like "$(err)" "$tmp/type.yaml: epochs must be an integer" "cfg with a wrong type: names the file"

printf 'epochs: 30\n\tlr0: 0.1\n' >"$tmp/tab.yaml"
usage_error "cfg with a tab indent" cfg "cfg=$tmp/tab.yaml"
like "$(err)" "^ul-echo: error: $tmp/tab.yaml:2:1: .*tab" "cfg with a tab: FILE:LINE:COLUMN and says tab"

printf 'epochs: 30\nname: "abc\nlr0: 0.1\n' >"$tmp/quote.yaml"
usage_error "cfg with an unclosed quote" cfg "cfg=$tmp/quote.yaml"
like "$(err)" "^ul-echo: error: $tmp/quote.yaml:[0-9]+:[0-9]+: .*line 2" "cfg with an unclosed quote: names the file and line 2"

printf -- '- epochs\n- 3\n' >"$tmp/list.yaml"
usage_error "cfg that is not a map" cfg "cfg=$tmp/list.yaml"
like "$(err)" "$tmp/list.yaml: expected a map" "cfg that is not a map: says so"

usage_error "cfg naming a missing file" cfg "cfg=$tmp/nope.yaml"
like "$(err)" "^ul-echo: error: $tmp/nope.yaml: No such file or directory" "cfg naming a missing file: names it"

usage_error "cfg naming a directory" cfg "cfg=$tmp"

done_testing
