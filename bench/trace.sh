#!/usr/bin/env bash
# trace.sh - the trace benchmark: 1,000 seeds, 4 hops, haircut, on a
# 10-million-row snapshot of synth data; median and p99 time per seed and
# peak RSS, against a plain Python implementation of the same trace
# (bench/trace_ref.py) on the first 100 of the same seeds, in the same run.
# The two implementations' results for those seeds are compared exactly.
#
#   bench/trace.sh [ROWS] [WORKDIR] [PY_SEEDS]   (10000000, bench/out, 100)
set -euo pipefail

rows=${1:-10000000}
pyseeds=${3:-100}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
command -v python3 >/dev/null || { echo "trace.sh: needs python3" >&2; exit 2; }

csv=$work/trace-$rows.csv
snap=$work/trace-$rows.ftg
if [ ! -s "$snap" ]; then
    echo "making $rows rows of synth data and a snapshot..." >&2
    "$ft" synth -q --rows "$rows" --seed 11 -o "$csv"
    "$ft" load -q "$csv" -o "$snap" >/dev/null
fi
cc -O2 -I"$top/include" -o "$work/trace_bench" "$here/trace_bench.c" "$top/build/libfundtrace.a" \
    -lcsv -lz -lcrypto -ligraph -lpthread -lm

echo "tracing 1000 seeds in C..." >&2
/usr/bin/time -f '%M' -o "$work/time.out" "$work/trace_bench" "$snap" 1000 4 haircut \
    "$work/seeds.txt" "$work/c.txt" "$pyseeds" >"$work/c.stats"
c_kib=$(cat "$work/time.out")
echo "tracing the first $pyseeds seeds in Python..." >&2
python3 "$here/trace_ref.py" "$csv" "$work/seeds.txt" 4 "$pyseeds" "$work/py.txt" >"$work/py.stats"

# The same answers? Compare the first seeds' lines, each normalised.
head -n "$pyseeds" "$work/seeds.txt" >"$work/first.txt"
norm() { awk 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' "$work/first.txt" "$1" |
    awk '{ line = $1 " " $2 " " $3; n = split("", a); for (i = 4; i <= NF; i++) a[++n] = $i;
           for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
           for (i = 1; i <= n; i++) line = line " " a[i]; print line }' | LC_ALL=C sort; }
if cmp -s <(norm "$work/c.txt") <(norm "$work/py.txt"); then same=yes; else same=NO; fi

get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
awk -v cmed="$(get "$work/c.stats" median_ms)" -v cp99="$(get "$work/c.stats" p99_ms)" \
    -v cmean="$(get "$work/c.stats" mean_ms)" -v cfirst="$(get "$work/c.stats" first_median_ms)" \
    -v reach="$(get "$work/c.stats" reached_mean)" -v cload="$(get "$work/c.stats" load_s)" \
    -v pmed="$(get "$work/py.stats" median_ms)" -v pload="$(get "$work/py.stats" load_s)" \
    -v kib="$c_kib" -v rows="$rows" -v pys="$pyseeds" -v same="$same" \
    -v json="$work/trace.json" 'BEGIN {
    ratio = pmed / (cfirst > 0 ? cfirst : 0.001)
    printf "\nfundtrace trace benchmark: %d rows (synth), 1000 seeds, 4 hops, haircut\n\n", rows
    printf "  %-44s %9.3f ms   target < 10 ms   %s\n", "median per seed", cmed, (cmed < 10 ? "PASS" : "MISS")
    printf "  %-44s %9.3f ms\n", "p99 per seed", cp99
    printf "  %-44s %9.3f ms\n", "mean per seed", cmean
    printf "  %-44s %9.1f\n", "accounts reached per seed (mean)", reach
    printf "  %-44s %9.3f s\n", "snapshot read, adjacency, trace index", cload
    printf "  %-44s %9.1f MB\n", "peak RSS", kib / 1024
    printf "  %-44s %9.3f ms   (first %d seeds)\n", "C median, the seeds Python traced", cfirst, pys
    printf "  %-44s %9.3f ms   (load %.0f s, not timed)\n", "Python median, the same seeds", pmed, pload
    printf "  %-44s %9.0fx   target >= 50x    %s\n", "speedup over Python", ratio, (ratio >= 50 ? "PASS" : "MISS")
    printf "  %-44s %9s\n", "same accounts, hops and held amounts", same
    printf "{\"rows\":%d,\"median_ms\":%s,\"p99_ms\":%s,\"peak_kib\":%d,\"python_median_ms\":%s,\"speedup\":%.1f,\"same\":\"%s\"}\n", rows, cmed, cp99, kib, pmed, ratio, same > json
}'
echo
echo "figures written to $work/trace.json"
