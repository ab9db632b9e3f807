#!/usr/bin/env bash
# Issue 6's learning check, end to end through the pipeline: ul-fetch coco8
# | ul-validate with the issue's settings (yolo26n from scratch, imgsz 160,
# batch 4, nbs 4, AdamW lr0 0.002, warmup_epochs 1, mosaic 0, the other
# augmentations on) | ul-learn (lib/train's loop on lib/data's loader),
# validated on the 4 training images in rect frames as the issue's
# Ultralytics run was (it reached mAP50 0.83; 0.80-0.93 when re-measured).
# Ours must find 60% of the 13 boxes with the right class at IoU 0.5, at the
# confidence Ultralytics reports P and R at. The run is the same bits on
# any thread count, but four images make it a lottery across seeds: seeds
# 0-4 found 10, 10, 8, 10 and 10 here (mAP50 0.78-0.90, mean 0.85;
# Ultralytics' seeds 0-3: 0.90-0.995, mean 0.93); this is seed 0, the
# default. Under the sanitizers the run is 20 epochs and checks that the
# loss falls and nothing trips.
. "$(dirname "$0")/lib.sh"

FETCH=$UL_BIN/ul-fetch
VALIDATE=$UL_BIN/ul-validate
LEARN=$UL_DRIVERS/ul-learn
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home

settings="model=yolo26n.yaml imgsz=160 batch=4 nbs=4 optimizer=AdamW lr0=0.002 warmup_epochs=1 mosaic=0"
"$FETCH" data="$DATA/coco8/coco8.yaml" </dev/null >"$tmp/coco8.jsonl"
# learn EPOCHS [ul-learn ARGS...]: the run's records in $tmp/out
learn()
{
	epochs=$1
	shift
	# shellcheck disable=SC2086 # the settings are words
	"$VALIDATE" $settings epochs="$epochs" <"$tmp/coco8.jsonl" >"$tmp/config.jsonl"
	run "$LEARN" "$@" <"$tmp/config.jsonl"
}
learned() { jq -r "select(.type==\"learned\") | $1" "$tmp/out"; }
loss() { jq -r "select(.type==\"epoch\" and .epoch==$1) | .losses.box + .losses.cls + .losses.l1" "$tmp/out"; }

epochs=200
[ "$UL_SAN" = 1 ] && epochs=20
learn $epochs on=train
is "$rc" 0 "trains $epochs epochs on coco8's train images"
is "$(jq -c 'select(.type=="epoch")' "$tmp/out" | wc -l | tr -d ' ')" "$epochs" "one epoch record per epoch"
is "$(learned .steps)" "$epochs" "one optimizer step per epoch (4 images, batch 4, nbs 4)"
is "$(learned .optimizer)" "AdamW" "with the optimizer asked for"
first=$(loss 1) last=$(loss $epochs)
ok "the loss falls ($first -> $last)" awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'
lr1=$(jq -r 'select(.type=="epoch" and .epoch==1) | .lr[0]' "$tmp/out")
ok "epoch 1's one step is the warmup's first, at rate 0 as Ultralytics' ramp starts ($lr1)" \
	awk -v lr="$lr1" 'BEGIN { exit !(lr == 0) }'
like "$(err)" '^ +all +4 +13 ' "stderr ends with Ultralytics' table: all 4 images, 13 instances"
like "$(err)" '^ +giraffe +1 +2 ' "and a row per class"
# validation's losses: the training loss code on the EMA's eval outputs
is "$(learned '[.val_losses[] | select(. > 0)] | length')" 3 "validation losses, each above 0"
first_box=$(jq -r 'select(.type=="epoch" and .epoch==1) | .losses.box' "$tmp/out")
# (after the sanitizers' 20 steps the eval-mode statistics still lag the
# weights, so this one is for the whole run)
if [ "$UL_SAN" != 1 ]; then
	ok "the validation box loss below the first epoch's training box loss ($(learned .val_losses.box) < $first_box)" \
		awk -v v="$(learned .val_losses.box)" -v a="$first_box" 'BEGIN { exit !(v < a) }'
fi
boxes=$(learned .boxes) found=$(learned .found)
is "$boxes" 13 "coco8's 4 training images hold 13 boxes"
if [ "$UL_SAN" != 1 ]; then
	# over seeds 0-4 it finds 8 to 10 and mAP50 0.78-0.90, as Ultralytics'
	# own runs scatter: the bar is learning, not one seed's luck
	ok "finds at least 60% of them with the right class at IoU 0.5 ($found of $boxes)" \
		awk -v f="$found" -v b="$boxes" 'BEGIN { exit !(f >= 0.6 * b) }'
	ok "with mAP50 above 0.6 ($(learned .metrics.mAP50))" awk -v m="$(learned .metrics.mAP50)" 'BEGIN { exit !(m > 0.6) }'
	diag "$(learned '"trained \(.seconds | floor) s, \(.images_per_second | floor) images/s, found \(.found)/\(.boxes), mAP50 \(.metrics.mAP50 * 100 | round)%"')"
fi

# the same seed gives the same run, record for record; another seed another
learn 3 on=train
jq -c 'select(.type=="epoch") | .losses' "$tmp/out" >"$tmp/a"
learn 3 on=train
jq -c 'select(.type=="epoch") | .losses' "$tmp/out" >"$tmp/b"
ok "the same seed repeats every loss" cmp -s "$tmp/a" "$tmp/b"
settings="$settings seed=7"
learn 3 on=train
jq -c 'select(.type=="epoch") | .losses' "$tmp/out" >"$tmp/c"
ok "another seed gives other losses" eval '! cmp -s "$tmp/a" "$tmp/c"'

# upstream trouble is passed on, not trained on
printf '{"type":"error","v":1,"tool":"ul-fetch","code":"x","message":"no dataset"}\n' >"$tmp/bad.jsonl"
run "$LEARN" <"$tmp/bad.jsonl"
is "$rc" 1 "an upstream error: exit 1"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "error " "and only the error passes"
run "$LEARN" </dev/null
is "$rc" 2 "no records: a usage error"
like "$(err)" "needs a dataset and a config" "saying what it needs"
done_testing
