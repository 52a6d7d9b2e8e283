#!/usr/bin/env bash
# load.sh - the load benchmark: fundtrace load against a bare libcsv parse
# of the same file, measured in the same run on the same machine.
#
#   bench/load.sh [ROWS] [WORKDIR]       (defaults: 10000000, bench/out)
#   BENCH_CSV=FILE bench/load.sh         (measure an existing CSV instead)
#
# Prints, and writes to WORKDIR/load.json:
#   - load throughput (rows/s, MB/s) and its share of the bare libcsv parse
#     (target: at least 40 %)
#   - peak resident bytes per transaction, for a load and for a load that
#     also builds the igraph graph (target: at most 120)
#   - snapshot size and write time
#   - snapshot reload time against CSV load time (target: at least 10x)
# Times (wall clock, $EPOCHREALTIME) are the best of three runs; machines are shared, so compare the
# ratios, which are measured side by side, more than the absolute times.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
cc -O2 -o "$work/gen_generic" "$here/gen_generic.c" -lm
cc -O2 -o "$work/csvcount" "$here/csvcount.c" -lcsv

csv=${BENCH_CSV:-$work/generic-$rows.csv}
snap=$work/$(basename "$csv" .csv).ftg
if [ -n "${BENCH_CSV:-}" ]; then
    rows=$("$ft" load -q --format jsonl "$csv" | sed 's/^{"rows_read":\([0-9]*\).*/\1/')
elif [ ! -s "$csv" ]; then
    echo "generating $rows rows..." >&2
    "$work/gen_generic" "$rows" >"$csv.tmp"
    mv "$csv.tmp" "$csv"
fi
bytes=$(stat -c %s "$csv")

cat "$csv" >/dev/null # warm the page cache
echo "measuring (best of 3)..." >&2
run "libcsv parse" "$work/csvcount" "$csv"
base_s=$secs
run "fundtrace load" "$ft" load -q "$csv"
load_s=$secs load_kib=$kib
run "fundtrace load -o" "$ft" load -q "$csv" -o "$snap"
loadw_s=$secs
run "fundtrace load SNAPSHOT" "$ft" load -q "$snap"
reload_s=$secs
run "fundtrace stats --igraph" "$ft" stats -q --igraph "$csv"
igraph_kib=$kib
snap_bytes=$(stat -c %s "$snap")

awk -v rows="$rows" -v bytes="$bytes" -v base="$base_s" -v load="$load_s" \
    -v loadw="$loadw_s" -v reload="$reload_s" -v lk="$load_kib" -v gk="$igraph_kib" \
    -v snapb="$snap_bytes" -v json="$work/load.json" 'BEGIN {
    mb = bytes / 1e6
    share = 100 * base / load
    bpt = lk * 1024 / rows
    gbpt = gk * 1024 / rows
    wr = loadw - load; if (wr < 0) wr = 0
    speed = load / (reload > 0 ? reload : 0.001)
    printf "\nfundtrace load benchmark: %d rows, %.1f MB generic CSV\n\n", rows, mb
    printf "  %-44s %10.2f s  %8.0f MB/s  %10.0f rows/s\n", "bare libcsv parse (baseline)", base, mb / base, rows / base
    printf "  %-44s %10.2f s  %8.0f MB/s  %10.0f rows/s\n", "fundtrace load", load, mb / load, rows / load
    printf "  %-44s %9.0f %%   target >= 40 %%   %s\n", "load throughput / baseline", share, (share >= 40 ? "PASS" : "MISS")
    printf "  %-44s %9.1f B   target <= 120 B  %s\n", "peak resident bytes per transaction (load)", bpt, (bpt <= 120 ? "PASS" : "MISS")
    printf "  %-44s %9.1f B   target <= 120 B  %s\n", "... with the igraph graph built", gbpt, (gbpt <= 120 ? "PASS" : "MISS")
    printf "  %-44s %10.1f MB\n", "snapshot size", snapb / 1e6
    printf "  %-44s %10.2f s\n", "snapshot write (load -o minus load)", wr
    printf "  %-44s %10.3f s\n", "snapshot reload (load SNAPSHOT)", reload
    printf "  %-44s %9.1fx   target >= 10x    %s\n", "CSV load / snapshot reload", speed, (speed >= 10 ? "PASS" : "MISS")
    printf "{\"rows\":%d,\"csv_bytes\":%d,\"baseline_s\":%s,\"load_s\":%s,\"load_share_pct\":%.1f,\"load_peak_kib\":%d,\"bytes_per_txn\":%.1f,\"igraph_peak_kib\":%d,\"igraph_bytes_per_txn\":%.1f,\"snapshot_bytes\":%d,\"snapshot_write_s\":%.2f,\"reload_s\":%s,\"reload_speedup\":%.1f}\n", rows, bytes, base, load, share, lk, bpt, gk, gbpt, snapb, wr, reload, speed > json
}'
echo
echo "figures written to $work/load.json"
