#!/usr/bin/env python3
"""cycles_ref.py - a plain Python implementation of fundtrace scan's temporal
cycle detector (the same definition and default parameters), for the scan
benchmark's baseline and as an independent check of its alerts.

    cycles_ref.py DATA.csv OUT

DATA.csv is synth's generic layout, in time order (as the store orders it).
Prints the time of the search (the load is not timed) and writes one line
per cycle: its transaction ids, sorted, separated by spaces.

The definition: transfers e0, e1, ..., ek (k from 1 to MAX_HOPS - 1), each
paid by the payee of the one before, the last one paying back the payer
of e0; times strictly increasing, all within WINDOW of e0; each amount
between KEEP_LOW and KEEP_HIGH of the one before, in the same currency; no
account twice; no account with more than HUB_DEGREE transfers. At most 64
cycles from one first transfer.
"""
import sys
import time

MAX_HOPS, WINDOW_MS, KEEP_LOW, KEEP_HIGH, HUB_DEGREE = 6, 120 * 3600 * 1000, 0.8, 1.0, 500
EXPONENT = {"JPY": 0}


def parse_ms(text):
    # synth writes 2024-01-01T06:12:30Z
    import calendar
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
    return (calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))) * 1000


def main():
    path, out_path = sys.argv[1:3]
    import csv
    ids, tid, ts, src, dst, amt, cur = {}, [], [], [], [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for key, col in ((row["src_bank"] + ":" + row["src_account"], src),
                             (row["dst_bank"] + ":" + row["dst_account"], dst)):
                a = ids.get(key)
                if a is None:
                    a = ids[key] = len(ids)
                col.append(a)
            tid.append(row["txn_id"])
            ts.append(parse_ms(row["timestamp"]))
            c = row["currency"]
            e = EXPONENT.get(c, 2)
            whole, _, frac = row["amount"].partition(".")
            amt.append(int(whole) * 10 ** e + (int((frac + "0" * e)[:e]) if e else 0))
            cur.append(c)
    n = len(src)
    # the store's order: time, then row (stable)
    order = sorted(range(n), key=lambda i: ts[i])
    out = [[] for _ in ids]
    degree = [0] * len(ids)
    for i in order:
        out[src[i]].append(i)
        degree[src[i]] += 1
        degree[dst[i]] += 1
    rank = [0] * n
    for r, i in enumerate(order):
        rank[i] = r
    hub = [d > HUB_DEGREE for d in degree]

    t0 = time.time()
    cycles = []

    def dfs(start, path, limit, found):
        p = path[-1]
        v = dst[p]
        for t in out[v]:
            if rank[t] <= rank[p]:
                continue
            if ts[t] > limit:
                break
            if found[0] >= 64:
                return
            if ts[t] <= ts[p] or cur[t] != cur[p]:
                continue
            if not (amt[t] >= KEEP_LOW * amt[p] - 1e-6 and amt[t] <= KEEP_HIGH * amt[p] + 1e-6):
                continue
            d = dst[t]
            if d == start:
                found[0] += 1
                cycles.append(path + [t])
                continue
            if len(path) + 1 >= MAX_HOPS or hub[d] or d == v:
                continue
            if any(src[q] == d for q in path):
                continue
            dfs(start, path + [t], limit, found)

    for a in range(len(ids)):
        if hub[a]:
            continue
        for e0 in out[a]:
            b = dst[e0]
            if b == a or hub[b]:
                continue
            dfs(a, [e0], ts[e0] + WINDOW_MS, [0])
    secs = time.time() - t0
    with open(out_path, "w") as f:
        for c in cycles:
            f.write(" ".join(sorted(tid[t] for t in c)) + "\n")
    print("cycles %d\nsearch_s %.3f" % (len(cycles), secs))


main()
