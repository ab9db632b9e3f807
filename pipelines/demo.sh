#!/bin/sh
# make demo: the whole pipeline on the project's own shapes dataset, on
# this machine's CPU, in a few minutes on 2 cores:
#
#   ul-fetch | ul-validate | ul-estimate | ul-train | ul-meter [| ul-push]
#
# Its state (ledger, dataset cache) lives in build/demo/home, so the demo
# never touches your own $UL_HOME; the demo account is topped up with $5
# the first time. ul-push joins the pipeline when a platform is set
# (UL_PLATFORM_URL, or Ultralytics' variable names, and an API key);
# otherwise the demo says it skips it. Ends with a summary: the best
# checkpoint's mAP, time, cost and where the run folder is.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${UL_BIN:-$root/bin}
out=${DEMO_OUT:-$root/build/demo}
epochs=${DEMO_EPOCHS:-25} count=${DEMO_COUNT:-128}
export UL_HOME=${DEMO_HOME:-$out/home}
export UL_SHARE=${UL_SHARE:-$root/share/ul}
mkdir -p "$out"

balance=$("$bin/ul-meter" balance quiet=true | jq -r 'select(.type=="balance") | .balance_usd')
if [ "$balance" = 0 ]; then
	"$bin/ul-meter" topup 5 quiet=true >/dev/null
	echo "demo: a demo account with \$5 of credit, in $UL_HOME" >&2
fi
if [ -n "${UL_PLATFORM_URL:-}${ULTRALYTICS_PLATFORM_URL:-}" ]; then
	push="$bin/ul-push project=${DEMO_PROJECT:-demo/shapes} name=${DEMO_NAME:-demo}"
else
	push=cat
	echo "demo: no platform configured (UL_PLATFORM_URL): skipping ul-push" >&2
fi

# shellcheck disable=SC2086 # $push is a command and its words
"$bin/ul-fetch" data=shapes count="$count" </dev/null \
	| "$bin/ul-validate" model=yolo26n.yaml imgsz=160 batch=8 epochs="$epochs" project="$out/runs" name=demo \
	| "$bin/ul-estimate" \
	| "$bin/ul-train" \
	| "$bin/ul-meter" \
	| $push >"$out/run.jsonl"

jq -rs '
	def r(n): (. * pow(10; n) | round) / pow(10; n);
	([.[] | select(.type=="epoch")] | last) as $e
	| ([.[] | select(.type=="final")] | last) as $f
	| ([.[] | select(.type=="status" and .status != "pending" and .status != "starting" and .status != "running")] | last) as $s
	| ([.[] | select(.type=="bill")] | last) as $b
	| ([.[] | select(.type=="checkpoint" and .kind=="final")] | last) as $c
	| "demo: \($s.status // "no status"): \($s.reason // "")",
	  "  epochs \($e.epoch)/\($e.epochs), best epoch \($f.epoch // 0): mAP50 \($f.metrics.mAP50 // 0 | r(3)), mAP50-95 \($f.metrics.mAP50_95 // 0 | r(3))",
	  "  GPU time billed \($b.gpu_seconds // 0 | r(1)) s at \($b.gpu // "the estimate'"'"'s GPU"), cost $\($b.usd // 0 | r(4))",
	  "  run folder: \(($c.path // "") | sub("/weights/final.safetensors$"; ""))",
	  "  records: '"$out"'/run.jsonl"' "$out/run.jsonl"
