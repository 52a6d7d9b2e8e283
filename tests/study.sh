#!/bin/sh
# study.sh FUNDTRACE WORKDIR DATADIR
# fundtrace study on the three-country fixture (tests/data/study.csv, see
# tests/test_study.c): every figure of its JSON exactly; the pooled
# arrangement's alerts are the plain scan's; the cross-border and
# exchanged-record counts match a count of the CSV made here with awk;
# the pooled trace is fundtrace trace's, and the federated one equals it
# when every account is in a jurisdiction; bad input is refused with file,
# line and column.
set -eu
FT=$1
WORK=$2
D=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
fail=0
check() { # NAME WANT GOT
    if [ "$2" != "$3" ]; then
        echo "FAIL $1: want '$2', got '$3'"
        fail=1
    fi
}

"$FT" study -q --no-provenance --format json --truth "$D/study_truth.csv" \
    --jurisdiction-map "$D/study_jur.csv" "$D/study.csv" >got.json
# one line per figure, as path=value
flat() {
    python3 -c '
import json, sys
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(p + "." + k if p else k, x)
    elif isinstance(v, list):
        for i, x in enumerate(v): walk("%s[%d]" % (p, i), x)
    else: print("%s=%s" % (p, json.dumps(v)))
walk("", json.load(open(sys.argv[1])))' "$1"
}
# CPU seconds are the one figure that differs between runs
flat got.json | grep -v 'cpu_seconds=' >got.txt
cat >want.txt <<'WANT'
transfers=302
accounts=54
outside_accounts=1
cross_border=11
jurisdictions[0].name="DE"
jurisdictions[0].accounts=21
jurisdictions[0].transfers=104
jurisdictions[0].alerts=2
jurisdictions[1].name="FR"
jurisdictions[1].accounts=18
jurisdictions[1].transfers=101
jurisdictions[1].alerts=1
jurisdictions[2].name="NL"
jurisdictions[2].accounts=14
jurisdictions[2].transfers=97
jurisdictions[2].alerts=0
arrangements.pooled.alerts=2
arrangements.pooled.records_crossing=302
arrangements.pooled.accounts_crossing=54
arrangements.pooled.share_seen_abroad=1.0
arrangements.pooled.match_queries=0
arrangements.pooled.records_exchanged=302
arrangements.pooled.bytes_exchanged=39448
arrangements.pooled.rounds=1
arrangements.siloed.alerts=3
arrangements.siloed.records_crossing=1
arrangements.siloed.accounts_crossing=1
arrangements.siloed.share_seen_abroad=0.003311
arrangements.siloed.match_queries=0
arrangements.siloed.records_exchanged=0
arrangements.siloed.bytes_exchanged=0
arrangements.siloed.rounds=1
arrangements.federated.alerts=2
arrangements.federated.records_crossing=11
arrangements.federated.accounts_crossing=12
arrangements.federated.share_seen_abroad=0.036424
arrangements.federated.match_queries=4
arrangements.federated.records_exchanged=12
arrangements.federated.bytes_exchanged=2484
arrangements.federated.rounds=2
patterns[0].pattern="cycle"
patterns[0].instances=1
patterns[0].pooled.found=1
patterns[0].pooled.alerts=1
patterns[0].pooled.false_alerts=0
patterns[0].siloed.found=1
patterns[0].siloed.alerts=1
patterns[0].siloed.false_alerts=0
patterns[0].federated.found=1
patterns[0].federated.alerts=1
patterns[0].federated.false_alerts=0
patterns[0].only_pooled=0
patterns[0].only_siloed=0
patterns[0].only_federated=0
patterns[1].pattern="fan_in"
patterns[1].instances=0
patterns[1].pooled.found=0
patterns[1].pooled.alerts=0
patterns[1].pooled.false_alerts=0
patterns[1].siloed.found=0
patterns[1].siloed.alerts=2
patterns[1].siloed.false_alerts=0
patterns[1].federated.found=0
patterns[1].federated.alerts=0
patterns[1].federated.false_alerts=0
patterns[1].only_pooled=0
patterns[1].only_siloed=0
patterns[1].only_federated=0
patterns[2].pattern="tf_collection"
patterns[2].instances=1
patterns[2].pooled.found=1
patterns[2].pooled.alerts=1
patterns[2].pooled.false_alerts=0
patterns[2].siloed.found=0
patterns[2].siloed.alerts=0
patterns[2].siloed.false_alerts=0
patterns[2].federated.found=1
patterns[2].federated.alerts=1
patterns[2].federated.false_alerts=0
patterns[2].only_pooled=1
patterns[2].only_siloed=0
patterns[2].only_federated=1
overall.instances=2
overall.pooled.found=2
overall.pooled.alerts=2
overall.pooled.false_alerts=0
overall.siloed.found=1
overall.siloed.alerts=3
overall.siloed.false_alerts=0
overall.federated.found=2
overall.federated.alerts=2
overall.federated.false_alerts=0
overall.only_pooled=1
overall.only_siloed=0
overall.only_federated=1
WANT
if ! diff want.txt got.txt; then
    echo "FAIL: the study's figures"
    fail=1
fi

# The pooled arrangement is the plain scan: as many alerts, and the scan
# scored by eval finds what the pooled column says.
"$FT" scan -q --no-provenance --format jsonl "$D/study.csv" >scan.jsonl
check "pooled alerts = scan's" "$(wc -l <scan.jsonl | tr -d ' ')" \
    "$(grep '^arrangements.pooled.alerts=' got.txt | cut -d= -f2)"
"$FT" eval -q --no-provenance --format json --alerts scan.jsonl --truth "$D/study_truth.csv" \
    >eval.json
check "pooled found = eval's" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["overall"]["found"])' eval.json)" \
    "$(grep '^overall.pooled.found=' got.txt | cut -d= -f2)"

# An independent count from the CSV: a bank's jurisdiction is its first two
# letters, OUT1 is outside ("-"); cross-border when payer and payee differ;
# siloed, a record crosses when its payee's jurisdiction is another party's.
# columns: txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,...
awk -F, 'NR > 1 {
    a = $3 == "OUT1" ? "-" : substr($3, 1, 2)
    b = $5 == "OUT1" ? "-" : substr($5, 1, 2)
    if (a != b) { cross++; if (b != "-") { rec++; acc[$3 ":" $4] = 1 } if (a != "-") acc[$5 ":" $6] = 1 }
} END { n = 0; for (k in acc) n++; printf "%d %d %d\n", cross, rec, n }' "$D/study.csv" >count.txt
check "independent count" "$(cat count.txt)" \
    "$(grep -E '^(cross_border|arrangements.siloed.records_crossing|arrangements.siloed.accounts_crossing)=' got.txt | cut -d= -f2 | paste -sd' ')"

# The bytes exchanged, counted here from the CSV: pooled, every transfer
# as a record with its accounts' ids; federated, Germany and France each
# ask the two other parties about the collector (4 queries: one round of
# questions, the default) and each get the other's five donations and the collector's
# payment (12 records), accounts as tokens (ps- and 32 hex digits).
python3 - "$D/study.csv" >bytes.txt <<'PY'
import csv, datetime, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
tok = "ps-" + "0" * 32
def record(r, token):
    t = datetime.datetime.fromtimestamp(int(r["timestamp"]), datetime.timezone.utc)
    acc = lambda b, a: token or b + ":" + a
    return len(json.dumps({"kind": "record", "txn": r["txn_id"],
                           "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "from": acc(r["src_bank"], r["src_account"]),
                           "to": acc(r["dst_bank"], r["dst_account"]),
                           "amount": r["amount"], "currency": r["currency"]},
                          separators=(",", ":"))) + 1
pooled = sum(record(r, None) for r in rows)
query = len(json.dumps({"kind": "match", "account": tok}, separators=(",", ":"))) + 1
collector = [r for r in rows if "TFC" in (r["src_account"], r["dst_account"])]
de = [r for r in collector if r["src_bank"] != "DE01"]  # what Germany gets
fr = [r for r in collector if r["src_bank"] != "FR01"]
print(pooled, len(de) + len(fr), 4 * query + sum(record(r, tok) for r in de + fr))
PY
check "bytes exchanged: independent count" "$(cat bytes.txt)" \
    "$(grep -E '^arrangements.(pooled.bytes_exchanged|federated.bytes_exchanged|federated.records_exchanged)=' got.txt | cut -d= -f2 | paste -sd' ')"

# The table says the same.
"$FT" study -q --truth "$D/study_truth.csv" --jurisdiction-map "$D/study_jur.csv" \
    "$D/study.csv" >got.table
check "table: tf_collection" "tf_collection 1 1 0 1 1 0 1 0 0 0 1 0 1" \
    "$(grep '^tf_collection' got.table | tr -s ' ')"
check "table: siloed" "siloed 3 1 1 0.003311 0 0 0 1" \
    "$(grep '^siloed' got.table | tr -s ' ' | cut -d' ' -f1-9)"
check "table: federated" "federated 2 11 12 0.036424 4 12 2484 2" \
    "$(grep '^federated' got.table | tr -s ' ' | cut -d' ' -f1-9)"

# JSON Lines: the provenance record, then the figures on one line.
"$FT" study -q --format jsonl --jurisdiction-map "$D/study_jur.csv" "$D/study.csv" >got.jsonl
check "jsonl: two lines" 2 "$(wc -l <got.jsonl | tr -d ' ')"
check "jsonl: the figures" 302 \
    "$(tail -n 1 got.jsonl | python3 -c 'import json,sys; print(json.load(sys.stdin)["transfers"])')"

# JSON carries the provenance record, with the map's SHA-256.
"$FT" study -q --format json --jurisdiction-map "$D/study_jur.csv" "$D/study.csv" >prov.json
check "provenance" "study jurisdiction-map $(sha256sum <"$D/study_jur.csv" | cut -d' ' -f1)" \
    "$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["provenance"]; print(p["command"], p["files"][0]["option"], p["files"][0]["sha256"])' prov.json)"

# Traces: the pooled trace is fundtrace trace's (accounts besides the
# seed, money they hold); federated, with every account in a jurisdiction,
# it is the same; with the collector outside, a donor's money stops there.
"$FT" trace -q --no-provenance --from DE01:D0 --format jsonl "$D/study.csv" >trace.jsonl
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
held = sum(round(float(v) * 100) for r in rows if r["account"] != "DE01:D0" for v in r["held"].values())
print(len(rows) - 1, held)' trace.jsonl >trace.want
"$FT" study -q --no-provenance --format json --from DE01:D0,FR01:D1,DE01:CA,OUT1:TFC \
    "$D/study.csv" >traces.json
python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["traces"]:  # in the order of the account ids
    p, s, f = t["pooled"], t["siloed"], t["federated"]
    print(t["seed"], p["reached"], p["held_minor"], s["reached"], s["held_minor"],
          f["reached"], f["held_minor"], t["rounds"], t["handoffs"], t["handoff_bytes"])' \
    traces.json >traces.txt
# --seeds FILE: the same traces as --from
printf '# seeds\nDE01:D0\n\nFR01:D1\nDE01:CA\nOUT1:TFC\n' >seeds.txt
"$FT" study -q --no-provenance --format json --seeds seeds.txt "$D/study.csv" >seeds.json
check "--seeds = --from" "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["traces"]))' traces.json | cksum)" \
    "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["traces"]))' seeds.json | cksum)"
set +e
"$FT" study -q --seeds /nonexistent/seeds "$D/study.csv" >/dev/null 2>err.txt
rc=$?
set -e
check "missing seeds file: exit" 2 "$rc"
grep -q '/nonexistent/seeds' err.txt || { echo "FAIL missing seeds file: $(cat err.txt)"; fail=1; }
check "pooled trace = trace's" "$(cat trace.want)" \
    "$(grep '^DE01:D0 ' traces.txt | cut -d' ' -f2,3)"
cat >traces.want <<'WANT'
DE01:CA 2 97500 2 97500 2 97500 1 0 0
DE01:D0 2 6000 0 0 2 6000 3 2 701
OUT1:TFC 1 71700 0 0 1 71700 2 1 352
FR01:D1 2 6500 0 0 2 6500 3 2 701
WANT
if ! diff traces.want traces.txt; then
    echo "FAIL: the traces, every account in a jurisdiction"
    fail=1
fi
# The handoff bytes are the files the parties write: Germany traces the
# donor and hands the donation on to OUT1's party (the last round's first
# handoff), which hands the collector's payment on to NL01's.
head -c 32 /dev/urandom >key
"$FT" trace -q --format jsonl --from DE01:D0 --local-banks DE01,DE02 --handoff-out de \
    --pseudonymise key "$D/study.csv" >/dev/null || [ $? -eq 1 ] # nothing held besides the seed
"$FT" trace -q --format jsonl --local-banks OUT1 --handoff-in de --handoff-out ou \
    --pseudonymise key "$D/study.csv" >/dev/null
check "handoff bytes = the handoff files'" "$(cat de/*.jsonl ou/*.jsonl | wc -c | tr -d ' ')" \
    "$(grep '^DE01:D0 ' traces.txt | cut -d' ' -f10)"
"$FT" study -q --no-provenance --format json --jurisdiction-map "$D/study_jur.csv" \
    --from DE01:D0 "$D/study.csv" >out.json
check "donor's money stops at the outside collector" "2 0" \
    "$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["traces"][0]; print(t["pooled"]["reached"], t["federated"]["reached"])' out.json)"

# Bad input: exit 2, file, line and column.
printf 'DE01,DE\nFR01\n' >bad.csv
set +e
"$FT" study -q --jurisdiction-map bad.csv "$D/study.csv" >/dev/null 2>err.txt
rc=$?
set -e
check "bad map: exit" 2 "$rc"
check "bad map: message" "fundtrace study: bad.csv:2:5: want bank_or_prefix,jurisdiction" \
    "$(cat err.txt)"
set +e
"$FT" study -q >/dev/null 2>err.txt
rc=$?
set -e
check "no data: exit" 2 "$rc"

[ $fail -eq 0 ] && echo "study: all checks passed"
exit $fail
