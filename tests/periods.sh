#!/bin/sh
# periods.sh FUNDTRACE WORKDIR
# `load --split-by` and commands reading the manifest: every command given
# the periods' directory (or its manifest.tsv) prints what it prints on one
# snapshot of the whole data, byte for byte, with the same exit status; a
# scan sharded over the periods merges into the same; a manifest naming a
# missing period is refused.
set -eu
FT=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
"$FT" synth --rows 20000 --seed 11 -o data.csv >/dev/null 2>&1
"$FT" load -q data.csv -o data.ftg >/dev/null
"$FT" load -q --split-by month -o months data.csv >/dev/null
"$FT" load -q --split-by week -o weeks data.csv >/dev/null
fail=0
[ "$(grep -c . months/manifest.tsv)" = 13 ] || { echo "periods: not 12 months"; fail=1; }
[ "$(grep -c . weeks/manifest.tsv)" = 54 ] || { echo "periods: not 53 weeks"; fail=1; }
a=$(sed -n 2p data.csv | cut -d, -f3,4 | tr , :)
b=$(sed -n 50p data.csv | cut -d, -f5,6 | tr , :)
check() { # INPUT ARGS...
    input=$1
    shift
    set +e
    # The record of the run names its input: left out where there is one.
    cmd=$1
    shift
    [ "$cmd" = stats ] || set -- --no-provenance "$@"
    "$FT" "$cmd" "$@" data.ftg >one.out 2>/dev/null
    one=$?
    "$FT" "$cmd" "$@" "$input" >per.out 2>per.err
    got=$?
    set -e
    if ! cmp -s one.out per.out || [ "$got" != "$one" ]; then
        echo "periods: $input: $*: output or status ($got, one snapshot $one) differs"
        diff one.out per.out | head -5
        fail=1
    fi
}
for input in months weeks/manifest.tsv; do
    check "$input" scan --format jsonl
    check "$input" scan --only cycle,fan_in --format csv
    check "$input" trace --from "$a" --hops 4 --format jsonl
    check "$input" trace --from "$a" --direction in --policy fifo --format csv
    check "$input" trace --txn 1200 --policy lifo
    check "$input" paths --from "$a" --to "$b" --maxflow
    check "$input" stats --format json
    check "$input" clusters --top 5
done
grep -q 'reading 53 periods (2024-W01 to 2025-W01)' per.err || { echo "periods: no note of the periods read"; cat per.err; fail=1; }
# A scan's time window over the periods: the alerts of the whole data's
# scan with a transfer in it (every period read: see fundtrace-scan(1)).
check months scan --last 35d --format jsonl
check months scan --since 2024-06-01 --until 2024-06-30T23:59:59Z --format csv
[ "$(grep -c . per.out)" = 3 ] || { echo "periods: not 2 alerts in June"; cat per.out; fail=1; }
# A scan sharded over the periods, merged.
for i in 1 2 3; do "$FT" scan -q --no-provenance --format jsonl --shard "$i/3" months >"part.$i"; done
"$FT" scan -q --no-provenance --format jsonl data.ftg >one.out 2>/dev/null
"$FT" merge part.1 part.2 part.3 >merged.out 2>/dev/null
cmp -s one.out merged.out || { echo "periods: merged scan over the periods differs"; fail=1; }
# A period missing: refused with its name.
rm months/2024-05.ftg
if "$FT" stats months >/dev/null 2>err; then
    echo "periods: a missing period was not refused"
    fail=1
fi
grep -q '2024-05.ftg' err || { echo "periods: the missing period is not named"; cat err; fail=1; }
exit $fail
