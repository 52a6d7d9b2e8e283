#!/bin/sh
# audit.sh FUNDTRACE DATA_DIR WORKDIR
# The audit log: one line per command, the case and purpose required;
# `audit verify` names the first bad line after an edit, a deletion, a
# reordering, a truncated last line and an edited last line; a log that
# ends in a cut line takes no more; writers at once keep the chain whole;
# the summary counts per case and per account.
set -u
FT=$1
DATA=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2
cp "$DATA/small.csv" d.csv
fail=0
bad() {
    echo "audit.sh: $*"
    fail=1
}
expect() { # STATUS CMD...: runs CMD, checks its exit status
    want=$1
    shift
    "$@" >out 2>err
    got=$?
    [ "$got" = "$want" ] || bad "$* exited $got, not $want: $(cat err out | head -3)"
}
L=audit.log
expect 0 "$FT" trace -q --from alice --audit $L --case C-1 --purpose "enquiry 17" d.csv
expect 0 "$FT" scan -q --format jsonl --audit $L --case C-2 --purpose nightly d.csv
FUNDTRACE_AUDIT=$L expect 0 "$FT" export -q --around bob --case=C-1 --purpose=enquiry d.csv
FUNDTRACE_AUDIT=$L expect 1 "$FT" trace -q --from frank --hops 1 --case C-3 --purpose "a lead" d.csv
# without a case or a purpose nothing runs, and nothing is logged
expect 2 "$FT" trace -q --from alice --audit $L --case C-1 d.csv
FUNDTRACE_AUDIT=$L expect 2 "$FT" scan -q --purpose x d.csv
[ "$(wc -l <$L)" = 4 ] || bad "4 lines expected, $(wc -l <$L) written"
expect 0 "$FT" audit verify $L
grep -q '"case":"C-2","purpose":"nightly"' $L || bad "line 2 lacks its case and purpose"
grep -q '"alerts":\["472939811d464015","42fefceb4fcacb38"\]' $L || bad "scan's alert ids not logged"
grep -q '"accounts":\["alice"\]' $L || bad "trace's seed not logged"
grep -q '"sha256":"788d7ecc37d9f56f582bb4f4c675fd43a9a97f8cc55bca4c3308debe972d2590"' $L ||
    bad "the data's hash not logged"

# the summary: per case, per account
"$FT" audit summary --format csv $L >summary.csv
grep -q '^case,C-1,2,' summary.csv || bad "summary: C-1 has 2 commands: $(cat summary.csv)"
grep -q '^account,alice,1,.*,C-1$' summary.csv || bad "summary: alice searched once in C-1"
grep -q '^account,frank,1,.*,C-3$' summary.csv || bad "summary: frank searched once in C-3"

# tampering: each named at the right line
tamper() { # NAME LINE SED-SCRIPT
    cp $L t.log
    sed -i "$3" t.log
    "$FT" audit verify t.log >out 2>err
    st=$?
    [ "$st" = 1 ] || bad "$1: audit verify exited $st"
    grep -q "^t.log:$2: " out || bad "$1: line $2 not named: $(cat out err)"
}
tamper "an edited purpose" 2 '2s/"purpose":"nightly"/"purpose":"routine"/'
tamper "an edited alert list" 2 '2s/472939811d464015/472939811d464016/'
tamper "a deleted line" 2 '2d'
tamper "two lines swapped" 2 '2{h;d};3G'
tamper "the first line deleted" 1 '1d'
tamper "an edited last line" 4 '4s/"case":"C-3"/"case":"C-9"/'
# a re-hashed edit breaks the next line's link
cp $L t.log
line2=$(sed -n 2p t.log | sed 's/"purpose":"nightly"/"purpose":"routine"/')
body=$(printf '%s' "$line2" | sed 's/,"sha256":"[0-9a-f]*"}$/}/')
sha=$(printf '%s' "$body" | sha256sum | cut -c1-64)
fixed=$(printf '%s' "$body" | sed "s/}\$/,\"sha256\":\"$sha\"}/")
awk -v l="$fixed" 'NR==2{print l; next}{print}' $L >t.log
"$FT" audit verify t.log >out 2>&1
grep -q "^t.log:3: its prev is not line 2's sha256" out || bad "a re-hashed edit: $(cat out)"
# a truncated last line; then nothing more is appended
cp $L t.log
size=$(wc -c <t.log)
truncate -s $((size - 10)) t.log
"$FT" audit verify t.log >out 2>&1
[ $? = 1 ] && grep -q "^t.log:4: cut short" out || bad "a truncated last line: $(cat out)"
expect 2 "$FT" stats --audit t.log --case C-1 --purpose x d.csv
grep -q "ends in a line cut short" err || bad "appending to a cut log: $(cat err)"
[ "$(wc -c <t.log)" = $((size - 10)) ] || bad "a cut log was appended to"

# writers at once: 6 processes, 5 commands each, one log
P=par.log
i=1
while [ $i -le 6 ]; do
    (
        for k in 1 2 3 4 5; do
            "$FT" trace -q --from alice --audit $P --case "P-$i" --purpose "run $k" d.csv >/dev/null
        done
    ) &
    i=$((i + 1))
done
wait
[ "$(wc -l <$P)" = 30 ] || bad "parallel writers: $(wc -l <$P) lines, not 30"
"$FT" audit verify $P >out 2>&1 || bad "parallel writers broke the chain: $(cat out)"
[ "$fail" = 0 ] && echo "audit.sh: all checks passed"
exit $fail
