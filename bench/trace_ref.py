#!/usr/bin/env python3
"""trace_ref.py - a plain Python implementation of fundtrace's forward trace
(haircut policy, the same limits), for the trace benchmark's baseline and
as an independent check of its results.

    trace_ref.py DATA.csv SEEDS HOPS NSEEDS RESULTS_OUT

DATA.csv is synth's generic layout, already in time order (as the store
orders it). Prints the median and p99 time per seed (the load is not
timed) and writes a line per seed and account reached: seed, account,
hops, traced money held per currency in minor units.
"""
import bisect
import csv
import heapq
import sys
import time

MAX_DEGREE, BREADTH = 2000, 50
EXPONENT = {"JPY": 0}

path, seeds_path, hops_limit, nseeds, out_path = sys.argv[1:6]
hops_limit, nseeds = int(hops_limit), int(nseeds)

# --- load: dict of account ids, lists per field, adjacency as lists ---
t0 = time.time()
ids, names = {}, []
src, dst, amt, cur = [], [], [], []
curs = {}
with open(path, newline="") as f:
    for row in csv.DictReader(f):
        for key, col in ((row["src_bank"] + ":" + row["src_account"], src),
                         (row["dst_bank"] + ":" + row["dst_account"], dst)):
            a = ids.get(key)
            if a is None:
                a = ids[key] = len(names)
                names.append(key)
            col.append(a)
        c = row["currency"]
        exp = EXPONENT.get(c, 2)
        whole, _, frac = row["amount"].partition(".")
        amt.append(int(whole) * 10 ** exp + (int((frac + "0" * exp)[:exp]) if exp else 0))
        cur.append(curs.setdefault(c, len(curs)))
n = len(src)
out = [[] for _ in names]
inn = [[] for _ in names]
for t in range(n):
    out[src[t]].append(t)
    inn[dst[t]].append(t)
load_s = time.time() - t0


def trace(seed):
    firsts = [l[0] for l in (out[seed], inn[seed]) if l]
    start = min(firsts) if firsts else 0
    nodes = {}          # account -> node
    ledgers = {}        # (account, currency) -> [balance, traced]
    traced = {}         # txn -> traced part
    allowed = set()
    heap = []

    def ledger(a, c):
        l = ledgers.get((a, c))
        if l is None:
            l = ledgers[(a, c)] = [0, 0]
        return l

    def outflow(l, amount):
        bal, tr = l
        if bal >= amount and bal > 0:
            part = tr * amount // bal
            l[0] = bal - amount
        else:
            part = tr
            l[0] = 0
        l[1] = tr - part
        return part

    def schedule(a):
        nd = nodes[a]
        i = inn[a][nd["ip"]] if nd["ip"] < len(inn[a]) else None
        o = out[a][nd["op"]] if nd["op"] < len(out[a]) else None
        if o is not None and (i is None or o <= i):
            heapq.heappush(heap, (o * 2, a))
        elif i is not None:
            heapq.heappush(heap, (i * 2 + 1, a))

    def new_node(a, hops, txn, is_seed):
        hub = len(out[a]) + len(inn[a]) > MAX_DEGREE
        nd = nodes[a] = {"hops": hops, "followed": is_seed or (not hub and hops < hops_limit),
                         "held": {}}
        if not nd["followed"]:
            return nd
        nd["ip"] = bisect.bisect_left(inn[a], start)
        nd["op"] = bisect.bisect_left(out[a], start)
        if not is_seed:
            while True:
                i = inn[a][nd["ip"]] if nd["ip"] < len(inn[a]) else n
                o = out[a][nd["op"]] if nd["op"] < len(out[a]) else n
                if i >= txn and o >= txn:
                    break
                if o <= i:
                    outflow(ledger(a, cur[o]), amt[o])
                    nd["op"] += 1
                else:
                    l = ledger(a, cur[i])
                    l[0] += amt[i]
                    nd["ip"] += 1
        rest = out[a][nd["op"]:]
        if len(rest) <= BREADTH:
            allowed.update(rest)
        else:
            allowed.update(sorted(rest, key=lambda t: (-amt[t], t))[:BREADTH])
        schedule(a)
        return nd

    new_node(seed, 0, start, True)
    while heap:
        key, a = heapq.heappop(heap)
        t, is_in = key >> 1, key & 1
        nd = nodes[a]
        if is_in:
            nd["ip"] += 1
            part = traced.get(t, 0)
            if a == seed:
                if part:
                    nd["held"][cur[t]] = nd["held"].get(cur[t], 0) + part
            else:
                l = ledger(a, cur[t])
                l[0] += amt[t]
                l[1] += part
        else:
            nd["op"] += 1
            part = amt[t] if a == seed else outflow(ledger(a, cur[t]), amt[t])
            if part > 0 and t in allowed:
                d = dst[t]
                dn = nodes.get(d)
                if dn is None:
                    dn = new_node(d, nd["hops"] + 1, t, False)
                traced[t] = traced.get(t, 0) + part
                if not dn["followed"]:
                    dn["held"][cur[t]] = dn["held"].get(cur[t], 0) + part
        schedule(a)
    for (a, c), (bal, tr) in ledgers.items():
        nd = nodes.get(a)
        if nd is not None and nd["followed"] and a != seed and tr:
            nd["held"][c] = tr
    return nodes


with open(seeds_path) as f:
    seeds = [line.strip() for line in f if line.strip()][:nseeds]
code = {v: k for k, v in curs.items()}
times = []
with open(out_path, "w") as f:
    for key in seeds:
        s = ids[key]
        a = time.time()
        nodes = trace(s)
        times.append(time.time() - a)
        for acct, nd in nodes.items():
            held = " ".join("%s=%d" % (code[c], v) for c, v in sorted(nd["held"].items(),
                                                                     key=lambda cv: code[cv[0]])
                            if v)
            f.write(("%s %s %d %s" % (key, names[acct], nd["hops"], held)).rstrip() + "\n")
times.sort()
print("seeds %d\nload_s %.3f\nmedian_ms %.3f\np99_ms %.3f\nmean_ms %.3f" % (
    len(times), load_s, times[len(times) // 2] * 1e3, times[int(len(times) * 0.99)] * 1e3,
    sum(times) / len(times) * 1e3))
