#!/bin/sh
# report.sh FUNDTRACE DATA_DIR WORKDIR
# fundtrace report: for a trace, one alert, a set of alerts and a cluster,
# a page that xmllint reads as well-formed, self-contained (no script, no
# external reference: the only http text is XML namespace names), with the
# right numbers in its tables and the command that reproduces it.
set -u
FT=$1
DATA=$2
WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2
if ! command -v xmllint >/dev/null; then
    echo "report.sh: xmllint is missing (apt-get install libxml2-utils)"
    exit 1
fi
cp "$DATA/small.csv" d.csv
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
fail=0
bad() {
    echo "report.sh: $*"
    fail=1
}
"$FT" scan -q --format jsonl d.csv >alerts.jsonl 2>/dev/null
"$FT" report -q --trace-from alice -o trace.html d.csv 2>/dev/null || bad "trace report failed"
"$FT" report -q --alerts alerts.jsonl --alert 42fefceb4fcacb38 -o alert.html d.csv 2>/dev/null ||
    bad "alert report failed"
"$FT" report -q --alerts alerts.jsonl -o alerts.html d.csv 2>/dev/null || bad "alerts report failed"
"$FT" report -q --cluster-of bob --method weak -o cluster.html d.csv 2>/dev/null ||
    bad "cluster report failed"
for f in trace alert alerts cluster; do
    xmllint --noout "$f.html" || bad "$f.html is not well-formed"
    grep -qi '<script\|<link\|<iframe\|<img\| src=' "$f.html" && bad "$f.html loads something"
    other=$(grep -o 'https\?://[^" ]*' "$f.html" | sort -u |
        grep -v '^http://www.w3.org/\(1999/xhtml\|2000/svg\|1999/xlink\)$')
    [ -z "$other" ] || bad "$f.html refers outside: $other"
    grep -q '<h2>Provenance</h2>' "$f.html" || bad "$f.html: no provenance"
    grep -q '788d7ecc37d9f56f582bb4f4c675fd43a9a97f8cc55bca4c3308debe972d2590' "$f.html" ||
        bad "$f.html: not the data's hash"
    grep -q '<h2>Timeline</h2>' "$f.html" || bad "$f.html: no timeline"
done
# the trace: who holds what (as fundtrace trace says), the trail, the command
grep -q '<tr><td class="n">1</td><td>bob</td><td>2024-05-01T09:00:00Z</td><td class="n">1361.00 EUR</td><td class="n">961.00 EUR</td><td class="n">400.00 EUR</td></tr>' trace.html ||
    bad "trace: bob's row"
grep -q '<tr class="seed"><td class="n">0</td><td>alice</td><td>2024-05-01T09:00:00Z</td><td class="n">1000.00 EUR</td><td class="n">10.00 EUR</td>' trace.html ||
    bad "trace: the seed's row"
[ "$(grep -c '^<tr><td class="n">[0-9]*</td><td>2024-' trace.html)" = 5 ] || bad "trace: not 5 transfers"
grep -q 'The most still held at the end: bob (961.00 EUR), dave (19.00 EUR), carol (10.00 EUR).' trace.html ||
    bad "trace: the summary"
grep -q '<pre>fundtrace report -q --trace-from alice -o trace.html d.csv</pre>' trace.html ||
    bad "trace: the command that reproduces it"
if command -v dot >/dev/null; then
    [ "$(grep -c '<svg' trace.html)" = 2 ] || bad "trace: not two pictures (graph, timeline)"
fi
# one alert: its three transfers, its id; the set: both
grep -q '1 alert covers 3 transfers among 3 accounts' alert.html || bad "alert: the summary"
grep -q '<td>42fefceb4fcacb38</td><td>cycle</td><td class="n">0.710</td>' alert.html ||
    bad "alert: its row"
grep -q '472939811d464015' alert.html && bad "alert: another alert in it"
grep -q '2 alerts cover 5 transfers among 4 accounts .*moving 2151.00 EUR' alerts.html ||
    bad "alerts: the summary"
grep -q 'The weak cluster of bob holds 4 accounts; 5 transfers' cluster.html ||
    bad "cluster: the summary"
grep -q '<tr><td>dave</td><td>2024-05-01T09:10:00Z</td><td class="n">380.00 EUR</td><td class="n">361.00 EUR</td></tr>' cluster.html ||
    bad "cluster: dave's row"
# the same bytes on a second run (SOURCE_DATE_EPOCH)
"$FT" report -q --trace-from alice -o again.html d.csv 2>/dev/null
sed 's/again.html/trace.html/' again.html | cmp -s - trace.html || bad "a second run differs"
# --pdf without Chromium says so
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    "$FT" report -q --trace-from alice -o p.html --pdf p.pdf d.csv 2>err
    [ $? = 2 ] && grep -q "needs Chromium, which is not installed" err || bad "--pdf: $(cat err)"
    [ -s p.html ] || bad "--pdf without Chromium: no HTML either"
fi
[ "$fail" = 0 ] && echo "report.sh: all checks passed"
exit $fail
