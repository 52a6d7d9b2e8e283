#!/usr/bin/env bash
# synth.sh - the synth benchmark: rows/s and peak memory of `fundtrace synth`
# at 10 million rows, against bench/gen_generic (a bare generator of random
# rows in the same layout, measured in the same run), and the peak memory at
# a tenth of the rows, to show that memory does not grow with the rows; and
# synth with countries (--countries 5 --cross-border 0.2) against the plain
# synth, same seed and rows (CPU time, steadier on a shared machine).
#
#   bench/synth.sh [ROWS] [WORKDIR]       (defaults: 10000000, bench/out)
#
# Prints, and writes to WORKDIR/synth.json. Times are the best of three.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
cc -O2 -o "$work/gen_generic" "$here/gen_generic.c" -lm

small=$((rows / 10))
echo "measuring (best of 3)..." >&2
run "gen_generic (baseline)" "$work/gen_generic" "$rows"
base_s=$secs
run "fundtrace synth" "$ft" synth -q --rows "$rows" -o "$work/synth.csv"
synth_s=$secs synth_kib=$kib synth_cpu=$cpu
run "fundtrace synth --countries 5" "$ft" synth -q --rows "$rows" --countries 5 --cross-border 0.2 \
    -o "$work/synth-eu5.csv"
eu_s=$secs eu_cpu=$cpu
run "fundtrace synth --gzip" "$ft" synth -q --gzip --rows "$rows" -o "$work/synth.csv.gz"
gz_s=$secs
run "fundtrace synth (a tenth)" "$ft" synth -q --rows "$small" -o "$work/synth-small.csv"
small_kib=$kib
bytes=$(stat -c %s "$work/synth.csv")
gzbytes=$(stat -c %s "$work/synth.csv.gz")

awk -v rows="$rows" -v small="$small" -v base="$base_s" -v s="$synth_s" -v gz="$gz_s" \
    -v sk="$synth_kib" -v smk="$small_kib" -v bytes="$bytes" -v gzb="$gzbytes" \
    -v eu="$eu_s" -v cpu="$synth_cpu" -v eucpu="$eu_cpu" \
    -v json="$work/synth.json" 'BEGIN {
    printf "\nfundtrace synth benchmark: %d rows (%.0f MB, %.0f MB gzip)\n\n", rows, bytes / 1e6, gzb / 1e6
    printf "  %-40s %8.2f s  %10.0f rows/s\n", "bare random-row generator (baseline)", base, rows / base
    printf "  %-40s %8.2f s  %10.0f rows/s   target >= 1000000  %s\n", "fundtrace synth", s, rows / s, (rows / s >= 1e6 ? "PASS" : "MISS")
    printf "  %-40s %8.2f x\n", "synth time / baseline time", s / base
    printf "  %-40s %8.2f s  %10.0f rows/s\n", "fundtrace synth --gzip", gz, rows / gz
    printf "  %-40s %8.2f s  %10.0f rows/s\n", "synth --countries 5 --cross-border 0.2", eu, rows / eu
    printf "  %-40s %8.2f x   (CPU %.2f s against %.2f s)\n", "countries / plain synth, CPU", eucpu / cpu, eucpu, cpu
    printf "  %-40s %8.1f MB\n", "peak RSS", sk / 1024
    printf "  %-40s %8.1f MB   (%d rows)\n", "peak RSS at a tenth of the rows", smk / 1024, small
    printf "{\"rows\":%d,\"baseline_s\":%s,\"synth_s\":%s,\"rows_per_s\":%.0f,\"gzip_s\":%s,\"countries_s\":%s,\"countries_cpu_ratio\":%.3f,\"peak_kib\":%d,\"peak_kib_tenth\":%d}\n", rows, base, s, rows / s, gz, eu, eucpu / cpu, sk, smk > json
}'
echo
echo "figures written to $work/synth.json"
