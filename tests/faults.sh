#!/usr/bin/env bash
# faults.sh FUNDTRACE WORKDIR - interrupted and failing writes never cost
# data:
#   - `load -o` killed with SIGKILL at random moments: the snapshot at the
#     path is the previous one or the complete new one, and a temporary
#     file left behind is refused;
#   - `scan --state` killed likewise: the state is the previous one or the
#     complete new one;
#   - a full disk (a file size limit) while writing a snapshot, the state
#     and synth output: a clear error, exit 2, the previous file intact;
#   - output to a full device, a directory as input, a missing file: clear
#     errors.
set -u
ft=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
rows() { "$ft" stats --format json "$1" 2>/dev/null | grep -o '"rows_loaded": *[0-9]*' | head -1 | grep -o '[0-9]*$'; }

"$ft" synth -q --rows 300000 --seed 3 -o big.csv || fail "synth"
"$ft" synth -q --rows 2000 --seed 4 -o small.csv || fail "synth small"
"$ft" load -q small.csv -o snap.ftg >/dev/null || fail "first snapshot"
old_sum=$(sha256sum snap.ftg | cut -d' ' -f1)
new_rows=$(rows big.csv)
[ -n "$new_rows" ] || fail "row count"

# SIGKILL during load -o, at moments spread over the run.
kept=0 replaced=0
for delay in 0.02 0.1 0.2 0.35 0.5 0.7 0.9 1.2 1.6 2.5; do
    "$ft" load -q big.csv -o snap.ftg >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    sum=$(sha256sum snap.ftg | cut -d' ' -f1)
    if [ "$sum" != "$old_sum" ]; then
        # the new snapshot, complete
        got=$(rows snap.ftg)
        [ "$got" = "$new_rows" ] || fail "after a kill at ${delay}s the snapshot has $got rows, not $new_rows"
        old_sum=$sum
        replaced=$((replaced + 1))
    else
        kept=$((kept + 1))
    fi
    for tmp in snap.ftg.tmp.*; do
        [ -e "$tmp" ] || continue
        if "$ft" stats "$tmp" >/dev/null 2>&1; then
            # a temporary file is whole only when the kill came between the
            # final sync and the rename; then it must equal a full snapshot
            [ "$(rows "$tmp")" = "$new_rows" ] || fail "a half-written temporary file was accepted"
        fi
        rm -f "$tmp"
    done
done
echo "load -o: 10 kills, the snapshot always whole ($kept times the old one, $replaced the new)"

# SIGKILL during scan --state.
"$ft" load -q big.csv -o scan.ftg >/dev/null || fail "scan snapshot"
"$ft" scan -q --state night.state --format jsonl small.csv >/dev/null
[ $? -le 1 ] || fail "first scan"
cp night.state night.before
"$ft" scan -q --format jsonl scan.ftg > all.jsonl
full=$(( $(wc -l < all.jsonl) ))
# After a completed state the next night reports nothing: exit 1 and no
# alert line (the record of the run is still written).
next_night_silent() {
    "$ft" scan -q --state night.state --format jsonl scan.ftg > again.jsonl 2>/dev/null
    rc=$?
    [ $rc -eq 1 ] && [ "$(grep -vc '"kind":"provenance"' again.jsonl)" = 0 ] \
        || fail "after a completed state, the next night is not silent (exit $rc)"
}
# The same check without a kill, so that it runs whatever the timing.
cp night.before night.state
"$ft" scan -q --state night.state --format jsonl scan.ftg >/dev/null 2>&1
next_night_silent
kept=0 replaced=0
for delay in 0.01 0.03 0.06 0.1 0.15 0.25 0.5; do
    cp night.before night.state
    "$ft" scan -q --state night.state --format jsonl scan.ftg >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if cmp -s night.state night.before; then
        kept=$((kept + 1))
        continue
    fi
    replaced=$((replaced + 1))
    # the new state: the old ids and every id of the full scan, nothing else
    n=$(grep -vc '^#' night.state)
    old=$(grep -vc '^#' night.before)
    [ "$n" -ge "$full" ] && [ "$n" -le $((full + old)) ] || fail "a partial state ($n ids)"
    next_night_silent
    rm -f night.state.tmp.*
done
rm -f night.state.tmp.*
echo "scan --state: 7 kills, the state always whole ($kept times the old one, $replaced the new)"

# A full disk: a file size limit while writing (SIGXFSZ ignored, so
# writes fail with EFBIG as they would with ENOSPC).
cp snap.ftg snap.keep
(trap '' XFSZ; ulimit -f 200; "$ft" load -q big.csv -o snap.ftg >/dev/null 2>err.txt); rc=$?
[ $rc -eq 2 ] || fail "full disk: load exit $rc"
grep -q "snap.ftg" err.txt || fail "full disk: no clear message: $(cat err.txt)"
cmp -s snap.ftg snap.keep || fail "full disk: the previous snapshot changed"
ls snap.ftg.tmp.* >/dev/null 2>&1 && fail "full disk: a temporary file was left"
(trap '' XFSZ; ulimit -f 20; "$ft" synth -q --rows 100000 -o out.csv 2>err.txt); rc=$?
[ $rc -eq 2 ] || fail "full disk: synth exit $rc"
[ ! -e out.csv ] || fail "full disk: synth left a partial output"
cp night.state night.keep
(trap '' XFSZ; ulimit -f 1; "$ft" scan -q --all --state night.state --format jsonl scan.ftg >/dev/null 2>err.txt); rc=$?
[ $rc -eq 2 ] || fail "full disk: scan exit $rc ($(cat err.txt))"
cmp -s night.state night.keep || fail "full disk: the state changed"
"$ft" export -q --around "$(sed -n 2p small.csv | cut -d, -f3,4 | tr , :)" -o ex.graphml small.csv || fail "export"
cp ex.graphml ex.keep
(trap '' XFSZ; ulimit -f 1; "$ft" export -q --around "$(sed -n 2p big.csv | cut -d, -f5,6 | tr , :)" --hops 3 \
    -o ex.graphml big.csv 2>err.txt); rc=$?
[ $rc -eq 2 ] || fail "full disk: export exit $rc ($(cat err.txt))"
cmp -s ex.graphml ex.keep || fail "full disk: export -o changed the previous file"
ls ex.graphml.tmp.* >/dev/null 2>&1 && fail "full disk: export left a temporary file"
(trap '' XFSZ; ulimit -f 1; "$ft" load -q --rejects rej.csv big.csv >/dev/null 2>err.txt)
echo "full disk: clear errors, previous files intact"

# One writer, one mode: every file we write is 0644 under umask 022.
(umask 022
 "$ft" load -q --rejects modes-rej.csv small.csv -o modes.ftg >/dev/null &&
     "$ft" synth -q --rows 1000 -o modes-syn.csv &&
     "$ft" scan -q --state modes.state modes.ftg >/dev/null;
 "$ft" export -q --around "$(sed -n 2p small.csv | cut -d, -f3,4 | tr , :)" --format csv -o modes-ex small.csv) ||
    fail "writing the files of every kind"
for f in modes-rej.csv modes.ftg modes-syn.csv modes-syn_truth.csv modes.state modes-ex-nodes.csv \
    modes-ex-edges.csv; do
    [ "$(stat -c %a "$f")" = 644 ] || fail "$f has mode $(stat -c %a "$f"), not 644"
done
echo "modes: rejects, snapshot, synth output, state and export -o all 0644"

# A thousand random bit flips in a snapshot: every damaged file refused.
"$ft" load -q small.csv -o flip.ftg >/dev/null || fail "flip snapshot"
python3 - "$ft" flip.ftg <<'PY' || fail "bit flips"
import os, random, subprocess, sys
ft, path = sys.argv[1:3]
data = bytearray(open(path, "rb").read())
rng = random.Random(7)
for trial in range(1000):
    i, bit = rng.randrange(len(data)), rng.randrange(8)
    data[i] ^= 1 << bit
    open("flipped.ftg", "wb").write(data)
    data[i] ^= 1 << bit
    r = subprocess.run([ft, "stats", "flipped.ftg"], capture_output=True, text=True)
    if r.returncode != 2 or "damaged" not in r.stderr:
        print("flip %d at byte %d bit %d: exit %d %s" % (trial, i, bit, r.returncode, r.stderr))
        sys.exit(1)
print("bit flips: 1000 damaged snapshots of %d bytes, all refused" % len(data))
PY

# Output that cannot be written, inputs that cannot be read.
"$ft" stats small.csv >/dev/full 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "cannot write" err.txt || fail "stdout to a full device: exit $rc"
mkdir -p adir
"$ft" load adir 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "adir" err.txt || fail "a directory as input: exit $rc"
"$ft" load no-such-file.csv 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "no-such-file.csv" err.txt || fail "a missing file: exit $rc"
"$ft" scan --rules no-such-rules.ini small.csv 2>err.txt; rc=$?
[ $rc -eq 2 ] && grep -q "no-such-rules.ini" err.txt || fail "missing rules: exit $rc"
echo "unwritable output and unreadable input: clear errors"
echo "faults: all passed"
