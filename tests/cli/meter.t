#!/usr/bin/env bash
# ul-meter against real SQLite ledgers: exact micro-dollar charges, top-ups
# and their refusals, idempotent charges, the pause when credit runs out
# (and at a start without credit), pay per job, reports, a corrupt and a
# locked ledger, several meters on one account at once, kill -9 at random
# points in a loop of charges, and a real ul-train pipeline that runs out
# of credit after epoch 1, is topped up and resumed, ending with one charge
# per epoch, whose ledger then calibrates ul-estimate.
. "$(dirname "$0")/lib.sh"

METER=$UL_BIN/ul-meter
export UL_HOME=$tmp/home
db=$UL_HOME/ledger.db
cd "$tmp" || exit 1
# q SQL: the rows, "|" between columns (python3's sqlite3: mk/deps has no sqlite3 CLI)
q()
{
	python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$db" "$1"
}
records() { jq -c "select(.type==\"$1\")" "$tmp/out"; }
# epochs RUN FIRST LAST SECONDS: epoch records as ul-train writes them
epochs()
{
	local e
	for e in $(seq "$2" "$3"); do
		printf '{"type":"epoch","v":1,"run":"%s","epoch":%d,"epochs":%d,"seconds":%s}\n' "$1" "$e" "$3" "$4"
	done
}
# the ledger balances: the account row is the top-ups less the charges paid
balances() { test "$(q "SELECT balance = (SELECT COALESCE(SUM(CASE kind WHEN 'topup' THEN micros ELSE -micros END), 0)
	FROM entries WHERE paid = 1) FROM account")" = 1; }

# --- the account ---------------------------------------------------------------
run "$METER" balance </dev/null
is "$rc:$(jq -c '[.type, .balance_usd]' "$tmp/out")" '0:["balance",0]' "a new ledger starts at \$0"
ok "it is a SQLite database in WAL mode under \$UL_HOME" test "$(q 'PRAGMA journal_mode')" = wal
run "$METER" topup 10.25 </dev/null
is "$rc:$(jq -c '[.type, .usd, .balance_usd]' "$tmp/out")" '0:["topup",10.25,10.25]' "topup 10.25"
is "$(q 'SELECT balance FROM account')" 10250000 "kept as integer micro-dollars"
for bad in -5 0 abc 1e3 0.0000001 100000.01; do
	run "$METER" topup "$bad" </dev/null
	is "$rc:$(jq -r .code "$tmp/out")" "2:amount" "topup '$bad' is refused"
done
is "$(q 'SELECT balance FROM account')" 10250000 "and changes nothing"
run "$METER" refund </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "2:usage" "an unknown command is a usage error"

# --- charges ---------------------------------------------------------------------
# RTX 4090 at $0.59/hour: an hour is $0.59, 1.5 s is 245.83 -> 246 micro-dollars
{ epochs r1 1 1 3600; epochs r1 2 3 1.5; printf '{"type":"status","v":1,"run":"r1","status":"completed","time":"x"}\n'; } >r1.jsonl
run "$METER" gpu="RTX 4090" <r1.jsonl
is "$rc" 0 "three epochs metered"
is "$(records charge | jq -r .usd | tr '\n' ' ')" "0.59 0.000246 0.000246 " "each epoch priced exactly: an hour \$0.59, 1.5 s \$0.000246"
is "$(records charge | jq -r .balance_usd | tail -1)" 9.659508 "the balance after each"
is "$(jq -r .type "$tmp/out" | tr '\n' ' ')" "epoch charge epoch charge epoch charge status bill " "every record passed on, in order, with its charge after it"
is "$(records bill | jq -c '[.epochs, .gpu_seconds, .usd, [.per_epoch[].epoch]]')" '[3,3603,0.590492,[1,2,3]]' "the bill: epochs, GPU time, total, per epoch"
run "$METER" gpu="RTX 4090" <r1.jsonl
is "$rc:$(records charge | wc -l | tr -d ' ')" "0:0" "metering the same epochs again charges nothing"
like "$(err)" "epoch 2 was charged before" "and says so"
is "$(q 'SELECT balance FROM account')" 9659508 "the balance is unchanged"
is "$(records bill | jq -r .usd)" 0.590492 "the bill is the run's, from the ledger"
printf '{"type":"status","v":1,"run":"r1","status":"completed","time":"x"}\n' >end.jsonl
run "$METER" gpu="RTX 4090" <end.jsonl
is "$(records bill | jq -c '[.run, .epochs]')" '["r1",3]' "a run that ends with nothing left to charge still gets its bill"
ok "the ledger balances" balances

run "$METER" gpu="RTX 4909" <r1.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "2:gpu_unknown" "an unknown GPU is refused"
like "$(err)" "did you mean 'RTX 4090'" "with a suggestion"
epochs r2 1 2 10 >r2.jsonl
run "$METER" <r2.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:no_gpu" "no estimate record and no gpu=: refused, not charged at no price"
printf '{"type":"estimate","v":1,"gpu":"H100 SXM"}\n' | cat - r2.jsonl >r2e.jsonl
run "$METER" <r2e.jsonl
is "$(records charge | jq -c '[.gpu, .usd]' | head -1)" '["H100 SXM",0.007472]' "the GPU comes from the estimate record: 10 s of H100 SXM"
printf '{"type":"epoch","v":1,"run":"r3","epoch":1,"seconds":-1}\n{"type":"epoch","v":1,"run":"r3","epoch":0,"seconds":1}\n' >bad.jsonl
run "$METER" gpu=L4 <bad.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out" | head -1)" "1:bad_record" "a negative time is not charged"

# --- out of credit ---------------------------------------------------------------
export UL_HOME=$tmp/poor db=$tmp/poor/ledger.db
"$METER" topup 0.01 </dev/null >/dev/null 2>&1
# B200 at $4.99/hour: 3 s is $0.004158, so two epochs fit in $0.01 and a third would not
epochs p1 1 5 3 >p1.jsonl
run "$METER" gpu=B200 <p1.jsonl
is "$rc" 3 "out of credit: exit 3"
is "$(records charge | jq -r .epoch | tr '\n' ' ')" "1 2 " "after the epochs the balance could pay for"
is "$(records status | jq -r .status)" paused "status paused"
like "$(records status | jq -r .reason)" "cannot pay for epoch 3.*topup" "saying why and what to do"
is "$(records bill | jq -c '[.epochs, .usd]')" "[2,0.008316]" "and the bill so far"
run "$METER" gpu=B200 <p1.jsonl
is "$rc:$(records charge | wc -l | tr -d ' ')" "3:0" "run again, it pauses at once: nothing new is charged"
printf '{"type":"status","v":1,"run":"p2","status":"running","time":"x"}\n' >start.jsonl
"$METER" topup 0.000001 </dev/null >/dev/null 2>&1
epochs p3 1 1 3 | "$METER" gpu=B200 >/dev/null 2>&1
is "$(q 'SELECT balance FROM account')" "-2473" "an epoch that ran is charged even below zero"
run "$METER" gpu=B200 <start.jsonl
is "$rc:$(records status | jq -r .status | tail -1)" "3:paused" "a run that starts without a positive balance pauses at once"
"$METER" topup 1 </dev/null >/dev/null 2>&1
run "$METER" gpu=B200 <p1.jsonl
is "$rc:$(records charge | jq -r .epoch | tr '\n' ' ')" "0:3 4 5 " "after a top-up the rest is charged, once"
ok "the ledger balances" balances

# --- pay per job -----------------------------------------------------------------
export UL_HOME=$tmp/job db=$tmp/job/ledger.db
"$METER" topup 0.001 </dev/null >/dev/null 2>&1
epochs j0 1 3 3600 >j0.jsonl
run "$METER" gpu=L4 payment=job <j0.jsonl
is "$rc:$(jq -r 'select(.type=="error") | .code' "$tmp/out")" "1:payment" "payment=job is for timed runs only, as on the platform"
{ printf '{"type":"config","v":1,"model":"yolo26n.yaml","args":{"time":3}}\n'; epochs j1 1 3 3600
	printf '{"type":"status","v":1,"run":"j1","status":"completed","time":"x"}\n'; } >j1.jsonl
run "$METER" gpu=L4 payment=job <j1.jsonl
is "$rc:$(records charge | wc -l | tr -d ' ')" "0:0" "payment=job: no pause, no charge per epoch"
is "$(records bill | jq -c '[.payment, .epochs, .usd, .balance_usd]')" '["job",3,1.17,-1.169]' "the job paid at its end, in one go"
is "$(q "SELECT COUNT(*) FROM entries WHERE paid = 0")" 0 "nothing left due"
ok "the ledger balances" balances

# --- reports -----------------------------------------------------------------------
export UL_HOME=$tmp/home db=$tmp/home/ledger.db
run "$METER" report run=r1 </dev/null
is "$(jq -c '[.type, .run, .epochs, .usd]' "$tmp/out")" '["bill","r1",3,0.590492]' "report run=r1: its bill"
run "$METER" report run=r1 format=csv </dev/null
is "$(cat "$tmp/out")" "run,epoch,seconds,usd
r1,1,3600.000,0.590000
r1,2,1.500,0.000246
r1,3,1.500,0.000246
r1,total,3603.000,0.590492" "format=csv: a row per epoch and the total GPU time and cost"
is "$rc:$(err)" "0:" "and exits 0 with nothing on stderr (under SAN: nothing leaked)"
run "$METER" report </dev/null
is "$(jq -r .run "$tmp/out" | tr '\n' ' ')" "r1 r2 " "report: every run"
run "$METER" report run=nope </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "1:run_unknown" "an unknown run"
run "$METER" history </dev/null
is "$(jq -sc 'group_by(.type) | map([.[0].type, length])' "$tmp/out")" '[["charge",5],["topup",1]]' "history: every top-up and charge"
run "$METER" history format=csv </dev/null
is "$(head -1 "$tmp/out")" "time,kind,run,epoch,seconds,usd,balance_usd" "history as CSV"

# --- a corrupt and a locked ledger -----------------------------------------------------
mkdir -p "$tmp/bad" && head -c 4096 /dev/urandom >"$tmp/bad/ledger.db"
UL_HOME=$tmp/bad run "$METER" balance </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "1:ledger_corrupt" "a file that is not a ledger"
like "$(err)" "backup" "with a hint"
mkfifo "$tmp/held" "$tmp/release"
python3 - "$db" "$tmp/held" "$tmp/release" <<'PY' &
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").write("held\n")
open(sys.argv[3]).read()
c.execute("ROLLBACK")
PY
holder=$!
read -r _ <"$tmp/held"
run "$METER" topup 1 wait=0.3 </dev/null
is "$rc:$(jq -r .code "$tmp/out")" "1:ledger_locked" "a ledger another process holds past wait="
like "$(err)" "wait=" "says how to wait longer"
echo >"$tmp/release"
wait "$holder"

# --- concurrency: four meters, one account ------------------------------------------
export UL_HOME=$tmp/many db=$tmp/many/ledger.db
"$METER" topup 1000 </dev/null >/dev/null 2>&1
for m in 1 2 3 4; do epochs "c$m" 1 50 "1.$m" >"c$m.jsonl"; done
pids=
for m in 1 2 3 4; do "$METER" gpu="A100 SXM" <"c$m.jsonl" >"c$m.out" 2>/dev/null & pids="$pids $!"; done
status=0
for p in $pids; do wait "$p" || status=1; done
is "$status" 0 "four meters charging one account at once all succeed"
is "$(q "SELECT COUNT(*), COUNT(DISTINCT run || '/' || epoch) FROM entries WHERE kind = 'charge'")" "200|200" "200 charges, none twice"
# 1.m s at $1.49/hour, rounded per epoch: 1.1 -> 455, 1.2 -> 497, 1.3 -> 538, 1.4 -> 579 micro-dollars
is "$(q 'SELECT balance FROM account')" $((1000000000 - 50 * (455 + 497 + 538 + 579))) "the balance is exact"
ok "the ledger balances" balances
is "$(cat c1.out c2.out c3.out c4.out | jq -r 'select(.type=="charge") | .usd' | wc -l | tr -d ' ')" 200 "every charge has its record"

# --- crash safety: kill -9 at random points in a loop of charges ------------------------
export UL_HOME=$tmp/crash db=$tmp/crash/ledger.db
"$METER" topup 1000 </dev/null >/dev/null 2>&1
{ epochs k1 1 500 2.5; epochs k2 1 500 0.7; } >k.jsonl
kills=0
for try in $(seq 1 12); do
	"$METER" gpu=L4 <k.jsonl >/dev/null 2>&1 &
	p=$!
	sleep "0.$(printf %02d $((RANDOM % 20)))"
	if kill -9 "$p" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$p" 2>/dev/null
	[ "$(q "SELECT COUNT(*) FROM entries WHERE kind = 'charge'")" = 1000 ] && break
done
"$METER" gpu=L4 <k.jsonl >/dev/null 2>&1
diag "killed $kills times before the charges were all in"
ok "killed mid-charge at least once" test "$kills" -ge 1
is "$(q "SELECT COUNT(*), COUNT(DISTINCT run || '/' || epoch) FROM entries WHERE kind = 'charge'")" "1000|1000" "every epoch charged exactly once"
# L4 at $0.39/hour: 2.5 s -> 271, 0.7 s -> 76 micro-dollars
is "$(q 'SELECT balance FROM account')" $((1000000000 - 500 * (271 + 76))) "the balance is exact"
ok "the ledger balances" balances
is "$(q 'PRAGMA integrity_check')" ok "the database is intact"

# --- a real pipeline: out of credit after epoch 1, topup, resume -------------------------
DATA=${UL_DATASETS:-$UL_ROOT/../shared/datasets}
if [ -d "$DATA/coco8" ]; then
	export UL_HOME=$tmp/real db=$tmp/real/ledger.db
	settings="model=yolo26n.yaml imgsz=160 batch=2 nbs=4 epochs=2 mosaic=0 warmup_epochs=1 plots=false"
	"$UL_BIN/ul-fetch" data="$DATA/coco8/coco8.yaml" </dev/null >coco8.jsonl
	"$METER" topup 0.000001 </dev/null >/dev/null 2>&1
	# shellcheck disable=SC2086 # the settings are words
	"$UL_BIN/ul-validate" $settings <coco8.jsonl | "$UL_BIN/ul-estimate" gpu=B200 check=false 2>/dev/null |
		"$UL_BIN/ul-train" 2>/dev/null | "$METER" >first.jsonl 2>first.err
	codes="${PIPESTATUS[*]}"
	is "${codes#* * }" "3 3" "the balance runs out after epoch 1: ul-train pauses (3), ul-meter exits 3"
	is "$(jq -r 'select(.type=="charge") | .epoch' first.jsonl)" 1 "epoch 1 was charged"
	is "$(jq -r 'select(.type=="status") | .status' first.jsonl | tail -1)" paused "the last status is paused"
	last=$(ls "$tmp"/runs/detect/*/weights/last.safetensors)
	ok "ul-train kept its checkpoint" test -s "$last"
	"$METER" topup 5 </dev/null >/dev/null 2>&1
	# shellcheck disable=SC2086
	"$UL_BIN/ul-validate" $settings resume="$last" <coco8.jsonl | "$UL_BIN/ul-estimate" gpu=B200 2>/dev/null |
		"$UL_BIN/ul-train" 2>/dev/null | "$METER" >second.jsonl 2>second.err
	codes="${PIPESTATUS[*]}"
	is "$codes" "0 0 0 0" "topped up, the same pipeline with resume= completes"
	is "$(jq -r 'select(.type=="charge") | .epoch' second.jsonl | tr '\n' ' ')" "2 " "charging the epoch after the pause"
	is "$(q "SELECT group_concat(epoch, ' ') FROM (SELECT epoch FROM entries WHERE kind = 'charge' ORDER BY epoch)")" "1 2" \
		"the ledger: exactly one charge per epoch"
	is "$(jq -c 'select(.type=="bill") | [.epochs, [.per_epoch[].epoch]]' second.jsonl)" "[2,[1,2]]" "the bill covers the whole run"
	ok "the ledger balances" balances

	# the ledger now calibrates: a new run like it is estimated from its measured epochs
	# shellcheck disable=SC2086
	"$UL_BIN/ul-validate" $settings name=again <coco8.jsonl | "$UL_BIN/ul-estimate" gpu=B200 2>/dev/null >again.jsonl
	is "$(jq -r 'select(.type=="estimate") | .basis' again.jsonl)" calibrated "a similar run's estimate is calibrated"
	# (how close a calibrated estimate comes to real epochs is a measurement: tests/bench/calibration)
else
	echo "# skipped the real pipeline: no coco8 at $DATA"
fi

done_testing
