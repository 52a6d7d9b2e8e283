#!/usr/bin/env bash
# detect.sh - detection quality on data fundtrace did not generate, next to
# its own: the default scan (same parameters everywhere) on
#   - synth, default profile (with its benign look-alikes),
#   - synth --profile wide (every typology drawn from much wider ranges),
#   - IBM AMLSim's 1K, 10K and typologies sets (../shared/data/amlsim, or
#     AMLSIM=DIR), scored against their alert_transactions.csv,
# and one table: data set by pattern type, with instances, found, alerts,
# good alerts, precision, recall and F1 at the instance level (as
# fundtrace-eval(1) matches them: an alert covers half of an instance and
# the instance is a quarter of the alert), false alerts per 100,000
# transfers, and the scan's time next to the time to read the same data
# (`stats`), its baseline in the same run.
#
#   bench/detect.sh [SYNTH_ROWS] [WORKDIR] [SEED]     (1000000, bench/out, 7)
set -euo pipefail

rows=${1:-1000000}
seed=${3:-7}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
command -v python3 >/dev/null || { echo "detect.sh: needs python3" >&2; exit 2; }
amlsim=${AMLSIM:-$top/../shared/data/amlsim}

sets=()
for profile in default wide; do
    csv=$work/detect-$profile-$rows-$seed.csv
    if [ ! -s "${csv%.csv}.ftg" ]; then
        echo "making $rows rows of synth data, $profile profile..." >&2
        "$ft" synth -q --rows "$rows" --seed "$seed" --profile "$profile" -o "$csv"
        "$ft" load -q "$csv" -o "${csv%.csv}.ftg" >/dev/null
    fi
    sets+=("synth-$profile|${csv%.csv}.ftg|${csv%.csv}_truth.csv")
done
for d in 1K 10K typologies; do
    if [ -s "$amlsim/$d/transactions.csv.gz" ]; then
        snap=$work/amlsim-$d.ftg
        [ -s "$snap" ] || "$ft" load -q "$amlsim/$d/transactions.csv.gz" -o "$snap" >/dev/null
        sets+=("amlsim-$d|$snap|$amlsim/$d/alert_transactions.csv")
    else
        echo "detect.sh: no AMLSim set $d in $amlsim (set AMLSIM=DIR)" >&2
    fi
done

: >"$work/detect.rows"
for entry in "${sets[@]}"; do
    IFS='|' read -r name snap truth <<<"$entry"
    echo "scanning $name..." >&2
    run "fundtrace stats $name" "$ft" stats "$snap"
    base_s=$secs
    # scan exits 1 when it flags nothing (as grep): no failure here
    run "fundtrace scan $name" bash -c '"$0" scan "$@" || [ $? -eq 1 ]' "$ft" -q --threads 2 \
        --format jsonl "$snap"
    scan_s=$secs scan_cpu=$cpu scan_kib=$kib
    "$ft" scan -q --threads 2 --format jsonl "$snap" >"$work/$name.jsonl" || [ $? -eq 1 ]
    "$ft" eval --alerts "$work/$name.jsonl" --truth "$truth" --format json >"$work/$name.eval.json"
    n=$("$ft" stats --format json "$snap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["transactions"])')
    echo "$name $work/$name.eval.json $n $scan_s $base_s $scan_kib $scan_cpu" >>"$work/detect.rows"
done

python3 - "$work/detect.rows" <<'PY'
import json, sys
print("%-18s %-15s %9s %6s %7s %6s %9s %7s %6s" % ("data", "pattern", "instances", "found",
      "alerts", "good", "precision", "recall", "f1"))
def num(v):
    return "%.3f" % v if v is not None else "-"
summary = []
for line in open(sys.argv[1]):
    name, path, n, scan_s, base_s, kib, cpu = line.split()
    e = json.load(open(path))
    e = e.get("results", e)  # the record of the run wraps the results
    for r in e["patterns"] + [dict(e["overall"], pattern="overall")]:
        if not r["instances"] and not r["alerts"]:
            continue
        print("%-18s %-15s %9d %6d %7d %6d %9s %7s %6s" % (name, r["pattern"], r["instances"],
              r["found"], r["alerts"], r["true_alerts"], num(r["precision"]), num(r["recall"]),
              num(r["f1"])))
    o = e["overall"]
    false = o["alerts"] - o["true_alerts"]
    summary.append((name, int(n), false, 1e5 * false / int(n), float(scan_s), float(cpu),
                    float(base_s), int(kib) / 1024))
    print()
print("%-18s %12s %8s %14s %9s %9s %9s %7s %8s" % ("data", "transfers", "false", "false/100k",
      "scan s", "scan CPU", "stats s", "ratio", "peak MB"))
for name, n, false, per, s, c, b, mb in summary:
    print("%-18s %12d %8d %14.2f %9.2f %9.2f %9.2f %7.1f %8.0f" % (name, n, false, per, s, c, b,
          s / b if b > 0 else 0, mb))
PY
