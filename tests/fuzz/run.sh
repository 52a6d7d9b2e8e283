#!/usr/bin/env bash
# run.sh - fuzz each harness with libFuzzer (clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) for SECONDS (default 1800) each, two at a
# time, starting from tests/fuzz/corpus; prints executions and coverage per
# harness and copies any crashing input into tests/fuzz/regressions/, which
# ctest replays (fuzz_replay_*).
#
#   tests/fuzz/run.sh [SECONDS] [WORKDIR]      (1800, build-fuzz)
set -euo pipefail
secs=${1:-1800}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${2:-$top/build-fuzz}
command -v clang >/dev/null || { echo "run.sh: needs clang (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S "$top" -B "$work" -DFT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work" -j2 >/dev/null

declare -A maxlen=([csv]=65536 [text]=256 [files]=200000 [mt940]=65536 [camt]=65536)
run_one() {
    local h=$1 corpus=$work/corpus-$1 art=$work/artifacts-$1
    rm -rf "$art" # crashes of this run only; earlier ones are in regressions/
    mkdir -p "$corpus" "$art"
    cp -n "$here/corpus/$h/"* "$corpus/" 2>/dev/null || true
    (cd "$work" && ./fuzz_"$h" -max_total_time="$secs" -max_len="${maxlen[$h]}" -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$art/" -print_final_stats=1 "$corpus" \
        "$here/regressions/$h" >"$work/log-$h.txt" 2>&1) || true
}
run_one csv & run_one text & wait
run_one files & run_one mt940 & wait
run_one camt

echo
printf '%-8s %14s %8s %8s %9s\n' harness executions cov features crashes
for h in csv text files mt940 camt; do
    log=$work/log-$h.txt
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo 0)
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo 0)
    crashes=$(ls "$work/artifacts-$h" 2>/dev/null | wc -l)
    printf '%-8s %14s %8s %8s %9s\n' "$h" "$execs" "$cov" "$ft" "$crashes"
    for f in "$work/artifacts-$h"/*; do
        [ -e "$f" ] || continue
        cp "$f" "$here/regressions/$h/"
        echo "  crash input kept: tests/fuzz/regressions/$h/$(basename "$f")"
    done
done
