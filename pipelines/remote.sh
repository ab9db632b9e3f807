#!/bin/sh
# Remote training: train on this machine, follow it on the platform's
# dashboard. The key comes from the environment, never the command line.
#
#   UL_API_KEY=... pipelines/remote.sh OWNER/PROJECT NAME DATA [key=value ...]
#
# UL_PLATFORM_URL (or ULTRALYTICS_PLATFORM_URL) names another platform.
# If the network fails, ul-push spools what it could not send under
# $UL_HOME/push; `ul-push flush` sends it later.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 OWNER/PROJECT NAME DATA [key=value ...]" >&2; exit 2; }
bin=${UL_BIN:-$(cd "$(dirname "$0")/../bin" && pwd)}
project=$1 name=$2 data=$3
shift 3
"$bin/ul-fetch" data="$data" </dev/null | "$bin/ul-validate" "$@" name="$name" | "$bin/ul-train" \
	| "$bin/ul-push" project="$project" name="$name"
