#!/usr/bin/env bash
# scale.sh - issue 17's figures: a parallel load, and a batch of traces in
# shards, at 10 million rows by default.
#
#   bench/scale.sh [ROWS] [WORKDIR]       (defaults: 10000000, bench/out)
#   BASE_FT=/path/to/old/fundtrace bench/scale.sh   (also time that binary's load)
#
# Prints, and writes to WORKDIR/scale.json:
#   - load of a synth CSV (`fundtrace synth --seed 7`, about 830 MB at 10 M
#     rows): a bare single-threaded libcsv parse (bench/csvcount.c), the
#     load with --threads 1 and --threads 2 (and BASE_FT's load, the reader
#     before this issue); target: under 3 s on 2 cores (the load figures
#     alone, with CPU times and ratios: bench/load_scale.sh)
#   - a batch of 1000 seeds traced (4 hops, haircut, jsonl) in one run,
#     in 4 shards one after another (the work sharding adds: each shard
#     reads the snapshot and builds its trace index) and 4 shards two at a
#     time (the speed-up on 2 cores), the merged output compared with the
#     one run's
#   - the scan (default detectors, jsonl) the same way: one run, 4 shards
#     in turn (each builds the whole data's profile: the work sharding
#     adds), 4 shards two at a time, and the merge (it reads the data again
#     and runs the scan's last step), the merged alerts compared with the
#     one run's; then the data's profile made once (scan --profile-out) and
#     the 4 shards reading it (--profile), in turn and two at a time
# Times are the best of three (bench/lib.sh); machines are shared, so the
# ratios, measured side by side, say more than the absolute times.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
# The record of the run's time, fixed: a merged output and one run's then
# compare byte for byte, the record included.
export SOURCE_DATE_EPOCH=1700000000
cc -O2 -o "$work/csvcount" "$here/csvcount.c" -lcsv

csv=$work/synth-$rows.csv
snap=$work/synth-$rows.ftg
if [ ! -s "$csv" ]; then
    echo "generating $rows rows..." >&2
    "$ft" synth --rows "$rows" --seed 7 -o "$csv" >/dev/null 2>&1
fi
bytes=$(stat -c %s "$csv")
cat "$csv" >/dev/null # warm the page cache

echo "load (best of 3)..." >&2
run "libcsv parse" "$work/csvcount" "$csv"
base_s=$secs base_cpu=$cpu
old_s=0
if [ -n "${BASE_FT:-}" ]; then
    run "load, the reader before (BASE_FT)" "$BASE_FT" load -q "$csv"
    old_s=$secs
fi
run "load --threads 1" "$ft" load -q --threads 1 "$csv"
t1_s=$secs t1_kib=$kib t1_cpu=$cpu
run "load --threads 2" "$ft" load -q --threads 2 "$csv"
t2_s=$secs t2_kib=$kib t2_cpu=$cpu
[ -s "$snap" ] || "$ft" load -q "$csv" -o "$snap" >/dev/null

echo "trace batch..." >&2
awk -F, 'NR > 1 { k = $3 ":" $4; if (!seen[k]++) { print k; if (++n == 1000) exit } }' "$csv" \
    >"$work/seeds.txt"
# shard_scripts NAME ARGS: NAME_one.sh runs `fundtrace ARGS` once into
# NAME-one.out, NAME_part.sh I runs part I of 4 into NAME-part.I.
shard_scripts() {
    cat >"$work/$1_one.sh" <<EOS
#!/bin/sh
"$ft" $2 "$snap" >"$work/$1-one.out"; [ \$? -le 1 ]
EOS
    cat >"$work/$1_part.sh" <<EOS
#!/bin/sh
exec "$ft" $2 --shard "\$1/4" "$snap" >"$work/$1-part.\$1"
EOS
    chmod +x "$work/$1_one.sh" "$work/$1_part.sh"
}
shard_scripts trace "trace --seeds $work/seeds.txt --hops 4 --format jsonl"
run "trace, one run" "$work/trace_one.sh"
one_s=$secs one_kib=$kib one_cpu=$cpu
run "trace, 4 shards in turn" sh -c "for i in 1 2 3 4; do $work/trace_part.sh \$i || exit 1; done"
seq_s=$secs seq_cpu=$cpu
run "trace, 4 shards 2 at a time" sh -c "printf '%s\\n' 1 2 3 4 | xargs -P 2 -n 1 $work/trace_part.sh"
par_s=$secs shard_kib=$kib
"$ft" merge "$work"/trace-part.[1-4] >"$work/trace-merged.out" || [ $? = 1 ]
same=no
cmp -s "$work/trace-one.out" "$work/trace-merged.out" && same=yes

echo "scan..." >&2
shard_scripts scan "scan -q --format jsonl"
cat >"$work/scan_merge.sh" <<EOS
#!/bin/sh
"$ft" merge "$work"/scan-part.[1-4] >"$work/scan-merged.out"; [ \$? -le 1 ]
EOS
chmod +x "$work/scan_merge.sh"
run "scan, one run" "$work/scan_one.sh"
sone_s=$secs sone_cpu=$cpu sone_kib=$kib
run "scan, 4 shards in turn" sh -c "for i in 1 2 3 4; do $work/scan_part.sh \$i || exit 1; done"
sseq_s=$secs sseq_cpu=$cpu
run "scan, 4 shards 2 at a time" sh -c "printf '%s\\n' 1 2 3 4 | xargs -P 2 -n 1 $work/scan_part.sh"
spar_s=$secs spar_kib=$kib
run "scan, merge of 4 parts" "$work/scan_merge.sh"
smerge_s=$secs smerge_cpu=$cpu
ssame=no
cmp -s "$work/scan-one.out" "$work/scan-merged.out" && ssame=yes

# The scan's shards with the data's profile made once and shared
# (scan --profile-out, then --profile in each part): the profile's CPU
# counted with the shards'.
echo "scan with a shared profile..." >&2
cat >"$work/scan_profile.sh" <<EOS
#!/bin/sh
exec "$ft" scan -q --format jsonl --profile-out "$work/scan.profile" "$snap"
EOS
cat >"$work/scan_ppart.sh" <<EOS
#!/bin/sh
exec "$ft" scan -q --format jsonl --profile "$work/scan.profile" --shard "\$1/4" "$snap" >"$work/scan-ppart.\$1"
EOS
chmod +x "$work/scan_profile.sh" "$work/scan_ppart.sh"
run "scan, the profile made once" "$work/scan_profile.sh"
sprof_s=$secs sprof_cpu=$cpu
run "scan, 4 shards in turn, shared profile" sh -c "for i in 1 2 3 4; do $work/scan_ppart.sh \$i || exit 1; done"
spseq_s=$secs spseq_cpu=$cpu
run "scan, 4 shards 2 at a time, shared profile" sh -c "printf '%s\\n' 1 2 3 4 | xargs -P 2 -n 1 $work/scan_ppart.sh"
sppar_s=$secs
"$ft" merge "$work"/scan-ppart.[1-4] >"$work/scan-pmerged.out" || [ $? = 1 ]
spsame=no
cmp -s "$work/scan-one.out" "$work/scan-pmerged.out" && spsame=yes

awk -v rows="$rows" -v bytes="$bytes" -v base="$base_s" -v old="$old_s" -v t1="$t1_s" \
    -v t2="$t2_s" -v k1="$t1_kib" -v k2="$t2_kib" -v one="$one_s" -v seq="$seq_s" \
    -v par="$par_s" -v ok="$one_kib" -v sk="$shard_kib" -v same="$same" \
    -v sone="$sone_s" -v sonec="$sone_cpu" -v sonek="$sone_kib" -v sseq="$sseq_s" \
    -v sseqc="$sseq_cpu" -v spar="$spar_s" -v spark="$spar_kib" -v smerge="$smerge_s" \
    -v smergec="$smerge_cpu" -v ssame="$ssame" -v basec="$base_cpu" -v t1c="$t1_cpu" \
    -v t2c="$t2_cpu" -v onec="$one_cpu" -v seqc="$seq_cpu" \
    -v sprof="$sprof_s" -v sprofc="$sprof_cpu" -v spseq="$spseq_s" -v spseqc="$spseq_cpu" \
    -v sppar="$sppar_s" -v spsame="$spsame" \
    -v json="$work/scale.json" 'BEGIN {
    mb = bytes / 1e6
    printf "\nfundtrace scale benchmark: %d rows, %.0f MB synth CSV\n\n", rows, mb
    printf "  %-46s %8.2f s %10.0f rows/s  CPU %.2f s\n", "bare libcsv parse, one thread", base, rows / base, basec
    if (old > 0)
        printf "  %-46s %8.2f s %10.0f rows/s\n", "load, the reader before (BASE_FT)", old, rows / old
    printf "  %-46s %8.2f s %10.0f rows/s  CPU %.2f s  peak %d MB\n", "load --threads 1", t1, rows / t1, t1c, k1 / 1024
    printf "  %-46s %8.2f s %10.0f rows/s  CPU %.2f s  peak %d MB  target < 3 s %s\n", "load --threads 2", t2, rows / t2, t2c, k2 / 1024, (t2 < 3 ? "PASS" : "MISS")
    printf "  %-46s %8.2f s  CPU %.2f s  peak %d MB\n", "1000 traces, one run", one, onec, ok / 1024
    printf "  %-46s %8.2f s  CPU %.2f s  (%.2fx the CPU of one run)\n", "1000 traces, 4 shards in turn", seq, seqc, seqc / onec
    printf "  %-46s %8.2f s  (%.2fx faster than one run)  peak %d MB per shard\n", "1000 traces, 4 shards 2 at a time", par, one / par, sk / 1024
    printf "  %-46s %8s\n", "merged shards = one run, byte for byte", same
    printf "  %-46s %8.2f s  CPU %.2f s  peak %d MB\n", "scan, one run", sone, sonec, sonek / 1024
    printf "  %-46s %8.2f s  CPU %.2f s  (%.2fx the CPU of one run)\n", "scan, 4 shards in turn", sseq, sseqc, sseqc / sonec
    printf "  %-46s %8.2f s  (%.2fx faster than one run)  peak %d MB per shard\n", "scan, 4 shards 2 at a time", spar, sone / spar, spark / 1024
    printf "  %-46s %8.2f s  CPU %.2f s\n", "scan, merge of the 4 parts", smerge, smergec
    printf "  %-46s %8.2f s  (%.2fx faster than one run)\n", "scan, 4 shards 2 at a time + merge", spar + smerge, sone / (spar + smerge)
    printf "  %-46s %8s\n", "merged scan = one scan, byte for byte", ssame
    printf "  %-46s %8.2f s  CPU %.2f s\n", "scan, the profile made once (--profile-out)", sprof, sprofc
    printf "  %-46s %8.2f s  CPU %.2f s\n", "scan, 4 shards in turn, shared profile", spseq, spseqc
    printf "  %-46s %8.2f s  CPU %.2f s  (%.2fx the CPU of one run; %.2fx without the profile)\n", "  profile + 4 shards in turn", sprof + spseq, sprofc + spseqc, (sprofc + spseqc) / sonec, sseqc / sonec
    printf "  %-46s %8.2f s  (%.2fx faster than one run)\n", "profile + 4 shards 2 at a time", sprof + sppar, sone / (sprof + sppar)
    printf "  %-46s %8s\n", "merged (shared profile) = one scan", spsame
    printf "{\"rows\":%d,\"csv_bytes\":%d,\"libcsv_s\":%s,\"base_load_s\":%s,\"load_t1_s\":%s,\"load_t2_s\":%s,\"load_t1_kib\":%d,\"load_t2_kib\":%d,\"trace_one_s\":%s,\"trace_4_in_turn_s\":%s,\"trace_4_two_at_a_time_s\":%s,\"merged_same\":\"%s\",\"scan_one_s\":%s,\"scan_one_cpu_s\":%s,\"scan_4_in_turn_s\":%s,\"scan_4_in_turn_cpu_s\":%s,\"scan_4_two_at_a_time_s\":%s,\"scan_merge_s\":%s,\"scan_merged_same\":\"%s\",\"scan_profile_s\":%s,\"scan_profile_cpu_s\":%s,\"scan_4_in_turn_shared_s\":%s,\"scan_4_in_turn_shared_cpu_s\":%s,\"scan_4_two_at_a_time_shared_s\":%s,\"scan_shared_merged_same\":\"%s\"}\n", rows, bytes, base, old, t1, t2, k1, k2, one, seq, par, same, sone, sonec, sseq, sseqc, spar, smerge, ssame, sprof, sprofc, spseq, spseqc, sppar, spsame > json
}'

# Periods and parties (issue 17, sections 4 and 5): their own script, on
# the same data.
"$here/scale_periods.sh" "$rows" "$work"
