#!/usr/bin/env bash
# scan.sh - the scan benchmark. On synth data (10 million rows, 1 % planted,
# by default): the whole default scan's time on 2 threads and peak RSS;
# instance-level F1 per pattern by `fundtrace eval`; false alerts per
# 100,000 background transfers; and the temporal-cycle detector against a
# plain Python implementation of the same definition (bench/cycles_ref.py)
# on a smaller file of the same kind (PY_ROWS, 1 million by default), in
# the same run, with the two sets of cycles compared exactly.
#
#   bench/scan.sh [ROWS] [WORKDIR] [PY_ROWS]     (10000000, bench/out, 1000000)
set -euo pipefail

rows=${1:-10000000}
pyrows=${3:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
command -v python3 >/dev/null || { echo "scan.sh: needs python3" >&2; exit 2; }

csv=$work/scan-$rows.csv
snap=$work/scan-$rows.ftg
if [ ! -s "$snap" ]; then
    echo "making $rows rows of synth data and a snapshot..." >&2
    "$ft" synth -q --rows "$rows" --seed 21 -o "$csv"
    "$ft" load -q "$csv" -o "$snap" >/dev/null
fi
echo "scanning $rows rows (2 threads, best of 3)..." >&2
# scan exits 1 when it flags nothing (as grep): that is no failure here either.
run "fundtrace scan" bash -c '"$0" scan "$@" || [ $? -eq 1 ]' "$ft" -q --threads 2 --format jsonl "$snap"
scan_s=$secs scan_kib=$kib
"$ft" scan -q --threads 2 --format jsonl "$snap" >"$work/alerts.jsonl" || [ $? -eq 1 ]
"$ft" eval --alerts "$work/alerts.jsonl" --truth "${csv%.csv}_truth.csv" >"$work/eval.txt"
"$ft" eval --alerts "$work/alerts.jsonl" --truth "${csv%.csv}_truth.csv" --format json \
    >"$work/eval.json"
truth_rows=$(tail -n +2 "${csv%.csv}_truth.csv" | awk -F, '{ n += split($4, a, ";") } END { print n }')

# The cycle detector against Python, on a smaller file.
pycsv=$work/scan-py-$pyrows.csv
if [ ! -s "$pycsv" ]; then
    "$ft" synth -q --rows "$pyrows" --seed 22 -o "$pycsv"
    "$ft" load -q "$pycsv" -o "${pycsv%.csv}.ftg" >/dev/null
fi
echo "cycles in C and in Python on $pyrows rows..." >&2
run "fundtrace scan --only cycle" bash -c '"$0" scan "$@" || [ $? -eq 1 ]' "$ft" -q --only cycle \
    --format jsonl "${pycsv%.csv}.ftg"
c_cycle_s=$secs
"$ft" scan -q --only cycle --format jsonl "${pycsv%.csv}.ftg" >"$work/cycles.jsonl" || [ $? -eq 1 ]
python3 - "$work/cycles.jsonl" >"$work/c_cycles.txt" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    print(" ".join(sorted(json.loads(line)["txns"])))
PY
python3 "$here/cycles_ref.py" "$pycsv" "$work/py_cycles.txt" >"$work/py.stats"
py_s=$(awk '$1 == "search_s" { print $2 }' "$work/py.stats")
if cmp -s <(sort "$work/c_cycles.txt") <(sort "$work/py_cycles.txt"); then same=yes; else same=NO; fi
ncyc=$(wc -l <"$work/c_cycles.txt")
# The C time includes reading the snapshot; Python's does not include its load.

python3 - "$work/eval.json" "$rows" "$truth_rows" "$scan_s" "$scan_kib" "$c_cycle_s" "$py_s" \
    "$same" "$ncyc" "$pyrows" "$work/scan.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
rows, truth_rows = int(sys.argv[2]), int(sys.argv[3])
scan_s, kib, c_s, py_s = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
same, ncyc, pyrows, out = sys.argv[8], int(sys.argv[9]), int(sys.argv[10]), sys.argv[11]
false_alerts = len(ev["unmatched_alerts"])
background = rows - truth_rows
per100k = false_alerts / background * 1e5
print("\nfundtrace scan benchmark: %d rows (synth, 1 %% planted), default parameters\n" % rows)
print("  %-46s %9.2f s    target < 60 s   %s" % ("whole scan, 2 threads", scan_s, "PASS" if scan_s < 60 else "MISS"))
print("  %-46s %9.1f MB" % ("peak RSS", kib / 1024))
worst = 1.0
for p in ev["patterns"]:
    f1 = p["f1"] if p["f1"] is not None else 0.0
    worst = min(worst, f1)
    print("  %-46s %9.3f      target >= 0.9   %s" % ("F1 " + p["pattern"], f1, "PASS" if f1 >= 0.9 else "MISS"))
print("  %-46s %9d" % ("false alerts", false_alerts))
print("  %-46s %9.2f      target <= 1     %s" % ("false alerts per 100,000 background transfers", per100k, "PASS" if per100k <= 1 else "MISS"))
print("  %-46s %9.2f s    (%d rows, snapshot read included)" % ("cycle detector, C", c_s, pyrows))
print("  %-46s %9.2f s    (load not timed)" % ("cycle detector, Python", py_s))
print("  %-46s %9.0fx" % ("speedup over Python", py_s / c_s))
print("  %-46s %9s     (%d cycles)" % ("same cycles", same, ncyc))
json.dump({"rows": rows, "scan_s": scan_s, "peak_kib": kib, "worst_f1": worst,
           "false_alerts": false_alerts, "false_per_100k": per100k, "cycle_c_s": c_s,
           "cycle_python_s": py_s, "same_cycles": same}, open(out, "w"))
PY
echo
echo "figures written to $work/scan.json"
