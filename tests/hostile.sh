#!/usr/bin/env bash
# hostile.sh FUNDTRACE WORKDIR [SCALE] - hostile input ends with a clear
# message or a correct result, in bounded memory, without a crash:
# a 100 MB field, a line of a million columns, deeply nested quotes,
# invalid UTF-8, NUL bytes, amounts at the edge of int64, ten million
# distinct accounts, one account with ten million transfers, and ten
# million transfers at the same instant. SCALE (default 1) shrinks the
# sizes: ctest runs it at 0.02; the figures in the README are at 1.
# Prints each case's result, time and peak resident memory.
set -u
ft=$1
work=$2
scale=${3:-1}
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
n() { python3 -c "print(max(1, int($1 * $scale)))"; }
H=txn_id,timestamp,src_account,dst_account,amount,currency,memo

# run LABEL EXPECTED_EXIT CMD...: runs CMD, checks its exit status, keeps
# stdout in out.txt and stderr in err.txt, prints time and peak RSS.
run() {
    local label=$1 want=$2
    shift 2
    local t0=$EPOCHREALTIME
    /usr/bin/time -f %M -o rss.txt "$@" >out.txt 2>err.txt
    local rc=$?
    local t1=$EPOCHREALTIME
    [ "$rc" -eq "$want" ] || { cat err.txt | head -5; fail "$label: exit $rc, want $want"; }
    grep -q "AddressSanitizer\|runtime error" err.txt && fail "$label: sanitizer report"
    printf '  %-44s exit %d  %6.2f s  %7.1f MB\n' "$label" "$rc" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}')" "$(awk '{print $1/1024}' rss.txt)"
}
loaded() { grep -o '"rows_loaded": *[0-9]*' out.txt | head -1 | grep -o '[0-9]*$'; }
rejected() { grep -o "\"$1\": *[0-9]*" out.txt | head -1 | grep -o '[0-9]*$'; }

big=$(n 100000000)
python3 - "$big" <<'PY'
import sys
n = int(sys.argv[1])
with open("bigfield.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency,memo\n")
    f.write("1,2024-01-01T00:00:00Z,A,B,1.00,EUR,")
    f.write("x" * n)
    f.write("\n2,2024-01-01T00:00:01Z,B,C,2.00,EUR,ok\n")
PY
run "a $((big / 1000000)) MB field" 0 "$ft" load -q --format json bigfield.csv
[ "$(loaded)" = 2 ] || fail "big field: $(loaded) rows loaded"

cols=$(n 1000000)
python3 - "$cols" <<'PY'
import sys
n = int(sys.argv[1])
with open("columns.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency,memo\n")
    f.write(",".join(["1"] * n) + "\n")
    f.write("2,2024-01-01T00:00:01Z,B,C,2.00,EUR,ok\n")
PY
run "a line of $cols columns" 0 "$ft" load -q --format json columns.csv
[ "$(loaded)" = 1 ] && [ "$(rejected wrong_field_count)" = 1 ] || fail "columns"

python3 - "$(n 1000000)" <<'PY'
import sys
n = int(sys.argv[1])
with open("quotes.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency,memo\n")
    f.write('1,2024-01-01T00:00:00Z,A,B,1.00,EUR,' + '"' * n + "\n")
    f.write('2,2024-01-01T00:00:01Z,A,B,1.00,EUR,"' + '""' * n + '"\n')
    f.write("3,2024-01-01T00:00:02Z,B,C,2.00,EUR,ok\n")
PY
run "deeply nested quotes" 0 "$ft" load -q --format json quotes.csv
[ "$(loaded)" -ge 2 ] || fail "quotes: $(loaded) loaded"

printf '%s\n1,2024-01-01T00:00:00Z,A\xff\xfe,B\xc3,1.00,EUR,\xed\xa0\x80 bad\n2,2024-01-01T00:00:01Z,B\xc3,C,2.00,EUR,ok\n' "$H" > utf8.csv
run "invalid UTF-8" 0 "$ft" load -q --format json utf8.csv
[ "$(loaded)" = 2 ] || fail "utf8"
"$ft" export -q --around C --hops 2 --format graphml utf8.csv | python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.stdin)" || fail "utf8: the export is not XML"

printf '%s\n1,2024-01-01T00:00:00Z,A,B,1.00,EUR,a\0b\n2,2024-01-01T00:00:01Z,B,C,2.00,EUR,ok\n' "$H" > nul.csv
run "NUL bytes" 0 "$ft" load -q --format json nul.csv
[ "$(loaded)" = 1 ] && [ "$(rejected nul_byte)" = 1 ] || fail "nul"

printf '%s\n1,2024-01-01T00:00:00Z,A,B,92233720368547758.07,EUR,\n2,2024-01-01T00:00:01Z,A,B,92233720368547758.07,EUR,\n3,2024-01-01T00:00:02Z,A,B,92233720368547758.08,EUR,\n4,2024-01-01T00:00:03Z,B,C,-1.00,EUR,\n' "$H" > edge.csv
run "amounts at the edge of int64" 0 "$ft" load -q --format json edge.csv
[ "$(loaded)" = 2 ] && [ "$(rejected amount_overflow)" = 1 ] || fail "edge amounts"
"$ft" stats --format json edge.csv > st.json
grep -q '"184467440737095516.14"' st.json || fail "edge amounts: the total of two maxima is not exact"
"$ft" trace -q --from A --format jsonl edge.csv >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -q "2^63" err.txt || fail "edge amounts: the trace does not refuse a sum past int64"
"$ft" clusters -q --method weak --format jsonl edge.csv | grep -q '"184467440737095516.14"' ||
    fail "edge amounts: the cluster volume"
"$ft" scan -q --format jsonl edge.csv >/dev/null; [ $? -le 1 ] || fail "edge amounts: scan"

rows=$(n 10000000)
python3 - "$rows" <<'PY'
import sys
n = int(sys.argv[1])
with open("distinct.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency\n")
    w = f.write
    for i in range(n):
        w("%d,%d,S%d,D%d,1.00,EUR\n" % (i, 1704067200 + i % 86400, i, i))
with open("hub.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency\n")
    w = f.write
    for i in range(n):
        w("%d,%d,P%d,HUB,%d.00,EUR\n" % (i, 1704067200 + i, i % 1000, 1 + i % 97))
with open("sametime.csv", "w") as f:
    f.write("txn_id,timestamp,src_account,dst_account,amount,currency\n")
    w = f.write
    for i in range(n):
        w("%d,1704067200,A%d,A%d,%d.00,EUR\n" % (i, i % 5000, (i * 7 + 1) % 5000, 1 + i % 500))
PY
run "$rows distinct accounts: load" 0 "$ft" load -q distinct.csv -o distinct.ftg
run "$rows distinct accounts: scan" 1 "$ft" scan -q --format jsonl distinct.ftg
"$ft" stats --format json distinct.ftg | grep -q "\"accounts\": *$((2 * rows))" || fail "distinct: account count"
run "one account with $rows transfers: load" 0 "$ft" load -q hub.csv -o hub.ftg
run "one account with $rows transfers: scan" 1 "$ft" scan -q --format jsonl hub.ftg
# HUB only receives: its trace reaches nothing, which trace says with exit 1.
run "one account with $rows transfers: trace" 1 "$ft" trace --from HUB --format jsonl hub.ftg
run "... and a trace into it" 0 "$ft" trace --from P7 --format jsonl hub.ftg
grep -q '"hub":true' out.txt || fail "hub: not marked as a hub"
run "$rows transfers at one instant: load" 0 "$ft" load -q sametime.csv -o same.ftg
run "$rows transfers at one instant: scan" 1 "$ft" scan -q --format jsonl same.ftg
run "... trace" 0 "$ft" trace --from A1 --format jsonl same.ftg
echo "hostile input: all handled"
