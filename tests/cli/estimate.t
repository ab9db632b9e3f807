#!/usr/bin/env bash
# ul-estimate: the GPU catalogue, the seed's factors reproduced (baseline,
# imgsz, batch, GPU speed, startup), timed runs' exact price, the memory
# check with the largest batch that fits, the balance check, calibration
# from the ledger, and the seed's three cost examples next to ours.
. "$(dirname "$0")/lib.sh"

ESTIMATE=$UL_BIN/ul-estimate
METER=$UL_BIN/ul-meter
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home
cd "$tmp" || exit 1
jqok() { jq -e "$@" >/dev/null; }

# --- the catalogue ---------------------------------------------------------------
run "$ESTIMATE" --gpus </dev/null
is "$rc:$(lines "$tmp/out")" "0:22" "--gpus: the seed's 22 GPUs, as records when stdout is not a terminal"
is "$(jq -r 'select(.default) | .name' "$tmp/out")" "RTX PRO 6000" "the seed's recommended default"
is "$(jq -r 'select(.name=="RTX 4090") | [.vram_gb, .usd_per_hour, .speed] | @csv' "$tmp/out")" "24,0.59,1" "RTX 4090: 24 GB, \$0.59/hour, the baseline"
is "$(jq -r 'select(.name=="H100 SXM") | .speed' "$tmp/out")" 3.4 "H100 SXM is 3.4x an RTX 4090, as the seed says"
ok "faster means more bandwidth: an H200 beats an H100, a B200 both" \
	jqok -s 'map({(.name): .speed}) | add | .["B200"] > .["H200 SXM"] and .["H200 SXM"] > .["H100 SXM"] and .["RTX 2000 Ada"] < .["RTX 4090"]' "$tmp/out"

# --- records to estimate -----------------------------------------------------------
"$UL_BIN/ul-fetch" data="$DATA/coco8/coco8.yaml" </dev/null >coco8.jsonl
"$UL_BIN/ul-validate" model=yolo26n.yaml <coco8.jsonl >n.jsonl
"$UL_BIN/ul-validate" model=yolo26s.yaml <coco8.jsonl >s.jsonl
"$UL_BIN/ul-validate" model=yolo26x.yaml <coco8.jsonl >x.jsonl
# shape FILE TRAIN VAL JQ-ARGS: FILE's records with that many images and args changed
shape()
{
	jq -c --argjson t "$2" --argjson v "$3" "if .type == \"dataset\" then .splits.train.images = \$t | .splits.val.images = \$v
		elif .type == \"config\" then .args |= ($4) | .model_info.gflops *= (.args.imgsz / 640) * (.args.imgsz / 640) else . end" "$1"
}
# field JQ-ARGS GPU FIELD: the estimate's field for 10000 training images of yolo26n
field()
{
	shape n.jsonl 10000 0 "$1" | "$ESTIMATE" gpu="$2" check=false 2>/dev/null | jq -r "select(.type==\"estimate\") | .$3"
}
base=$(field '.batch = 16' "RTX 4090" seconds_per_epoch)
gflops=$(jq -r 'select(.type=="config") | .model_info.gflops' n.jsonl)
diag "yolo26n: $gflops GFLOPs at 640; 10000 images on an RTX 4090 at 640, batch 16: $base s per epoch"
ok "the baseline: 2.8 s per 1000 images (GFLOPs $gflops against the nano's 6.2)" jqok -n "($base / (28 * pow($gflops / 6.2; 0.35)) - 1) | fabs < 0.001"
ratio() { jq -rn "$1 / $base * 1000 | round / 1000"; }
is "$(ratio "$(field '.batch = 16 | .imgsz = 320' "RTX 4090" seconds_per_epoch)")" 0.25 "imgsz 320: 0.25x"
is "$(ratio "$(field '.batch = 16 | .imgsz = 1280' "RTX 4090" seconds_per_epoch)")" 4 "imgsz 1280: 4x"
is "$(ratio "$(field '.batch = 32' "RTX 4090" seconds_per_epoch)")" 0.85 "batch 32: 0.85x"
is "$(ratio "$(field '.batch = 8' "RTX 4090" seconds_per_epoch)")" 1.2 "batch 8: 1.2x"
is "$(jq -rn "$base / $(field '.batch = 16' "H100 SXM" seconds_per_epoch) * 100 | round / 100")" 3.4 "H100 SXM: 3.4x faster"
is "$(shape n.jsonl 500 100 '.batch = 16' | "$ESTIMATE" gpu=L4 check=false 2>/dev/null | jq -r 'select(.type=="estimate") | .startup_seconds')" 74.4 \
	"startup grows with the dataset: 60 s + 24 ms an image"
is "$(field '.batch = 16' L4 startup_seconds)" 300 "up to 5 minutes"
shape n.jsonl 1000 300 '.batch = 16 | .epochs = 10' | "$ESTIMATE" gpu=L4 check=false 2>/dev/null >e.jsonl
is "$(jq -r 'select(.type=="estimate") | (.seconds_per_epoch * 10 + .startup_seconds - .total_seconds) | fabs < 0.1' e.jsonl)" true \
	"total: startup plus the epochs"
is "$(jq -r 'select(.type=="estimate") | .images' e.jsonl)" 1100 "an epoch: the training images and a third of the validation ones"
is "$(field '.batch = 16 | .time = 1.5' "RTX 4090" cost_usd)" 0.885 "a timed run (time=1.5) has an exact price: 1.5 h x \$0.59"

# --- memory ---------------------------------------------------------------------------
shape x.jsonl 1000 100 '.batch = 32 | .imgsz = 1280' >big.jsonl
run "$ESTIMATE" gpu="RTX 2000 Ada" check=false <big.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:gpu_memory" "yolo26x, batch 32, imgsz 1280 does not fit in 16 GB: refused"
fits=$(jq -r 'select(.type=="error") | .max_batch' "$tmp/out")
like "$(jq -r 'select(.type=="error") | .hint' "$tmp/out")" "batch=$fits is the largest that fits" "naming the largest batch that fits ($fits)"
shape x.jsonl 1000 100 ".batch = $fits | .imgsz = 1280" | "$ESTIMATE" gpu="RTX 2000 Ada" check=false >/dev/null 2>&1
is "$?" 0 "and batch=$fits does"
shape x.jsonl 1000 100 ".batch = $((fits + 1)) | .imgsz = 1280" | "$ESTIMATE" gpu="RTX 2000 Ada" check=false >/dev/null 2>&1
is "$?" 1 "batch=$((fits + 1)) does not"
run "$ESTIMATE" gpu=B200 check=false <big.jsonl
is "$(jq -r 'select(.type=="estimate") | .memory_gb < .vram_gb' "$tmp/out")" true "it fits a B200"
shape n.jsonl 1000 100 '.batch = -1' | "$ESTIMATE" gpu="L4" check=false 2>/dev/null >auto.jsonl
ok "batch=-1 takes the largest batch that fills 60% of the memory" \
	jqok 'select(.type=="estimate") | .batch > 16 and .memory_gb <= 0.6 * .vram_gb' auto.jsonl

# --- the balance --------------------------------------------------------------------------
shape n.jsonl 1000 100 '.batch = 16 | .epochs = 100' >run.jsonl
run "$ESTIMATE" gpu="RTX 4090" <run.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:balance" "no credit: refused"
like "$(err)" "positive balance" "a start needs a positive balance"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "dataset config estimate error " "the estimate is still written, then the error ul-train stops on"
"$METER" topup 0.01 </dev/null >/dev/null 2>&1
run "$ESTIMATE" gpu="RTX 4090" <run.jsonl
short=$(jq -r 'select(.type=="error") | .shortfall_usd' "$tmp/out")
cost=$(jq -r 'select(.type=="estimate") | .cost_usd' "$tmp/out")
is "$rc:$(jq -rn "$cost - $short | . * 1e6 | round")" "1:10000" "too little: refused with the shortfall (\$$short of \$$cost)"
like "$(jq -r 'select(.type=="error") | .hint' "$tmp/out")" "ul-meter topup $short" "and the top-up that would do"
"$METER" topup "$short" </dev/null >/dev/null 2>&1
run "$ESTIMATE" gpu="RTX 4090" <run.jsonl
is "$rc:$(jq -r 'select(.type=="estimate") | .balance_usd == .cost_usd' "$tmp/out")" "0:true" "exactly enough: accepted"
run "$ESTIMATE" gpu="RTX 4090" check=false <run.jsonl
is "$rc" 0 "check=false skips the check"
run "$ESTIMATE" gpu="RTX 4909" <run.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "2:gpu_unknown" "an unknown GPU is a usage error"
like "$(err)" "did you mean 'RTX 4090'" "with a suggestion"
run "$ESTIMATE" <coco8.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "2:usage" "no config record: a usage error"

# --- calibration ------------------------------------------------------------------------------
# a run of 200 weighted images metered at 4 s an epoch; the same model, imgsz, batch and GPU
# with three times the images is then estimated at 12 s
export UL_HOME=$tmp/calibrated
"$METER" topup 100 </dev/null >/dev/null 2>&1
{ shape n.jsonl 170 90 '.batch = 16 | .epochs = 3'; printf '{"type":"estimate","v":1,"gpu":"L4"}\n'
	for e in 1 2 3; do printf '{"type":"epoch","v":1,"run":"cal","epoch":%d,"epochs":3,"seconds":4}\n' "$e"; done; } | "$METER" >/dev/null 2>&1
shape n.jsonl 510 270 '.batch = 16 | .epochs = 3' | "$ESTIMATE" gpu=L4 2>/dev/null >cal.jsonl
is "$(jq -c 'select(.type=="estimate") | [.basis, .seconds_per_epoch, .calibrated_epochs]' cal.jsonl)" '["calibrated",12,3]' \
	"a similar run is estimated from the ledger's measured seconds per image"
shape n.jsonl 510 270 '.batch = 8 | .epochs = 3' | "$ESTIMATE" gpu=L4 2>/dev/null >cal.jsonl
is "$(jq -r 'select(.type=="estimate") | .basis' cal.jsonl)" formula "another batch is not similar: the formula"
shape n.jsonl 510 270 '.batch = 16 | .epochs = 3' | "$ESTIMATE" gpu=A40 2>/dev/null >cal.jsonl
is "$(jq -r 'select(.type=="estimate") | .basis' cal.jsonl)" formula "nor another GPU"

# --- the seed's cost examples ----------------------------------------------------------------------
# (the platform's Cloud Training page): ours, from its own factors, with the images as training images
example()
{
	shape "$1" "$2" 0 ".batch = 16 | .epochs = $3" | "$ESTIMATE" gpu="$4" check=false 2>/dev/null |
		jq -r 'select(.type=="estimate") | .cost_usd * 1000 | round / 1000'
}
ours=$(example n.jsonl 500 50 "RTX 4090")
diag "500 images, YOLO26n, 50 epochs, RTX 4090: seed ~\$0.50, ours \$$ours"
is "$ours" 0.023 "500 images, YOLO26n, 50 epochs, RTX 4090: \$0.023 (the seed says ~\$0.50)"
ours=$(example n.jsonl 1000 100 "RTX PRO 6000")
is "$ours" 0.125 "1000 images, YOLO26n, 100 epochs, RTX PRO 6000: \$0.125 (the seed says ~\$5)"
ours=$(example s.jsonl 5000 100 "H100 SXM")
is "$ours" 0.622 "5000 images, YOLO26s, 100 epochs, H100 SXM: \$0.622 (the seed says ~\$23)"
for cost in 0.023 0.125 0.622; do
	ok "ul-estimate(1) shows \$$cost" grep -qF "\$$cost" "$UL_ROOT/share/man/man1/ul-estimate.1"
done

done_testing
