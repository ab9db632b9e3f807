#!/bin/sh
# The documentation stays true: the man pages render without warnings, the
# record contract documents every record type and error code the code
# writes, and its examples are valid records.
. "$(dirname "$0")/lib.sh"

records=$UL_ROOT/share/man/man7/ul-records.7
conventions=$UL_ROOT/share/man/man7/ul.7

for page in "$conventions" "$records"; do
	groff -man -ww -z -Tutf8 "$page" >"$tmp/warnings" 2>&1
	is "$(cat "$tmp/warnings")" "" "$(basename "$page") renders without warnings"
	MANWIDTH=80 man -l "$page" >"$tmp/text" 2>/dev/null
	like "$(head -n 3 "$tmp/text")" "^NAME" "$(basename "$page") has a NAME section"
done

# The eleven record types of DESIGN.md section 3 each have a subsection.
for type in dataset config estimate status epoch checkpoint system log charge bill error; do
	ok "ul-records(7) documents the $type record" grep -qx ".SS $type" "$records"
done

# Every record type the shipped code writes (ul_record("TYPE")) is documented.
grep -rhoE 'ul_record\("[a-z_]+"\)' "$UL_ROOT/lib" "$UL_ROOT/bin" 2>/dev/null |
	sed -E 's/.*"([a-z_]+)".*/\1/' | sort -u >"$tmp/types"
while read -r type; do
	ok "the $type record the code writes is documented" grep -qx ".SS $type" "$records"
done <"$tmp/types"

# Every error code the shipped code writes is documented under the error record.
sed -n '/^\.SS error/,/^\.SH/p' "$records" >"$tmp/error-section"
# (the first string given to ul_error_record or a file's own fail() helpers)
grep -rhoE '\b(ul_error_record|fail|add_error|problem)\([^"()]*"[a-z_]+"' "$UL_ROOT/lib" "$UL_ROOT/bin" 2>/dev/null |
	sed -E 's/.*"([a-z_]+)"$/\1/' | sort -u >"$tmp/codes"
like "$(cat "$tmp/codes")" "^bad_record$" "the scan finds the codes the code writes"
while read -r code; do
	ok "error code $code is documented" grep -qx ".B $code" "$tmp/error-section"
done <"$tmp/codes"

# The examples: one valid record per type, each with v 1, in the contract's order.
groff -man -Tutf8 -P-cbou "$records" 2>/dev/null | sed -n '/^EXAMPLES/,/^COMPATIBILITY/p' |
	sed -n 's/^ *\({"type".*\)$/\1/p' >"$tmp/examples"
is "$(lines "$tmp/examples")" 11 "eleven example records"
jq -e . "$tmp/examples" >/dev/null
is "$?" 0 "the examples are valid JSON"
is "$(jq -r .type "$tmp/examples" | tr '\n' ' ')" \
	"dataset config estimate status epoch checkpoint system log charge bill error " "one of each type"
is "$(jq -r .v "$tmp/examples" | sort -u)" 1 "all at version 1"
run "$UL_ECHO" <"$tmp/examples"
is "$rc" 0 "the core reads every example as a record"
ok "and passes them through unchanged" cmp -s "$tmp/examples" "$tmp/out"

# Every tool has a man page that renders cleanly; --help and --manual are
# that page (mk/manual-c builds it into the tool), and it documents each
# argument the tool's table declares (the shared ones are in ul(7)).
for src in "$UL_ROOT"/bin/*.c; do
	[ -e "$src" ] || continue
	tool=$(basename "$src" .c)
	page=$UL_ROOT/share/man/man1/$tool.1
	ok "$tool has a man page" test -f "$page"
	groff -man -ww -z -Tutf8 "$page" >"$tmp/warnings" 2>&1
	is "$(cat "$tmp/warnings")" "" "$tool.1 renders without warnings"
	"$UL_BIN/$tool" --manual >"$tmp/manual"
	groff -man -Tascii -P-cbou "$page" 2>/dev/null | sed -n '/^NAME/{n;p;q}' | tr -s ' ' | cut -c1-30 >"$tmp/name"
	is "$(sed -n 2p "$tmp/manual" | tr -s ' ' | cut -c1-30)" "$(cat "$tmp/name")" "$tool --manual is its page, from NAME on"
	is "$(grep -c '^[A-Z]' "$tmp/manual")" "$(grep -c '^\.SH' "$page")" "$tool --manual has every section of the page"
	"$UL_BIN/$tool" --help >"$tmp/help"
	is "$(grep '^[A-Z]' "$tmp/help" | tr '\n' ' ')" \
		"$(grep '^\.SH' "$page" | sed 's/^\.SH //; s/"//g' | grep -xE 'NAME|SYNOPSIS|ARGUMENTS|COMMANDS|OPTIONS|EXAMPLES' | tr '\n' ' ')" \
		"$tool --help shows its name, synopsis, arguments, commands, options and examples"
	sed -n 's/.*{ "\([a-z_0-9]*\)", UL_ARG_.*/\1/p' "$src" >"$tmp/args"
	while read -r arg; do
		ok "$tool.1 documents $arg=" grep -q "$arg=" "$tmp/manual"
	done <"$tmp/args"
done

# The exit codes in ul(7) are the ones in lib/core/error.h.
for code in 0 1 2 3; do
	ok "ul(7) documents exit status $code" grep -qx ".B $code" "$conventions"
	ok "error.h defines exit status $code" grep -qE "= $code, " "$UL_ROOT/lib/core/error.h"
done
ok "error.h puts signals at 128" grep -qE "UL_EXIT_SIGNAL += 128" "$UL_ROOT/lib/core/error.h"

done_testing
