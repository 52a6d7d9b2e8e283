#!/bin/sh
# shards.sh FUNDTRACE WORKDIR
# A run cut into N = 1..5 shards and joined by `fundtrace merge` prints
# what one run prints, byte for byte, in every format, with the same exit
# status; the parts may come in any order; parts of another run, a
# missing part and a part given twice are refused.
set -eu
FT=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
"$FT" synth --rows 20000 --seed 11 -o data.csv >/dev/null 2>&1
"$FT" load -q data.csv -o data.ftg >/dev/null
# 23 payers, and one account the data does not hold (exit 2 in one run).
sed -n '2,400p' data.csv | cut -d, -f3,4 | tr , : | awk '!seen[$0]++' | head -23 >seeds.txt
{ head -5 seeds.txt; echo "NO:SUCH"; tail -3 seeds.txt; } >seeds-unknown.txt
fail=0
check() { # NAME ARGS...
    name=$1
    shift
    set +e
    "$FT" trace "$@" data.ftg >one.out 2>one.err
    one=$?
    for n in 1 2 3 4 5; do
        i=1
        parts=
        while [ "$i" -le "$n" ]; do
            "$FT" trace "$@" --shard "$i/$n" data.ftg >"part.$i" 2>>parts.err
            parts="part.$i $parts" # given last part first
            i=$((i + 1))
        done
        "$FT" merge $parts >merged.out 2>merged.err
        got=$?
        if ! cmp -s one.out merged.out || [ "$got" != "$one" ]; then
            echo "shards: $name, $n parts: merged output or status ($got, one run $one) differs"
            diff one.out merged.out | head -5
            fail=1
        fi
    done
    set -e
}
for fmt in table jsonl csv json; do
    check "seeds $fmt" --seeds seeds.txt --hops 3 --format "$fmt"
    check "seeds $fmt backward lifo" --seeds seeds.txt --direction in --policy lifo --format "$fmt"
done
check "an unknown seed" --seeds seeds-unknown.txt --format jsonl
check "nothing found" --seeds seeds.txt --until 2000-01-01 --format csv
# Refused: a part of another run, a missing part, a part twice.
"$FT" trace --seeds seeds.txt --shard 1/2 data.ftg >a.1
"$FT" trace --seeds seeds.txt --shard 2/2 data.ftg >a.2
"$FT" trace --seeds seeds.txt --hops 2 --shard 2/2 data.ftg >b.2
for bad in "a.1 b.2" "a.1" "a.1 a.1"; do
    if "$FT" merge $bad >/dev/null 2>err; then
        echo "shards: merge $bad was not refused"
        fail=1
    fi
done
"$FT" merge a.1 b.2 2>&1 | grep -q 'part of another run' || { echo "shards: no reason given"; fail=1; }
exit $fail
