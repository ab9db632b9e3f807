#!/usr/bin/env bash
# device=: the CPU trains; a GPU's backend is a plugin loaded only when one
# is asked for, and every way it can be missing (a build without CUDA, a
# plugin that does not load, no driver or no GPU, a device that is not
# one) ends in a device error record, a readable line and exit 1, before
# anything is fetched or a run folder made; a GPU that opens trains. Which of these this machine
# meets depends on its build (--version) and its hardware; each branch
# checks its own words.
. "$(dirname "$0")/lib.sh"

TRAIN=$UL_BIN/ul-train
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
export UL_HOME=$tmp/home
cd "$tmp" || exit 1

# train DEVICE: a standalone run asking for it, in $tmp/out and $tmp/err
train() { run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" epochs=1 imgsz=64 device="$1" </dev/null; }
error_field() { jq -r "select(.type==\"error\") | .$1" "$tmp/out"; }

# refused DEVICE PATTERN WHAT: one device error matching PATTERN, nothing else done
refused()
{
	train "$1"
	is "$rc" 1 "device=$1 ($3): exit 1"
	is "$(error_field code)" device "device=$1 ($3): a device error record"
	like "$(error_field message)" "$2" "device=$1 ($3): says why"
	like "$(cat "$tmp/err")" "ul-train: error: .*$2" "device=$1 ($3): a readable line on stderr"
	is "$(jq -r 'select(.type=="status") | .status' "$tmp/out" | tr '\n' ' ')" "failed " "device=$1 ($3): the run's one status is failed"
	ok "device=$1 ($3): no run folder" test ! -e runs
}

refused mps "not a device ul trains on: use cpu, or a GPU as 0 or cuda:0" "not a device"
refused cuda:x "not a device ul trains on" "not a GPU number"
refused 0,1 "ul trains on one GPU at a time; name one, as device=0" "two GPUs"

features=$("$TRAIN" --version)
if ! [[ $features == *CUDA* ]]; then
	refused 0 "this build of ul has no CUDA backend" "a build without CUDA"
	refused cuda:0 "this build of ul has no CUDA backend" "a build without CUDA"
else
	UL_CUDA_PLUGIN=$tmp/missing.so refused 0 "the CUDA backend does not load: .*missing.so" "no plugin"
	printf 'not an ELF file\n' >"$tmp/broken.so"
	UL_CUDA_PLUGIN=$tmp/broken.so refused 0 "the CUDA backend does not load" "a broken plugin"
	if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
		refused 99 "no such GPU" "a GPU number past the last"
		run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" epochs=1 imgsz=64 batch=4 device=0 </dev/null
		is "$rc" 0 "device=0 trains on the GPU"
		is "$(jq -r 'select(.type=="status") | .status' "$tmp/out" | tail -1)" completed "and completes"
	else
		refused 0 "no usable CUDA GPU" "no GPU or driver"
		refused cuda:0 "no usable CUDA GPU" "no GPU or driver"
	fi
fi

# Training and validation on a backend whose memory is not the host's:
# tests/guarded_backend.h, the CPU's ops over pages the host cannot touch
# outside the backend's calls, so a missing copy faults. With nbs twice the
# batch, the gradients accumulate over two batches on the device.
"$UL_BIN/ul-fetch" data="$DATA/coco8/coco8.yaml" </dev/null 2>/dev/null |
	"$UL_BIN/ul-validate" model=yolo26n.yaml imgsz=64 batch=2 nbs=4 epochs=2 optimizer=AdamW lr0=0.002 warmup_epochs=1 \
	>"$tmp/learn.jsonl" 2>/dev/null
results() { jq -c 'select(.type=="epoch" or .type=="learned") | del(.seconds, .images_per_second)' "$tmp/out"; }
run "$UL_DRIVERS/ul-learn" backend=cpu <"$tmp/learn.jsonl"
is "$rc" 0 "ul-learn trains and validates on the CPU"
results >"$tmp/on_cpu"
run "$UL_DRIVERS/ul-learn" backend=guarded <"$tmp/learn.jsonl"
is "$rc" 0 "and on a device the host cannot touch, without a fault"
results >"$tmp/on_device"
is "$(wc -l <"$tmp/on_device" | tr -d ' ')" 3 "two epochs and the validation"
ok "with the same losses, rates, steps and metrics, bit for bit" cmp -s "$tmp/on_cpu" "$tmp/on_device"

# validating after every epoch through one kept net, as ul-train does: the
# weights go over again each time, and the last validation is a fresh net's
for backend in cpu guarded; do
	run "$UL_DRIVERS/ul-learn" backend=$backend each_epoch=true <"$tmp/learn.jsonl"
	is "$(jq -r 'select(.type=="learned") | .kept_same' "$tmp/out")" true \
		"$backend: the net kept over the epochs validates as a fresh one, bit for bit"
	results | jq -c 'del(.kept_same)' >"$tmp/each_$backend"
	ok "$backend: and validating each epoch changes no training number" cmp -s "$tmp/on_cpu" "$tmp/each_$backend"
done

# the CPU still trains when a GPU is refused
run "$TRAIN" model=yolo26n.yaml data="$DATA/coco8/coco8.yaml" epochs=1 imgsz=64 batch=4 device=cpu </dev/null
is "$rc" 0 "device=cpu trains"
is "$(jq -r 'select(.type=="status") | .status' "$tmp/out" | tail -1)" completed "device=cpu completes"

done_testing
