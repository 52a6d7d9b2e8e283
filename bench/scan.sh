#!/usr/bin/env bash
# scan.sh - the scan benchmark. On synth data (10 million rows, 1 % planted,
# with its benign look-alikes, by default): the whole default scan's time on
# 2 threads and peak RSS, next to the time to read the same snapshot
# (`stats`, the baseline in the same run); instance-level F1 per pattern by
# `fundtrace eval`; false alerts per 100,000 background transfers.
# bench/detect.sh measures detection on data fundtrace did not generate.
#
#   bench/scan.sh [ROWS] [WORKDIR]     (10000000, bench/out)
#   BASE_FT=OLD/fundtrace bench/scan.sh  also times an older build's scan of
#                                        the same snapshot (if it reads it)
set -euo pipefail

rows=${1:-10000000}
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
scan_s=$secs scan_cpu=$cpu scan_kib=$kib
"$ft" scan -q --threads 2 --format jsonl "$snap" >"$work/alerts.jsonl" || [ $? -eq 1 ]
"$ft" eval --alerts "$work/alerts.jsonl" --truth "${csv%.csv}_truth.csv" >"$work/eval.txt"
"$ft" eval --alerts "$work/alerts.jsonl" --truth "${csv%.csv}_truth.csv" --format json \
    >"$work/eval.json"
truth_rows=$(tail -n +2 "${csv%.csv}_truth.csv" | awk -F, '{ n += split($4, a, ";") } END { print n }')

run "fundtrace stats" "$ft" stats "$snap"
base_s=$secs
# An older build on the same snapshot (one that reads it), for the cost of
# a change: BASE_FT=/path/to/old/fundtrace bench/scan.sh
old_s=0 old_cpu=0
if [ -n "${BASE_FT:-}" ]; then
    run "older fundtrace scan" bash -c '"$0" scan "$@" || [ $? -eq 1 ]' "$BASE_FT" -q --threads 2 \
        "$snap"
    old_s=$secs old_cpu=$cpu
fi
python3 - "$work/eval.json" "$rows" "$truth_rows" "$scan_s" "$scan_kib" "$base_s" \
    "$work/scan.json" "$scan_cpu" "$old_s" "$old_cpu" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
ev = ev.get("results", ev)  # the record of the run wraps the results
rows, truth_rows = int(sys.argv[2]), int(sys.argv[3])
scan_s, kib, base_s, out = float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
scan_cpu, old_s, old_cpu = float(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10])
false_alerts = len(ev["unmatched_alerts"])
background = rows - truth_rows
per100k = false_alerts / background * 1e5
print("\nfundtrace scan benchmark: %d rows (synth, 1 %% planted), default parameters\n" % rows)
print("  %-46s %9.2f s    target < 60 s   %s" % ("whole scan, 2 threads", scan_s, "PASS" if scan_s < 60 else "MISS"))
print("  %-46s %9.2f s" % ("CPU time of the scan (user + system)", scan_cpu))
print("  %-46s %9.2f s    (%.1fx the time to read the snapshot)" % ("reading the snapshot (stats)", base_s, scan_s / base_s))
if old_s > 0:
    print("  %-46s %9.2f s    CPU %.2f s: this build takes %.2fx its CPU" % ("older build's scan (BASE_FT)", old_s, old_cpu, scan_cpu / old_cpu if old_cpu > 0 else 0))
print("  %-46s %9.1f MB" % ("peak RSS", kib / 1024))
worst = 1.0
for p in ev["patterns"]:
    f1 = p["f1"] if p["f1"] is not None else 0.0
    worst = min(worst, f1)
    print("  %-46s %9.3f      target >= 0.9   %s" % ("F1 " + p["pattern"], f1, "PASS" if f1 >= 0.9 else "MISS"))
print("  %-46s %9d" % ("false alerts", false_alerts))
print("  %-46s %9.2f      target <= 1     %s" % ("false alerts per 100,000 background transfers", per100k, "PASS" if per100k <= 1 else "MISS"))
json.dump({"rows": rows, "scan_s": scan_s, "scan_cpu_s": scan_cpu, "old_scan_s": old_s,
           "old_scan_cpu_s": old_cpu, "stats_s": base_s, "peak_kib": kib,
           "worst_f1": worst, "false_alerts": false_alerts, "false_per_100k": per100k},
          open(out, "w"))
PY
echo
echo "figures written to $work/scan.json"
