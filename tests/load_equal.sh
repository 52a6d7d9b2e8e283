#!/bin/sh
# load_equal.sh FUNDTRACE WORKDIR DATADIR [BASE_FUNDTRACE]
# `load` gives the same snapshot (byte for byte), the same output, the
# same messages (file:line:column) and rejects, and the same exit status
# with --threads 1, 2 and 3, on tests/data/*.csv, tests/data/bad/* and a
# synth file large enough for the parallel reader (two 8 MiB slices at
# least) in five forms: as written, CRLF, quoted memos over two lines,
# semicolons with decimal commas, and bad rows. With BASE_FUNDTRACE (an
# older build, such as main's) every run is compared with that build's
# too. LOAD_EQUAL_ROWS sets the synth file's rows (default 220000; issue
# 17's check used 2000000).
set -eu
FT=$1
WORK=$2
DATA=$3
BASE=${4:-}
ROWS=${LOAD_EQUAL_ROWS:-220000}
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
FT=$(abs "$FT")
DATA=$(abs "$DATA")
[ -z "$BASE" ] || BASE=$(abs "$BASE")
rm -rf "$WORK"
mkdir -p "$WORK/in"
WORK=$(cd "$WORK" && pwd)
export SOURCE_DATE_EPOCH=1700000000
"$FT" synth --rows "$ROWS" --seed 5 -o "$WORK/in/synth.csv" >/dev/null 2>&1
rm -f "$WORK/in/synth_truth.csv"
cd "$WORK/in"
awk '{ printf "%s\r\n", $0 }' synth.csv >crlf.csv
# Every 7th memo quoted, over two lines, with a quoted quote and a comma
# (rows already quoting a memo are left as they are).
awk -F, -v OFS=, 'NR > 1 && NR % 7 == 0 && !index($0, "\"") { $10 = "\"memo " NR "\nsecond line, \"\"q\"\"\"" } { print }' \
    synth.csv >quoted.csv
awk -F, -v OFS=';' 'NR > 1 { sub(/\./, ",", $7) } { $1 = $1; print }' synth.csv >semicolon.csv
# Bad rows: an amount, a time, a stray quote, a field missing, a blank
# account, in turn every 997 rows (but rows quoting a memo); bad.n counts them.
awk -F, -v OFS=, 'NR > 1 && NR % 997 == 0 && !index($0, "\"") {
        n++
        k = int(NR / 997) % 5
        if (k == 0) $7 = "12.3.4"
        if (k == 1) $2 = "2024-13-45T00:00:00Z"
        if (k == 2) $10 = "ab\"c"
        if (k == 3) NF = 10
        if (k == 4) $4 = ""
    } { print } END { print n >"bad.n" }' synth.csv >bad.csv
cd "$WORK"
if [ "$(wc -c <in/synth.csv)" -lt 16777216 ]; then
    echo "load_equal: synth.csv is under 16 MiB: the parallel reader would not run"
    exit 1
fi
fail=0
n=0
# run BIN THREADS INPUT DIR: the load's snapshot, output, messages,
# rejects and status in DIR (the snapshot and rejects named alike in
# every DIR, so that messages naming them match).
run() {
    mkdir -p "$4"
    set +e
    (cd "$4" && "$1" load --threads "$2" --rejects rejects.csv -o snap.ftg "$3" >out 2>err)
    echo $? >"$4/status"
    set -e
}
same() { # DIR1 DIR2 LABEL
    for f in status out err rejects.csv snap.ftg; do
        if [ -e "$1/$f" ] || [ -e "$2/$f" ]; then
            if ! cmp -s "$1/$f" "$2/$f"; then
                echo "load_equal: $3: $f differs"
                diff "$1/$f" "$2/$f" 2>/dev/null | head -5
                fail=1
            fi
        fi
    done
}
for input in "$DATA"/*.csv "$DATA"/bad/*.csv "$DATA"/bad/*.gz "$WORK"/in/*.csv; do
    [ -e "$input" ] || continue
    n=$((n + 1))
    name=$(basename "$input")
    run "$FT" 1 "$input" "runs/$n-t1"
    for t in 2 3; do
        run "$FT" "$t" "$input" "runs/$n-t$t"
        same "runs/$n-t1" "runs/$n-t$t" "$name, --threads $t against 1"
    done
    if [ -n "$BASE" ]; then
        for t in 1 2; do
            run "$BASE" "$t" "$input" "runs/$n-b$t"
            same "runs/$n-b$t" "runs/$n-t$t" "$name, --threads $t against the base build"
        done
    fi
done
# The files were hard: every bad row was rejected, the rest loaded, and
# the quoted memos' rows counted once each.
bad=$(cat in/bad.n)
rejected=$(grep -l "$ROWS rows from 1 file: $((ROWS - bad)) loaded, $bad rejected" runs/*-t1/out | wc -l)
clean=$(grep -l "$ROWS rows from 1 file: $ROWS loaded, 0 rejected" runs/*-t1/out | wc -l)
if [ "$bad" -lt 100 ] || [ "$rejected" != 1 ] || [ "$clean" != 4 ]; then
    echo "load_equal: not $bad rows rejected in bad.csv and none in the other four"
    cat runs/*-t1/out
    fail=1
fi
[ "$fail" = 0 ] && echo "load_equal: $n inputs, the same for --threads 1, 2 and 3${BASE:+ and the base build}"
exit "$fail"
