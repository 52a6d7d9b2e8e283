#!/bin/sh
# study_report.sh FUNDTRACE WORKDIR DATADIR
# fundtrace study --html and --json-out on the three-country fixture
# (tests/data/study.csv, see tests/study.sh): the --json-out file is the
# document --format json prints; the report is well-formed XML, loads
# nothing (no http: but namespace names, no src=, @import or url()), holds
# every figure of the JSON in the cell marked with its path and the run's
# provenance record as JSON (fundtrace verify reads it), and is the same
# bytes on a second run under SOURCE_DATE_EPOCH; both files have mode 0644;
# a file that cannot be written is named. With Chromium installed the
# report is rendered headless, and the picture is not blank: it has the
# bars' colours.
set -eu
FT=$1
WORK=$2
D=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
umask 022
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
fail=0
bad() {
    echo "FAIL $*"
    fail=1
}
cp "$D/study.csv" "$D/study_truth.csv" "$D/study_jur.csv" .
run() { # HTML JSON
    "$FT" study -q --format json --truth study_truth.csv --jurisdiction-map study_jur.csv \
        --from DE01:D0,OUT1:TFC --html "$1" --json-out "$2" study.csv
}
run report.html out.json >stdout.json
cmp -s out.json stdout.json || bad "--json-out differs from --format json's output"
for f in report.html out.json; do
    [ "$(stat -c %a "$f")" = 644 ] || bad "$f: mode $(stat -c %a "$f")"
done
ls ./*.tmp.* >/dev/null 2>&1 && bad "temporary files left: $(ls ./*.tmp.*)"
# the table on standard output, files beside it
"$FT" study -q --truth study_truth.csv --html t.html --json-out t.json study.csv >t.txt
grep -q '^siloed ' t.txt || bad "--html: standard output is not the table"
[ -s t.html ] && [ -s t.json ] || bad "--html/--json-out with the table: no files"

# the same bytes again: CPU seconds are left out under SOURCE_DATE_EPOCH
mv report.html first.html
mv out.json first.json
run report.html out.json >/dev/null
cmp -s first.html report.html || bad "a second run's report differs"
# the JSON's CPU seconds differ: the rest is the same
python3 - first.json out.json <<'PY' || bad "a second run's JSON differs"
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if "cpu_seconds" not in k}
    return [strip(x) for x in v] if isinstance(v, list) else v
a, b = (strip(json.load(open(p))) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY

# well-formed, self-contained
if command -v xmllint >/dev/null; then
    xmllint --noout report.html || bad "xmllint: not well-formed"
fi
other=$(grep -o 'https\?:[^" ]*' report.html | sort -u |
    grep -v '^http://www.w3.org/\(1999/xhtml\|2000/svg\)$' || true)
[ -z "$other" ] || bad "refers outside: $other"
grep -qi ' src=\|@import\|url(\|<link\|<img\|<iframe\|<object' report.html && bad "loads something"
[ "$(grep -c '<script' report.html)" = 1 ] || bad "a script besides the provenance record"
grep -q '<script type="application/json" id="provenance">' report.html || bad "no record"

# every figure of the JSON in its cell; the provenance record the JSON's.
# figures REPORT JSON [cpu]: with cpu, the CPU seconds too (a run without
# SOURCE_DATE_EPOCH), else none in the report.
figures() {
    python3 - "$@" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
NS = "{http://www.w3.org/1999/xhtml}"
doc = ET.parse(sys.argv[1]).getroot()
got = {}
for e in doc.iter():
    k = e.get("data-k")
    if k is not None:
        if k in got:
            print("FAIL figure %s twice" % k)
        got[k] = "".join(e.itertext())
want = {}
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(p + "." + k if p else k, x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk("%s[%d]" % (p, i), x)
    elif "cpu_seconds" not in p or len(sys.argv) > 3:  # not reproducible (study_report.h)
        want[p] = v
out = json.load(open(sys.argv[2]))
walk("", out["results"])
ok = True
for p, v in want.items():
    if p not in got:
        print("FAIL figure %s=%r not in the report" % (p, v)); ok = False
    elif isinstance(v, bool):
        if got[p] != json.dumps(v):
            print("FAIL %s: want %s, got %s" % (p, json.dumps(v), got[p])); ok = False
    elif isinstance(v, (int, float)):
        if float(got[p]) != v:
            print("FAIL %s: want %r, got %s" % (p, v, got[p])); ok = False
    elif got[p] != v:
        print("FAIL %s: want %r, got %r" % (p, v, got[p])); ok = False
for p in got:
    if p not in want:
        print("FAIL the report's %s is not a figure of the JSON" % p); ok = False
if len(want) < 100:
    print("FAIL only %d figures" % len(want)); ok = False
script = [e for e in doc.iter(NS + "script")]
if len(script) != 1 or json.loads(script[0].text) != out["provenance"]:
    print("FAIL the report's provenance record is not the JSON's"); ok = False
svgs = list(doc.iter("{http://www.w3.org/2000/svg}svg"))
want = 4 if "traces" in out["results"] else 3  # accounts reached per seed, with traces
if len(svgs) != want:
    print("FAIL %d charts, want %d" % (len(svgs), want)); ok = False
sys.exit(0 if ok else 1)
PY
}
figures report.html stdout.json || fail=1
# without SOURCE_DATE_EPOCH the CPU seconds are there, as in the JSON
env -u SOURCE_DATE_EPOCH "$FT" study -q --truth study_truth.csv --jurisdiction-map study_jur.csv \
    --from DE01:D0,OUT1:TFC --html cpu.html --json-out cpu.json study.csv >/dev/null
figures cpu.html cpu.json cpu || bad "without SOURCE_DATE_EPOCH"
grep -q 'data-k="arrangements.federated.trace_cpu_seconds"' cpu.html || bad "no CPU seconds"
"$FT" verify -q report.html study.csv >/dev/null || bad "verify cannot read the report's record"

# the tf_collection bars: found pooled only (1 of 1; the axis 0 .. 1)
grep -q 'height="240.00" fill="#1f77b4"><title>tf_collection, pooled: 1 of 1 found' report.html ||
    bad "tf_collection's pooled bar"
grep -q 'height="0.00" fill="#ff7f0e"><title>tf_collection, siloed: 0 of 1 found' report.html ||
    bad "tf_collection's siloed bar"

# errors name the file; nothing is left behind
set +e
"$FT" study -q --html nodir/r.html study.csv >/dev/null 2>err.txt
rc=$?
set -e
[ $rc = 2 ] && grep -q 'nodir/r.html' err.txt || bad "unwritable --html: exit $rc, $(cat err.txt)"
set +e
"$FT" study -q --json-out nodir/r.json study.csv >/dev/null 2>err.txt
rc=$?
set -e
[ $rc = 2 ] && grep -q 'nodir/r.json' err.txt || bad "unwritable --json-out: exit $rc, $(cat err.txt)"
set +e
"$FT" study -q --html - study.csv >/dev/null 2>err.txt
rc=$?
set -e
[ $rc = 2 ] || bad "--html -: exit $rc"

# rendered headless: not blank, with the bars' colours
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    echo "study_report.sh: Chromium is not installed: the report is not rendered (skipped)"
else
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$WORK/chromium" --screenshot="$WORK/shot.png" --window-size=1200,2000 \
        "file://$WORK/report.html" >chromium.log 2>&1 || true
    if [ ! -s shot.png ]; then
        bad "Chromium made no picture: $(tail -3 chromium.log)"
    else
        python3 - shot.png <<'PY' || fail=1
# PNG decoded here (zlib; Sub and Up lines a whole line at a time as integers)
import collections, struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6) and not interlace, "PNG type %d/%d" % (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
L = int.from_bytes(b"\x7f" * stride, "big")
H = int.from_bytes(b"\x80" * stride, "big")
def add(a, b):  # bytewise a + b mod 256, on whole lines as integers
    return ((a & L) + (b & L)) ^ ((a ^ b) & H)
prev = bytes(stride)
pixels = collections.Counter()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
    if f == 1 or f == 2:
        x = int.from_bytes(line, "big")
        if f == 2:
            x = add(x, int.from_bytes(prev, "big"))
        else:  # prefix sums per channel, by doubling
            k = bpp
            while k < stride:
                x = add(x, x >> (8 * k))
                k *= 2
        line = x.to_bytes(stride, "big")
    elif f == 3 or f == 4:
        out = bytearray(line)
        for i in range(stride):
            a = out[i - bpp] if i >= bpp else 0
            b = prev[i]
            if f == 3:
                out[i] = (out[i] + ((a + b) >> 1)) & 255
            else:
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        line = bytes(out)
    pixels.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
    prev = line
colours = {"pooled": (0x1f, 0x77, 0xb4), "siloed": (0xff, 0x7f, 0x0e),
           "federated": (0x2c, 0xa0, 0x2c), "records crossing": (0x6a, 0x3d, 0x9a)}
ink = w * h - pixels[(255, 255, 255)]
ok = ink > 0.02 * w * h
if not ok:
    print("FAIL the rendered report is blank: %d of %d pixels not white" % (ink, w * h))
for k, v in colours.items():
    if pixels[v] < 100:
        print("FAIL the rendered report has %d pixels of %s's colour" % (pixels[v], k)); ok = False
sys.exit(0 if ok else 1)
PY
    fi
fi

[ $fail -eq 0 ] && echo "study_report: all checks passed"
exit $fail
