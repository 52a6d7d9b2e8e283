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
#     before this issue); target: under 3 s on 2 cores
#   - a batch of 1000 seeds traced (4 hops, haircut, jsonl) in one run,
#     in 4 shards one after another (the work sharding adds: each shard
#     reads the snapshot and builds its trace index) and 4 shards two at a
#     time (the speed-up on 2 cores), the merged output compared with the
#     one run's
# Times are the best of three (bench/lib.sh); machines are shared, so the
# ratios, measured side by side, say more than the absolute times.
set -euo pipefail

rows=${1:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
bench_setup "${2:-$here/out}"
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
base_s=$secs
old_s=0
if [ -n "${BASE_FT:-}" ]; then
    run "load, the reader before (BASE_FT)" "$BASE_FT" load -q "$csv"
    old_s=$secs
fi
run "load --threads 1" "$ft" load -q --threads 1 "$csv"
t1_s=$secs t1_kib=$kib
run "load --threads 2" "$ft" load -q --threads 2 "$csv"
t2_s=$secs t2_kib=$kib
[ -s "$snap" ] || "$ft" load -q "$csv" -o "$snap" >/dev/null

echo "trace batch..." >&2
awk -F, 'NR > 1 { k = $3 ":" $4; if (!seen[k]++) { print k; if (++n == 1000) exit } }' "$csv" \
    >"$work/seeds.txt"
t="trace --seeds $work/seeds.txt --hops 4 --format jsonl"
cat >"$work/trace_one.sh" <<EOS
#!/bin/sh
"$ft" $t "$snap" >"$work/one.jsonl"; [ \$? -le 1 ]
EOS
cat >"$work/trace_part.sh" <<EOS
#!/bin/sh
exec "$ft" $t --shard "\$1/4" "$snap" >"$work/part.\$1"
EOS
chmod +x "$work/trace_one.sh" "$work/trace_part.sh"
run "trace, one run" "$work/trace_one.sh"
one_s=$secs one_kib=$kib
run "trace, 4 shards in turn" sh -c "for i in 1 2 3 4; do $work/trace_part.sh \$i || exit 1; done"
seq_s=$secs
run "trace, 4 shards 2 at a time" sh -c "printf '%s\\n' 1 2 3 4 | xargs -P 2 -n 1 $work/trace_part.sh"
par_s=$secs shard_kib=$kib
"$ft" merge "$work"/part.[1-4] >"$work/merged.jsonl" || [ $? = 1 ]
same=no
cmp -s "$work/one.jsonl" "$work/merged.jsonl" && same=yes

awk -v rows="$rows" -v bytes="$bytes" -v base="$base_s" -v old="$old_s" -v t1="$t1_s" \
    -v t2="$t2_s" -v k1="$t1_kib" -v k2="$t2_kib" -v one="$one_s" -v seq="$seq_s" \
    -v par="$par_s" -v ok="$one_kib" -v sk="$shard_kib" -v same="$same" \
    -v json="$work/scale.json" 'BEGIN {
    mb = bytes / 1e6
    printf "\nfundtrace scale benchmark: %d rows, %.0f MB synth CSV\n\n", rows, mb
    printf "  %-46s %8.2f s %10.0f rows/s\n", "bare libcsv parse, one thread", base, rows / base
    if (old > 0)
        printf "  %-46s %8.2f s %10.0f rows/s\n", "load, the reader before (BASE_FT)", old, rows / old
    printf "  %-46s %8.2f s %10.0f rows/s  peak %d MB\n", "load --threads 1", t1, rows / t1, k1 / 1024
    printf "  %-46s %8.2f s %10.0f rows/s  peak %d MB  target < 3 s %s\n", "load --threads 2", t2, rows / t2, k2 / 1024, (t2 < 3 ? "PASS" : "MISS")
    printf "  %-46s %8.2f s  peak %d MB\n", "1000 traces, one run", one, ok / 1024
    printf "  %-46s %8.2f s  (%.2fx the work of one run)\n", "1000 traces, 4 shards in turn", seq, seq / one
    printf "  %-46s %8.2f s  (%.2fx faster than one run)  peak %d MB per shard\n", "1000 traces, 4 shards 2 at a time", par, one / par, sk / 1024
    printf "  %-46s %8s\n", "merged shards = one run, byte for byte", same
    printf "{\"rows\":%d,\"csv_bytes\":%d,\"libcsv_s\":%s,\"base_load_s\":%s,\"load_t1_s\":%s,\"load_t2_s\":%s,\"load_t1_kib\":%d,\"load_t2_kib\":%d,\"trace_one_s\":%s,\"trace_4_in_turn_s\":%s,\"trace_4_two_at_a_time_s\":%s,\"merged_same\":\"%s\"}\n", rows, bytes, base, old, t1, t2, k1, k2, one, seq, par, same > json
}'
