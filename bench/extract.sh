#!/usr/bin/env bash
# extract.sh - detection on extracts that begin in the middle of their
# accounts' histories. Our generators (synth, AMLSim) start every relation
# from nothing; a bank's extract does not. This cuts data by time and
# compares a default scan of the cut with a scan of the whole data printing
# the same range (--since), per pattern type:
#   - synth over two years (ROWS rows, seed SEED, --days 730):
#       c12  the last 12 months (from 2025-01-01)
#       d6   all but the first 6 months (from 2024-07-01)
#       lbD  a nightly window (alerts from 2025-11-26 on, the last 35 days)
#            over the window and the D days before it (0, 90, 180, 365),
#            as `scan --lookback D` scans it
#   - AMLSim 10K (../shared/data/amlsim, or AMLSIM=DIR) without its first
#     35 % (from 2017-09-10), and its last 120 days alone (from 2018-08-23).
# Recall counts the instances whose transfers all lie in the cut (for the
# nightly window: with one of them in the window); precision counts alerts
# against every planted instance (an alert on a cut instance's planted
# transfers is good). One table: data set, whole or cut, pattern, instances,
# found, recall, alerts, false alerts; then overall precision.
#
#   bench/extract.sh [ROWS] [WORKDIR] [SEED]     (1000000, bench/out, 11)
set -euo pipefail

rows=${1:-1000000}
seed=${3:-11}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
command -v python3 >/dev/null || { echo "extract.sh: needs python3" >&2; exit 2; }
amlsim=${AMLSIM:-$top/../shared/data/amlsim}
x=$work/extract-$rows-$seed
mkdir -p "$x"

# cut CSV TIMECOL SINCE OUT: the header and the rows at SINCE or later
cut_csv() {
    case $1 in
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
    esac | awk -F, -v c="$2" -v s="$3" 'NR == 1 || $c >= s' >"$4"
}

# truth DATA TIMECOL TRUTH OUT [WINDOW]: the instances whose transfers all
# lie in DATA (and, with WINDOW, one of them at WINDOW or later); synth's
# truth (one instance a row) or AMLSim's (one transfer a row)
truth() {
    python3 - "$@" <<'PY'
import csv, sys
data, col, truth, out = sys.argv[1:5]
win = sys.argv[5] if len(sys.argv) > 5 else ""
col = int(col) - 1
ts = {}
with open(data, newline="") as f:
    r = csv.reader(f)
    next(r)
    for row in r:
        ts[row[0]] = row[col]
def keep(ids):
    return all(t in ts for t in ids) and max(ts[t] for t in ids) >= win
with open(truth, newline="") as f:
    rows = list(csv.reader(f))
head, body = rows[0], rows[1:]
if "alert_id" in head:  # AMLSim: rows by alert
    a, t = head.index("alert_id"), head.index("tran_id")
    by = {}
    for row in body:
        by.setdefault(row[a], []).append(row[t])
    ok = {k for k, v in by.items() if keep(v)}
    body = [row for row in body if row[a] in ok]
else:
    body = [row for row in body if keep(row[3].split(";"))]
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(head)
    w.writerows(body)
PY
}

csv=$x/synth.csv
if [ ! -s "$x/synth.ftg" ]; then
    echo "making $rows rows of synth data over 730 days..." >&2
    "$ft" synth -q --rows "$rows" --days 730 --seed "$seed" -o "$csv"
    "$ft" load -q "$csv" -o "$x/synth.ftg" >/dev/null
fi
window=2025-11-26
# name|since|window (empty: the cut's own range)
cuts=("c12|2025-01-01|" "d6|2024-07-01|" "lb365|2024-11-26|$window" "lb180|2025-05-30|$window"
    "lb90|2025-08-28|$window" "lb0|$window|$window")

: >"$x/rows"
scan() { "$ft" scan -q --threads 2 --format jsonl --no-provenance "$@" || [ $? -eq 1 ]; }
evals() { # ALERTS TRUTH_CUT TRUTH_ALL NAME
    "$ft" eval -q --alerts "$1" --truth "$2" --format json --no-provenance >"$1.rec"
    "$ft" eval -q --alerts "$1" --truth "$3" --format json --no-provenance >"$1.prec"
    echo "$4 $1" >>"$x/rows"
}
for c in "${cuts[@]}"; do
    IFS='|' read -r name since win <<<"$c"
    if [ ! -s "$x/$name.ftg" ]; then
        cut_csv "$csv" 2 "$since" "$x/$name.csv"
        truth "$x/$name.csv" 2 "${csv%.csv}_truth.csv" "$x/${name}_truth.csv" $win
        "$ft" load -q "$x/$name.csv" -o "$x/$name.ftg" >/dev/null
    fi
    echo "scanning synth $name..." >&2
    from=${win:-$since}
    scan --since "$from" "$x/synth.ftg" >"$x/$name.whole.jsonl"
    scan --since "$from" "$x/$name.ftg" >"$x/$name.cut.jsonl"
    for k in whole cut; do
        evals "$x/$name.$k.jsonl" "$x/${name}_truth.csv" "${csv%.csv}_truth.csv" "synth-$name $k"
    done
done

a=$amlsim/10K
if [ -s "$a/transactions.csv.gz" ]; then
    echo "scanning AMLSim 10K..." >&2
    [ -s "$x/aml.ftg" ] || "$ft" load -q "$a/transactions.csv.gz" -o "$x/aml.ftg" >/dev/null
    for c in "d35%|2017-09-10" "last120d|2018-08-23"; do
        IFS='|' read -r name since <<<"$c"
        if [ ! -s "$x/aml-$since.ftg" ]; then
            cut_csv "$a/transactions.csv.gz" 6 "$since" "$x/aml-$since.csv"
            truth "$x/aml-$since.csv" 6 "$a/alert_transactions.csv" "$x/aml-${since}_truth.csv"
            "$ft" load -q "$x/aml-$since.csv" -o "$x/aml-$since.ftg" >/dev/null
        fi
        scan --since "$since" "$x/aml.ftg" >"$x/aml-$since.whole.jsonl"
        scan "$x/aml-$since.ftg" >"$x/aml-$since.cut.jsonl"
        for k in whole cut; do
            evals "$x/aml-$since.$k.jsonl" "$x/aml-${since}_truth.csv" "$a/alert_transactions.csv" \
                "amlsim10K-$name $k"
        done
    done
else
    echo "extract.sh: no AMLSim set 10K in $amlsim (set AMLSIM=DIR)" >&2
fi

python3 - "$x/rows" <<'PY'
import json, sys
def load(p):
    e = json.load(open(p))
    return e.get("results", e)
print("%-18s %-5s %-15s %9s %5s %6s %6s %5s" % ("data", "scan", "pattern", "instances", "found",
      "recall", "alerts", "false"))
over = []
for line in open(sys.argv[1]):
    name, kind, path = line.split()
    r, p = load(path + ".rec"), load(path + ".prec")
    pp = {x["pattern"]: x for x in p["patterns"]}
    for x in r["patterns"]:
        q = pp.get(x["pattern"], {"alerts": 0, "true_alerts": 0})
        if not x["instances"] and not q["alerts"]:
            continue
        print("%-18s %-5s %-15s %9d %5d %6s %6d %5d" % (name, kind, x["pattern"], x["instances"],
              x["found"], "%.3f" % x["recall"] if x["instances"] else "-", q["alerts"],
              q["alerts"] - q["true_alerts"]))
    o, ro = p["overall"], r["overall"]
    over.append((name, kind, ro["instances"], ro["found"], o["alerts"], o["alerts"] - o["true_alerts"],
                 o["precision"]))
print()
print("%-18s %-5s %9s %5s %6s %6s %9s" % ("data", "scan", "instances", "found", "alerts", "false",
      "precision"))
for n, k, i, f, al, fa, pr in over:
    print("%-18s %-5s %9d %5d %6d %6d %9s" % (n, k, i, f, al, fa, "%.3f" % pr if pr is not None else "-"))
PY
