#!/usr/bin/env python3
"""csv_formulas.py FUNDTRACE DATA_DIR WORK_DIR

Every CSV fundtrace writes, from data whose ids, accounts, memos, channels
and labels begin with = + - @ or a tab: no cell may begin with a formula
character unless it is a plain number or --csv-raw was given; and with
--csv-raw the cells come out as they are.
"""
import csv
import os
import re
import shutil
import subprocess
import sys

ft, data, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
src = os.path.join(data, "formulas.csv")
number = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?$")


def run(args, ok=(0, 1)):
    p = subprocess.run([ft] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in ok:
        sys.exit("FAIL: %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout.decode()


def cells(text):
    for row in csv.reader(text.splitlines()):
        for c in row:
            yield c


def outputs(raw):
    extra = ["--csv-raw"] if raw else []
    out = {}
    out["load"] = run(["load", "--format", "csv", "--rejects", "rej.csv"] + extra + [src])
    out["rejects"] = open("rej.csv").read()
    out["stats"] = run(["stats", "--format", "csv"] + extra + [src])
    out["trace"] = run(["trace", "--from", "+bob", "--format", "csv"] + extra + [src])
    out["paths"] = run(["paths", "--from", '=HYPERLINK("http://x")', "--to", "@dave", "--all",
                        "--maxflow", "--format", "csv"] + extra + [src])
    out["scan"] = run(["scan", "--format", "csv"] + extra + [src])
    run(["scan", "--format", "jsonl"] + [src], ok=(0, 1))
    out["clusters"] = run(["clusters", "--method", "weak", "--format", "csv", "--min-size", "1"]
                          + extra + [src])
    run(["export", "--around", "+bob", "--hops", "3", "--format", "csv", "-o", "e"] + extra
        + [src])
    out["export nodes"] = open("e-nodes.csv").read()
    out["export edges"] = open("e-edges.csv").read()
    return out


guarded = outputs(False)
bad = []
for name, text in guarded.items():
    for c in cells(text):
        if c and c[0] in "=+-@\t\r" and not number.match(c):
            bad.append("%s: %r" % (name, c))
if bad:
    sys.exit("FAIL: formula cells without --csv-raw:\n  " + "\n  ".join(bad[:20]))
# The hostile values are there, behind a quote.
joined = "\n".join(guarded.values())
for want in ["'=HYPERLINK", "'+bob", "'-carol", "'@dave", "'=cmd", "''=quoted", "'=1+1"]:
    if want not in joined:
        sys.exit("FAIL: %r not in the guarded outputs" % want)
# Amounts and other numbers stay numbers: -5 and +7.5 as memos, too.
if "-5" not in guarded["export edges"] or "+7.5" not in guarded["export edges"]:
    sys.exit("FAIL: a number was quoted")
raw = outputs(True)
rawcells = set(c for t in raw.values() for c in cells(t))
for want in ['=HYPERLINK("http://x")', "+bob", "@dave", "=1+1"]:
    if want not in rawcells:
        sys.exit("FAIL: --csv-raw did not keep %r as it is" % want)
# A scan's CSV read back: the quotes come off.
run(["scan", "--format", "csv", "-q", src], ok=(0, 1))
with open("a.csv", "w") as f:
    f.write(guarded["scan"])
alert = next(csv.DictReader(guarded["scan"].splitlines()))["id"]
run(["export", "--alert", alert, "--alerts", "a.csv", "--format", "csv", "-o", "al", src])
edges = list(csv.DictReader(open("al-edges.csv")))
if len(edges) != 3 or edges[0]["alerts"] != alert:
    sys.exit("FAIL: the alert read back from CSV covers %d transfers, not 3" % len(edges))
print("no CSV cell begins with a formula character; --csv-raw keeps them (%d outputs)"
      % len(guarded))
