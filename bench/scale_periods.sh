#!/usr/bin/env bash
# scale_periods.sh - issue 17's figures for periods and parties (called at
# the end of bench/scale.sh; runs on its own too):
#
#   bench/scale_periods.sh [ROWS] [WORKDIR]      (defaults: 10000000, bench/out)
#
# - a batch of 20 seeds traced (haircut, and poison, 6 hops, jsonl) over
#   one snapshot of the whole year and streamed through its 12 monthly
#   periods (`load --split-by month`): time and peak memory (max RSS from
#   GNU time), the outputs compared byte for byte.
# Writes WORKDIR/scale_periods.json.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"

csv=$work/synth-$rows.csv
snap=$work/synth-$rows.ftg
months=$work/synth-$rows-months
if [ ! -s "$csv" ]; then
    echo "generating $rows rows..." >&2
    "$ft" synth --rows "$rows" --seed 7 -o "$csv" >/dev/null 2>&1
fi
[ -s "$snap" ] || "$ft" load -q "$csv" -o "$snap" >/dev/null
[ -s "$months/manifest.tsv" ] || "$ft" load -q --split-by month -o "$months" "$csv" >/dev/null
nmonths=$(($(grep -c . "$months/manifest.tsv") - 1))
awk -F, 'NR > 1 && NR % 997 == 0 { k = $3 ":" $4; if (!seen[k]++) { print k; if (++n == 20) exit } }' \
    "$csv" >"$work/period-seeds.txt"

echo "trace over $nmonths periods against one snapshot..." >&2
declare -A P
for policy in haircut poison; do
    args=(trace -q --no-provenance --seeds "$work/period-seeds.txt" --policy $policy --format jsonl)
    run "20 traces ($policy), one snapshot" "$ft" "${args[@]}" "$snap"
    P[${policy}_snap_s]=$secs P[${policy}_snap_cpu]=$cpu P[${policy}_snap_kib]=$kib
    run "20 traces ($policy), streamed through $nmonths months" "$ft" "${args[@]}" "$months"
    P[${policy}_per_s]=$secs P[${policy}_per_cpu]=$cpu P[${policy}_per_kib]=$kib
    "$ft" "${args[@]}" "$snap" >"$work/p-one.out" || true
    "$ft" "${args[@]}" "$months" >"$work/p-per.out" || true
    P[${policy}_same]=no
    cmp -s "$work/p-one.out" "$work/p-per.out" && P[${policy}_same]=yes
done

printf '\nfundtrace periods benchmark: %d rows, %d monthly periods\n\n' "$rows" "$nmonths"
json="{\"rows\":$rows,\"periods\":$nmonths"
for policy in haircut poison; do
    printf '  %-48s %8.2f s  CPU %6.2f s  peak %6d MB\n' "20 traces ($policy), one snapshot" \
        "${P[${policy}_snap_s]}" "${P[${policy}_snap_cpu]}" $((P[${policy}_snap_kib] / 1024))
    printf '  %-48s %8.2f s  CPU %6.2f s  peak %6d MB  (%s of the memory)\n' \
        "20 traces ($policy), streamed through periods" "${P[${policy}_per_s]}" \
        "${P[${policy}_per_cpu]}" $((P[${policy}_per_kib] / 1024)) \
        "$(awk -v a="${P[${policy}_per_kib]}" -v b="${P[${policy}_snap_kib]}" 'BEGIN{printf "%.2fx", a / b}')"
    printf '  %-48s %8s\n' "streamed = one snapshot, byte for byte" "${P[${policy}_same]}"
    json="$json,\"${policy}_snapshot_s\":${P[${policy}_snap_s]},\"${policy}_snapshot_kib\":${P[${policy}_snap_kib]}"
    json="$json,\"${policy}_periods_s\":${P[${policy}_per_s]},\"${policy}_periods_kib\":${P[${policy}_per_kib]}"
    json="$json,\"${policy}_same\":\"${P[${policy}_same]}\""
done
echo "$json}" >"$work/scale_periods.json"
