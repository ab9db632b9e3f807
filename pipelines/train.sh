#!/bin/sh
# The standard training pipeline: fetch and check the dataset, check the
# run, train; the records on stdout, people's text on stderr.
#
#   pipelines/train.sh DATA [key=value ...]      e.g. train.sh coco8.yaml epochs=30 imgsz=320
#
# UL_BIN names the folder of the tools (default: beside this script's
# checkout, or on the PATH).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DATA [key=value ...]" >&2; exit 2; }
bin=${UL_BIN:-$(cd "$(dirname "$0")/../bin" 2>/dev/null && pwd || echo)}
data=$1
shift
"${bin:+$bin/}ul-fetch" data="$data" </dev/null | "${bin:+$bin/}ul-validate" "$@" | "${bin:+$bin/}ul-train"
