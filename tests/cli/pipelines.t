#!/usr/bin/env bash
# The ready pipelines of pipelines/, run as a user runs them, on the
# project's own shapes dataset at imgsz 64 for a couple of epochs.
. "$(dirname "$0")/lib.sh"

P=$UL_ROOT/pipelines
export UL_HOME=$tmp/home UL_BIN
cd "$tmp" || exit 1
quick="model=yolo26n.yaml imgsz=64 batch=16 epochs=2"

# shellcheck disable=SC2086 # the settings are words
run "$P/train.sh" shapes $quick
is "$rc" 0 "train.sh: fetch, validate and train in one pipeline"
is "$(jq -r 'select(.type=="status") | .status' "$tmp/out" | tail -1)" completed "the run completes"
is "$(jq -r .type "$tmp/out" | head -2 | tr '\n' ' ')" "dataset config " "with every stage's records in the stream"
run "$P/train.sh"
is "$rc" 2 "train.sh without a dataset: a usage error"

# shellcheck disable=SC2086
run "$P/summary.sh" "$tmp/run.jsonl" shapes $quick name=summary
is "$rc" 0 "summary.sh tees the stream and summarises it"
is "$(grep -c '^epoch [12]/2 ' "$tmp/out")" 2 "a line per epoch"
like "$(out)" "^best epoch [12]  mAP50 [0-9.]+  mAP50-95 [0-9.]+$" "the best checkpoint's results"
like "$(out)" "^completed: 2 epochs done$" "the run's end"
like "$(out)" "^weights: $tmp/runs/detect/summary/weights/final.safetensors$" "and where its weights are"
is "$(jq -r .type "$tmp/run.jsonl" | sort -u | tr '\n' ' ')" "checkpoint config dataset epoch final log status system " \
	"the teed file holds the whole stream"

run make -s -f "$P/sweep.mk" LR0="0.001 0.01" IMGSZ="64" EPOCHS=1 ARGS="batch=16 model=yolo26n.yaml" -j2
is "$rc" 0 "sweep.mk: make -j2 over a grid of two runs"
is "$(wc -l <sweep/results.tsv | tr -d ' ')" 3 "results.tsv: a header and a row per run"
is "$(cut -f1,2,3 sweep/results.tsv | tail -2 | tr '\t\n' ', ')" "0.001,64,1 0.01,64,1 " "each with its point of the grid and best epoch"
ok "every run's stream is kept" test -s sweep/lr0-0.001_imgsz-64.jsonl -a -s sweep/lr0-0.01_imgsz-64.jsonl
run make -s -f "$P/sweep.mk" LR0="0.001 0.01" IMGSZ="64" EPOCHS=1 ARGS="batch=16 model=yolo26n.yaml"
is "$rc:$(grep -c 'ul-train' "$tmp/err")" "0:0" "run again, nothing is trained again"

# pay as you go: a balance for about one epoch at a time
"$UL_BIN/ul-meter" topup 0.001 >/dev/null 2>&1
run "$P/credits.sh" 0.001 shapes model=yolo26n.yaml imgsz=64 batch=16 epochs=4 name=credits
is "$rc" 0 "credits.sh: the run completes"
like "$(err)" "out of credit \(round 1\); topping up" "after running out of credit, a top-up and a resume"
run_id=$(jq -r 'select(.type=="charge") | .run' "$tmp/out" | tail -1)
"$UL_BIN/ul-meter" report run="$run_id" >"$tmp/report"
is "$(jq -r 'select(.type=="bill") | .epochs' "$tmp/report")" 4 "the ledger holds one charge for each of the 4 epochs"

# a timed run: priced exactly before it starts, stopped by the clock
# (0.001 hours, the least ul-validate takes: 3.6 s, a few epochs)
"$UL_BIN/ul-meter" topup 1 >/dev/null 2>&1
run "$P/timed.sh" 0.001 shapes model=yolo26n.yaml imgsz=64 batch=16 epochs=100 name=timed
is "$rc" 0 "timed.sh: the timed run completes"
is "$(jq -r 'select(.type=="estimate") | .timed' "$tmp/out")" true "its estimate is a timed run's price"
like "$(jq -r 'select(.type=="status" and .status=="completed") | .reason' "$tmp/out")" "^time: " "it stops because the time is up"
ok "long before its 100 epochs" test "$(jq -r 'select(.type=="epoch") | .epoch' "$tmp/out" | tail -1)" -lt 100

# remote training: the stream reaches a platform (the tests' own, on 127.0.0.1)
mkfifo "$tmp/port"
python3 "$UL_ROOT/tests/servers/platform.py" >"$tmp/port" &
server=$!
read -r port <"$tmp/port"
UL_PLATFORM_URL=http://127.0.0.1:$port UL_API_KEY=test-key run "$P/remote.sh" me/pets exp1 shapes model=yolo26n.yaml imgsz=64 batch=16 epochs=2
is "$rc" 0 "remote.sh: train here, push there"
events=$(curl -s "http://127.0.0.1:$port/__log" | jq -r '[.events[].event] | unique | join(" ")')
like "$events" "epoch_end" "the platform receives the epochs"
like "$events" "training_complete" "and the end of training"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null

# the demo, short: every stage, a summary at the end
DEMO_EPOCHS=1 DEMO_COUNT=16 DEMO_OUT=$tmp/demo run sh "$P/demo.sh"
is "$rc" 0 "demo.sh: the whole pipeline runs"
like "$(out)" "^demo: completed: 1 epochs done$" "its summary says how the run ended"
like "$(out)" "^  epochs 1/1, best epoch 1: mAP50 [0-9.]+, mAP50-95 [0-9.]+$" "the best checkpoint's mAP"
like "$(out)" "cost [$]0[.]0" "what it cost"
like "$(out)" "run folder: $tmp/demo/runs/demo" "and where the run folder is"
like "$(err)" "skipping ul-push" "without a platform, the push stage is skipped, and it says so"
ok "the stream holds every stage's records" test "$(jq -r .type "$tmp/demo/run.jsonl" | sort -u | grep -cx 'dataset\|config\|estimate\|epoch\|charge\|bill')" -eq 6

done_testing
