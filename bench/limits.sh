#!/usr/bin/env bash
# limits.sh - a 10-million-row load and the default scan under `ulimit -v`
# set to the memory the README documents for them (MB, default 2048), and
# the same under half of it, which must fail with a clear out-of-memory
# message rather than a crash.
#
#   bench/limits.sh [ROWS] [LIMIT_MB] [WORKDIR]     (10000000, 2048, bench/out)
set -euo pipefail
rows=${1:-10000000}
limit=${2:-2048}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${3:-$here/out}"
csv=$work/limits-$rows.csv
[ -s "$csv" ] || "$ft" synth -q --rows "$rows" --seed 31 -o "$csv"
under() { # LIMIT_MB CMD...
    local mb=$1
    shift
    (ulimit -v $((mb * 1024)); /usr/bin/time -f %M -o "$work/rss.out" "$@" >/dev/null 2>"$work/err.out")
}
printf '%-40s %8s %10s  %s\n' step limit peak result
for step in load scan; do
    if [ $step = load ]; then cmd=("$ft" load -q "$csv" -o "$work/limits.ftg"); else
        cmd=("$ft" scan -q --threads 2 --format jsonl "$work/limits.ftg"); fi
    rc=0
    under "$limit" "${cmd[@]}" || rc=$?
    if [ $rc -le $([ $step = scan ] && echo 1 || echo 0) ]; then result=passed; else result="FAILED ($rc): $(head -c 200 "$work/err.out")"; fi
    printf '%-40s %6s MB %7.0f MB  %s\n' "$step $rows rows" "$limit" "$(tail -1 "$work/rss.out" | awk '{print $1/1024}')" "$result"
    rc=0
    under $((limit / 4)) "${cmd[@]}" || rc=$?
    msg=$(head -c 160 "$work/err.out" | tr '\n' ' ')
    printf '%-40s %6s MB %10s  exit %d: %s\n' "$step $rows rows" $((limit / 4)) - "$rc" "$msg"
done
