#!/usr/bin/env bash
# scan_window.sh - issue 17 section 4: a nightly scan of the last 35 days
# over two years in 24 monthly periods (`load --split-by month`), with the
# whole history (the default: every period read) and with --lookback
# (only the periods the window and its lookback overlap mapped):
#
#   bench/scan_window.sh [ROWS] [WORKDIR]      (defaults: 3000000, bench/out)
#
# Time (best wall of BENCH_REPS, least CPU) and peak memory (max RSS from
# GNU time) of each, the ratios against the whole-history scan over the
# periods, the periods each read (from the record of the run), and a check
# that the periods give what one snapshot of the whole data gives with
# the same options. Writes WORKDIR/scan_window.json.
set -euo pipefail

rows=${1:-3000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"

csv=$work/synth2y-$rows.csv
snap=$work/synth2y-$rows.ftg
months=$work/synth2y-$rows-months
if [ ! -s "$csv" ]; then
    echo "generating $rows rows over 730 days..." >&2
    "$ft" synth --rows "$rows" --days 730 --seed 7 -o "$csv" >/dev/null 2>&1
fi
[ -s "$snap" ] || "$ft" load -q "$csv" -o "$snap" >/dev/null
[ -s "$months/manifest.tsv" ] || "$ft" load -q --split-by month -o "$months" "$csv" >/dev/null
nmonths=$(($(grep -c . "$months/manifest.tsv") - 1))

# scan exits 1 when it flags nothing: not a failure here.
cat >"$work/scan1.sh" <<'EOS'
#!/bin/sh
"$@"
rc=$?
[ "$rc" -le 1 ]
EOS
chmod +x "$work/scan1.sh"

base=(scan -q --format jsonl --last 35d)
declare -A P
echo "scan --last 35d over $nmonths months..." >&2
for lb in whole 0 90d 365d; do
    args=("${base[@]}")
    [ "$lb" = whole ] || args+=(--lookback "$lb")
    run "--last 35d, lookback $lb, $nmonths months" "$work/scan1.sh" "$ft" "${args[@]}" "$months"
    P[${lb}_s]=$secs P[${lb}_cpu]=$cpu P[${lb}_kib]=$kib
    "$work/scan1.sh" "$ft" "${args[@]}" "$months" >"$work/w-per.out" 2>/dev/null
    P[${lb}_read]=$(head -n 1 "$work/w-per.out" | sed -n 's/.*"periods":{"read":\([0-9]*\).*/\1/p')
    P[${lb}_alerts]=$(($(grep -c . "$work/w-per.out") - 1))
    "$work/scan1.sh" "$ft" "${args[@]}" --no-provenance "$months" >"$work/w-per.res" 2>/dev/null
    "$work/scan1.sh" "$ft" "${args[@]}" --no-provenance "$snap" >"$work/w-one.res" 2>/dev/null
    P[${lb}_same]=no
    cmp -s "$work/w-per.res" "$work/w-one.res" && P[${lb}_same]=yes
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
{
    printf '{"rows": %s, "periods": %s, "window": "35d"' "$rows" "$nmonths"
    for lb in whole 0 90d 365d; do
        printf ',\n "lookback_%s": {"wall_s": %s, "cpu_s": %s, "peak_kib": %s, "periods_read": %s, "alerts": %s, "same_as_one_snapshot": "%s", "cpu_ratio": %s, "peak_ratio": %s}' \
            "$lb" "${P[${lb}_s]}" "${P[${lb}_cpu]}" "${P[${lb}_kib]}" "${P[${lb}_read]:-0}" "${P[${lb}_alerts]}" \
            "${P[${lb}_same]}" "$(ratio "${P[${lb}_cpu]}" "${P[whole_cpu]}")" "$(ratio "${P[${lb}_kib]}" "${P[whole_kib]}")"
    done
    printf '}\n'
} >"$work/scan_window.json"
cat "$work/scan_window.json"
