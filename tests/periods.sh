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
# Two years in 24 months: paths with a time window reads only the months
# it needs, and still takes hubs by the whole data's transfers (whole.bin):
# FR002:A000000005 has 875 transfers in all, 62 in the last two months, so
# with --max-degree 100 the path through it is not taken (the two months
# alone, without the whole data's figures, would take it).
"$FT" synth --rows 40000 --days 730 --seed 5 -o y2.csv >/dev/null 2>&1
"$FT" load -q y2.csv -o y2.ftg >/dev/null
"$FT" load -q --split-by month -o y2m y2.csv >/dev/null
[ "$(grep -c . y2m/manifest.tsv)" = 25 ] || { echo "periods: not 24 months"; fail=1; }
window() { # WANT ARGS... : as check, over y2.ftg and y2m; WANT the note of the periods read
    want=$1
    shift
    set +e
    "$FT" "$@" --no-provenance y2.ftg >one.out 2>/dev/null
    one=$?
    "$FT" "$@" --no-provenance y2m >per.out 2>per.err
    got=$?
    set -e
    if ! cmp -s one.out per.out || [ "$got" != "$one" ]; then
        echo "periods: y2m: $*: output or status ($got, one snapshot $one) differs"
        diff one.out per.out | head -5
        fail=1
    fi
    grep -q -- "$want" per.err || { echo "periods: $*: not '$want'"; cat per.err; fail=1; }
}
from=DE003:A000000342 to=CH001:A000001540
window "reading 1 period (2025-12 to 2025-12) of 24, those the time window needs" \
    paths --from $from --to $to --since 2025-12-01 --max-degree 100
grep -q 'no path' per.out || { echo "periods: a path through a hub of the whole data"; fail=1; }
window "reading 1 period (2025-12 to 2025-12) of 24" paths --from $from --to $to --since 2025-12-01 --maxflow
grep -q 'FR002:A000000005' per.out || { echo "periods: no path through FR002:A000000005"; fail=1; }
window "reading 3 periods (2024-03 to 2024-05) of 24" paths --from DE001:A000001370 --to FR002:A000000005 \
    --since 2024-03-01 --until 2024-05-15 --maxflow --format jsonl
window "reading 2 periods (2024-03 to 2024-04) of 24" paths --from DE001:A000001370 --to FR002:A000000005 \
    --since 2024-03-10 --window 35d --all --hops 3 --format csv
# Pseudonymised over the periods as over one snapshot (no raw account id).
head -c 32 /dev/urandom >k.key
window "reading 24 periods (2024-01 to 2025-12)" scan --only fan_in --pseudonymise k.key --format csv
grep -q 'ps-' per.out && ! grep -q 'A0000' per.out || { echo "periods: raw account ids with --pseudonymise"; fail=1; }
window "streaming through 24 periods (2024-01 to 2025-12)" trace --from DE001:A000001370 --hops 2 --pseudonymise k.key \
    --format jsonl
# A scan's window reads every period: its detectors weigh each candidate
# against its account's whole history (fundtrace-scan(1)).
window "reading 24 periods (2024-01 to 2025-12)" scan --last 35d --format jsonl
[ "$(grep -c . per.out)" = 2 ] || { echo "periods: not 2 alerts in the last 35 days"; fail=1; }
# ... unless given --lookback D: then its data is the window's transfers
# and the D before it, only the periods that range overlaps are mapped
# (the record of the run says which), and the alerts are those of a scan
# of a CSV of only those rows (cut here with awk), whatever the input.
lookback() { # PERIODS FROM UNTIL ALERTS WINDOW... -- LOOKBACK: FROM, UNTIL the rows kept (text)
    want=$1 from=$2 until=$3 alerts=$4
    shift 4
    awk -F, -v f="$from" -v u="$until" 'NR == 1 || ($2 >= f && $2 <= u)' y2.csv >cut.csv
    set +e
    "$FT" scan --no-provenance --format jsonl "$@" cut.csv >cut.out 2>/dev/null
    one=$?
    "$FT" scan --format jsonl "$@" --lookback "$lb" y2m >per.out 2>per.err
    got=$?
    set -e
    tail -n +2 per.out >per.res
    if ! cmp -s cut.out per.res || [ "$got" != "$one" ]; then
        echo "periods: y2m: $* --lookback $lb: alerts or status ($got, a CSV of the range $one) differ"
        diff cut.out per.res | head -5
        fail=1
    fi
    [ "$(grep -c . cut.out)" = "$alerts" ] || { echo "periods: $* --lookback $lb: not $alerts alerts"; fail=1; }
    head -n 1 per.out | grep -q "\"periods\":{\"read\":$want,\"of\":24," ||
        { echo "periods: $* --lookback $lb: the record names not $want periods read"; head -c 2000 per.out; fail=1; }
    for input in y2.csv y2.ftg; do # the same from the CSV and one snapshot
        "$FT" scan --no-provenance --format jsonl "$@" --lookback "$lb" $input >in.out 2>/dev/null || :
        cmp -s cut.out in.out || { echo "periods: $input: $* --lookback $lb: other alerts"; fail=1; }
    done
}
lb=0 lookback 2 2025-11-25T22:21:14Z 9 2 --last 35d
grep -q 'reading 2 periods (2025-11 to 2025-12) of 24, those the transfers from 2025-11-25T22:21:14Z to the end are in' per.err ||
    { echo "periods: no note of the 2 periods mapped"; cat per.err; fail=1; }
grep -q '"time_range":{"from":"2025-11-25T22:21:14Z","until":null,"transfers":1928}' per.out ||
    { echo "periods: the record names no time range"; fail=1; }
"$FT" scan --last 35d --lookback 0 y2.csv >/dev/null 2>err
grep -q '1928 transfers from 2025-11-25T22:21:14Z to the end: the window and the lookback before it' err ||
    { echo "periods: no note of the range scanned"; cat err; fail=1; }
# (the whole history's 2 alerts are others: a pattern's score is its data's)
"$FT" scan --no-provenance --format jsonl --last 35d y2.ftg 2>/dev/null | cmp -s - cut.out &&
    { echo "periods: the last 35 days alone give the whole history's alerts"; fail=1; }
lb=90d lookback 5 2025-08-27T22:21:14Z 9 2 --last 35d
lb=365d lookback 14 2024-11-25T22:21:14Z 9 3 --last 35d
lb=0 lookback 1 2025-06-01T00:00:00Z 2025-06-30T23:59:59Z 3 --since 2025-06-01 --until 2025-06-30T23:59:59Z
lb=90d lookback 4 2025-03-03T00:00:00Z 2025-06-30T23:59:59Z 3 --since 2025-06-01 --until 2025-06-30T23:59:59Z
lb=30d lookback 3 0 2024-03-31T23:59:59Z 11 --until 2024-03-31T23:59:59Z
lb=1d lookback 2 2024-12-31T00:00:00Z 2025-01-01T00:00:00Z 0 --since 2025-01-01 --until 2025-01-01
# Every finding (--min-score 0: 410 alerts) from 44 of 105 weeks, where
# some currencies are used only before the range: as from the rows cut.
awk -F, 'NR == 1 || !(($8 == "SAR" || $8 == "BRL" || $8 == "MXN" || $8 == "JPY") && $2 >= "2025-06")' \
    y2.csv >y3.csv
"$FT" load -q --split-by week -o y3w y3.csv >/dev/null
awk -F, 'NR == 1 || $2 >= "2025-03-03"' y3.csv >cut.csv
"$FT" scan -q --no-provenance --format jsonl --min-score 0 --since 2025-06-01 cut.csv >cut.out 2>/dev/null
"$FT" scan --no-provenance --format jsonl --min-score 0 --since 2025-06-01 --lookback 90d y3w >per.out 2>per.err
[ "$(grep -c . cut.out)" = 410 ] || { echo "periods: not 410 findings from June 2025 on"; fail=1; }
cmp -s cut.out per.out || { echo "periods: y3w --min-score 0 --lookback 90d: other alerts"; fail=1; }
grep -q 'reading 44 periods (2025-W10 to 2026-W01) of 105' per.err || { echo "periods: not 44 weeks read"; cat per.err; fail=1; }
# A model's scan (fundtrace learn) and pseudonyms: of the range's rows too.
"$FT" learn -q --labels -o m.ftm y2.ftg >/dev/null 2>&1
awk -F, 'NR == 1 || $2 >= "2025-10-26T22:21:14Z"' y2.csv >cut.csv
"$FT" scan -q --no-provenance --format jsonl --model m.ftm --last 35d cut.csv >cut.out 2>/dev/null
"$FT" scan -q --no-provenance --format jsonl --model m.ftm --last 35d --lookback 30d y2m >per.out 2>/dev/null
[ "$(grep -c . cut.out)" = 1 ] && cmp -s cut.out per.out || { echo "periods: --model --lookback: other alerts"; fail=1; }
"$FT" scan -q --no-provenance --format csv --pseudonymise k.key --last 35d cut.csv >cut.out 2>/dev/null
"$FT" scan -q --no-provenance --format csv --pseudonymise k.key --last 35d --lookback 30d y2m >per.out 2>/dev/null
grep -q 'ps-' per.out && cmp -s cut.out per.out || { echo "periods: --pseudonymise --lookback: other alerts"; fail=1; }
# A window past the data: no transfers, no alerts, exit 1 (a CSV of no
# rows is refused instead); one period mapped, for the data's accounts.
for input in y2m y2.csv y2.ftg; do
    set +e
    "$FT" scan --format jsonl --since 2030-01-08 --lookback 7d $input >per.out 2>per.err
    got=$?
    set -e
    [ "$got" = 1 ] && [ "$(grep -c . per.out)" = 1 ] && grep -q '0 alerts' per.err ||
        { echo "periods: $input: a window past the data: status $got"; cat per.err; fail=1; }
done
head -n 1 per.out | grep -q '"time_range":{"from":"2030-01-01T00:00:00Z","until":null,"transfers":0}' ||
    { echo "periods: a window past the data: not 0 transfers"; fail=1; }
"$FT" scan --format jsonl --since 2030-01-08 --lookback 7d y2m 2>/dev/null | head -n 1 |
    grep -q '"periods":{"read":1,"of":24,"first":"2025-12","last":"2025-12"}' ||
    { echo "periods: a window past the data: not the last period mapped"; fail=1; }
# --lookback needs a window; and takes 0 or a duration.
if "$FT" scan --lookback 5d y2m >/dev/null 2>err; then echo "periods: --lookback without a window"; fail=1; fi
grep -q 'needs a time window' err || { echo "periods: no reason for --lookback without a window"; fail=1; }
if "$FT" scan --last 1d --lookback 5x y2m >/dev/null 2>err; then echo "periods: --lookback 5x taken"; fail=1; fi
# A sharded scan with --lookback merges into the one scan's alerts.
for i in 1 2; do "$FT" scan -q --no-provenance --format jsonl --last 20d --lookback 10d --shard "$i/2" y2m >"part.$i"; done
"$FT" merge part.1 part.2 >merged.out 2>/dev/null
"$FT" scan -q --no-provenance --format jsonl --last 20d --lookback 10d y2m >one.out 2>/dev/null || :
cmp -s one.out merged.out || { echo "periods: a merged scan with --lookback differs"; fail=1; }
# A profile of the whole data is not the range's: refused.
"$FT" scan -q --profile-out whole.prof y2.ftg 2>/dev/null
if "$FT" scan -q --profile whole.prof --last 35d --lookback 0 y2m >/dev/null 2>err; then
    echo "periods: the whole data's profile taken for a range"
    fail=1
fi
grep -q 'other data' err || { echo "periods: no reason for refusing the profile"; cat err; fail=1; }
# ... one of the range is taken, and its shards merge into the one scan.
"$FT" scan -q --profile-out range.prof --last 20d --lookback 10d y2m
for i in 1 2; do
    "$FT" scan -q --no-provenance --format jsonl --profile range.prof --last 20d --lookback 10d --shard "$i/2" y2m >"part.$i"
done
"$FT" merge part.1 part.2 >merged.out 2>/dev/null
cmp -s one.out merged.out || { echo "periods: a merged scan with the range's profile differs"; fail=1; }
# The whole data's figures of other data, or none: refused, or every period read.
cp y2m/whole.bin y2m.whole
cp months/whole.bin y2m/whole.bin
if "$FT" paths --from $from --to $to --since 2025-12-01 y2m >/dev/null 2>err; then
    echo "periods: the whole data's figures of other data were not refused"
    fail=1
fi
grep -q 'y2m/whole.bin: is of other data' err || { echo "periods: no reason given"; cat err; fail=1; }
rm y2m/whole.bin
window "reading 24 periods (2024-01 to 2025-12)" paths --from $from --to $to --since 2025-12-01 --max-degree 100
grep -q 'no whole.bin' per.err || { echo "periods: no note of the missing whole.bin"; fail=1; }
cp y2m.whole y2m/whole.bin
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
