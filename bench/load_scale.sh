#!/usr/bin/env bash
# load_scale.sh - issue 17's load figures on their own: `fundtrace load` of
# a synth CSV with --threads 1 and --threads 2, against a bare
# single-threaded libcsv parse of the same file and, with BASE_FT, against
# another build's load (the baseline), all measured in the same run.
#
#   bench/load_scale.sh [ROWS] [WORKDIR]      (defaults: 10000000, bench/out)
#   BASE_FT=/path/to/old/fundtrace bench/load_scale.sh
#
# Prints, and writes to WORKDIR/load_scale.json: for each, the best wall
# time and the least CPU time (user + system) of three runs, rows/s, and
# the ratios: baseline / this build (speed-up) and load / libcsv. With
# BASE_FT it also checks that both builds write the same snapshot, byte
# for byte. The target (issue 17): 10 M rows (about 830 MB) in under 3 s
# on 2 cores. Machines are shared: CPU times are steadier than wall times,
# and a wall time cannot beat the cores the machine actually gave.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
export SOURCE_DATE_EPOCH=1700000000
cc -O2 -o "$work/csvcount" "$here/csvcount.c" -lcsv

csv=$work/synth-$rows.csv
if [ ! -s "$csv" ]; then
    echo "generating $rows rows..." >&2
    "$ft" synth --rows "$rows" --seed 7 -o "$csv" >/dev/null 2>&1
fi
bytes=$(stat -L -c %s "$csv")
cat "$csv" >/dev/null # warm the page cache

echo "load (best of 3)..." >&2
run "libcsv parse" "$work/csvcount" "$csv"
lib_s=$secs lib_c=$cpu
b1_s=0 b1_c=0 b2_s=0 b2_c=0 same=n/a
if [ -n "${BASE_FT:-}" ]; then
    run "baseline load --threads 1" "$BASE_FT" load -q --threads 1 "$csv"
    b1_s=$secs b1_c=$cpu
    run "baseline load --threads 2" "$BASE_FT" load -q --threads 2 "$csv"
    b2_s=$secs b2_c=$cpu
fi
run "load --threads 1" "$ft" load -q --threads 1 "$csv"
t1_s=$secs t1_c=$cpu t1_k=$kib
run "load --threads 2" "$ft" load -q --threads 2 "$csv"
t2_s=$secs t2_c=$cpu t2_k=$kib
if [ -n "${BASE_FT:-}" ]; then
    "$BASE_FT" load -q "$csv" -o "$work/load_scale.ftg" >/dev/null
    mv "$work/load_scale.ftg" "$work/load_scale-base.ftg"
    "$ft" load -q "$csv" -o "$work/load_scale.ftg" >/dev/null
    same=no
    cmp -s "$work/load_scale.ftg" "$work/load_scale-base.ftg" && same=yes
    rm -f "$work/load_scale.ftg" "$work/load_scale-base.ftg"
fi

awk -v rows="$rows" -v bytes="$bytes" -v ls="$lib_s" -v lc="$lib_c" -v b1s="$b1_s" \
    -v b1c="$b1_c" -v b2s="$b2_s" -v b2c="$b2_c" -v t1s="$t1_s" -v t1c="$t1_c" \
    -v t2s="$t2_s" -v t2c="$t2_c" -v k1="$t1_k" -v k2="$t2_k" -v same="$same" \
    -v json="$work/load_scale.json" 'BEGIN {
    printf "\nfundtrace load: %d rows, %.0f MB synth CSV\n\n", rows, bytes / 1e6
    printf "  %-28s %8s %10s %8s %12s %12s\n", "", "wall s", "rows/s", "CPU s", "x libcsv CPU", "base/this CPU"
    printf "  %-28s %8.2f %10.0f %8.2f %12s %12s\n", "bare libcsv parse", ls, rows / ls, lc, "1.00", "-"
    if (b1s > 0) {
        printf "  %-28s %8.2f %10.0f %8.2f %12.2f %12s\n", "baseline --threads 1", b1s, rows / b1s, b1c, b1c / lc, "-"
        printf "  %-28s %8.2f %10.0f %8.2f %12.2f %12s\n", "baseline --threads 2", b2s, rows / b2s, b2c, b2c / lc, "-"
    }
    printf "  %-28s %8.2f %10.0f %8.2f %12.2f %12s\n", "load --threads 1", t1s, rows / t1s, t1c, t1c / lc, (b1s > 0 ? sprintf("%.2f", b1c / t1c) : "-")
    printf "  %-28s %8.2f %10.0f %8.2f %12.2f %12s\n", "load --threads 2", t2s, rows / t2s, t2c, t2c / lc, (b2s > 0 ? sprintf("%.2f", b2c / t2c) : "-")
    if (b1s > 0)
        printf "\n  wall, baseline / this: --threads 1 %.2fx, --threads 2 %.2fx; snapshots identical: %s\n", b1s / t1s, b2s / t2s, same
    printf "  peak memory: %d MB (--threads 1), %d MB (--threads 2)\n", k1 / 1024, k2 / 1024
    printf "  target: 10 M rows in under 3 s wall on 2 cores: --threads 2 took %.2f s (%s at %d rows)\n", t2s, (t2s * 10000000 / rows < 3 ? "on pace" : "not yet"), rows
    printf "{\"rows\":%d,\"csv_bytes\":%d,\"libcsv_s\":%s,\"libcsv_cpu_s\":%s,\"base_t1_s\":%s,\"base_t1_cpu_s\":%s,\"base_t2_s\":%s,\"base_t2_cpu_s\":%s,\"t1_s\":%s,\"t1_cpu_s\":%s,\"t2_s\":%s,\"t2_cpu_s\":%s,\"t1_kib\":%d,\"t2_kib\":%d,\"snapshots_same\":\"%s\"}\n", rows, bytes, ls, lc, b1s, b1c, b2s, b2c, t1s, t1c, t2s, t2c, k1, k2, same > json
}'
