#!/usr/bin/env python3
"""pseudo_outputs.py FUNDTRACE DATA_DIR WORK_DIR

--pseudonymise on export, trace and scan, in every output format: the
output is the plain run's output with each account id replaced by its
token (HMAC-SHA256 under the key, computed here with Python's hmac), byte
for byte, so amounts and times are exact and no id is left; the tables
(aligned for the raw ids' widths) only have to name no raw id. Then match
finds exactly the accounts two traces share."""
import hashlib
import hmac
import os
import re
import subprocess
import sys

ft, data, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
os.chdir(work)
KEY = b"0123456789abcdef0123456789abcdef"
with open("key", "wb") as f:
    f.write(KEY + b"\n")
# small.csv without its memos (free text, which export leaves out when
# pseudonymising) and without its bad rows.
import csv
out = []
with open(os.path.join(data, "small.csv"), newline="") as f:
    for cells in csv.reader(f):
        if len(cells) != 9 or cells[0] in ("T08",):
            continue
        if cells[0] != "txn_id":
            cells[7] = ""
        out.append(",".join(cells))
open("d.csv", "w").write("\n".join(out) + "\n")
ids = sorted({c for line in out[1:] for c in line.split(",")[2:4]})
assert ids == ["alice", "bob", "carol", "dave", "erin", "frank"], ids


def token(i):
    return "ps-" + hmac.new(KEY, i.encode(), hashlib.sha256).hexdigest()[:32]


word = re.compile(r"(?<![\w-])(" + "|".join(ids) + r")(?![\w-])")


def run(args, check_rc=(0,)):
    p = subprocess.run([ft] + args, capture_output=True, text=True)
    if p.returncode not in check_rc:
        sys.exit(f"{args}: exit {p.returncode}: {p.stderr}")
    return p.stdout


bad = 0
cases = []
for fmt in ["jsonl", "json", "csv", "dot", "table"]:
    cases.append(["trace", "-q", "--from", "alice", "--format", fmt])
    cases.append(["trace", "-q", "--from", "bob", "--direction", "in", "--format", fmt])
for fmt in ["jsonl", "json", "csv", "table"]:
    cases.append(["scan", "-q", "--set", "scan.min_score=0", "--format", fmt])
for fmt in ["graphml", "gexf", "dot"]:
    cases.append(["export", "-q", "--around", "alice", "--hops", "3", "--format", fmt])
cases.append(["export", "-q", "--trace-from", "alice", "--format", "graphml"])
cases.append(["export", "-q", "--cluster-of", "bob", "--method", "weak", "--format", "gexf"])
n = 0
for args in cases:
    plain = run(args + ["--no-provenance", "d.csv"], (0, 1))
    pseudo = run(args + ["--no-provenance", "--pseudonymise", "key", "d.csv"], (0, 1))
    # with its provenance record (which names the seeds by their tokens)
    whole = run(args + ["--provenance", "--pseudonymise", "key", "d.csv"], (0, 1))
    n += 1
    for text in (pseudo, whole):
        if word.search(text):
            print(f"{args}: a raw id is left: {word.search(text).group(0)}")
            bad += 1
    if "table" not in args and '"kind":"provenance"' not in whole and \
            "{&quot;kind&quot;:&quot;provenance&quot;" not in whole:
        print(f"{args}: no provenance record")
        bad += 1
    if "table" in args:
        continue
    want = word.sub(lambda m: token(m.group(0)), plain)
    if want != pseudo:
        print(f"{args}: not the plain output with tokens for ids")
        bad += 1
    if not re.search(r"ps-[0-9a-f]{32}", pseudo):
        print(f"{args}: no token")
        bad += 1
# export --format csv writes two files
run(["export", "-q", "--around", "alice", "--hops", "3", "--format", "csv", "-o", "p", "d.csv"])
run(["export", "-q", "--around", "alice", "--hops", "3", "--format", "csv", "-o", "q",
     "--pseudonymise", "key", "d.csv"])
run(["export", "-q", "--around", "alice", "--hops", "3", "--format", "csv", "-o", "r",
     "--provenance", "--pseudonymise", "key", "d.csv"])
for part in ["nodes", "edges"]:
    text = open(f"r-{part}.csv").read()
    n += 1
    if word.search(text) or not text.startswith('# {"kind":"provenance"'):
        print(f"export csv {part} with --provenance: a raw id, or no record")
        bad += 1
for part in ["nodes", "edges"]:
    a, b = open(f"p-{part}.csv").read(), open(f"q-{part}.csv").read()
    n += 1
    if word.sub(lambda m: token(m.group(0)), a) != b or word.search(b):
        print(f"export csv {part}: not the plain output with tokens for ids")
        bad += 1

# match: the accounts the forward traces from alice and from carol share
a = run(["trace", "-q", "--from", "alice", "--format", "jsonl", "--pseudonymise", "key", "d.csv"])
b = run(["trace", "-q", "--from", "carol", "--format", "csv", "--pseudonymise", "key", "d.csv"],
        (0, 1))
open("a.jsonl", "w").write(a)
open("b.csv", "w").write(b)
ra = run(["trace", "-q", "--from", "alice", "--format", "csv", "d.csv"])
rb = run(["trace", "-q", "--from", "carol", "--format", "csv", "d.csv"], (0, 1))
acc = lambda text: {line.split(",")[1] for line in text.splitlines()[1:]}
shared = sorted(token(i) for i in acc(ra) & acc(rb))
got = run(["match", "--format", "csv", "a.jsonl", "b.csv"], (0, 1))
got = sorted(line.split(",")[0] for line in got.splitlines()[1:])
n += 1
if got != shared or not shared:
    print(f"match: {got}, want {shared}")
    bad += 1
print(f"{n} outputs checked, {len(shared)} shared accounts, {bad} bad")
sys.exit(1 if bad else 0)
