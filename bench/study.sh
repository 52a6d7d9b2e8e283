#!/usr/bin/env bash
# study.sh - issue 19's benchmark: a feasibility study of synth data with
# several jurisdictions against one pooled scan plus one batch trace.
#
#   bench/study.sh [ROWS] [WORKDIR]     (defaults: 10000000, bench/out)
#
# Environment: COUNTRIES (5), SHARE (cross-border share, 0.2), SEEDS (20
# accounts traced), BENCH_REPS (3; each figure is the best of them).
#
# - synth --countries COUNTRIES --cross-border SHARE, loaded as a snapshot;
# - the baseline: `scan` of the snapshot, and `trace --seeds` of SEEDS
#   accounts (haircut, 6 hops);
# - `study --truth --seeds` the same seeds, the N countries as the
#   jurisdictions and the banks abroad outside every one (pooled, siloed and federated
#   scans and traces; with --html when the build has it, the report's size);
# - the ratio of the study's time to the baseline's (target: at most 5x),
#   wall and CPU, and the study's figures: found per arrangement, false
#   alerts, records crossing, records and bytes exchanged.
# Writes WORKDIR/study.json.
set -euo pipefail

rows=${1:-10000000}
countries=${COUNTRIES:-5}
share=${SHARE:-0.2}
nseeds=${SEEDS:-20}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"

base=$work/study-$rows-$countries-$share
csv=$base.csv
snap=$base.ftg
if [ ! -s "$csv" ]; then
    echo "generating $rows rows in $countries countries..." >&2
    "$ft" synth -q --rows "$rows" --seed 7 --countries "$countries" --cross-border "$share" \
        -o "$csv" >/dev/null
fi
[ -s "$snap" ] || "$ft" load -q "$csv" -o "$snap" >/dev/null
# the N countries (synth's order, fundtrace-synth(1)) are the jurisdictions;
# the banks abroad are outside all
for c in DE FR NL IT ES BE AT IE PT FI LU GB CH US JP; do echo "$c*,$c"; done | head -n "$countries" \
    >"$work/study-jur.csv"
echo '*,-' >>"$work/study-jur.csv"
awk -F, -v n="$nseeds" 'NR > 1 && NR % 997 == 0 { k = $3 ":" $4; if (!seen[k]++) { print k; if (++m == n) exit } }' \
    "$csv" >"$work/study-seeds.txt"

run "pooled scan" "$ft" scan -q --no-provenance "$snap"
scan_s=$secs scan_cpu=$cpu scan_kib=$kib
run "batch trace ($nseeds seeds)" "$ft" trace -q --no-provenance --seeds "$work/study-seeds.txt" \
    --format jsonl "$snap"
trace_s=$secs trace_cpu=$cpu
study=(study -q --no-provenance --truth "${csv%.csv}_truth.csv" --jurisdiction-map "$work/study-jur.csv"
    --seeds "$work/study-seeds.txt" --format json)
html=
if "$ft" study --help 2>&1 | grep -q -- '--html'; then
    html=$work/study.html
    study+=(--html "$html")
fi
run "study ($countries jurisdictions)" "$ft" "${study[@]}" "$snap"
study_s=$secs study_cpu=$cpu study_kib=$kib
"$ft" "${study[@]}" "$snap" >"$work/study-result.json"
html_bytes=0
[ -n "$html" ] && html_bytes=$(wc -c <"$html")

python3 - "$work/study-result.json" "$work/study.json" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
r = j.get("results", j)
base_s, base_cpu = $scan_s + $trace_s, $scan_cpu + $trace_cpu
out = {"rows": $rows, "countries": $countries, "cross_border": $share, "seeds": $nseeds,
       "scan_s": $scan_s, "scan_cpu": $scan_cpu, "scan_kib": $scan_kib,
       "trace_s": $trace_s, "trace_cpu": $trace_cpu,
       "study_s": $study_s, "study_cpu": $study_cpu, "study_kib": $study_kib,
       "ratio_wall": round($study_s / base_s, 2), "ratio_cpu": round($study_cpu / base_cpu, 2),
       "html_bytes": $html_bytes, "arrangements": r["arrangements"], "overall": r["overall"]}
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("study / (scan + trace): wall %.2fx, CPU %.2fx (target: at most 5x)"
      % (out["ratio_wall"], out["ratio_cpu"]))
print("%-10s %7s %7s %12s %12s %12s %14s %7s" % ("", "found", "false", "rec_crossing", "share_abroad",
      "rec_exchanged", "bytes_exchanged", "cpu_s"))
o = r["overall"]
for k, a in r["arrangements"].items():
    print("%-10s %7d %7d %12d %12.4f %12d %14d %7.2f" % (k, o[k]["found"], o[k]["false_alerts"],
          a["records_crossing"], a["share_seen_abroad"], a["records_exchanged"],
          a["bytes_exchanged"], a["cpu_seconds"]))
print("instances %d; report %d bytes" % (o["instances"], $html_bytes))
PY
