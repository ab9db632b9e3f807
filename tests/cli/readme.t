#!/usr/bin/env bash
# The README's commands run as shown: every ```sh block, in order, in one
# fresh folder with the tools on PATH and a fresh UL_HOME. A block passes
# when it exits 0; when a plain ``` block follows it, that is what it
# prints, and the two must agree but for the numbers (times, costs and run
# ids are this machine's). The README's make commands (make demo, make
# check) are in plain blocks: CI runs them, and pipelines.t runs the demo.
. "$(dirname "$0")/lib.sh"

export PATH=$UL_BIN:$PATH UL_HOME=$tmp/home
unset UL_API_KEY ULTRALYTICS_API_KEY UL_PLATFORM_URL ULTRALYTICS_PLATFORM_URL UL_PLATFORM_API_URL PLATFORM_API_URL
mkdir -p "$tmp/blocks" "$tmp/work"

# Block N's commands go to N.sh, and the output shown after it to N.out.
awk -v out="$tmp/blocks/" '
	/^```sh$/ { n++; file = out sprintf("%02d", n) ".sh"; inside = 1; next }
	/^```$/ && inside == 2 { inside = 0; next }
	/^```$/ && inside == 1 { inside = 0; after = 1; next }
	/^```$/ && after { file = out sprintf("%02d", n) ".out"; inside = 2; after = 0; next }
	inside { print > file; next }
	/^```/ { after = 0; next }
	/[^ ]/ { after = 0 }
' "$UL_ROOT/README.md"

numbers() { sed -E 's/[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?/N/g' "$@"; }

cd "$tmp/work" || exit 1
count=0
for block in "$tmp/blocks/"*.sh; do
	count=$((count + 1))
	first=$(head -n 1 "$block")
	bash -e "$block" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	is "$rc" 0 "README block $count runs: $first"
	[ "$rc" = 0 ] || diag "$(tail -n 5 "$tmp/err")"
	expected=${block%.sh}.out
	if [ -f "$expected" ]; then
		if [ "$(numbers "$tmp/out")" = "$(numbers "$expected")" ]; then
			pass "README block $count prints what the README shows"
		else
			fail "README block $count prints what the README shows" "it printed:" "$(cat "$tmp/out")" \
				"its stderr ended:" "$(tail -n 15 "$tmp/err")"
		fi
	fi
done
ok "the README has a walkthrough" test "$count" -ge 8

done_testing
