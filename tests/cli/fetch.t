#!/bin/sh
# ul-fetch on the real datasets (UL_DATASETS, shared/datasets beside the clone), and on broken copies
# of them made in a temp dir: tasks, counts, problems, exit status.
. "$(dirname "$0")/lib.sh"

FETCH=$UL_BIN/ul-fetch
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME="$tmp/home"

# fetch DATASET_ARG...: runs ul-fetch with no input; the record is in $tmp/out
fetch() { run "$FETCH" "$@" </dev/null; }
field() { jq -c "$1" "$tmp/out"; }

# task, then "images labeled background instances" per split, as the sets' SOURCE.md files count them
check_set()
{
	set_name=$1 task=$2 train=$3 val=$4
	fetch data="$DATA/$set_name/$set_name.yaml"
	is "$rc" 0 "$set_name: ready, exit 0"
	is "$(field '[.type, .v, .task, .status] | join(" ")' | tr -d '"')" "dataset 1 $task ready" "$set_name: a dataset record, task $task"
	is "$(field '.splits.train | "\(.images) \(.labeled) \(.background) \(.instances) \(.corrupt)"' | tr -d '"')" "$train" "$set_name: train counts"
	is "$(field '.splits.val | "\(.images) \(.labeled) \(.background) \(.instances) \(.corrupt)"' | tr -d '"')" "$val" "$set_name: val counts"
}
check_set coco8 detect "4 4 0 13 0" "4 4 0 17 0"
check_set coco128 detect "128 126 2 929 0" "128 126 2 929 0"
check_set coco8-seg segment "4 4 0 13 0" "4 4 0 17 0"
check_set coco8-pose pose "4 4 0 7 0" "4 4 0 14 0"
check_set dota8 obb "4 4 0 125 0" "4 4 0 8 0"
check_set imagenet10 classify "12 12 0 12 0" "12 12 0 12 0"
check_set mnist160 classify "80 80 0 80 0" "80 80 0 80 0"

fetch data="$DATA/coco8-pose"
is "$(field '[.kpt_shape, (.flip_idx | length), .nc, .names["0"]]')" '[[17,3],17,1,"person"]' "pose: kpt_shape, flip_idx, names from a folder holding the YAML"
fetch data="$DATA/dota8"
ok "dota8: corners a little outside the image are accepted and counted" test "$(field '.splits.train.out_of_range')" -gt 0
fetch data="$DATA/imagenet10"
is "$(field '.names["0"]')" '"n01440764"' "classify: names by sorted folder"
is "$(field '.root')" "\"$(cd "$DATA/imagenet10" && pwd -P)\"" "root is absolute"

# a relative path: is taken from the YAML's folder, whatever the current directory
(cd / && "$FETCH" data="$DATA/coco8/coco8.yaml" </dev/null >"$tmp/out" 2>/dev/null)
is "$(field .status)" '"ready"' "the YAML's path: is resolved from its own folder, not the cwd"

fetch data="$DATA/coco8" task=segment
is "$(field .task)" '"segment"' "task= overrides what the labels suggest"
fetch data="$DATA/coco8" task=nope
is "$rc" 2 "task=nope: usage error"
fetch data=
is "$rc" 2 "an empty data=: usage error"
fetch
is "$rc" 2 "no data=: usage error"
like "$(err)" "no dataset given" "and says so"

# broken copies
cp -R "$DATA/coco8" "$tmp/c8"
printf 'not a jpeg at all' >"$tmp/c8/images/train/000000000009.jpg"
printf '0 0.5 0.5 0.2\n' >"$tmp/c8/labels/train/000000000025.txt"
cat "$tmp/c8/labels/val/000000000036.txt" "$tmp/c8/labels/val/000000000036.txt" >"$tmp/dup.txt"
mv "$tmp/dup.txt" "$tmp/c8/labels/val/000000000036.txt"
rm "$tmp/c8/labels/train/000000000030.txt"
fetch data="$tmp/c8/coco8.yaml"
is "$rc" 0 "a damaged copy is still ready"
is "$(field '.splits.train | "\(.images) \(.labeled) \(.background) \(.corrupt) \(.bad_labels)"' | tr -d '"')" "4 1 1 2 1" \
	"train: one corrupt image, one bad label file, one background"
is "$(field '.splits.val.duplicates')" "$(wc -l <"$DATA/coco8/labels/val/000000000036.txt" | tr -d ' ')" "val: the duplicated lines are counted"
like "$(field '.problems[].message')" "000000000025.txt:1: 4 values; a box needs 5" "the bad label names its file and line"
like "$(field '.problems[].message')" "corrupt image, left out: not a JPEG" "the corrupt image is named"
is "$(field '[.problems[] | select(.path | test("000000000025.txt")) | .line]')" "[1]" "the problem carries the line"

rm -r "$tmp/c8/images/val"
fetch data="$tmp/c8/coco8.yaml"
is "$rc" 1 "no val images: exit 1"
is "$(field .status)" '"invalid"' "status invalid"
like "$(field '.problems[] | select(.level=="error") | .message')" "no such file or folder" "the missing folder is an error"
like "$(field '.problems[] | select(.level=="error") | .message')" "no usable val or test image" "and so is having no val image"

printf 'path: .\ntrain: images/train\nval: images/train\nnames: [a, b]\nnc: 3\n' >"$tmp/c8/bad.yaml"
fetch data="$tmp/c8/bad.yaml"
is "$rc" 1 "nc and names disagree: exit 1"
is "$(field '[.type, .code]')" '["error","dataset"]' "an error record, code dataset"
like "$(err)" "nc is 3 but names lists 2 classes" "saying what disagrees"

printf 'train: images/train\n\tval: x\n' >"$tmp/c8/tab.yaml"
fetch data="$tmp/c8/tab.yaml"
is "$rc" 1 "a broken YAML: exit 1"
like "$(err)" "tab.yaml:2:1: .*tab" "naming file, line and column"

fetch data="$tmp/nowhere.yaml"
is "$rc" 1 "a missing YAML: exit 1"
like "$(err)" "nowhere.yaml: no such file or folder" "says so"

printf 'path: .\ntrain: images/train\nval: images/train\n' >"$tmp/c8/nonames.yaml"
fetch data="$tmp/c8/nonames.yaml"
is "$(field .status)" '"invalid"' "no names and no nc: invalid"

# validation: is read as val:, and an image in a format ul cannot read is named, not skipped
cp -R "$DATA/coco8" "$tmp/c9"
printf 'path: .\ntrain: images/train\nvalidation: images/val\nnc: 80\n' >"$tmp/c9/v.yaml"
printf 'II*\0 a tiff header' >"$tmp/c9/images/val/extra.tif"
run "$FETCH" data="$tmp/c9/v.yaml" task=detect nc=1 </dev/null
is "$rc" 2 "nc= is not an argument of ul-fetch"
fetch data="$tmp/c9/v.yaml"
is "$(field '.splits.val | "\(.images) \(.corrupt)"' | tr -d '"')" "5 1" "validation: gives the val split; the .tif counts and is left out"
like "$(field '.problems[].message')" "extra.tif.*|not a JPEG, PNG, BMP or WebP" "the .tif is named as unreadable"
is "$(field '[.status, .names["79"]]')" '["ready","class_79"]' "nc without names gives class_0 ... class_79"

# classify: the train folders are the classes, whatever the YAML's names say
cp -R "$DATA/mnist160" "$tmp/m"
printf 'path: .\ntrain: train\nval: test\nnames: [zero, one]\n' >"$tmp/m/data.yaml"
fetch data="$tmp/m"
is "$(field '[.nc, .names["1"], .status]')" '[10,"1","ready"]' "classify: the folders give the classes"
like "$(field '.problems[].message')" "names differ from the train class folders" "and a warning says the YAML disagreed"

# links: one back up the tree is walked once, one to a sibling folder is followed
cp -R "$DATA/coco8" "$tmp/ln"
ln -s . "$tmp/ln/images/train/again"
ln -s ../train "$tmp/ln/images/val/more"
fetch data="$tmp/ln"
is "$(field '.splits | map_values(.images)')" '{"train":4,"val":8}' "a link loop does not multiply images"

# the label cache: a second scan reads it; a changed file is scanned again; a damaged cache is ignored
cp -R "$DATA/coco8" "$tmp/cc"
UL_HOME=$tmp/cache-home
fetch data="$tmp/cc"
is "$(ls "$UL_HOME/cache/labels" | wc -l | tr -d ' ')" 2 "the first scan writes a cache per split"
lbl=$tmp/cc/labels/train/000000000025.txt
cp -p "$lbl" "$tmp/saved"                                   # keeps its time
tr '0-9' 'x' <"$tmp/saved" >"$lbl.new"                      # same size, not numbers: a bad label
mv "$lbl.new" "$lbl"
touch -r "$tmp/saved" "$lbl"                                  # same size and time: the cache cannot tell
fetch data="$tmp/cc"
is "$(field '.splits.train.bad_labels')" 0 "an unchanged fingerprint reuses the cached results"
touch "$lbl"
fetch data="$tmp/cc"
is "$(field '.splits.train.bad_labels')" 1 "a touched label file is scanned again"
for f in "$UL_HOME"/cache/labels/*; do printf 'ULLCgarbage' >"$f"; done
fetch data="$tmp/cc"
is "$(field '.splits.train.bad_labels')" 1 "a damaged cache is ignored"
is "$(head -c 4 "$(ls "$UL_HOME"/cache/labels/* | head -n 1)")" "ULLC" "and rewritten"

# classes are the folder names sorted, not the path order ("a-b/" comes before "a/" as a path)
for split in train val; do for cls in a a-b b; do
	mkdir -p "$tmp/sorted/$split/$cls"
	cp "$DATA/mnist160/train/0/$(ls "$DATA/mnist160/train/0" | head -n 1)" "$tmp/sorted/$split/$cls/x.png"
done; done
fetch data="$tmp/sorted"
is "$(field '[.names["0"], .names["1"], .names["2"], .status]')" '["a","a-b","b","ready"]' "class folders sorted by name"

# the built-in generated dataset, for every task, made once
for task in detect segment pose obb classify; do
	fetch data=shapes task=$task count=8 imgsz=64
	is "$(field '[.task, .status, .nc, .splits.train.images, .splits.val.images, .problems_total]')" \
		"[\"$task\",\"ready\",3,8,2,0]" "shapes, $task: ready, 8 train and 2 val images, nothing wrong"
done
root=$(jq -r .root "$tmp/out")
touch -d 2001-01-01 "$root/data.yaml"
fetch data=shapes task=classify count=8 imgsz=64
is "$(jq -r .root "$tmp/out")" "$root" "the same options find the same folder"
is "$(date -r "$root/data.yaml" +%Y)" 2001 "and do not generate it again"
fetch data=shapes count=0
is "$rc" 2 "shapes with count=0: usage error"
is "$(field .param)" '"count"' "naming count"

# pipelines: records from upstream pass through first; an upstream error stops the work
printf '{"type":"log","v":1,"message":"hi"}\n' >"$tmp/in"
run "$FETCH" data="$DATA/coco8" <"$tmp/in"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "log dataset " "upstream records pass through, then the dataset"
printf '{"type":"error","v":1,"tool":"x","code":"c","message":"m"}\n' >"$tmp/in"
run "$FETCH" data="$DATA/coco8" <"$tmp/in"
is "$rc" 1 "an upstream error: exit 1"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "error " "it is passed on and nothing is fetched"

done_testing
