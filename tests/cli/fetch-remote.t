#!/usr/bin/env bash
# ul-fetch over the network, against a real HTTP server on 127.0.0.1: an
# archive by URL (downloaded once), a YAML whose download: names the data,
# a local archive, and the Platform's ul:// export with its NDJSON.
. "$(dirname "$0")/lib.sh"

FETCH=$UL_BIN/ul-fetch
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
[ -d "$DATA/coco8" ] || { echo "Bail out! the real datasets are not at $DATA (shared/ beside the clone, or UL_DATASETS=)"; exit 1; }
export UL_HOME=$tmp/home
srv=$tmp/srv
mkdir -p "$srv"

# coco8 as a zip with one top folder, as Ultralytics ships its sets
(cd "$DATA" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, files in os.walk("coco8"):
        for name in files:
            z.write(os.path.join(dirpath, name))
' "$srv/coco8.zip")
# and one that tries to write outside
python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("ok/a.txt", "fine")
    z.writestr("../escaped.txt", "not fine")
' "$srv/evil.zip"

mkfifo "$tmp/port"
python3 "$UL_ROOT/tests/servers/httpd.py" "$srv" >"$tmp/port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
read -r port <"$tmp/port"
base=http://127.0.0.1:$port
requests() { curl -s "$base/__log" | jq "[.[] | select(.path == \"$1\")] | length"; }

fetch() { run "$FETCH" "$@" </dev/null; }
field() { jq -c "$1" "$tmp/out"; }

# an archive by URL
fetch data="$base/coco8.zip"
is "$rc" 0 "a zip by URL: ready"
is "$(field '[.task, .splits.train.images, .splits.val.instances]')" '["detect",4,17]' "with coco8's counts"
like "$(field .root)" "^\"$UL_HOME/datasets/coco8-[0-9a-f]{8}/coco8\"$" "unpacked under \$UL_HOME/datasets, into its top folder"
fetch data="$base/coco8.zip"
is "$rc" 0 "the second run is ready too"
is "$(requests /coco8.zip)" 1 "and downloads nothing"
fetch data="$base/coco8.zip?v=2" sha256=0000000000000000000000000000000000000000000000000000000000000000
is "$rc" 1 "a wrong sha256: exit 1"
is "$(field '[.type, .code]')" '["error","checksum"]' "a checksum error"
fetch data="$base/missing.zip"
is "$(field '[.code, .status]')" '["not_found",404]' "404: not_found"
fetch data="$base/evil.zip"
is "$(field .code)" '"archive"' "an archive with ../ is refused"
like "$(err)" "escaped.txt" "naming the entry"
ok "nothing escaped" test ! -e "$UL_HOME/datasets/escaped.txt"
is "$(ls "$UL_HOME/datasets" | grep -c evil)" 0 "and nothing half-unpacked is left"

# a YAML by URL, whose download: brings the data
printf 'path: coco8\ntrain: images/train\nval: images/val\nnc: 80\ndownload: %s/coco8.zip\n' "$base" >"$srv/remote.yaml"
fetch data="$base/remote.yaml"
is "$(field '[.status, .splits.val.images]')" '["ready",4]' "a YAML by URL, with its download:"

# a local archive, unpacked once
fetch data="$srv/coco8.zip"
is "$(field '[.status, .splits.val.images]')" '["ready",4]' "a local zip"

# a YAML whose files are missing and whose download: names them
mkdir "$tmp/y"
printf 'path: coco8\ntrain: images/train\nval: images/val\nnc: 80\ndownload: %s/coco8.zip\n' "$base" >"$tmp/y/c8.yaml"
fetch data="$tmp/y/c8.yaml"
is "$(field '[.status, .splits.train.images]')" '["ready",4]' "download: fetches the missing data"
printf 'path: nowhere\ntrain: images/train\nval: images/val\nnc: 80\ndownload: bash get.sh\n' >"$tmp/y/script.yaml"
fetch data="$tmp/y/script.yaml"
like "$(err)" "runs no download scripts" "a download: script is not run"

# ul://: the export endpoint redirects to the NDJSON, images come by URL
cp "$DATA/coco8/images/train/000000000009.jpg" "$DATA/coco8/images/val/000000000036.jpg" "$srv/"
{
	echo '{"type":"dataset","task":"detect","class_names":{"0":"person","1":"bicycle","2":"car"}}'
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		echo "{\"type\":\"image\",\"split\":\"train\",\"file\":\"t$i.jpg\",\"url\":\"$base/000000000009.jpg\",\"annotations\":{\"boxes\":[[0,0.5,0.5,0.2,0.3],[2,0.3,0.3,0.1,0.1]]}}"
	done
	echo "{\"type\":\"image\",\"split\":\"train\",\"file\":\"empty.jpg\",\"url\":\"$base/000000000036.jpg\",\"annotations\":{}}"
} >"$srv/pets.ndjson"
export UL_PLATFORM_URL=$base
UL_API_KEY=test-key fetch data=ul://me/datasets/pets
is "$rc" 0 "ul://: ready"
is "$(field '[.task, .nc, .names["2"]]')" '["detect",3,"car"]' "task and names from the export's first line"
is "$(field '.splits | map_values(.images)')" '{"train":11,"val":1}' "every tenth train image makes the missing val split"
is "$(field '.splits.train | [.labeled, .background, .instances]')" '[10,1,20]' "labels from the annotations"
ok "the data.yaml is there" test -f "$(jq -r .root "$tmp/out")/data.yaml"
is "$(curl -s "$base/__log" | jq '[.[] | select(.path == "/000000000009.jpg")] | length')" 11 "each image downloaded once"
{
	echo '{"type":"dataset","task":"detect","class_names":{"0":"person"}}'
	for i in 1 2 3 4; do
		echo "{\"type\":\"image\",\"split\":\"train\",\"file\":\"s$i.jpg\",\"url\":\"$base/000000000009.jpg\",\"annotations\":{\"boxes\":[[0,0.5,0.5,0.2,0.3]]}}"
	done
} >"$srv/small.ndjson"
UL_API_KEY=test-key fetch data=ul://me/datasets/small
is "$(field '[.status, (.splits | map_values(.images))]')" '["ready",{"train":3,"val":1}]' "fewer than ten images: the last one makes the val split"

UL_API_KEY=wrong-key fetch data=ul://me/datasets/pets
is "$(field .code)" '"unauthorized"' "a wrong key: unauthorized"
unlike "$(cat "$tmp/out" "$tmp/err")" "wrong-key" "the key appears nowhere"
env -u UL_API_KEY -u ULTRALYTICS_API_KEY "$FETCH" data=ul://me/datasets/pets </dev/null >"$tmp/out" 2>"$tmp/err"
like "$(err)" "needs an API key" "no key: says to set one"
ULTRALYTICS_API_KEY=test-key fetch data=ul://me/datasets/pets
is "$rc" 0 "ULTRALYTICS_API_KEY works too"
UL_API_KEY=test-key fetch data=ul://me/datasets/processing
is "$(field .code)" '"not_ready"' "409: still processing"
UL_API_KEY=test-key fetch data=ul://me/datasets/nobody
is "$(field .code)" '"not_found"' "404: not found"
UL_API_KEY=test-key fetch data=ul://me/models/x
is "$rc" 2 "a ul:// that is not a dataset is a usage error"

done_testing
