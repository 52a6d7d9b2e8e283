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
# The provenance record's time, fixed: one run and its parts then print
# the same record (a part records the whole run's command line).
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
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
# scan: the parts carry the command line; merge reads the data again and
# runs the last step (bipartite blocks, rules, precedence, order, --state).
acct=$(sed -n 2p data.csv | cut -d, -f3,4 | tr , :)
printf '[watchlist]\naccount = %s | a test entry\n[text]\nmemo = (?i)^invoice 0000[1-5]$ | five invoices\n[jurisdictions]\nhigh_risk = BR, CN\n' \
    "$acct" >rules.ini
check_scan() { # NAME ARGS...
    name=$1
    shift
    set +e
    "$FT" scan -q "$@" data.ftg >one.out 2>one.err
    one=$?
    for n in 1 2 3 4 5; do
        i=1
        parts=
        while [ "$i" -le "$n" ]; do
            "$FT" scan -q "$@" --shard "$i/$n" data.ftg >"part.$i" 2>>parts.err
            parts="part.$i $parts"
            i=$((i + 1))
        done
        "$FT" merge -o merged.out $parts 2>merged.err
        got=$?
        if ! cmp -s one.out merged.out || [ "$got" != "$one" ]; then
            echo "shards: scan $name, $n parts: merged output or status ($got, one run $one) differs"
            diff one.out merged.out | head -5
            cat merged.err
            fail=1
        fi
    done
    set -e
}
for fmt in table jsonl csv json; do
    check_scan "$fmt" --format "$fmt"
done
check_scan "rules, --only, --set, 2 threads" --rules rules.ini --only fan_in,fan_out,bipartite,structuring,cycle \
    --set fan.min_degree=4 --threads 2 --format jsonl
check_scan "nothing found" --only cycle --set cycle.max_hops=2 --min-score 1 --format csv
# The state: one run and the merged run start from no file; each writes its own
# (the two state files' names differ, so the outputs leave out the record of
# the run, which names them).
check_scan_state() {
    set +e
    rm -f one.state merged.state
    "$FT" scan -q --no-provenance --state one.state --format jsonl data.ftg >one.out 2>/dev/null
    one=$?
    for n in 2 5; do
        rm -f merged.state
        i=1
        parts=
        while [ "$i" -le "$n" ]; do
            "$FT" scan -q --no-provenance --state merged.state --format jsonl --shard "$i/$n" data.ftg >"part.$i"
            i=$((i + 1))
            parts="$parts part.$((i - 1))"
        done
        [ -f merged.state ] && { echo "shards: a scan shard wrote the state"; fail=1; }
        "$FT" merge $parts >merged.out 2>/dev/null
        got=$?
        if ! cmp -s one.out merged.out || [ "$got" != "$one" ] || ! cmp -s one.state merged.state; then
            echo "shards: scan --state, $n parts: output, status or state differs"
            fail=1
        fi
        # Merged again: nothing new, as a second nightly run.
        "$FT" merge $parts >again.out 2>/dev/null
        got=$?
        if [ "$got" != 1 ] || [ -s again.out ]; then
            echo "shards: scan --state, merged twice: $got (1 expected, nothing new)"
            fail=1
        fi
    done
    set -e
}
check_scan_state
# A shared profile: made once (scan --profile-out), given to every part
# (--profile): merged, exactly one run's output without it, the record of
# the run included (it names the one run). A profile of other data or
# other parameters is refused.
check_scan_profile() { # NAME ARGS...
    name=$1
    shift
    set +e
    "$FT" scan -q "$@" data.ftg >one.out 2>one.err
    one=$?
    "$FT" scan -q "$@" --profile-out data.profile data.ftg >/dev/null 2>&1 || {
        echo "shards: scan --profile-out $name failed"
        fail=1
    }
    for n in 1 3 4; do
        i=1
        parts=
        while [ "$i" -le "$n" ]; do
            "$FT" scan -q "$@" --profile data.profile --shard "$i/$n" data.ftg >"part.$i" 2>>parts.err
            parts="part.$i $parts"
            i=$((i + 1))
        done
        "$FT" merge -o merged.out $parts 2>merged.err
        got=$?
        if ! cmp -s one.out merged.out || [ "$got" != "$one" ]; then
            echo "shards: scan --profile $name, $n parts: merged output or status ($got, one run $one) differs"
            diff one.out merged.out | head -5
            cat merged.err
            fail=1
        fi
    done
    set -e
}
check_scan_profile "jsonl" --format jsonl
check_scan_profile "rules, --only, --set, 2 threads" --rules rules.ini --only fan_in,fan_out,bipartite,pass_through \
    --set fan.min_degree=4 --set scan.novel_pair_max=2 --threads 2 --format csv
"$FT" scan -q --profile-out data.profile data.ftg
if "$FT" scan -q --set scan.opener_min=3 --profile data.profile --shard 1/2 data.ftg >/dev/null 2>err; then
    echo "shards: a profile of other parameters was not refused"
    fail=1
fi
grep -q 'data.profile: was made with other parameters (scan.opener_min=10 there, 3 here)' err ||
    { echo "shards: no reason given for a profile of other parameters"; cat err; fail=1; }
# A scan part of other data, and a part cut off, are refused.
"$FT" scan -q --shard 1/2 data.ftg >s.1
"$FT" scan -q --shard 2/2 data.ftg >s.2
head -c "$(($(wc -c <s.2) - 10))" s.2 >s.2cut
if "$FT" merge s.1 s.2cut >/dev/null 2>err; then
    echo "shards: a cut-off scan part was not refused"
    fail=1
fi
grep -q 'part.*cut off\|ends before' err || { echo "shards: no reason given for a cut part"; cat err; fail=1; }
mkdir -p other
"$FT" synth --rows 3000 --seed 12 -o other/data.csv >/dev/null 2>&1
"$FT" load -q other/data.csv -o other/data.ftg >/dev/null
(cd other && "$FT" scan -q --shard 2/2 data.ftg >../s.2other)
if (cd other && "$FT" scan -q --profile ../data.profile --shard 1/2 data.ftg >/dev/null 2>../err); then
    echo "shards: a profile of other data was not refused"
    fail=1
fi
grep -q 'data.profile: was made from other data' err || { echo "shards: no reason given for a profile of other data"; cat err; fail=1; }
if "$FT" merge s.1 s.2other >/dev/null 2>err; then
    echo "shards: a scan part of other data was not refused"
    fail=1
fi
grep -q 'other data' err || { echo "shards: no reason given for other data"; cat err; fail=1; }
# features: the parts are blocks of rows, each written to its own file
# (-o is not part of the run); merged, CSV and matrix are one run's bytes,
# labels and threads included.
for args in "--format csv" "--format matrix" "--format matrix --threads 2 --windows 1d,3d"; do
    # shellcheck disable=SC2086
    "$FT" features -q $args data.ftg -o f-one
    for n in 1 2 3 4 5; do
        i=1
        parts=
        while [ "$i" -le "$n" ]; do
            # shellcheck disable=SC2086
            "$FT" features -q $args --shard "$i/$n" data.ftg -o "f-part.$i"
            parts="f-part.$i $parts"
            i=$((i + 1))
        done
        rm -f f-merged
        # shellcheck disable=SC2086
        if ! "$FT" merge -o f-merged $parts || ! cmp -s f-one f-merged; then
            echo "shards: features $args, $n parts: merged output differs"
            fail=1
        fi
    done
done
head -1 f-part.2 | grep -q '^fundtrace-shard 1 features 2/5 run=[0-9a-f]* status=0$' ||
    { echo "shards: features part header"; head -1 f-part.2; fail=1; }
[ "$(head -1 f-one | cut -c1-20)" = "fundtrace-features 1" ] || { echo "shards: features one run's header"; fail=1; }
# --shard anywhere on the line, before or after the data and the other
# options: the parts are one run's (the parser keeps the whole line).
"$FT" trace --shard 1/2 --seeds seeds.txt data.ftg >o.1
"$FT" trace --seeds seeds.txt data.ftg --shard 2/2 >o.2
"$FT" trace --seeds seeds.txt data.ftg >o.one
if ! "$FT" merge o.2 o.1 >o.m || ! cmp -s o.one o.m; then
    echo "shards: trace with --shard first: merged output differs"
    fail=1
fi
"$FT" scan --shard 1/2 --format jsonl data.ftg >o.1 || [ $? = 1 ]
"$FT" scan --format jsonl data.ftg --shard 2/2 >o.2 || [ $? = 1 ]
"$FT" scan --format jsonl data.ftg >o.one || [ $? = 1 ]
if ! "$FT" merge o.1 o.2 >o.m || ! cmp -s o.one o.m; then
    echo "shards: scan with --shard first: merged output differs"
    fail=1
fi
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
