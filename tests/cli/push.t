#!/usr/bin/env bash
# ul-push against a real HTTP server on 127.0.0.1 (tests/servers/platform.py):
# the events arrive complete, in order and once; the pass-through is
# byte-identical and never waits on the network; the spool carries events
# over an outage and a kill -9; 401, 429, 4xx and 5xx are handled as the
# protocol says; a cancelled run stops the pipeline.
. "$(dirname "$0")/lib.sh"

PUSH=$UL_BIN/ul-push
SERVER=$UL_ROOT/tests/servers/platform.py
export UL_API_KEY=test-key
unset ULTRALYTICS_API_KEY PLATFORM_API_URL UL_PLATFORM_API_URL ULTRALYTICS_PLATFORM_URL
servers=""
trap 'for p in $servers; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start_server [PORT]: a fresh server; sets $port and $base, and points
# ul-push at it with a fresh $UL_HOME (so a fresh spool).
n_server=0
start_server()
{
	n_server=$((n_server + 1))
	mkfifo "$tmp/port$n_server"
	# (not holding the test's fifo open, which would hide its end)
	python3 "$SERVER" ${1:+"$1"} >"$tmp/port$n_server" 3>&- &
	server=$!
	servers="$servers $server"
	read -r port <"$tmp/port$n_server"
	base=http://127.0.0.1:$port
	export UL_PLATFORM_URL=$base
}
fresh_home() { export UL_HOME=$tmp/home$n_server.$1; }
log() { curl -s "$base/__log"; }
mode() { curl -s -X POST -d "$1" "$base/__mode" >/dev/null; }
events() { log | jq -c "[.events[] | $1]"; }
# until COMMAND...: polls, for at most 30 s; fails the test script otherwise.
until_true()
{
	for _ in $(seq 600); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
spooled() { cat "$UL_HOME"/push/*.jsonl 2>/dev/null; }
in_spool() { spooled | grep -q "$1"; }

# A run as the pipeline writes it: 3 epochs, checkpoints, logs, billing.
mkdir -p "$tmp/runs/weights"
head -c 5000 /dev/urandom >"$tmp/runs/weights/best.safetensors"
head -c 3000 /dev/urandom >"$tmp/runs/weights/last.safetensors"
best_sha=$(sha256sum "$tmp/runs/weights/best.safetensors" | cut -d' ' -f1)
run_records()
{
	local from=${1:-1} to=${2:-3} w=$tmp/runs/weights
	if [ "$from" = 1 ]; then
		echo '{"type":"dataset","v":1,"uri":"coco8.yaml","names":{"0":"person","1":"car"},"nc":2,"status":"ready"}'
		echo '{"type":"config","v":1,"model":"yolo26n.yaml","task":"detect","args":{"epochs":3,"imgsz":64,"batch":2,"device":"cpu","rect":false,"name":null}}'
		echo '{"type":"status","v":1,"run":"detect/train2","status":"starting","time":"2026-12-01T10:00:00Z"}'
		echo '{"type":"status","v":1,"run":"detect/train2","status":"running","time":"2026-12-01T10:00:01Z"}'
	fi
	for e in $(seq "$from" "$to"); do
		echo "{\"type\":\"log\",\"v\":1,\"level\":\"info\",\"message\":\"epoch $e begins\",\"tool\":\"ul-train\"}"
		echo "{\"type\":\"system\",\"v\":1,\"run\":\"detect/train2\",\"gpu\":{\"util\":90,\"mem\":40,\"temp\":60},\"cpu\":30.5,\"ram\":20,\"disk\":61}"
		echo "{\"type\":\"epoch\",\"v\":1,\"run\":\"detect/train2\",\"epoch\":$e,\"epochs\":3,\"seconds\":2.5,\"lr\":[0.01,0.01,0.01],\"train\":{\"box_loss\":1.$e,\"cls_loss\":2.$e},\"val\":{\"box_loss\":1.0},\"metrics\":{\"precision\":0.$e,\"recall\":0.4,\"mAP50\":0.5,\"mAP50_95\":0.$e},\"fitness\":0.$e,\"best\":true}"
		echo "{\"type\":\"checkpoint\",\"v\":1,\"run\":\"detect/train2\",\"epoch\":$e,\"kind\":\"last\",\"path\":\"$w/last.safetensors\",\"bytes\":3000,\"sha256\":\"x\"}"
		echo "{\"type\":\"checkpoint\",\"v\":1,\"run\":\"detect/train2\",\"epoch\":$e,\"kind\":\"best\",\"path\":\"$w/best.safetensors\",\"bytes\":5000,\"sha256\":\"$best_sha\"}"
		echo "{\"type\":\"log\",\"v\":1,\"level\":\"warning\",\"message\":\"epoch $e done\"}"
		echo "{\"type\":\"charge\",\"v\":1,\"run\":\"detect/train2\",\"epoch\":$e,\"seconds\":2.5,\"usd\":0.0005,\"balance_usd\":4.99}"
	done
	if [ "$to" = 3 ]; then
		echo '{"type":"bill","v":1,"run":"detect/train2","gpu_seconds":7.5,"usd":0.0015,"epochs":3,"per_epoch":[]}'
		echo '{"type":"status","v":1,"run":"detect/train2","status":"completed","time":"2026-12-01T10:00:09Z"}'
	fi
}
run_records >"$tmp/run.jsonl"
# what the platform must see, console chunks aside
want_events='["training_started","epoch_end","epoch_end","epoch_end","training_complete"]'
want_console='["status: starting","status: running","epoch 1 begins","WARNING: epoch 1 done","charge: epoch 1, 2.5 s, $0.00050, balance $4.99000","epoch 2 begins","WARNING: epoch 2 done","charge: epoch 2, 2.5 s, $0.00050, balance $4.99000","epoch 3 begins","WARNING: epoch 3 done","charge: epoch 3, 2.5 s, $0.00050, balance $4.99000","bill: 3 epochs, 7.5 GPU seconds, $0.00150","status: completed"]'
main_events() { events 'select(.event != "console_output") | .event'; }
console_lines() { log | jq -c '[.events[] | select(.event == "console_output") | .data.content | split("\n")[]]'; }
all_once() { log | jq -e '[.events[].key] | length == (unique | length)' >/dev/null; }

# --- arguments ---------------------------------------------------------------
run "$PUSH" --help
is "$rc" 0 "--help exits 0"
like "$(out)" "^       select=EXPR$" "and lists select="
run "$PUSH" </dev/null
is "$rc" 2 "no project: a usage error"
is "$(jq -r .param "$tmp/out")" project "naming project"
run "$PUSH" project=me/p 'select=.type ==' </dev/null
is "$rc" 2 "a select= that is not jq: a usage error"
run "$PUSH" project=me/p send </dev/null
is "$rc" 2 "an unknown command: a usage error"

# --- a healthy run -------------------------------------------------------------
start_server
fresh_home healthy
run "$PUSH" project="Me/My Pets" name="Exp 1!" <"$tmp/run.jsonl"
is "$rc" 0 "a healthy run: exit 0"
ok "the pass-through is byte-identical" cmp -s "$tmp/run.jsonl" "$tmp/out"
is "$(main_events)" "$want_events" "the events arrive in order"
is "$(console_lines)" "$want_console" "console lines arrive in order, in chunks"
is "$(events 'select(.event == "console_output") | .data.chunkId' | jq -c '. == [range(length)]')" true "chunkIds count up from 0"
is "$(events '[.project, .name]' | jq -c unique)" '[["Me/my-pets","exp-1"]]' "project and name slugified as Ultralytics does"
is "$(events 'select(.event == "epoch_end") | .data.epoch')" '[0,1,2]' "epoch_end counts epochs from 0"
is "$(events 'select(.event == "epoch_end") | .data.metrics["metrics/mAP50-95(B)"]')" '[0.1,0.2,0.3]' "metrics by Ultralytics' names"
is "$(events 'select(.event == "epoch_end") | .data.system.gpus["0"].usage' | jq -c unique)" '[90]' "with the last system sample"
is "$(events 'select(.event == "training_started") | .data | [.epochs, .trainArgs.imgsz, .trainArgs.rect]')" '[[3,"64","False"]]' "training_started carries trainArgs as strings"
is "$(events 'select(.event != "training_started") | .modelId' | jq -c unique)" '["model-1"]' "later events carry the modelId the server gave"
is "$(log | jq -c '[.uploads[] | [.bytes, .sha256, .auth]]')" "[[5000,\"$best_sha\",null]]" "the best checkpoint is PUT once, at the end, without the key"
is "$(events 'select(.event == "training_complete") | .data.results | [.modelPath, .modelSize, .bestEpoch]')" \
	'[["gs://test-bucket/Me/my-pets/exp-1/best.safetensors",5000,2]]' "training_complete names the uploaded model"
is "$(events 'select(.event == "training_complete") | .data.classNames')" '[["person","car"]]' "and the class names"
ok "every event has its own idempotency key" all_once
unlike "$(cat "$tmp/out" "$tmp/err"; spooled)" "test-key" "the key appears in no output"
is "$(ls "$UL_HOME/push" 2>/dev/null | wc -l)" 0 "nothing is left in the spool"

{ head -n 3 "$tmp/run.jsonl"; echo 'not json'; tail -n +4 "$tmp/run.jsonl"; } >"$tmp/bad.jsonl"
run "$PUSH" project=me/pets <"$tmp/bad.jsonl"
is "$rc" 1 "a line that is not a record: exit 1"
is "$(sed -n 4p "$tmp/out" | jq -c '[.code, .line]')" '["bad_record",4]' "an error record in its place"
ok "the records around it pass unchanged" cmp -s "$tmp/run.jsonl" <(sed 4d "$tmp/out" | grep -v '"code":"bad_record"')

# --- the run's results: ul-train's final validation of its best checkpoint ----------
start_server
fresh_home final
final='{"type":"final","v":1,"run":"detect/train2","epoch":2,"epochs":3,"checkpoint":"x/best.safetensors","val":{"box_loss":0.9},"metrics":{"precision":0.7,"recall":0.6,"mAP50":0.8,"mAP50_95":0.55},"fitness":0.55}'
{ run_records | sed '$d'; echo "$final"; run_records | tail -n 1; } >"$tmp/final.jsonl"
run "$PUSH" project=me/pets <"$tmp/final.jsonl"
is "$rc" 0 "a run with its final results: exit 0"
is "$(main_events)" '["training_started","epoch_end","epoch_end","epoch_end","epoch_end","training_complete"]' \
	"the results are one more epoch_end, as Ultralytics logs its final_eval"
is "$(events 'select(.event == "epoch_end") | .data | [.epoch, .metrics["metrics/mAP50-95(B)"], .metrics["val/box_loss"], .metrics["train/box_loss"]]' | jq -c '.[-1]')" \
	'[3,0.55,0.9,1.3]' "numbered past the last epoch, with the best checkpoint's metrics and the last epoch's training losses"
is "$(events 'select(.event == "training_complete") | .data.results.metrics | [.["metrics/mAP50-95(B)"], .["metrics/precision(B)"]]')" \
	'[[0.55,0.7]]' "training_complete reports the final results, not the last epoch's"

# --- retries never duplicate ----------------------------------------------------
fresh_home drop
start_server
mode '{"drop": 2}'
run "$PUSH" project=me/pets backoff=0.05 <"$tmp/run.jsonl"
is "$rc" 0 "answers lost twice: exit 0"
is "$(main_events)" "$want_events" "every event arrives"
ok "each exactly once" all_once
is "$(log | jq '.duplicates >= 2')" true "the retries carried the same keys, which the server dropped"

# --- 5xx and 429 are retried ------------------------------------------------------
fresh_home 500
start_server
mode '{"fail": {"status": 500, "count": 3}}'
run "$PUSH" project=me/pets backoff=0.05 <"$tmp/run.jsonl"
is "$rc" 0 "three 500s: exit 0"
is "$(main_events)" "$want_events" "then every event arrives"
is "$(log | jq '[.requests[] | select(.status == 500)] | length')" 3 "after three failed tries"

fresh_home 429
start_server
mode '{"fail": {"status": 429, "count": 1, "retry_after": 1}}'
run "$PUSH" project=me/pets backoff=0.05 <"$tmp/run.jsonl"
is "$(main_events)" "$want_events" "429: every event arrives"
is "$(log | jq '[.requests[] | .t] as $t | ([.requests[] | .status] | index(429)) as $i | ($t[$i + 1] - $t[$i]) >= 0.9')" true \
	"the retry waited as Retry-After said"

# --- 401 and other 4xx ----------------------------------------------------------
fresh_home 401
start_server
UL_API_KEY=wrong-key run "$PUSH" project=me/pets backoff=0.05 <"$tmp/run.jsonl"
is "$rc" 1 "a wrong key: exit 1"
ok "the pass-through is still whole" cmp -s "$tmp/run.jsonl" <(head -n "$(lines "$tmp/run.jsonl")" "$tmp/out")
is "$(grep -c 'refused the API key' "$tmp/err")" 1 "one clear message"
is "$(tail -n 1 "$tmp/out" | jq -r .code)" unauthorized "an unauthorized error record"
is "$(log | jq '[.requests | length, (.[] | select(.status != 401))] | length')" 1 "one request, and nothing after it"
unlike "$(cat "$tmp/out" "$tmp/err"; spooled)" "wrong-key" "the key appears nowhere"
run "$PUSH" flush
is "$rc" 0 "ul-push flush with the right key: exit 0"
is "$(main_events)" "$want_events" "sends what the refused run spooled, in order"
is "$(console_lines)" "$want_console" "console lines too"
is "$(ls "$UL_HOME/push" | wc -l)" 0 "and empties the spool"

fresh_home 400
start_server
mode '{"fail": {"status": 400, "count": 1}}'
run "$PUSH" project=me/pets backoff=0.05 <"$tmp/run.jsonl"
is "$rc" 1 "a 400: exit 1"
is "$(tail -n 1 "$tmp/out" | jq -c '[.code, .status]')" '["refused",400]' "a refused error record"
is "$(log | jq '[.requests[] | select(.status == 400)] | length')" 1 "the refused event is not retried"
is "$(main_events)" '["epoch_end","epoch_end","epoch_end","training_complete"]' "the others arrive"

UL_API_KEY= ULTRALYTICS_API_KEY= run "$PUSH" project=me/pets <"$tmp/run.jsonl"
is "$rc" 1 "no key: exit 1"
ok "and the records still pass" cmp -s "$tmp/run.jsonl" <(head -n "$(lines "$tmp/run.jsonl")" "$tmp/out")
like "$(err)" "no API key" "saying so"

# --- no spool: said, and the records still pass ---------------------------------
mkdir -p "$tmp/nospool"
touch "$tmp/nospool/push"
UL_HOME=$tmp/nospool UL_PLATFORM_URL=http://127.0.0.1:1 run "$PUSH" project=me/pets timeout=0 <"$tmp/run.jsonl"
is "$rc" 1 "a spool that cannot be written, and no server: exit 1"
ok "the records pass all the same" cmp -s "$tmp/run.jsonl" <(head -n "$(lines "$tmp/run.jsonl")" "$tmp/out")
is "$(tail -n 1 "$tmp/out" | jq -c '[.code, (.message | test("[1-9][0-9]* events lost"))]')" '["io",true]' "an io error counts what was lost"

# --- down for the first half, then back ------------------------------------------
start_server
fresh_home outage
down_port=$port
kill "$server"
wait "$server" 2>/dev/null
mkfifo "$tmp/in"
"$PUSH" project=me/pets backoff=0.05 timeout=30 <"$tmp/in" >"$tmp/outage.out" 2>"$tmp/outage.err" &
pusher=$!
exec 3>"$tmp/in"
run_records 1 2 >&3
ok "the first half is spooled while the server is down" until_true in_spool '"epoch":1,'
start_server "$down_port"
run_records 3 3 >&3
exec 3>&-
wait "$pusher"
is "$?" 0 "the run ends well"
ok "the pass-through is byte-identical" cmp -s "$tmp/run.jsonl" "$tmp/outage.out"
is "$(main_events)" "$want_events" "the server, back, receives every event in order"
is "$(console_lines)" "$want_console" "and every console line"
ok "each once" all_once
is "$(ls "$UL_HOME/push" | wc -l)" 0 "the spool is empty again"

# --- kill -9 loses nothing the spool accepted --------------------------------------
start_server
fresh_home kill
down_port=$port
kill "$server"
wait "$server" 2>/dev/null
rm -f "$tmp/in"
mkfifo "$tmp/in"
"$PUSH" project=me/pets backoff=0.05 <"$tmp/in" >/dev/null 2>&1 &
pusher=$!
exec 3>"$tmp/in"
run_records 1 3 | head -n -1 >&3
ok "the events reach the spool" until_true in_spool '"epoch":2,'
{ kill -9 "$pusher" && wait "$pusher"; } 2>/dev/null
exec 3>&-
spooled | jq -r .key >"$tmp/keys"
start_server "$down_port"
run "$PUSH" flush
is "$rc" 0 "ul-push flush after a kill -9: exit 0"
is "$(log | jq -r '.events[].key')" "$(cat "$tmp/keys")" "every spooled event arrives, in order"
is "$(events 'select(.event == "epoch_end") | .data.epoch')" '[0,1,2]' "all three epochs"

# --- a stalled server never slows the pass-through ----------------------------------
fresh_home stall
start_server
mode '{"stall": true}'
python3 - "$PUSH" >"$tmp/latency" 2>"$tmp/latency.err" <<'PY'
import json, subprocess, sys, time
p = subprocess.Popen([sys.argv[1], "project=me/pets", "timeout=1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
lat = []
sent = [b'{"type":"status","v":1,"run":"r","status":"running","time":"t"}\n']
for i in range(300):
    kind = i % 10
    if kind == 9:
        sent.append(b'{"type":"epoch","v":1,"run":"r","epoch":%d,"epochs":30,"train":{"box_loss":1}}\n' % (i // 10 + 1))
    else:
        sent.append(b'{"type":"log","v":1,"level":"info","message":"line %d"}\n' % i)
ok = True
for line in sent:
    t = time.perf_counter()
    p.stdin.write(line)
    p.stdin.flush()
    ok &= p.stdout.readline() == line
    lat.append((time.perf_counter() - t) * 1000)
t = time.perf_counter()
p.stdin.close()
rc = p.wait()
lat.sort()
print(json.dumps({"ok": ok, "rc": rc, "p50": lat[len(lat) // 2], "p95": lat[len(lat) * 95 // 100], "max": lat[-1],
                  "exit_s": time.perf_counter() - t}))
PY
diag "pass-through latency with the server stalled: $(cat "$tmp/latency")"
is "$(jq -c '[.ok, .rc]' "$tmp/latency")" '[true,0]' "every line came back unchanged, exit 0"
is "$(jq '.p50 < 2 and .p95 < 5' "$tmp/latency")" true "latency stays under a few milliseconds (p50 < 2 ms, p95 < 5 ms)"
is "$(jq '.exit_s < 10' "$tmp/latency")" true "and the end waits timeout=1, not for the server"
mode '{"stall": false}'
run "$PUSH" flush
is "$rc" 0 "the server answers again: flush exits 0"
is "$(events 'select(.event == "epoch_end") | .data.epoch')" "$(jq -nc '[range(30)]')" "every epoch arrived, in order"
is "$(console_lines | jq length)" 271 "every console line"
ok "once each, though the stalled one was sent twice" all_once

# --- cancelled from the dashboard -----------------------------------------------
fresh_home cancel
start_server
mode '{"cancel_at": 1}'
python3 -c '
import sys
try:
    for e in (1, 2):
        print("{\"type\":\"epoch\",\"v\":1,\"run\":\"detect/train2\",\"epoch\":%d,\"epochs\":50,\"fitness\":0.%d}" % (e, e), flush=True)
    while True:
        print("{\"type\":\"log\",\"v\":1,\"level\":\"info\",\"message\":\"still training\"}", flush=True)
except BrokenPipeError:
    sys.exit(3)
' 2>/dev/null | "$PUSH" project=me/pets timeout=5 >"$tmp/out" 2>"$tmp/err"
codes="${PIPESTATUS[*]}"
is "$codes" "3 3" "the platform cancels: ul-push closes its input (upstream stops) and exits 3"
is "$(tail -n 1 "$tmp/out" | jq -c '[.type, .status, .run]')" '["status","cancelled","detect/train2"]' "writing status cancelled"
like "$(err)" "cancelled from the platform" "and saying so"
is "$(main_events | jq -c '.[-1]')" '"training_complete"' "the partial results are sent, as Ultralytics does"

# --- a closed stdout loses nothing queued -------------------------------------------
fresh_home closed
start_server
python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
rc = subprocess.call([sys.argv[1], "project=me/pets"], stdin=open(sys.argv[2]), stdout=w, stderr=subprocess.DEVNULL)
sys.exit(rc)
' "$PUSH" "$tmp/run.jsonl"
is "$?" 3 "stdout closed downstream: exit 3"
is "$(main_events)" "$want_events" "every event read still reaches the server"

# --- checkpoints: rate limit, one at a time -------------------------------------------
fresh_home uploads
start_server
mode '{"put_delay": 0.3}'
run "$PUSH" project=me/pets upload_every=0 <"$tmp/run.jsonl"
is "$rc" 0 "uploads as often as allowed: exit 0"
is "$(log | jq '.uploads | length > 1')" true "checkpoints are uploaded along the way"
is "$(log | jq .max_parallel_uploads)" 1 "never two at once"
is "$(events 'select(.event == "checkpoint_saved") | .data.modelPath' | jq 'length > 0 and all(test("^gs://test-bucket/me/pets/train2/(best|last)[.]safetensors$"))')" \
	true "each announced with checkpoint_saved"

# --- select= ------------------------------------------------------------------------
fresh_home select
start_server
run "$PUSH" project=me/pets 'select=.type == "dataset"' <"$tmp/run.jsonl"
is "$rc" 0 "select=: exit 0"
is "$(events .event)" '["console_output"]' "only the selected record is sent"
like "$(events '.data.content' | jq -r '.[0]')" '"type":"dataset"' "as a console line"

run "$PUSH" flush
is "$rc" 0 "flush with nothing to send: exit 0"

done_testing
