#!/usr/bin/env python3
"""check_export.py FUNDTRACE DATA_DIR WORK_DIR - exports a fixture whose
account keys, ids and memos hold XML's special characters, non-ASCII text,
an invalid UTF-8 byte and a control character, in every format, and
parses each back: GraphML with networkx, GEXF with a real XML parser (and
networkx when it reads GEXF 1.3), CSV with the csv module, DOT with
Graphviz when it is installed. The same nodes, edges and attributes must
come back."""
import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

ft, data, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
src = os.path.join(data, "export_special.csv")

NODES = {'A&B "quoted"', "C<D>", "\u00c9-\u00fcn\u00efcode", "Z"}
EDGES = {  # id: (from, to, amount, currency, memo or None, label or None, time)
    "t<1>": ('A&B "quoted"', "C<D>", "100.50", "EUR", "fish & chips <cheap> 'n' \"stuff\"",
             "lab&1", "2024-06-01T10:00:00Z"),
    "t2": ("C<D>", "\u00c9-\u00fcn\u00efcode", "99.00", "EUR", "na\u00efve caf\u00e9 \u2615",
           None, "2024-06-01T11:00:00Z"),
    "t3": ("\u00c9-\u00fcn\u00efcode", 'A&B "quoted"', "5", "JPY",
           "bad \ufffd byte and \ufffd control", None, "2024-06-01T12:00:00Z"),
    "t4": ("C<D>", "Z", "7.25", "EUR", None, None, "2024-06-02T09:00:00Z"),
}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def export(fmt, out):
    subprocess.run([ft, "export", "-q", "--around", "C<D>", "--hops", "2", "--format", fmt,
                    "-o", out, src], check=True)


# GraphML through networkx
import networkx as nx

gml = os.path.join(work, "g.graphml")
export("graphml", gml)
G = nx.read_graphml(gml)
check(set(G.nodes) == NODES, "graphml nodes: %r" % set(G.nodes))
check(G.nodes["C<D>"]["seed"] is True and G.nodes["Z"]["seed"] is False, "graphml seed flags")
got = {}
for u, v, d in G.edges(data=True):
    got[d["txn"]] = (u, v, d["amount"], d["currency"], d.get("memo"), d.get("label"), d["time"])
    if d["txn"] == "t4":
        check(abs(d["value"] - 7.25) < 1e-9, "graphml value")
check(got == EDGES, "graphml edges: %r" % got)

# GEXF 1.3 with an XML parser (and networkx when it can)
gexf = os.path.join(work, "g.gexf")
export("gexf", gexf)
ns = {"g": "http://gexf.net/1.3"}
root = ET.parse(gexf).getroot()
check(root.get("version") == "1.3", "gexf version")
graph = root.find("g:graph", ns)
check(graph.get("mode") == "dynamic", "gexf dynamic")
nodes = {n.get("id"): n for n in graph.find("g:nodes", ns)}
check(set(nodes) == NODES, "gexf nodes: %r" % set(nodes))
check(nodes["C<D>"].get("start") == "2024-06-01T10:00:00Z", "gexf node start")
got = {}
for e in graph.find("g:edges", ns):
    att = {a.get("for"): a.get("value") for a in e.find("g:attvalues", ns)}
    check(e.get("start") == e.get("end") == att["time"], "gexf edge instant")
    got[att["txn"]] = (e.get("source"), e.get("target"), att["amount"], att["currency"],
                       att.get("memo"), att.get("tag"), att["time"])
check(got == EDGES, "gexf edges: %r" % got)
try:
    from networkx.readwrite.gexf import GEXF
    has13 = "1.3" in GEXF.versions
except ImportError:
    has13 = False
if has13:
    H = nx.read_gexf(gexf, version="1.3")
    check(set(H.nodes) == NODES, "networkx gexf nodes")
    check(H.number_of_edges() == len(EDGES), "networkx gexf edges")

# CSV node and edge lists
prefix = os.path.join(work, "g")
subprocess.run([ft, "export", "-q", "--around", "C<D>", "--hops", "2", "--format", "csv", "-o",
                prefix, src], check=True)
with open(prefix + "-nodes.csv", newline="", encoding="utf-8") as f:
    check({r["account"] for r in csv.DictReader(f)} == NODES, "csv nodes")
with open(prefix + "-edges.csv", newline="", encoding="utf-8", errors="replace") as f:
    got = {r["txn"]: (r["from"], r["to"], r["amount"], r["currency"], r["memo"] or None,
                      r["label"] or None, r["time"]) for r in csv.DictReader(f)}
check(set(got) == set(EDGES), "csv edges")
check(got["t<1>"] == EDGES["t<1>"], "csv edge t<1>")

# DOT through Graphviz, when installed
dot = os.path.join(work, "g.dot")
export("dot", dot)
text = open(dot, encoding="utf-8").read()
check(text.count(" -> ") == len(EDGES), "dot edges")
check('label="A&B \\"quoted\\""' in text, "dot escaping")
if any(os.access(os.path.join(p, "dot"), os.X_OK) for p in os.environ.get("PATH", "").split(":")):
    r = subprocess.run(["dot", "-Tsvg", dot, "-o", os.path.join(work, "g.svg")])
    check(r.returncode == 0, "graphviz renders the dot file")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("export formats parse back with the same nodes, edges and attributes")
