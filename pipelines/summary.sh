#!/bin/sh
# An experiment kept whole: the run's stream teed to a file as it goes,
# then summarised with jq: one line per epoch, the best checkpoint's
# results, and the run's end.
#
#   pipelines/summary.sh RUN.jsonl DATA [key=value ...]
set -eu
[ $# -ge 2 ] || { echo "usage: $0 RUN.jsonl DATA [key=value ...]" >&2; exit 2; }
out=$1
shift
"$(dirname "$0")/train.sh" "$@" | tee "$out" >/dev/null
jq -r 'def r3: (. * 1000 | round) / 1000;
	select(.type=="epoch")
	| "epoch \(.epoch)/\(.epochs)  box \(.train.box_loss | r3)  mAP50 \(.metrics.mAP50 // 0 | r3)  mAP50-95 \(.metrics.mAP50_95 // 0 | r3)  \(.seconds | r3) s"' "$out"
jq -r 'def r3: (. * 1000 | round) / 1000;
	select(.type=="final") | "best epoch \(.epoch)  mAP50 \(.metrics.mAP50 | r3)  mAP50-95 \(.metrics.mAP50_95 | r3)"' "$out"
jq -r 'select(.type=="status" and (.status=="completed" or .status=="failed" or .status=="cancelled" or .status=="paused")) | "\(.status): \(.reason)"' "$out"
jq -r 'select(.type=="checkpoint" and .kind=="final") | "weights: \(.path)"' "$out"
