#!/bin/sh
# report_render.sh FUNDTRACE DATA_DIR WORKDIR
# The report in a real browser: Chromium, headless, renders it to a PNG,
# which must not be blank; and prints it to PDF through --pdf. Skipped
# (77) where Chromium is not installed.
set -u
FT=$1
DATA=$2
WORK=$3
CHROMIUM=
for c in chromium chromium-browser google-chrome; do
    if command -v $c >/dev/null; then
        CHROMIUM=$(command -v $c)
        break
    fi
done
if [ -z "$CHROMIUM" ]; then
    echo "report_render.sh: no Chromium: skipped (apt-get install chromium)"
    exit 77
fi
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK" || exit 2
"$FT" report -q --trace-from alice -o trace.html --pdf trace.pdf "$DATA/small.csv" ||
    { echo "report_render.sh: report --pdf failed"; exit 1; }
head -c 5 trace.pdf | grep -q '%PDF-' || { echo "report_render.sh: not a PDF"; exit 1; }
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1600 \
    --screenshot="$WORK/trace.png" "file://$WORK/trace.html" >/dev/null 2>&1
python3 - "$WORK/trace.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
assert depth == 8 and ctype in (2, 6), f"PNG colour type {ctype}, depth {depth}"
bpp = 3 if ctype == 2 else 4
stride = w * bpp
prev = bytearray(stride)
dark = 0
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # undo the row's filter (PNG spec, 9.2)
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    dark += sum(1 for x in range(0, stride, bpp) if min(line[x:x + 3]) < 160)
share = dark / (w * h)
print(f"report_render: {w}x{h} pixels, {100 * share:.2f} % dark")
# Text, tables and drawings on a white page: some dark, mostly light.
sys.exit(0 if 0.005 < share < 0.5 else 1)
PY
