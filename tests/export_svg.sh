#!/bin/sh
# export_svg.sh FUNDTRACE WORKDIR - `export --svg` on a large neighbourhood
# draws the part nearest the seed within the drawing's limits, says what
# it left out and how big the drawing is, and finishes; a layout program
# that hangs is stopped at --svg-timeout.
set -u
ft=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
"$ft" synth -q --rows 200000 --seed 5 -o big.csv || fail "synth"
"$ft" load -q big.csv -o big.ftg >/dev/null || fail "load"
hub=$("$ft" stats --format csv big.ftg | grep '^top_out_1,' | cut -d, -f2)
[ -n "$hub" ] || fail "no account"
if command -v dot >/dev/null 2>&1; then
    start=$(date +%s)
    "$ft" export --around "$hub" --hops 2 --format gexf -o n.gexf --svg n.svg big.ftg 2>err
    status=$?
    took=$(($(date +%s) - start))
    cat err
    [ $status = 0 ] || fail "export --svg exited $status"
    grep -q 'the drawing leaves out' err || fail "no word of what the drawing left out"
    grep -q 'drawing [0-9]* accounts and [0-9]* transfers with dot' err || fail "no size before drawing"
    grep -q 'sfdp' err || fail "no suggestion for large graphs"
    grep -q '<svg' n.svg || fail "no SVG"
    [ "$took" -lt 60 ] || fail "took $took s"
    echo "a large neighbourhood drawn in $took s"
fi
# A layout program that never finishes: stopped, no file, exit 2.
mkdir bin
printf '#!/bin/sh\ncat >/dev/null\nexec sleep 60\n' >bin/dot
chmod +x bin/dot
start=$(date +%s)
PATH="$PWD/bin:$PATH" "$ft" export -q --around "$hub" --svg slow.svg --svg-timeout 2 big.ftg >/dev/null 2>err
status=$?
took=$(($(date +%s) - start))
cat err
[ $status = 2 ] || fail "a hanging dot: exit $status"
grep -q 'did not finish the drawing within 2 s' err || fail "no time limit message"
[ ! -e slow.svg ] || fail "a half drawing was left"
[ "$took" -lt 15 ] || fail "the time limit took $took s"
echo ok
