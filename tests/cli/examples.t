#!/usr/bin/env bash
# Every example in the man pages runs as printed: each .EX/.EE (or .nf/.fi)
# block of a page's EXAMPLES, in page order, as one bash script in one
# working folder, with coco8.yaml there, a little credit in the ledger and
# the Platform on 127.0.0.1. A block passes when it exits 0 and no tool
# reports an error, on stdout, on stderr or in a file it writes.
. "$(dirname "$0")/lib.sh"

: "${UL_DATASETS:=$UL_ROOT/../shared/datasets}"
export PATH=$UL_BIN:$PATH UL_HOME=$tmp/home EDITOR=true
unset UL_API_KEY ULTRALYTICS_API_KEY UL_PLATFORM_URL ULTRALYTICS_PLATFORM_URL UL_PLATFORM_API_URL PLATFORM_API_URL
work=$tmp/work
mkdir -p "$work" "$tmp/srv" "$tmp/blocks"
sed "s|^path:.*|path: $UL_DATASETS/coco8|" "$UL_DATASETS/coco8/coco8.yaml" >"$work/coco8.yaml"
ul-meter topup 20 >/dev/null 2>&1

# The Platform: dataset exports (httpd.py) and the training webhooks
# (platform.py), each on a port of its own. "..." in an example stands for
# the user's API key, the test servers' key here.
cp "$UL_DATASETS/coco8/images/train/"*.jpg "$tmp/srv/"
{
	echo '{"type":"dataset","task":"detect","class_names":{"0":"person","1":"dog"}}'
	for f in "$tmp/srv/"*.jpg; do
		printf '{"type":"image","split":"train","file":"%s","url":"BASE/%s","annotations":{"boxes":[[1,0.5,0.5,0.4,0.3]]}}\n' \
			"$(basename "$f")" "$(basename "$f")"
	done
} >"$tmp/srv/pets.ndjson.in"
mkfifo "$tmp/port1" "$tmp/port2"
python3 "$UL_ROOT/tests/servers/httpd.py" "$tmp/srv" >"$tmp/port1" &
httpd=$!
platform=
trap 'kill $httpd $platform 2>/dev/null; rm -rf "$tmp"' EXIT
read -r port1 <"$tmp/port1"
sed "s|BASE|http://127.0.0.1:$port1|" "$tmp/srv/pets.ndjson.in" >"$tmp/srv/pets.ndjson"
export UL_PLATFORM_URL=http://127.0.0.1:$port1

# The webhooks' server starts when ul-push's page comes, since a server
# stops after 60 idle seconds, fewer than the pages before it take.
start_platform()
{
	python3 "$UL_ROOT/tests/servers/platform.py" >"$tmp/port2" &
	platform=$!
	read -r port2 <"$tmp/port2"
	export UL_PLATFORM_API_URL=http://127.0.0.1:$port2/api/webhooks
}

# blocks PAGE: writes each example block of PAGE to $tmp/blocks/NAME.N.sh,
# roff escapes undone, and prints their paths.
blocks()
{
	name=$(basename "$1")
	awk -v out="$tmp/blocks/$name" '
		/^\.SH/ { examples = ($0 == ".SH EXAMPLES"); next }
		examples && (/^\.EX$/ || /^\.nf$/) { n++; inside = 1; next }
		examples && (/^\.EE$/ || /^\.fi$/) { inside = 0; next }
		inside { print > (out "." sprintf("%02d", n) ".sh") }
	' "$1"
	for f in "$tmp/blocks/$name".*.sh; do
		[ -e "$f" ] || continue
		sed -i "s/\\\\-/-/g; s/\\\\(aq/'/g; s/\\\\(dq/\"/g; s/\\\\&//g; s/\\\\e/\\\\/g; s/=\\.\\.\\.\$/=test-key/; s/=\\.\\.\\. /=test-key /" "$f"
		echo "$f"
	done
}

cd "$work" || exit 1
for page in ul-fetch.1 ul-validate.1 ul-train.1 ul-estimate.1 ul-meter.1 ul-push.1; do
	src=$UL_ROOT/share/man/man1/$page
	[ "$page" = ul-push.1 ] && start_platform
	count=0
	for block in $(blocks "$src"); do
		count=$((count + 1))
		bash -e "$block" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		errors=$( { grep -h '"type":"error"' "$tmp/out" ./*.jsonl 2>/dev/null; grep ': error: ' "$tmp/err"; } | head -n 3)
		if [ "$rc" = 0 ] && [ -z "$errors" ]; then
			pass "$page example $count runs"
		else
			fail "$page example $count runs" "exit $rc" "$(cat "$block")" "$errors" "$(tail -n 5 "$tmp/err")"
		fi
	done
	ok "$page has examples" test "$count" -gt 0
done

# What the examples should have left behind.
ok "ul-fetch.1: the Platform's dataset was fetched" test -f "$UL_HOME/cache/platform/me/datasets/pets/export.ndjson"
is "$(jq -r 'select(.type=="status") | .status' "$work/tuned.jsonl" | tail -n 1)" completed "ul-train.1: the fine-tuning completes"
ok "ul-train.1: the paused run resumed to its end" test -f runs/detect/long/weights/final.safetensors
is "$(head -n 1 cost.csv | cut -d, -f1-2)" "run,epoch" "ul-meter.1: the cost report is CSV"
is "$(curl -s "http://127.0.0.1:$port2/__log" | jq '[.events[] | select(.event == "training_complete")] | length')" 1 \
	"ul-push.1: the Platform heard the run complete"

# ul(7)'s examples, one script after the other in the same folder.
count=0
for block in $(blocks "$UL_ROOT/share/man/man7/ul.7"); do
	count=$((count + 1))
	bash -e "$block" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	is "$rc:$(grep -c ': error: ' "$tmp/err")" "0:0" "ul.7 example $count runs"
done
ok "ul.7 has examples" test "$count" -ge 5
is "$(jq -r 'select(.type=="epoch") | .epoch' run.jsonl | tr '\n' ' ')" "1 2 3 " "ul.7: the teed stream holds the run's epochs"

done_testing
