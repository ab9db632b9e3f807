# Sourced by the CLI tests (tests/cli/*.t): TAP with the plan at the end.
#
#   . "${UL_ROOT:-.}/tests/cli/lib.sh"
#   run "$UL_ECHO" epochs=3 <"$tmp/in"    # sets $rc, fills $tmp/out, $tmp/err
#   is "$rc" 0 "exits 0"
#   like "$(cat "$tmp/err")" "did you mean" "suggests a name"
#   ok "output equals input" cmp -s "$tmp/in" "$tmp/out"
#   done_testing
#
# POSIX sh, so both sh and bash tests can source it. prove runs the tests
# from the repository root with UL_ROOT, UL_BIN, UL_DRIVERS and UL_SAN set;
# run by hand, sensible defaults apply.

: "${UL_ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${UL_BIN:=$UL_ROOT/bin}"
: "${UL_DRIVERS:=$UL_ROOT/build/tests/drivers}"
: "${UL_SAN:=0}"
UL_ECHO=$UL_DRIVERS/ul-echo

tap_count=0
tap_failed=0

# A fresh directory per script, gone when the script ends however it ends.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ul-cli.XXXXXX") || { echo "Bail out! mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$UL_ECHO" ]; then
	echo "Bail out! no test driver at $UL_ECHO (make $UL_ECHO)"
	exit 1
fi

# diag LINE...: TAP comments on stderr, where prove shows them.
diag()
{
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

pass()
{
	tap_count=$((tap_count + 1))
	printf 'ok %d - %s\n' "$tap_count" "$1"
}

# fail NAME [DIAGNOSTIC...]
fail()
{
	tap_count=$((tap_count + 1))
	tap_failed=$((tap_failed + 1))
	printf 'not ok %d - %s\n' "$tap_count" "$1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# ok NAME COMMAND [ARG...]: passes when the command exits 0.
ok()
{
	_ok_name=$1
	shift
	if "$@"; then
		pass "$_ok_name"
	else
		fail "$_ok_name" "command failed: $*"
	fi
}

# is GOT WANT NAME: string equality.
is()
{
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "     got: '$1'" "expected: '$2'"
	fi
}

# isnt GOT UNWANTED NAME
isnt()
{
	if [ "$1" != "$2" ]; then
		pass "$3"
	else
		fail "$3" "     got: '$1'" "expected anything else"
	fi
}

# like GOT ERE NAME: some line of GOT matches the extended regex.
like()
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3" "     got: '$1'" "expected to match: /$2/"
	fi
}

# unlike GOT ERE NAME: no line of GOT matches.
unlike()
{
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3" "     got: '$1'" "expected not to match: /$2/"
	else
		pass "$3"
	fi
}

# run COMMAND [ARG...]: runs it with stdout in $tmp/out and stderr in
# $tmp/err; its status in $rc. Redirect stdin at the call, from a file:
# in `... | run CMD` run is in a subshell and $rc is lost.
run()
{
	"$@" >"$tmp/out" 2>"$tmp/err"
	# shellcheck disable=SC2034 # read by the tests
	rc=$?
}

# out and err: what the last run wrote.
out() { cat "$tmp/out"; }
err() { cat "$tmp/err"; }

# The number of lines in a file.
lines() { wc -l <"$1" | tr -d ' '; }

done_testing()
{
	echo "1..$tap_count"
	if [ "$tap_failed" -gt 0 ]; then
		diag "failed $tap_failed of $tap_count"
		exit 1
	fi
	exit 0
}
