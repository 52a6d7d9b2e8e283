#!/bin/sh
# mutate_selftest.sh PYTHON WORK_DIR
# tests/mutate.py on the tiny project in tests/data/mutate: every mutant
# of its clamp.c is tried; the suite kills 12, two are equivalent (listed
# in its equivalent.txt), two do not compile. Then the state file resumes
# with nothing to do, and --rerun-survivors runs the two survivors again.
set -u
PY=$1
WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
run() {
    "$PY" "$HERE/mutate.py" --root "$HERE/data/mutate" --work "$WORK" \
        --equivalent "$HERE/data/mutate/equivalent.txt" --count 100 "$@" src/clamp.c
}
fail() {
    echo "mutate_selftest: $1" >&2
    cat "$WORK/out" >&2
    exit 1
}
rm -rf "$WORK"
mkdir -p "$WORK"
run >"$WORK/out" 2>&1 || fail "the first run failed"
grep -q '^all  *12  *0  *0  *2  *2  *100.0%$' "$WORK/out" || fail "wrong totals"
grep -q '^score counting equivalent mutants as survivors: 85.7%$' "$WORK/out" ||
    fail "wrong score with the equivalent mutants"
grep -q '^  1cddd52fa9 .*\[equivalent\]$' "$WORK/out" || fail "survivor not marked equivalent"
[ "$(grep -c '"outcome"' "$WORK/state-1.jsonl")" = 16 ] || fail "the state file lacks mutants"
run >"$WORK/out" 2>&1 || fail "the second run failed"
grep -q ', 0 to run;' "$WORK/out" || fail "the second run did not resume"
grep -q '^all  *12  *0  *0  *2  *2  *100.0%$' "$WORK/out" || fail "wrong totals on resuming"
run --rerun-survivors >"$WORK/out" 2>&1 || fail "the third run failed"
grep -q ', 2 to run;' "$WORK/out" || fail "--rerun-survivors did not rerun the two survivors"
[ "$(grep -c '"outcome"' "$WORK/state-1.jsonl")" = 18 ] || fail "the rerun was not recorded"
echo "mutate_selftest: ok"
