#!/usr/bin/env python3
"""split_time.py - split a transactions file and its truth in two by time.

    split_time.py DATA TRUTH EARLY_CSV EARLY_TRUTH LATE_CSV LATE_TRUTH

DATA is an AMLSim transactions file (plain or .gz: tran_id, ...,
tran_timestamp, ...); TRUTH its alert_transactions.csv. The rows before the
median timestamp go to EARLY_CSV, the others to LATE_CSV, both in AMLSim's
layout. Each half's truth (synth's CSV: instance_id,pattern,txn_ids) holds
the instances with at least half of their transactions in that half,
restricted to those transactions, so that each half is scored only on what
it holds.
"""
import csv
import gzip
import sys


def opener(path):
    return gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")


def main():
    data, truth, early_csv, early_truth, late_csv, late_truth = sys.argv[1:7]
    with opener(data) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    its = header.index("tran_timestamp")
    iid = header.index("tran_id")
    times = sorted(r[its] for r in rows)
    cut = times[len(times) // 2]
    side = {}
    with open(early_csv, "w", newline="") as e, open(late_csv, "w", newline="") as l:
        we, wl = csv.writer(e, lineterminator="\n"), csv.writer(l, lineterminator="\n")
        we.writerow(header)
        wl.writerow(header)
        for r in rows:
            early = r[its] < cut
            side[r[iid]] = early
            (we if early else wl).writerow(r)
    inst = {}
    with opener(truth) as f:
        for r in csv.DictReader(f):
            inst.setdefault(r["alert_id"], (r["alert_type"], []))[1].append(r["tran_id"])
    for path, early in ((early_truth, True), (late_truth, False)):
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["instance_id", "pattern", "txn_ids"])
            for aid, (kind, txns) in sorted(inst.items(), key=lambda x: int(x[0])):
                mine = [t for t in txns if side.get(t) == early]
                if mine and 2 * len(mine) >= len(txns):
                    w.writerow([aid, kind, ";".join(mine)])
    print("split at %s: %d and %d rows" % (cut, sum(side.values()),
                                            len(side) - sum(side.values())), file=sys.stderr)


if __name__ == "__main__":
    main()
