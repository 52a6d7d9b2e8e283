#!/usr/bin/env python3
"""trace_ref.py - a plain Python implementation of fundtrace's forward trace
(haircut policy, the same limits), for the trace benchmark's baseline and
as an independent check of its results.

    trace_ref.py DATA.csv SEEDS HOPS NSEEDS RESULTS_OUT

DATA.csv is synth's generic layout (numeric transaction ids). Prints the
median and p99 time per seed (the load is not timed) and writes a line per
seed and account reached: seed, account, hops, traced money held per
currency in minor units.

The semantics, as fundtrace-trace(1) states them:
- Transfers are taken by time; at one time, credits before debits (a
  transfer out of an account waits for every other transfer into it at that
  time), otherwise by amount, id, currency, payer, payee; a circle of
  waiting transfers is broken at its first one.
- Every account's balance counts from its first transfer in the data.
- Traced money carries its hop count: haircut keeps a traced balance per
  hop count; a payment takes traced x amount / balance, rounded down,
  split over the hop counts: the part of h hops is the share of the money
  of at most h hops, rounded down, less that of fewer hops. Money arriving with HOPS hops, or
  at a hub (more than 2000 transfers), stays there; the rest moves on.
- An account's money of k hops passes on by its 50 largest payments (ties:
  earlier first) from the time of the first arrival of money of at most k
  hops that it may pass on.
"""
import bisect
import csv
import heapq
import sys
import time
from collections import defaultdict

MAX_DEGREE, BREADTH = 2000, 50
INF = float("inf")
EXPONENT = {"JPY": 0}

path, seeds_path, hops_limit, nseeds, out_path = sys.argv[1:6]
hops_limit, nseeds = int(hops_limit), int(nseeds)

# --- load: dict of account ids, lists per field ---
t0 = time.time()
ids, names = {}, []
src, dst, amt, cur, ts, txid = [], [], [], [], [], []
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
        t = row["timestamp"]  # YYYY-MM-DDTHH:MM:SSZ: its digits sort as the times do
        ts.append(int(t[0:4] + t[5:7] + t[8:10] + t[11:13] + t[14:16] + t[17:19]))
        txid.append(int(row["txn_id"]))
n = len(src)
code = {v: k for k, v in curs.items()}


def tie_key(t):
    return (amt[t], txid[t], code[cur[t]], names[src[t]], names[dst[t]])


def order_group(group):
    """The transfers of one timestamp in the order money moves through them."""
    g = sorted(group, key=tie_key)
    m = len(g)
    pend = defaultdict(int)
    debits = defaultdict(list)
    for r, t in enumerate(g):
        pend[dst[t]] += 1
        debits[src[t]].append(r)
    state = [0] * m  # 0 waiting, 1 ready, 2 made
    heap = []

    def release(a, own):
        for r in debits.get(a, ()):
            t = g[r]
            if state[r] == 0 and (src[t] == dst[t]) == own:
                state[r] = 1
                heapq.heappush(heap, r)

    for a in {src[t] for t in g} | {dst[t] for t in g}:
        if pend[a] == 0:
            release(a, False)
        elif pend[a] == 1:
            release(a, True)
    made, nxt = [], 0
    while len(made) < m:
        if heap:
            r = heapq.heappop(heap)
        else:
            while state[nxt]:
                nxt += 1
            r = nxt
        state[r] = 2
        made.append(g[r])
        b = dst[g[r]]
        pend[b] -= 1
        if pend[b] == 1:
            release(b, True)
        elif pend[b] == 0:
            release(b, False)
    return made


by_time = sorted(range(n), key=lambda t: ts[t])
order = []
i = 0
while i < n:
    j = i + 1
    while j < n and ts[by_time[j]] == ts[by_time[i]]:
        j += 1
    order.extend(by_time[i:j] if j - i == 1 else order_group(by_time[i:j]))
    i = j
# Everything by position in that order from here on.
psrc = [src[t] for t in order]
pdst = [dst[t] for t in order]
pamt = [amt[t] for t in order]
pcur = [cur[t] for t in order]
pts = [ts[t] for t in order]
out = [[] for _ in names]
inn = [[] for _ in names]
for p in range(n):
    out[psrc[p]].append(p)
    inn[pdst[p]].append(p)
del src, dst, amt, cur, ts, txid, by_time, order  # only the positions' copies are used
load_s = time.time() - t0


def trace(seed):
    nodes = {}   # account -> node
    heap = []    # (position, account): payments of accounts holding traced money
    allowed = {}  # payment -> the hops below which the breadth limit lets it carry money

    def choose(a, p, cap):
        # The BREADTH largest payments from the time of p on may carry
        # money of fewer than cap hops (an earlier choice's larger cap stays).
        lst = out[a]
        k = bisect.bisect_left(lst, p)
        while k > 0 and pts[lst[k - 1]] == pts[p]:
            k -= 1
        rest = lst[k:]
        if len(rest) > BREADTH:
            rest = sorted(rest, key=lambda q: (-pamt[q], q))[:BREADTH]
        for q in rest:
            allowed[q] = max(allowed.get(q, 0), cap)

    def ledger(nd, c):
        l = nd["ledgers"].get(c)
        if l is None:
            l = nd["ledgers"][c] = [0, {}]  # balance, traced by hops
        return l

    def outflow(l, amount):
        # The traced share of the money of at most h hops, rounded down,
        # less that of fewer hops: the part of h hops.
        bal, traced = l
        whole = bal >= amount and bal > 0
        parts, below, taken = {}, 0, 0
        for h in sorted(traced):
            below += traced[h]
            upto = below * amount // bal if whole else below
            parts[h] = upto - taken
            taken = upto
        for h in list(traced):
            traced[h] -= parts[h]
            if not traced[h]:
                del traced[h]
            if not parts[h]:
                del parts[h]
        l[0] = bal - amount if whole else 0
        return parts

    def catch_up(a, p):
        nd = nodes[a]
        while True:
            i = inn[a][nd["ip"]] if nd["ip"] < len(inn[a]) else n
            o = out[a][nd["op"]] if nd["op"] < len(out[a]) else n
            if i >= p and o >= p:
                return
            if o <= i:
                l = ledger(nd, pcur[o])
                nd["holding"] -= sum(outflow(l, pamt[o]).values())
                nd["op"] += 1
            else:
                ledger(nd, pcur[i])[0] += pamt[i]
                nd["ip"] += 1

    def schedule(a):
        # The next payment, or sleep until traced money arrives.
        nd = nodes[a]
        nd["asleep"] = a != seed and nd["holding"] == 0
        if nd["op"] < len(out[a]) and not nd["asleep"]:
            heapq.heappush(heap, (out[a][nd["op"]], a))

    def follow(a, p, fewest):
        nd = nodes[a]
        nd["followed"] = True
        nd["wmin"] = fewest
        nd["ip"] = nd["op"] = 0  # the whole history
        choose(a, p, INF)
        catch_up(a, p)

    def arrive(b, p, parts):
        nd = nodes.get(b)
        if nd is None:
            nd = nodes[b] = {"hops": min(parts), "followed": False,
                             "hub": len(out[b]) + len(inn[b]) > MAX_DEGREE,
                             "ledgers": {}, "held": defaultdict(int), "holding": 0}
        nd["hops"] = min(nd["hops"], min(parts))
        c = pcur[p]
        movable = {}
        for h, v in parts.items():
            if b == seed or nd["hub"] or h >= hops_limit:
                nd["held"][c] += v
            else:
                movable[h] = v
        if not movable:
            return
        if not nd["followed"]:
            follow(b, p, min(movable))
            nd["asleep"] = True
        else:
            catch_up(b, p)
            if min(movable) < nd["wmin"]:  # money of fewer hops: chosen for from now
                choose(b, p, nd["wmin"])
                nd["wmin"] = min(movable)
        l = ledger(nd, c)
        l[0] += pamt[p]
        for h, v in movable.items():
            l[1][h] = l[1].get(h, 0) + v
        nd["ip"] += 1
        nd["holding"] += sum(movable.values())
        if nd["asleep"]:
            schedule(b)

    nodes[seed] = {"hops": 0, "followed": True, "hub": False, "ledgers": {},
                   "held": defaultdict(int), "holding": 0, "ip": 0, "op": 0, "asleep": False}
    if out[seed]:
        choose(seed, out[seed][0], INF)
    schedule(seed)
    while heap:
        p, a = heapq.heappop(heap)
        nd = nodes[a]
        if a != seed:
            catch_up(a, p)
        nd["op"] += 1
        if a == seed:
            parts = {0: pamt[p]}
        else:
            parts = outflow(ledger(nd, pcur[p]), pamt[p])
            nd["holding"] -= sum(parts.values())
        cap = allowed.get(p, 0)
        parts = {h: v for h, v in parts.items() if h < cap}
        if parts:
            arrive(pdst[p], p, {h + 1: v for h, v in parts.items()})
        schedule(a)
    held = {}
    for a, nd in nodes.items():
        h = dict(nd["held"])
        if a != seed and nd["followed"]:
            for c, (_, traced) in nd["ledgers"].items():
                h[c] = h.get(c, 0) + sum(traced.values())
        held[a] = h
    return nodes, held


with open(seeds_path) as f:
    seeds = [line.strip() for line in f if line.strip()][:nseeds]
times = []
with open(out_path, "w") as f:
    for key in seeds:
        s = ids[key]
        a = time.time()
        nodes, held = trace(s)
        times.append(time.time() - a)
        for acct, nd in nodes.items():
            text = " ".join("%s=%d" % (code[c], v) for c, v in sorted(held[acct].items(),
                                                                     key=lambda cv: code[cv[0]])
                            if v)
            f.write(("%s %s %d %s" % (key, names[acct], nd["hops"], text)).rstrip() + "\n")
times.sort()
print("seeds %d\nload_s %.3f\nmedian_ms %.3f\np99_ms %.3f\nmean_ms %.3f" % (
    len(times), load_s, times[len(times) // 2] * 1e3, times[int(len(times) * 0.99)] * 1e3,
    sum(times) / len(times) * 1e3))
