#!/usr/bin/env bash
# Pay as you go: train until the credit runs out, top up, carry on.
#
#   pipelines/credits.sh TOPUP DATA [key=value ...]     e.g. credits.sh 2 coco8.yaml epochs=30
#
# ul-meter charges every epoch; when the balance cannot pay for the next
# one it pauses the run (ul-train keeps its last checkpoint, both exit 3).
# Then this tops the account up by TOPUP dollars and resumes the run from
# that checkpoint, as often as it takes. Each epoch is charged once.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 TOPUP DATA [key=value ...]" >&2; exit 2; }
bin=${UL_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
topup=$1 data=$2
shift 2
log=$(mktemp "${TMPDIR:-/tmp}/credits.XXXXXX")
trap 'rm -f "$log"' EXIT
resume=() last=
for round in $(seq 20); do
	set +e
	"$bin/ul-fetch" data="$data" </dev/null | "$bin/ul-validate" "$@" "${resume[@]}" | "$bin/ul-estimate" check=false \
		| "$bin/ul-train" | "$bin/ul-meter" | tee "$log"
	status=("${PIPESTATUS[@]}")
	set -e
	[ "${status[4]}" = 3 ] || exit "${status[4]}"
	new=$(jq -r 'select(.type=="checkpoint" and .kind=="last") | .path' "$log" | tail -1)
	last=${new:-$last}
	echo "credits: out of credit (round $round); topping up \$$topup${last:+ and resuming from $last}" >&2
	"$bin/ul-meter" topup "$topup" >/dev/null
	[ -z "$last" ] || resume=(resume="$last")
done
echo "credits: still out of credit after 20 top-ups of \$$topup" >&2
exit 3
