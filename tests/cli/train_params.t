#!/usr/bin/env bash
# ul-train acts on cls_pw, label_smoothing, bgr and classes (coco8, one
# epoch at imgsz 64 from the same seed, so a run differs from the plain
# one only by what the parameter does): cls_pw's class weights as
# Ultralytics computes them from the training labels, label smoothing
# raising the class loss of a fresh model, bgr and classes changing what
# it trains on; save=false keeping no checkpoint. The loss and the
# loader's own tests check the arithmetic.
. "$(dirname "$0")/lib.sh"

VALIDATE=$UL_BIN/ul-validate
TRAIN=$UL_BIN/ul-train
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home
cd "$tmp" || exit 1

"$UL_BIN/ul-fetch" data="$DATA/coco8/coco8.yaml" </dev/null >coco8.jsonl
# train NAME ARGS...: one epoch; its epoch record in NAME.epoch, its log in NAME.log
train()
{
	local name=$1
	shift
	"$VALIDATE" model=yolo26n.yaml imgsz=64 batch=4 epochs=1 mosaic=0 plots=false name="$name" "$@" <coco8.jsonl >"$name.config"
	run "$TRAIN" <"$name.config"
	jq -c 'select(.type=="epoch")' "$tmp/out" >"$name.epoch"
	jq -r 'select(.type=="log") | .message' "$tmp/out" >"$name.log"
}
loss() { jq -r ".train.$2" "$1.epoch"; }

train plain
is "$rc" 0 "the plain run trains"

train weighted cls_pw=1
is "$rc" 0 "cls_pw=1 trains"
# Ultralytics' weights: 1 / count (a class without instances counts 1), over their mean
want=$(cat "$DATA"/coco8/labels/train/*.txt | awk '{ n[$1]++ } END {
	for (c = 0; c < 80; c++) { w[c] = 1 / (n[c] ? n[c] : 1); s += w[c] }
	printf "%.3f %.3f %.3f", w[0] / (s / 80), w[23] / (s / 80), w[49] / (s / 80) }')
got=$(grep '^class weights (cls_pw=1):' weighted.log | awk '{ print $4, $27, $53 }')
is "$got" "$want" "the logged class weights of classes 0, 23 and 49 are the inverse counts over their mean"
isnt "$(loss weighted cls_loss)" "$(loss plain cls_loss)" "and they change the class loss"

train smoothed label_smoothing=0.1
is "$rc" 0 "label_smoothing=0.1 trains"
ok "a fresh model's class loss rises with targets above 0" \
	awk -v a="$(loss smoothed cls_loss)" -v b="$(loss plain cls_loss)" 'BEGIN { exit !(a > b * 1.2) }'

train swapped bgr=1
is "$rc" 0 "bgr=1 trains"
isnt "$(loss swapped box_loss) $(loss swapped cls_loss)" "$(loss plain box_loss) $(loss plain cls_loss)" \
	"on images with red and blue swapped: other losses"

train picked classes=45
is "$rc" 0 "classes=45 trains"
isnt "$(loss picked cls_loss)" "$(loss plain cls_loss)" "on class 45's boxes only: another class loss"

train unsaved save=false
is "$rc" 0 "save=false trains"
ok "and writes no checkpoint" test ! -e "$tmp/runs/detect/unsaved/weights/last.safetensors"
is "$(jq -c 'select(.type=="final") | [.epoch, .checkpoint, .metrics]' "$tmp/out")" \
	"$(jq -c '[.epoch, null, .metrics]' unsaved.epoch)" "its results are the last epoch's, with no file to validate again"

"$VALIDATE" model=yolo26n.yaml cls_pw=2 <coco8.jsonl >/dev/null 2>&1
is "$?" 1 "cls_pw=2 is refused before training: Ultralytics' range is 0 to 1"

done_testing
