#!/bin/sh
# trace_periods.sh FUNDTRACE WORKDIR
# A trace streamed through periods (`trace` given the directory that
# `load --split-by` wrote) prints exactly what the trace over one snapshot
# of the whole data prints, with the same exit status: synthetic data of
# three seeds cut by day, week and month; every policy, both directions;
# --hops, --breadth, --max-degree, --min-amount, --since, --until,
# --window, --txn, a batch of seeds, every output format, shards merged;
# and a hand-made file whose equal timestamps (a chain and a circle within
# one second) sit on period boundaries, with balances from earlier periods
# before --since.
set -eu
FT=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
fail=0
runs=0
check() { # DIR ARGS...: one snapshot (data.ftg) against the periods in DIR
    dir=$1
    shift
    set +e
    "$FT" trace -q --no-provenance "$@" data.ftg >one.out 2>one.err
    one=$?
    "$FT" trace -q --no-provenance "$@" "$dir" >per.out 2>per.err
    got=$?
    set -e
    runs=$((runs + 1))
    if ! cmp -s one.out per.out || [ "$got" != "$one" ]; then
        echo "trace_periods: $(pwd) $dir: $*: output or status ($got, one snapshot $one) differs"
        diff one.out per.out | head -4 | cut -c1-200
        head -3 per.err
        fail=1
    fi
}
for seed in 11 12 13; do
    mkdir "s$seed"
    cd "s$seed"
    "$FT" synth -q --rows 6000 --seed "$seed" -o data.csv 2>/dev/null
    "$FT" load -q data.csv -o data.ftg >/dev/null
    for unit in day week month; do
        "$FT" load -q --split-by $unit -o $unit data.csv >/dev/null
    done
    a=$(sed -n 2p data.csv | cut -d, -f3,4 | tr , :)
    b=$(sed -n 300p data.csv | cut -d, -f5,6 | tr , :)
    c=$(sed -n 3000p data.csv | cut -d, -f3,4 | tr , :)
    t=$(sed -n 2500p data.csv | cut -d, -f1)
    # The account with the most transfers: a hub, also as a seed.
    hub=$(awk -F, 'NR > 1 { n[$3 ":" $4]++; n[$5 ":" $6]++ } END { for (k in n) if (n[k] > m) { m = n[k]; h = k } print h }' data.csv)
    for policy in poison haircut fifo lifo; do
        for d in out in; do
            for unit in day week month; do
                check $unit --from "$a,$b,$c" --policy $policy --direction $d --format jsonl
            done
            check week --from "$b" --policy $policy --direction $d --hops 2 --breadth 3 \
                --format csv
            check month --from "$c,$a" --policy $policy --direction $d --breadth 2 \
                --max-degree 60 --since 2024-03-10 --until 2024-09-20 --format json
            check day --from "$a" --policy $policy --direction $d --window 40d \
                --since 2024-02-15T12:00:00Z --min-amount 50
            check month --txn "$t" --policy $policy --direction $d --breadth 1 --format jsonl
            check week --from "$c" --policy $policy --direction $d --hops 3 --format dot
            check month --from "$hub,$a" --policy $policy --direction $d --max-degree 100 \
                --breadth 4 --format jsonl
        done
    done
    # Shards of the batch, each streamed through the weeks, merged: what
    # one run over the snapshot prints.
    for i in 1 2 3; do
        "$FT" trace -q --no-provenance --from "$a,$b,$c" --format json --shard $i/3 week >part.$i
    done
    "$FT" merge part.1 part.2 part.3 >merged.out
    "$FT" trace -q --no-provenance --from "$a,$b,$c" --format json data.ftg >one.out
    cmp -s merged.out one.out || { echo "trace_periods: merged shards over weeks differ"; fail=1; }
    cd ..
done
# Equal timestamps on the boundaries: A gets money in January (before
# --since); at midnight of 1 February a chain A->B->C->D and a circle
# B->C->B run within one second, as at midnight of 1 March.
mkdir hand
cd hand
cat >data.csv <<'CSV'
txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency,channel,memo,label
1,2024-01-10T08:00:00Z,X,X,A,A,100.00,EUR,sepa,,
2,2024-01-20T08:00:00Z,Y,Y,B,B,40.00,EUR,sepa,,
3,2024-01-31T23:59:59Z,A,A,B,B,50.00,EUR,sepa,,
4,2024-02-01T00:00:00Z,B,B,C,C,30.00,EUR,sepa,,
5,2024-02-01T00:00:00Z,C,C,D,D,20.00,EUR,sepa,,
6,2024-02-01T00:00:00Z,C,C,B,B,5.00,EUR,sepa,,
7,2024-02-01T00:00:00Z,A,A,C,C,25.00,EUR,sepa,,
8,2024-02-01T00:00:00Z,E,E,A,A,40.00,EUR,sepa,,
9,2024-02-15T10:00:00Z,D,D,A,A,15.00,EUR,sepa,,
10,2024-02-29T23:59:59Z,B,B,E,E,12.00,EUR,sepa,,
11,2024-03-01T00:00:00Z,E,E,F,F,12.00,EUR,sepa,,
12,2024-03-01T00:00:00Z,F,F,A,A,7.00,EUR,sepa,,
13,2024-03-01T00:00:00Z,A,A,G,G,60.00,EUR,sepa,,
14,2024-03-02T09:00:00Z,G,G,D,D,33.00,EUR,sepa,,
15,2024-03-02T09:00:00Z,D,D,X,X,30.00,EUR,sepa,,
CSV
"$FT" load -q data.csv -o data.ftg >/dev/null
for unit in day week month; do
    "$FT" load -q --split-by $unit -o $unit data.csv >/dev/null
done
for policy in poison haircut fifo lifo; do
    for d in out in; do
        for unit in day week month; do
            check $unit --from A:A --policy $policy --direction $d --format jsonl
            check $unit --from A:A,B:B --policy $policy --direction $d --since 2024-01-31T23:59:59Z
            check $unit --from B:B --policy $policy --direction $d --hops 2 --until 2024-03-01 \
                --format json
            check $unit --txn 7 --policy $policy --direction $d --format jsonl
            check $unit --from C:C --policy $policy --direction $d --breadth 1 --format jsonl
            check $unit --from A:A,D:D --policy $policy --direction $d --max-degree 3
        done
    done
done
# The hand-made data is not trivial: money crosses both boundaries.
"$FT" trace -q --no-provenance --from A:A --policy fifo --format jsonl day >per.out
grep -q '"account":"F:F"' per.out || { echo "trace_periods: the hand-made trace did not reach F"; fail=1; }
# The note says the trace streams.
"$FT" trace --no-provenance --from A:A month 2>err >/dev/null
grep -q 'streaming through' err || { echo "trace_periods: no note of the streaming"; cat err; fail=1; }
# The breadth limit chooses again for money of fewer hops (X is reached by
# 3 hops, then by 1 two days later), across day boundaries.
mkdir rechoose
cd rechoose
cat >data.csv <<'CSV'
txn_id,timestamp,src_account,dst_account,amount,currency
0,2024-01-01T00:30:00Z,Z,X,100.00,EUR
1,2024-01-02T01:00:00Z,S,A,10.00,EUR
2,2024-01-03T02:00:00Z,A,B,10.00,EUR
3,2024-01-04T03:00:00Z,B,X,10.00,EUR
4,2024-01-05T04:00:00Z,X,P,20.00,EUR
5,2024-01-06T04:30:00Z,X,P2,19.00,EUR
6,2024-01-07T05:00:00Z,S,X,5.00,EUR
7,2024-01-08T06:00:00Z,X,Q,3.00,EUR
8,2024-01-09T07:00:00Z,X,R,2.00,EUR
9,2024-01-10T08:00:00Z,X,T,1.00,EUR
CSV
"$FT" load -q data.csv -o data.ftg >/dev/null
"$FT" load -q --split-by day -o day data.csv >/dev/null
for policy in poison haircut fifo lifo; do
    for d in out in; do
        check day --from S --policy $policy --direction $d --hops 4 --breadth 2 --format jsonl
    done
done
"$FT" trace -q --no-provenance --from S --hops 4 --breadth 2 --format jsonl day >per.out
grep -q '"account":"Q"' per.out || { echo "trace_periods: the second choice did not reach Q"; fail=1; }
cd ..
echo "trace_periods: $runs comparisons"
exit $fail
