#!/usr/bin/env bash
# ul-train end to end on coco8 (imgsz 160, yolo26n from scratch): the
# records and the run folder, standalone use, resume that ends with the
# same bits as an uninterrupted run, a pause through a real closed pipe, a
# cancel by a real SIGINT mid-epoch, the device lock's pending, and bad
# checkpoints and folders.
. "$(dirname "$0")/lib.sh"

FETCH=$UL_BIN/ul-fetch
VALIDATE=$UL_BIN/ul-validate
TRAIN=$UL_BIN/ul-train
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home
cd "$tmp" || exit 1

settings="model=yolo26n.yaml imgsz=160 batch=4 nbs=4 optimizer=AdamW lr0=0.002 warmup_epochs=1 mosaic=0"
"$FETCH" data="$DATA/coco8/coco8.yaml" </dev/null >coco8.jsonl
# config ARGS...: a config record for coco8 in config.jsonl
config()
{
	# shellcheck disable=SC2086 # the settings are words
	"$VALIDATE" $settings "$@" <coco8.jsonl >config.jsonl
}
records() { jq -c "select(.type==\"$1\")" "$tmp/out"; }
# the bytes of a checkpoint's tensors, without its header (dates, ids)
tensors_sha()
{
	local n
	n=$(od -An -t u8 -N8 "$1" | tr -d ' ')
	tail -c +$((8 + n + 1)) "$1" | sha256sum | cut -d' ' -f1
}

# --- a run in a pipeline -------------------------------------------------------
config epochs=3
run "$TRAIN" <config.jsonl
is "$rc" 0 "trains 3 epochs"
is "$(jq -r .type "$tmp/out" | head -2 | tr '\n' ' ')" "dataset config " "the upstream records come first, passed on"
is "$(records status | jq -r .status | tr '\n' ' ')" "starting running completed " "its lifecycle: starting, running, completed"
ok "every status has its run, reason and time" \
	test "$(records status | jq -c 'select(.run and .reason and (.time | test("^[0-9-]+T[0-9:]+Z$")))' | wc -l)" -eq 3
is "$(records status | jq -r .reason | tail -1)" "3 epochs done" "completed because the epochs are done"
is "$(jq -r 'select(.run) | .run' "$tmp/out" | sort -u | wc -l | tr -d ' ')" 1 "one run id in every record, the first status too"
is "$(records epoch | jq -r .epoch | tr '\n' ' ')" "1 2 3 " "one epoch record per epoch"
ok "each epoch has train and val losses, metrics, fitness, best, rates, seconds, images/s" \
	test "$(records epoch | jq -c 'select((.train | keys) == ["box_loss","cls_loss","l1_loss"]
		and (.val | keys) == ["box_loss","cls_loss","l1_loss"]
		and (.metrics | keys) == ["mAP50","mAP50_95","precision","recall"] and (.fitness | type) == "number"
		and (.best | type) == "boolean" and (.lr | length) == 3 and .seconds > 0 and .images_per_second > 0
		and .gpu_mem == null)' | wc -l)" -eq 3
is "$(records epoch | jq -r .best | head -1)" true "the first validated epoch is the best so far"
is "$(records checkpoint | jq -r .kind | sort | uniq | tr '\n' ' ')" "best final last " "last, best and final checkpoints"
run_dir=$tmp/runs/detect/train
last=$run_dir/weights/last.safetensors
ok "in the run folder's weights/" test -s "$last" -a -s "$run_dir/weights/best.safetensors" -a -s "$run_dir/weights/final.safetensors"
is "$(records checkpoint | jq -r 'select(.kind=="final") | .sha256')" "$(sha256sum "$run_dir/weights/final.safetensors" | cut -d' ' -f1)" \
	"a checkpoint record's sha256 is its file's"
is "$(head -1 "$run_dir/results.csv")" \
	"epoch,time,train/box_loss,train/cls_loss,train/l1_loss,metrics/precision(B),metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/l1_loss,lr/pg0,lr/pg1,lr/pg2" \
	"results.csv has Ultralytics' detect columns"
is "$(wc -l <"$run_dir/results.csv" | tr -d ' ')" 4 "and a row per epoch"
like "$(cat "$run_dir/args.yaml")" "^epochs: 3$" "args.yaml holds the run's arguments"
ok "system records give the CPU, memory and disk in use, in percent, and no GPU" \
	test "$(records system | jq -c 'select(.cpu >= 0 and .ram > 0 and .ram <= 100 and .disk >= 0 and .gpu == null)' | wc -l)" -ge 1
like "$(err)" "Instances +Box\(P" "the closing table on stderr"
best_epoch=$(records epoch | jq -s 'last | .best_epoch')
is "$(records final | jq -c '[.epoch, .epochs, .checkpoint]')" "[$best_epoch,3,\"$run_dir/weights/best.safetensors\"]" \
	"a final record: the best epoch's checkpoint, validated again"
like "$(err)" "validating $run_dir/weights/best.safetensors \(epoch $best_epoch\)" "saying so, as Ultralytics validates best.pt"
is "$(records final | jq -c '[.val, .metrics, .fitness]')" \
	"$(records epoch | jq -c "select(.epoch == $best_epoch) | [.val, .metrics, .fitness]")" \
	"the file gives the very results that epoch's validation gave"
is "$(jq -r 'select(.type=="final" or .type=="status") | .type' "$tmp/out" | tail -2 | tr '\n' ' ')" "final status " \
	"the results come before the completed status"
run "$TRAIN" <config.jsonl
ok "a second run goes to train-2" test -s "$tmp/runs/detect/train-2/weights/last.safetensors"

# --- standalone ----------------------------------------------------------------
run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" imgsz=160 batch=4 epochs=1 name=alone </dev/null
is "$rc" 0 "standalone: model= data= fetches and checks the run itself"
is "$(jq -r .type "$tmp/out" | head -2 | tr '\n' ' ')" "dataset config " "writing the records ul-fetch and ul-validate would"
run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" imgsz=160 lr0=7 </dev/null
is "$rc" 1 "standalone: a parameter out of range fails as ul-validate fails it"
is "$(jq -r 'select(.type=="error") | .param' "$tmp/out")" "lr0" "naming it"

# close_mosaic: the last N epochs without mosaic, never in a shorter run (as Ultralytics)
run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" imgsz=64 batch=4 epochs=3 close_mosaic=1 name=closing </dev/null
is "$rc:$(jq -r 'select(.type=="log") | .message' "$tmp/out" | grep -c '^closing dataloader mosaic')" "0:1" "close_mosaic=1: closed once"
like "$(jq -r 'select(.type=="log") | .message' "$tmp/out")" "closing dataloader mosaic at epoch 3$" "before the last epoch"
run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" imgsz=64 batch=4 epochs=2 name=short </dev/null
is "$rc:$(jq -r 'select(.type=="log") | .message' "$tmp/out" | grep -c '^closing')" "0:0" "2 epochs with close_mosaic 10: mosaic all along"

# --- resume: the same bits as an uninterrupted run ----------------------------
config epochs=4 name=whole
run "$TRAIN" <config.jsonl
whole=$(tensors_sha "$tmp/runs/detect/whole/weights/last.safetensors")
config epochs=4 name=halves
# the reader goes away after epoch 2's record: ul-train pauses
"$TRAIN" <config.jsonl 2>"$tmp/pause.err" | { while read -r line; do
	[ "$(jq -r 'select(.type=="epoch") | .epoch' <<<"$line")" = 2 ] && exit 0; done; }
paused=${PIPESTATUS[0]}
is "$paused" 3 "a closed stdout pauses the run: exit 3"
like "$(cat "$tmp/pause.err")" "paused: stdout closed" "saying so on stderr"
ok "its last checkpoint is kept" test -s "$tmp/runs/detect/halves/weights/last.safetensors"
"$VALIDATE" $settings resume="$tmp/runs/detect/halves/weights/last.safetensors" <coco8.jsonl >config.jsonl
run "$TRAIN" <config.jsonl
is "$rc" 0 "resume=PATH carries on"
like "$(records log | jq -r .message)" "resuming .* from epoch [23]" "from the epoch after the last checkpoint"
is "$(records epoch | jq -r .epoch | tail -1)" 4 "to the last epoch"
is "$(tensors_sha "$tmp/runs/detect/halves/weights/last.safetensors")" "$whole" \
	"stopped and resumed, it ends with the same weights and state, bit for bit, as the run never stopped"
"$VALIDATE" $settings resume=true name=halves <coco8.jsonl >config.jsonl
run "$TRAIN" <config.jsonl
is "$rc:$(records status | jq -r .reason | tail -1)" "0:4 epochs done" "resume=true name=halves finds that run, whose epochs are done"
like "$(records log | jq -r .message)" "resuming .* from epoch 4" "from its last checkpoint"

# --- a pause through head -------------------------------------------------------
config epochs=50 name=head
"$TRAIN" <config.jsonl 2>"$tmp/head.err" | head -n 3 >/dev/null
is "${PIPESTATUS[0]}" 3 "ul-train ... | head -n 3: paused, exit 3"
like "$(cat "$tmp/head.err")" "paused" "with the status line on stderr"

# --- cancel: a real SIGINT in the middle of an epoch --------------------------
# shellcheck disable=SC2016 # perl, not shell
watch='
use strict; use IO::Handle; use POSIX ();
open(my $report, ">&=", 3) or die; $report->autoflush(1);
my $pid = fork() // die;
if ($pid == 0) { POSIX::close(3); $SIG{INT} = $SIG{TERM} = "DEFAULT"; exec { $ARGV[0] } @ARGV or exit 127; }
print $report "pid $pid\n";
waitpid($pid, 0) == $pid or die; my $st = $?;
print $report (($st & 127) ? "signal " . ($st & 127) : "exit " . ($st >> 8)), "\n";
'
"$VALIDATE" $settings batch=1 epochs=50 name=cancel <coco8.jsonl >config.jsonl
mkfifo "$tmp/cout" "$tmp/report"
perl -e "$watch" "$TRAIN" <config.jsonl >"$tmp/cout" 2>"$tmp/cancel.err" 3>"$tmp/report" &
watcher=$!
exec 6<"$tmp/cout" 7<"$tmp/report"
read -r -t 30 -u 7 word pid
seen=
while read -r -t 120 -u 6 line; do
	printf '%s\n' "$line" >>"$tmp/cancel.jsonl"
	[ "$(jq -r .type <<<"$line")" = epoch ] && { seen=1; break; }
done
is "$seen" 1 "cancel: the run has written an epoch (pid $pid)"
kill -s INT "$pid"
while read -r -t 60 -u 6 line; do printf '%s\n' "$line" >>"$tmp/cancel.jsonl"; done
read -r -t 60 -u 7 status
is "$status" "exit 130" "SIGINT: it exits by itself with 130"
is "$(jq -r 'select(.type=="status") | .status' "$tmp/cancel.jsonl" | tail -1)" cancelled "its last status is cancelled"
is "$(jq -r 'select(.type=="epoch") | .epoch' "$tmp/cancel.jsonl" | tail -1)" 1 "within the epoch after the first, not at its end"
ok "the checkpoints are kept" test -s "$tmp/runs/detect/cancel/weights/last.safetensors"
exec 6<&- 7<&-
wait "$watcher"

# --- pending: another run holds the device ------------------------------------
mkdir -p "$UL_HOME/locks"
mkfifo "$tmp/ready" "$tmp/hold" "$tmp/pout"
# the holder says when it has the lock, then keeps it until hold is closed
flock "$UL_HOME/locks/cpu.lock" -c "echo locked >'$tmp/ready'; read -r _ <'$tmp/hold'" &
holder=$!
read -r -t 30 word <"$tmp/ready"
is "$word" locked "another process holds the cpu's lock"
config epochs=1 name=queued
"$TRAIN" <config.jsonl >"$tmp/pout" 2>/dev/null &
trainer=$!
exec 9<"$tmp/pout"
first=
while read -r -t 60 -u 9 line; do
	[ "$(jq -r .type <<<"$line")" = status ] && { first=$(jq -r .status <<<"$line"); break; }
done
is "$first" pending "while another holds the cpu, the run is pending"
exec 8>"$tmp/hold"
exec 8>&-  # the holder lets go
last=
while read -r -t 120 -u 9 line; do
	[ "$(jq -r .type <<<"$line")" = status ] && last=$(jq -r .status <<<"$line")
done
wait "$trainer"
is "$?:$last" "0:completed" "then it starts and completes"
wait "$holder"
exec 9<&-

# --- bad input -------------------------------------------------------------------
cut_short=$tmp/cut.safetensors
head -c 5000 "$run_dir/weights/last.safetensors" >"$cut_short"
"$VALIDATE" $settings resume="$cut_short" <coco8.jsonl >config.jsonl
run "$TRAIN" <config.jsonl
is "$rc" 1 "a checkpoint cut short: exit 1"
is "$(records status | jq -r .status | tail -1)" failed "status failed"
ok "an error record that says what is wrong" test -n "$(jq -r 'select(.type=="error") | .message' "$tmp/out")"
like "$(err)" "failed" "and a line on stderr"
printf 'not safetensors at all' >"$tmp/garbage.safetensors"
"$VALIDATE" $settings resume="$tmp/garbage.safetensors" <coco8.jsonl >config.jsonl
run "$TRAIN" <config.jsonl
is "$rc" 1 "a file that is not a checkpoint: exit 1"
config epochs=1 project=/proc/ul-train-cannot-write
run "$TRAIN" <config.jsonl
is "$rc" 1 "a run folder that cannot be made: exit 1"
like "$(jq -r 'select(.type=="error") | .message' "$tmp/out")" "ul-train-cannot-write" "naming it"

# upstream trouble is passed on, not trained on
printf '{"type":"error","v":1,"tool":"ul-fetch","code":"x","message":"no dataset"}\n' >bad.jsonl
run "$TRAIN" <bad.jsonl
is "$rc" 1 "an upstream error: exit 1"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "error " "and only the error passes"

done_testing
