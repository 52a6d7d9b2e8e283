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
# - the same 20 seeds (haircut, 6 hops) traced by 3 parties that cannot
#   pool their data (the banks dealt to three; each party has the rows
#   that touch its banks, as its own snapshot): all rounds of --handoff-out
#   / --handoff-in until no handoff changes, against the trace over the
#   pooled snapshot; the union of the parties' lines compared with it, and
#   the rounds with their bound, --hops + 1 (the default 6 hops: 7).
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

echo "3 parties against the pooled data..." >&2
awk -F, 'NR > 1 { b[$3]; b[$5] } END { for (k in b) print k }' "$csv" | sort >"$work/banks"
for p in 1 2 3; do
    awk -v p=$p 'NR % 3 == p % 3' "$work/banks" >"$work/party$p.banks"
    if [ ! -s "$work/party$p-$rows.ftg" ]; then
        awk -F, -v L="$(paste -sd, "$work/party$p.banks")" \
            'BEGIN { n = split(L, a, ","); for (i = 1; i <= n; i++) h[a[i]] = 1 } NR == 1 || h[$3] || h[$5]' \
            "$csv" >"$work/party$p.csv"
        "$ft" load -q "$work/party$p.csv" -o "$work/party$p-$rows.ftg" >/dev/null
        rm -f "$work/party$p.csv"
    fi
    awk -F: -v L="$(paste -sd, "$work/party$p.banks")" \
        'BEGIN { n = split(L, a, ","); for (i = 1; i <= n; i++) h[a[i]] = 1 } h[$1]' \
        "$work/period-seeds.txt" >"$work/party$p.seeds"
done
cat >"$work/federate.sh" <<EOS
#!/bin/sh
# All rounds of the 3 parties, until no party's handoffs change.
cd "$work"
rm -rf party*.ho party*.new
rounds=0
while :; do
    rounds=\$((rounds + 1))
    for p in 1 2 3; do
        ins=""
        for q in 1 2 3; do [ \$q != \$p ] && [ -d party\$q.ho ] && ins="\$ins --handoff-in party\$q.ho"; done
        seeds=""
        [ -s party\$p.seeds ] && seeds="--seeds party\$p.seeds"
        if [ -z "\$seeds" ] && [ -z "\$ins" ]; then mkdir party\$p.new; : >party\$p.out; continue; fi
        "$ft" trace -q --no-provenance --local-banks "\$(paste -sd, party\$p.banks)" \$seeds \$ins \
            --handoff-out party\$p.new --format jsonl party\$p-$rows.ftg >party\$p.out
        [ \$? -le 1 ] || exit 2
    done
    same=1
    for p in 1 2 3; do
        # (cmp, not the shell: comparing 13 MB strings in sh cost more than a round)
        cat party\$p.new/*.jsonl 2>/dev/null >party\$p.cat.new
        cat party\$p.ho/*.jsonl 2>/dev/null >party\$p.cat.ho
        cmp -s party\$p.cat.new party\$p.cat.ho || same=0
        rm -rf party\$p.ho
        mv party\$p.new party\$p.ho
    done
    [ \$same = 1 ] && break
done
echo \$rounds >rounds
EOS
chmod +x "$work/federate.sh"
pooled=(trace -q --no-provenance --seeds "$work/period-seeds.txt" --format jsonl "$snap")
run "20 traces, pooled snapshot" sh -c "\"\$0\" \"\$@\" || [ \$? = 1 ]" "$ft" "${pooled[@]}"
P[fed_pooled_s]=$secs P[fed_pooled_cpu]=$cpu
run "20 traces, 3 parties, all rounds" "$work/federate.sh"
P[fed_s]=$secs P[fed_cpu]=$cpu
P[fed_rounds]=$(cat "$work/rounds")
P[fed_handoffs]=$(cat "$work"/party*.ho/*.jsonl | wc -l)
"$ft" "${pooled[@]}" | sort >"$work/f-pooled.out" || true
sort "$work"/party[123].out >"$work/f-union.out"
P[fed_same]=no
cmp -s "$work/f-pooled.out" "$work/f-union.out" && P[fed_same]=yes

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
printf '  %-48s %8.2f s  CPU %6.2f s\n' "20 traces (haircut), pooled snapshot" "${P[fed_pooled_s]}" \
    "${P[fed_pooled_cpu]}"
printf '  %-48s %8.2f s  CPU %6.2f s  (%s the pooled CPU; %d rounds, %d handoffs)\n' \
    "20 traces (haircut), 3 parties, all rounds" "${P[fed_s]}" "${P[fed_cpu]}" \
    "$(awk -v a="${P[fed_cpu]}" -v b="${P[fed_pooled_cpu]}" 'BEGIN{printf "%.1fx", a / b}')" \
    "${P[fed_rounds]}" "${P[fed_handoffs]}"
printf '  %-48s %8s\n' "parties' union = pooled trace, line for line" "${P[fed_same]}"
P[fed_bounded]=no
[ "${P[fed_rounds]}" -le 7 ] && P[fed_bounded]=yes
printf '  %-48s %8s\n' "rounds within --hops + 1 (7)" "${P[fed_bounded]}"
json="$json,\"federated_pooled_s\":${P[fed_pooled_s]},\"federated_s\":${P[fed_s]}"
json="$json,\"federated_cpu_s\":${P[fed_cpu]},\"federated_pooled_cpu_s\":${P[fed_pooled_cpu]}"
json="$json,\"federated_rounds\":${P[fed_rounds]},\"federated_same\":\"${P[fed_same]}\""
json="$json,\"federated_rounds_bounded\":\"${P[fed_bounded]}\""
echo "$json}" >"$work/scale_periods.json"
