#!/bin/sh
# handoff.sh FUNDTRACE WORKDIR
# Three parties that cannot pool their data: synthetic data split by bank
# (each party has every transfer that touches one of its banks' accounts),
# each traces its own seeds with --local-banks, hands the traced money
# that leaves to the others (--handoff-out) and continues theirs
# (--handoff-in), round after round until no party's handoffs change. The
# union of the parties' outputs must equal the trace over the pooled data
# line for line (a party's handoffs are one file per receiving bank, and a
# party reads the files of its own banks), for every policy, both directions and options, also
# pseudonymised; the rounds end; money leaves a party
# and comes back; the handoff files hold no raw account when
# pseudonymised; bad handoffs are refused with file, line and column.
set -eu
FT=$1
WORK=$2
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
fail=0
cases=0
bounded=0 # federated traces held to --hops + 1 rounds, and the most rounds one of them took
most=0
# handoffs DIR: the records of a party's files (an empty file is no record).
handoffs() {
    for f in "$1"/*.jsonl; do
        [ -s "$f" ] && { echo "$f"; cat "$f"; }
    done 2>/dev/null | sed "s|^$1/||"
}
# federate POLICY DIRECTION HOPS SEEDS [OPTIONS...]: the rounds, then the comparison
federate() {
    pol=$1 dir=$2 hops=$3 seeds=$4
    shift 4
    rm -rf ./*.ho ./*.new
    r=0
    while :; do
        r=$((r + 1))
        for p in A B C; do
            mine=""
            for s in $(echo "$seeds" | tr , ' '); do
                grep -qx "${s%%:*}" $p.banks && mine="$mine,$s"
            done
            mine=${mine#,}
            set -- "$@" # the options stay in $@
            ins=""
            for q in A B C; do
                [ $q != $p ] && [ -d $q.ho ] && ins="$ins --handoff-in $q.ho"
            done
            if [ -z "$mine" ] && [ -z "$ins" ]; then
                : >$p.out
                mkdir $p.new
                continue
            fi
            from=""
            [ -n "$mine" ] && from="--from $mine"
            set +e
            # shellcheck disable=SC2086
            banks=$(paste -sd, $p.banks)
            [ $p = B ] && banks=@B.banks # the list from a file, one id a line
            "$FT" trace -q --no-provenance --local-banks "$banks" $from $ins \
                --handoff-out $p.new --policy "$pol" --direction "$dir" --hops "$hops" \
                --format jsonl "$@" $p.ftg >$p.out 2>$p.err
            rc=$?
            set -e
            if [ $rc -gt 1 ]; then
                echo "handoff: party $p failed: $pol $dir $*"
                cat $p.err
                fail=1
                return
            fi
        done
        same=1
        for p in A B C; do
            [ "$(handoffs $p.new)" = "$(handoffs $p.ho)" ] || same=0
            rm -rf $p.ho
            mv $p.new $p.ho
        done
        [ $same = 1 ] && break
        # At most --hops + 1 rounds (the last confirms): each round carries
        # the money one crossing further and a handoff of k hops depends
        # only on money of fewer hops, which has crossed at most k - 1
        # times (fundtrace-trace(1), PARTIES). With a breadth limit an
        # account's choice of payments starts at the first arrival, which
        # money of more hops can make earlier: a generous bound there.
        limit=$((hops + 1)) strict=1
        case " $* " in *" --breadth 0 "*) ;; *) limit=$((4 * hops + 4)) strict=0 ;; esac
        if [ $r -ge $limit ]; then
            echo "handoff: $pol $dir --hops $hops $*: still new handoffs after $r rounds"
            fail=1
            return
        fi
    done
    if [ $strict = 1 ]; then
        bounded=$((bounded + 1))
        [ $r -gt $most ] && most=$r
    fi
    "$FT" trace -q --no-provenance --from "$seeds" --policy "$pol" --direction "$dir" \
        --hops "$hops" --format jsonl "$@" data.ftg | sort >pooled.out || true
    cat A.out B.out C.out | sort >union.out
    cases=$((cases + 1))
    if ! cmp -s pooled.out union.out; then
        echo "handoff: $pol $dir --hops $hops $*: the parties' union differs from the pooled trace"
        diff pooled.out union.out | head -4 | cut -c1-200
        fail=1
    fi
    [ -s pooled.out ] || { echo "handoff: $pol $dir $*: an empty trace"; fail=1; }
}
for seed in 5 9; do
    mkdir "s$seed"
    cd "s$seed"
    "$FT" synth -q --rows 8000 --seed $seed -o data.csv 2>/dev/null
    "$FT" load -q data.csv -o data.ftg >/dev/null
    # The banks, dealt to three parties; each party's data is every row
    # that touches one of its banks.
    awk -F, 'NR > 1 { b[$3]; b[$5] } END { for (k in b) print k }' data.csv | sort >banks
    awk 'NR % 3 == 1' banks >A.banks
    awk 'NR % 3 == 2' banks >B.banks
    awk 'NR % 3 == 0' banks >C.banks
    for p in A B C; do
        awk -F, -v L="$(paste -sd, $p.banks)" \
            'BEGIN { n = split(L, a, ","); for (i = 1; i <= n; i++) h[a[i]] = 1 } NR == 1 || h[$3] || h[$5]' \
            data.csv >$p.csv
        "$FT" load -q $p.csv -o $p.ftg >/dev/null
    done
    a=$(sed -n 2p data.csv | cut -d, -f3,4 | tr , :)
    b=$(sed -n 300p data.csv | cut -d, -f5,6 | tr , :)
    c=$(sed -n 3000p data.csv | cut -d, -f3,4 | tr , :)
    for pol in poison haircut fifo lifo; do
        for dir in out in; do
            federate $pol $dir 6 "$a,$b,$c"
            federate $pol $dir 3 "$b,$c" --breadth 2 --max-degree 50 --min-amount 10
            federate $pol $dir 4 "$a,$c" --since 2024-02-01 --until 2024-10-01 --window 90d
            # No breadth limit: at most --hops + 1 rounds (haircut's split
            # of a payment over hop counts once took 8 here).
            federate $pol $dir 6 "$a,$b,$c" --breadth 0
        done
    done
    # Money that leaves a party and comes back: a handoff to the seed's own
    # party (haircut, forward, all three seeds).
    federate haircut out 6 "$a,$b,$c"
    back=0
    for s in $a $b $c; do
        for p in A B C; do
            grep -qx "${s%%:*}" $p.banks || continue
            for q in A B C; do
                [ $q = $p ] && continue
                cat $q.ho/*.jsonl | grep -F "\"seed\":\"$s\"" | grep -o '"to":"[^:]*' |
                    cut -d'"' -f4 | grep -qxF -f $p.banks && back=1
            done
        done
    done
    [ $back = 1 ] || { echo "handoff: seed $seed: no money came back to its party"; fail=1; }
    # A party's handoffs go one file per receiving bank: each holds only
    # the records of transfers into that bank.
    for f in A.ho/*.jsonl B.ho/*.jsonl C.ho/*.jsonl; do
        bank=$(basename "$f" .jsonl)
        if grep -v "\"to\":\"$bank:" "$f" | grep -q .; then
            echo "handoff: $f holds records for other banks"
            fail=1
        fi
    done
    # Pseudonymised: the same union, and no raw account in the handoffs.
    head -c 32 /dev/zero | tr '\0' k >key
    federate fifo out 6 "$a,$b" --pseudonymise key
    if cat A.ho/*.jsonl B.ho/*.jsonl C.ho/*.jsonl | grep -q '"to":"[A-Z][A-Z][0-9]'; then
        echo "handoff: a raw account in pseudonymised handoffs"
        fail=1
    fi
    cat A.ho/*.jsonl B.ho/*.jsonl C.ho/*.jsonl | grep -q '"to":"ps-' ||
        { echo "handoff: no tokens in the handoffs"; fail=1; }
    cd ..
done
# Refused: a handoff of other options (with its place), handoffs without
# --local-banks, a seed the party does not hold.
cd s5
a=$(sed -n 2p data.csv | cut -d, -f3,4 | tr , :)
federate haircut out 6 "$a"
f=$(for x in A.ho/*.jsonl; do [ -s "$x" ] && echo "$x"; done | head -1)
bank=$(basename "$f" .jsonl)
p=$(grep -lx "$bank" ./?.banks | head -1 | cut -c3)
set +e
"$FT" trace -q --local-banks "$bank" --handoff-in "$f" --policy fifo --format jsonl $p.ftg \
    >/dev/null 2>err
rc=$?
set -e
[ $rc = 2 ] && grep -q "$f:1:1: a handoff of a trace with --policy haircut" err ||
    { echo "handoff: a handoff of another policy was not refused ($rc)"; cat err; fail=1; }
if "$FT" trace -q --handoff-in A.ho --from "$a" --format jsonl B.ftg >/dev/null 2>err; then
    echo "handoff: --handoff-in without --local-banks was not refused"
    fail=1
fi
other=$(paste -sd, B.banks)
if "$FT" trace -q --local-banks "$other" --from "$a" --format jsonl data.ftg >/dev/null 2>err; then
    echo "handoff: a seed not held by the party was not refused"
    fail=1
fi
grep -q "is not held here" err || { echo "handoff: no message for a seed not held"; cat err; fail=1; }
echo "handoff: $cases federated traces equal the pooled ones; $bounded of them held to --hops + 1 rounds (at most $most)"
[ $bounded -ge 16 ] || { echo "handoff: only $bounded traces held to the bound"; fail=1; }
exit $fail
