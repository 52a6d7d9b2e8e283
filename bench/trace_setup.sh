#!/usr/bin/env bash
# trace_setup.sh - what a trace pays before its first seed on a big
# snapshot: mapping it, the adjacency (every account's transfers in time
# and tie order, both ends) and the trace index (every list with balances).
# A command-line trace of one seed at one hop is almost all of that; so is
# each round of a federated trace. Measures `trace --from SEED --hops 1`
# both ways on a synth snapshot, against another build (the baseline) in
# the same run when BASE_FT is set, and checks both print the same.
#
#   bench/trace_setup.sh [ROWS] [WORKDIR]          (10000000, bench/out)
#   BASE_FT=/path/to/old/fundtrace bench/trace_setup.sh
#
# Prints the best wall time and the least CPU time of three runs (CPU is
# steadier on a shared machine; the wall time gains only where a second
# core is free) and the ratios baseline / this build.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
export SOURCE_DATE_EPOCH=1700000000

csv=$work/synth-$rows.csv
snap=$work/trace-setup-$rows.ftg
if [ ! -s "$csv" ]; then
    echo "generating $rows rows..." >&2
    "$ft" synth -q --rows "$rows" --seed 7 -o "$csv" >/dev/null
fi
if [ ! -s "$snap" ]; then
    "$ft" load -q "$csv" -o "$snap" >/dev/null
fi
# A seed: the payer of the data's first transfer between two accounts.
seed=$(awk -F, 'NR > 1 && $4 != "CASH" { print $3 ":" $4; exit }' "$csv")
cat "$snap" >/dev/null # warm the page cache

declare -A wall cpu
for dir in out in; do
    for who in base this; do
        bin=$ft
        if [ "$who" = base ]; then
            [ -n "${BASE_FT:-}" ] || continue
            bin=$BASE_FT
        fi
        run "$who trace --direction $dir" "$bin" trace --no-provenance "$snap" --from "$seed" \
            --hops 1 --direction "$dir"
        wall[$who-$dir]=$secs cpu[$who-$dir]=$cpu
        "$bin" trace --no-provenance "$snap" --from "$seed" --hops 1 --direction "$dir" \
            >"$work/setup-$who-$dir.out"
    done
    if [ -n "${BASE_FT:-}" ] && ! cmp -s "$work/setup-base-$dir.out" "$work/setup-this-$dir.out"; then
        echo "trace_setup.sh: the two builds print different traces ($dir)" >&2
        exit 1
    fi
done

printf '\ntrace of one seed at one hop, %d rows (seed %s)\n\n' "$rows" "$seed"
printf '  %-16s %10s %10s %12s %12s\n' "" "wall s" "CPU s" "base wall" "base CPU"
for dir in out in; do
    if [ -n "${BASE_FT:-}" ]; then
        printf '  %-16s %10s %10s %12s %12s   (base / this: wall %s, CPU %s)\n' "--direction $dir" \
            "${wall[this-$dir]}" "${cpu[this-$dir]}" "${wall[base-$dir]}" "${cpu[base-$dir]}" \
            "$(awk -v a="${wall[base-$dir]}" -v b="${wall[this-$dir]}" 'BEGIN{printf "%.2fx", a / b}')" \
            "$(awk -v a="${cpu[base-$dir]}" -v b="${cpu[this-$dir]}" 'BEGIN{printf "%.2fx", a / b}')"
    else
        printf '  %-16s %10s %10s\n' "--direction $dir" "${wall[this-$dir]}" "${cpu[this-$dir]}"
    fi
done
