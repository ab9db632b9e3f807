#!/usr/bin/env bash
# ul-validate against the platform's parameter tables (the rows below are
# copied from the seed document, not read from our schema), the five tasks,
# real datasets through ul-fetch, cfg files, models and upstream errors.
. "$(dirname "$0")/lib.sh"

VALIDATE=$UL_BIN/ul-validate
FETCH=$UL_BIN/ul-fetch
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home

"$FETCH" data="$DATA/coco8" </dev/null >"$tmp/coco8.jsonl"
# validate ARGS...: the coco8 dataset record in, output in $tmp/out
validate() { run "$VALIDATE" "$@" <"$tmp/coco8.jsonl"; }
config() { jq -c "select(.type==\"config\") | $1" "$tmp/out"; }
errors() { jq -r 'select(.type=="error") | .param' "$tmp/out" | sort | tr '\n' ' '; }

# The seed's numeric rows: name min max default
rows="epochs 1 10000 100
batch 1 512 16
imgsz 32 4096 640
patience 1 1000 100
seed 0 2147483647 0
close_mosaic 0 50 10
save_period -1 100 -1
workers 0 64 8
lr0 0.0001 0.1 0.01
lrf 0.01 1.0 0.01
momentum 0.6 0.98 0.937
weight_decay 0.0 0.001 0.0005
warmup_epochs 0 5 3.0
warmup_momentum 0.5 0.95 0.8
warmup_bias_lr 0.0 0.2 0.1
hsv_h 0.0 0.1 0.015
hsv_s 0.0 1.0 0.7
hsv_v 0.0 1.0 0.4
degrees -45 45 0.0
translate 0.0 1.0 0.1
scale 0.0 1.0 0.5
shear -10 10 0.0
perspective 0.0 0.001 0.0
fliplr 0.0 1.0 0.5
flipud 0.0 1.0 0.0
mosaic 0.0 1.0 1.0
mixup 0.0 1.0 0.0
copy_paste 0.0 1.0 0.0
box 1 50 7.5
cls 0.2 4 0.5
dfl 0.4 6 1.5
pose 1 50 12.0
kobj 0.5 10 1.0
label_smoothing 0.0 0.1 0.0
fraction 0.1 1.0 1.0
freeze 0 100 null
multi_scale 0.0 1.0 0.0"

# just past a bound: one unit for integers, a millionth (relative) for decimals
past() { awk -v b="$1" -v dir="$2" 'BEGIN {
	if (b ~ /\./) { d = (b < 0 ? -b : b); d = (d > 1 ? d : 1) * 1e-6; printf "%.10g\n", b + dir * d }
	else printf "%.0f\n", b + dir }'; }

defaults=() mins=() maxs=() below=() above=() names=()
while read -r name min max def; do
	names+=("$name")
	[ "$def" != null ] && defaults+=("$name=$def")
	mins+=("$name=$min")
	maxs+=("$name=$max")
	below+=("$name=$(past "$min" -1)")
	above+=("$name=$(past "$max" 1)")
done <<<"$rows"
all=$(printf '%s\n' "${names[@]}" | sort | tr '\n' ' ')

validate "${defaults[@]}"
is "$rc" 0 "every seed default is accepted"
is "$(config '.modified | length')" 0 "and none counts as modified"
validate "${mins[@]}"
is "$rc:$(errors)" "0:" "every lower bound is accepted"
validate "${maxs[@]}"
is "$rc:$(errors)" "0:" "every upper bound is accepted"
validate "${below[@]}"
is "$rc" 1 "just below every lower bound: exit 1"
is "$(errors)" "$all" "one error for each of the ${#names[@]} parameters, all at once"
is "$(jq -r 'select(.type=="error") | .code' "$tmp/out" | sort -u)" "param_range" "every one a param_range error"
validate "${above[@]}"
is "$(errors)" "$all" "just above every upper bound: one error each"

# booleans and choices of the seed
for b in deterministic amp cos_lr single_cls rect val; do
	validate "$b=False"
	is "$rc:$(config ".args.$b")" "0:false" "$b=False is accepted"
	validate "$b=true"
	is "$rc:$(config ".args.$b")" "0:true" "$b=true is accepted"
done
validate deterministic=maybe amp=2
is "$(errors)" "amp deterministic " "a boolean that is not one is refused"
for o in auto SGD MuSGD Adam AdamW NAdam RAdam RMSProp Adamax; do
	validate optimizer=$o
	is "$rc:$(config .args.optimizer)" "0:\"$o\"" "optimizer=$o"
done
validate optimizer=adamw
is "$(config .args.optimizer)" '"AdamW"' "optimizer names in any case, as Ultralytics"
validate optimizer=Lion
like "$(err)" "optimizer=Lion is not one of" "an unknown optimizer lists the choices"
for c in ram disk false; do
	validate cache=$c
	is "$rc" 0 "cache=$c"
done
validate cache=gpu
is "$(errors)" "cache " "cache=gpu is refused"

# types, suggestions, imgsz
validate epochs=ten lr0=fast freeze=[1,x] epoch=5
is "$(errors)" "epoch epochs freeze lr0 " "wrong types and an unknown name, all reported"
like "$(err)" "unknown parameter 'epoch'; did you mean 'epochs'" "with a suggestion"
validate freeze=[0,1,2] classes=0,2 name=001 device=0
is "$(config '[.args.freeze, .args.classes, .args.name, .args.device]')" '[[0,1,2],[0,2],"001","0"]' "lists and strings are kept as given"
validate classes=[0,80]
is "$(errors)" "classes " "a class index past the dataset's nc is refused"
validate imgsz=650
is "$(config .args.imgsz)" 672 "imgsz is rounded up to the stride"
like "$(config '.warnings[]')" "not a multiple of the model's stride 32; using 672" "with a warning"

# task awareness
check_warns() { # task model param warns?
	"$FETCH" data=shapes task="$1" count=4 imgsz=64 </dev/null >"$tmp/ds.jsonl"
	run "$VALIDATE" model="$2" "$3" <"$tmp/ds.jsonl"
	if [ "$4" = yes ]; then like "$(config '.warnings[]')" "${3%%=*} applies to" "$3 warns on a $1 run"
	else unlike "$(config '.warnings[]')" "${3%%=*} applies to" "$3 is quiet on a $1 run"; fi
}
check_warns detect yolo26n.yaml copy_paste=0.3 yes
check_warns segment yolo26n-seg.yaml copy_paste=0.3 no
check_warns detect yolo26n.yaml pose=10 yes
check_warns pose yolo26n-pose.yaml kobj=2 no
check_warns classify yolo26n-cls.yaml mosaic=0.5 yes
check_warns obb yolo26n-obb.yaml mosaic=0.5 no
check_warns detect yolo26n.yaml dropout=0.1 yes
check_warns classify yolo26n-cls.yaml dropout=0.1 no

# model task against dataset task, every pair, on the real datasets
declare -A sets=([detect]=coco8 [segment]=coco8-seg [pose]=coco8-pose [obb]=dota8 [classify]=imagenet10)
declare -A suffix=([detect]= [segment]=-seg [pose]=-pose [obb]=-obb [classify]=-cls)
for dtask in detect segment pose obb classify; do
	"$FETCH" data="$DATA/${sets[$dtask]}" </dev/null >"$tmp/ds.jsonl"
	for mtask in detect segment pose obb classify; do
		run "$VALIDATE" model="yolo26s${suffix[$mtask]}.yaml" <"$tmp/ds.jsonl"
		if [ "$dtask" = "$mtask" ]; then
			is "$rc:$(config .task)" "0:\"$dtask\"" "${sets[$dtask]} with a $mtask model: valid"
		else
			is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:task_mismatch" \
				"${sets[$dtask]} ($dtask) with a $mtask model: task_mismatch"
		fi
	done
done
"$FETCH" data="$DATA/dota8" </dev/null >"$tmp/ds.jsonl"
run "$VALIDATE" model=yolo26s-cls.yaml <"$tmp/ds.jsonl"
like "$(err)" "the model yolo26s-cls.yaml is for classify but the dataset is for obb" "the message names both tasks"

# models
"$FETCH" data="$DATA/coco8-pose" </dev/null >"$tmp/ds.jsonl"
run "$VALIDATE" <"$tmp/ds.jsonl"
is "$(config .model)" '"yolo26n-pose.yaml"' "no model=: yolo26n for the dataset's task"
validate model=yolo26m.pt
is "$(config '.model_info | [.config, .scale]')" '["yolo26m.yaml","m"]' ".pt names map to their config"
like "$(config '.warnings[]')" "cannot be downloaded" "saying the weights are not fetched"
for s in n s m l x; do for t in "" -seg -pose -obb -cls; do
	run "$VALIDATE" model=yolo26$s$t.yaml task=detect <"$tmp/coco8.jsonl"
	[ "$t" = "" ] && want=0 || want=1
	is "$rc" "$want" "yolo26$s$t.yaml is known (and for ${t:--detect})"
done; done
printf 'nc: 80\nbackbone:\n  - [-1, 1, Conv, [64, 3, 2]]\nhead:\n  - [[15, 18, 21], 1, Segment, [nc, 32, 256]]\n' >"$tmp/mine.yaml"
validate model="$tmp/mine.yaml"
is "$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "task_mismatch" "a user's model YAML: its task from its head (Segment)"
python3 -c '
import json, struct, sys
meta = {"task": "detect", "nc": "80", "model": json.dumps({"config": "yolo26n.yaml", "scale": "n"})}
head = json.dumps({"__metadata__": meta}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(head)) + head)
' "$tmp/best.safetensors"
validate model="$tmp/best.safetensors"
is "$rc:$(config '.model_info | [.kind, .nc]')" '0:["checkpoint",80]' "a checkpoint of an earlier run"
printf 'not a checkpoint' >"$tmp/old.pt"
validate model="$tmp/old.pt"
like "$(err)" "PyTorch checkpoints cannot be read" "a PyTorch .pt file says why it is refused"
validate model=yolo99z.yaml
is "$(errors)" "model " "an unknown model is refused"
validate resume=true
like "$(err)" "nothing to resume" "resume=true without a run to resume"
validate resume="$tmp/nowhere/last.safetensors"
like "$(err)" "no such checkpoint" "resume=PATH that does not exist"

# the model's summary, from the graph built for this dataset and imgsz
validate model=yolo26s.yaml
is "$(config '.model_info | [.parameters, .gflops]')" '[10009784,23.1]' "yolo26s on coco8: Ultralytics' parameters and GFLOPs"
"$FETCH" data=shapes count=4 imgsz=64 </dev/null >"$tmp/ds.jsonl"
run "$VALIDATE" model=yolo26n.yaml <"$tmp/ds.jsonl"
is "$(config '.model_info | [.parameters, .gflops]')" '[2504970,5.9]' "yolo26n for 3 classes"
run "$VALIDATE" model=yolo26n.yaml imgsz=320 <"$tmp/ds.jsonl"
is "$(config '.model_info.gflops')" 1.5 "GFLOPs at the run's imgsz"
cp "$UL_ROOT/share/ul/models/yolo26.yaml" "$tmp/custom.yaml"
validate model="$tmp/custom.yaml"
is "$(config '.model_info | [.kind, .parameters]')" '["yaml",2572280]' "a user's YAML builds at its first scale"
printf 'nc: 80\nscales: {n: [0.5, 0.25, 1024]}\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Mystery, []]\nhead:\n  - [[1, 1, 1], 1, Detect, [nc]]\n' >"$tmp/odd.yaml"
validate model="$tmp/odd.yaml"
like "$(err)" "module Mystery is not known" "a user's YAML that does not build is an error"

# cfg files: the YAML editor
printf 'epochs: 30\nlr0: 0.02\n' >"$tmp/ok.yaml"
validate cfg="$tmp/ok.yaml" epochs=40
is "$(config '[.args.epochs, .args.lr0]')" '[40,0.02]' "cfg= sets values; the command line wins"
printf 'epocs: 30\nlr0: high\nmosaic: [1, 2]\n' >"$tmp/bad.yaml"
validate cfg="$tmp/bad.yaml"
is "$(errors)" "epocs lr0 mosaic " "a typo, a string for a number, a list for a scalar: all reported"
printf 'epochs: 30\nepochs: 40\n' >"$tmp/dup.yaml"
validate cfg="$tmp/dup.yaml"
is "$rc" 2 "duplicate keys: usage error"
like "$(err)" "dup.yaml:2:1: duplicate key 'epochs'" "naming the line"

# --schema and --defaults, and the defaults go back in as a cfg file
run "$VALIDATE" --schema </dev/null
is "$(jq -c '[.type, (.params | length > 60), .params.lr0.min, .params.copy_paste.tasks]' "$tmp/out")" '["schema",true,0.0001,["segment"]]' "--schema: every parameter, its range and tasks"
"$VALIDATE" --defaults >"$tmp/defaults.yaml" </dev/null
validate cfg="$tmp/defaults.yaml"
is "$rc:$(config '.modified | length')" "0:0" "--defaults is a cfg file that changes nothing"

# the dataset must be ready; upstream records pass; an upstream error stops it
cp -R "$DATA/coco8" "$tmp/broken"
rm -r "$tmp/broken/images/val"
"$FETCH" data="$tmp/broken" </dev/null >"$tmp/ds.jsonl"
run "$VALIDATE" <"$tmp/ds.jsonl"
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:dataset_invalid" "a dataset that is not ready: refused"
like "$(err)" "no usable val or test image" "naming its problems"
printf '{"type":"log","v":1,"message":"x"}\n' | cat - "$tmp/coco8.jsonl" >"$tmp/in"
run "$VALIDATE" <"$tmp/in"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "log dataset config " "records pass through, then the config"
printf '{"type":"error","v":1,"tool":"ul-fetch","code":"dataset","message":"m"}\n' >"$tmp/in"
run "$VALIDATE" epochs=3 <"$tmp/in"
is "$rc:$(jq -r .type "$tmp/out" | tr '\n' ' ')" "1:error " "an upstream error is passed on and nothing else is done"
run "$VALIDATE" </dev/null
is "$rc" 2 "no dataset at all: usage error"
run "$VALIDATE" data="$DATA/coco8" </dev/null
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "dataset config " "data= fetches the dataset itself and passes its record on"

# --summary: the layer table and the totals Ultralytics prints; the config
# record carries the rows
"$VALIDATE" --summary model=yolo26s.yaml >"$tmp/summary.txt" </dev/null
like "$(tail -1 "$tmp/summary.txt")" "yolo26s.yaml summary: 24 layers, 10,009,784 parameters, 23.1 GFLOPs at imgsz 640" "--summary: Ultralytics' totals for yolo26s"
like "$(grep -c ' C3k2 ' "$tmp/summary.txt")" "^8$" "one row per layer: yolo26's eight C3k2"
"$VALIDATE" --summary model=yolo26n.yaml nc=3 imgsz=320 >"$tmp/summary.txt" </dev/null
like "$(tail -1 "$tmp/summary.txt")" "2,504,970 parameters.*imgsz 320 .detect, nc 3." "nc= and imgsz= change the count and the cost"
run "$VALIDATE" --summary imgsz=abc </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "2:usage" "--summary with a bad imgsz: usage error"
run "$VALIDATE" --summary imgsz=16 </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "2:param_range" "--summary with imgsz below 32: out of range"
run "$VALIDATE" --summary modle=yolo26s.yaml </dev/null
like "$(jq -r .message "$tmp/out")" "did you mean 'model'" "--summary's arguments go through the usual parser"
run "$VALIDATE" --summary model=nope.yaml </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "1:model" "--summary of an unknown model: a model error"
run "$VALIDATE" data="$DATA/coco8" </dev/null
is "$(config '[(.model_info.layers | length), ((.model_info.layers | map(.parameters) | add) == .model_info.parameters)] | @csv')" '"24,true"' \
	"the config's model_info has the layer rows, which add up to the total"

done_testing
