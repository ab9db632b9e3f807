#!/bin/sh
# A timed run: train for a number of hours, at a price known before it
# starts (ul-estimate prices a timed run exactly), then stop with the
# epochs that fit.
#
#   pipelines/timed.sh HOURS DATA [key=value ...]      e.g. timed.sh 0.5 coco8.yaml gpu=...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 HOURS DATA [key=value ...]" >&2; exit 2; }
bin=${UL_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
hours=$1 data=$2
shift 2
"$bin/ul-fetch" data="$data" </dev/null | "$bin/ul-validate" "$@" time="$hours" | "$bin/ul-estimate" \
	| "$bin/ul-train" | "$bin/ul-meter"
