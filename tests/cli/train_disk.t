#!/usr/bin/env bash
# ul-train's checkpoints on a full disk and in a folder that turns
# read-only, on a small tmpfs of its own (mounting one needs root or
# CAP_SYS_ADMIN; without, the file plans no tests and says why): a
# checkpoint that cannot be written fails the run with a clear error and
# leaves the last one whole, and so does a resume into a read-only folder.
. "$(dirname "$0")/lib.sh"

TRAIN=$UL_BIN/ul-train
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home
disk=$tmp/disk
mkdir -p "$disk"
# room for one checkpoint of yolo26n (51 MB) and the run's small files, not
# for the next one written beside it
if ! mount -t tmpfs -o size=80m tmpfs "$disk" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
	exit 0
fi
trap 'umount "$disk" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
records() { jq -c "select(.type==\"$1\")" "$tmp/out"; }

settings="model=yolo26n.yaml imgsz=64 batch=4 nbs=4 optimizer=AdamW lr0=0.002 warmup_epochs=1 mosaic=0 plots=false"
run "$TRAIN" $settings data="$DATA/coco8/coco8.yaml" epochs=3 project="$disk/runs" name=full </dev/null
weights=$disk/runs/full/weights
is "$rc" 1 "a checkpoint the disk has no room for: exit 1"
is "$(records status | jq -r .status | tail -1)" failed "status failed"
is "$(jq -r 'select(.type=="error") | .code' "$tmp/out")" checkpoint "an error record of code checkpoint"
like "$(jq -r 'select(.type=="error") | .message' "$tmp/out")" "No space left on device" "saying the disk is full"
like "$(jq -r 'select(.type=="error") | .hint' "$tmp/out")" "free space" "with a hint"
like "$(err)" "No space left" "and a line on stderr"
is "$(records checkpoint | jq -r 'select(.kind=="last") | .epoch' | tr '\n' ' ')" "1 " "epoch 1's last was written"
is "$(sha256sum "$weights/last.safetensors" | cut -d' ' -f1)" \
	"$(records checkpoint | jq -r 'select(.kind=="last") | .sha256')" "and it is still whole, byte for byte as recorded"
is "$(find "$weights" -name '*.tmp' | wc -l | tr -d ' ')" 0 "no half-written file is left behind"

# the same folder read-only: a resume cannot keep its checkpoints
cp "$weights/last.safetensors" "$tmp/epoch1.safetensors"
mount -o remount,ro "$disk"
run "$TRAIN" $settings data="$DATA/coco8/coco8.yaml" resume="$weights/last.safetensors" </dev/null
is "$rc" 1 "a resume into a read-only run folder: exit 1"
is "$(records status | jq -r .status | tail -1)" failed "status failed"
like "$(jq -r 'select(.type=="error") | .message' "$tmp/out")" "runs/full cannot be written: Read-only file system" \
	"saying the folder cannot be written, and why"
is "$(records epoch | wc -l | tr -d ' ')" 0 "before it trains an epoch it could not keep"
ok "its checkpoint untouched" cmp -s "$weights/last.safetensors" "$tmp/epoch1.safetensors"

done_testing
