#!/bin/sh
# state_concurrent.sh FUNDTRACE WORKDIR - two nightly `scan --state` runs
# at once, on two different files, keep both runs' ids in the state, and
# the next night reports neither again.
set -u
ft=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
"$ft" synth -q --rows 100000 --seed 11 -o a.csv || fail "synth a"
"$ft" synth -q --rows 100000 --seed 12 -o b.csv || fail "synth b"
"$ft" load -q a.csv -o a.ftg >/dev/null || fail "load a"
"$ft" load -q b.csv -o b.ftg >/dev/null || fail "load b"
ids() { grep -o '"id": *"[0-9a-f]*"' "$1" | grep -o '[0-9a-f]\{16\}' | sort -u; }
for round in 1 2 3; do
    rm -f st
    "$ft" scan -q --state st --format jsonl a.ftg >a.jsonl &
    pa=$!
    "$ft" scan -q --state st --format jsonl b.ftg >b.jsonl &
    pb=$!
    wait $pa; ra=$?
    wait $pb; rb=$?
    [ $ra = 0 ] && [ $rb = 0 ] || fail "round $round: scan exit statuses $ra and $rb"
    ids a.jsonl >a.ids
    ids b.jsonl >b.ids
    grep -v '^#' st | sort -u >st.ids
    na=$(wc -l <a.ids) nb=$(wc -l <b.ids) ns=$(wc -l <st.ids)
    [ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "round $round: no alerts ($na, $nb)"
    missing=$(sort -u a.ids b.ids | comm -23 - st.ids | wc -l)
    [ "$missing" = 0 ] || fail "round $round: the state lost $missing of the $na + $nb ids"
    echo "round $round: $na and $nb alerts at once, the state keeps $ns ids"
done
# The next night: nothing new on either file (exit 1, as grep).
"$ft" scan -q --state st --format jsonl a.ftg >again.jsonl
[ $? = 1 ] || fail "a second night on a.ftg reported alerts again"
"$ft" scan -q --state st --format jsonl b.ftg >again.jsonl
[ $? = 1 ] || fail "a second night on b.ftg reported alerts again"
ls st.tmp.* 2>/dev/null && fail "temporary files left"
echo "ok"
