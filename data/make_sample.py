#!/usr/bin/env python3
"""Writes data/sample.csv and data/sample_truth.csv.

A few thousand transfers of a small bank over 60 days from 2024-03-01, in
fundtrace's generic layout, with background traffic (payroll, card
payments at two supermarkets, rent, person-to-person transfers, refunds, a
few self-transfers and foreign-currency rows; person-to-person transfers
mostly between friends) and six planted patterns,
each labelled with its instance id in the `label` column:

  fanout-1          one account pays 12 accounts within a day
  fanin-1           15 accounts pay one account within two days
  cycle-1           A -> B -> C -> D -> A, later each hop, 90-98 % kept
  scatter-gather-1  one account -> 6 intermediaries -> one account
  structuring-1     8 cash deposits of 9,000-9,900 EUR within 5 days
  tf-collection-1   25 small donations from 25 accounts within 10 days,
                    then 2 larger wires abroad within 2 days

sample_truth.csv lists each instance: its pattern, accounts, transaction
ids and parameters. Deterministic: the same script writes the same files.
Standard library only.
"""

import csv
import datetime as dt
import os
import random
from decimal import Decimal

R = random.Random(20241124)
START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
DAYS = 60
HERE = os.path.dirname(os.path.abspath(__file__))

rows = []  # (time, src, dst, amount text, currency, channel, memo, label)


def iban(country):
    return country + "%02d" % R.randint(10, 99) + "".join(R.choice("0123456789") for _ in range(18))


def money(lo, hi):
    """A random amount with two decimals between lo and hi, as text."""
    cents = R.randint(int(lo * 100), int(hi * 100))
    return str(Decimal(cents) / 100)


def at(day, hour=None, minute=None):
    hour = R.randint(7, 21) if hour is None else hour
    minute = R.randint(0, 59) if minute is None else minute
    return START + dt.timedelta(days=day, hours=hour, minutes=minute, seconds=R.randint(0, 59))


def add(t, src, dst, amount, currency="EUR", channel="sepa", memo="", label=""):
    rows.append((t, src, dst, amount, currency, channel, memo, label))


customers = [iban("DE") for _ in range(220)]
employer = iban("DE")
employees = customers[:40]
supermarkets = [iban("DE"), iban("DE")]
landlords = [iban("DE") for _ in range(6)]

# Background: payroll on the first working day of each month.
for month_day in (0, 31):
    for e in employees:
        add(at(month_day, 8), employer, e, money(2100, 4800), memo="salary " + ("march" if month_day == 0 else "april"))

# Card payments at two supermarkets: many small amounts from many customers.
for _ in range(2600):
    add(at(R.randrange(DAYS)), R.choice(customers), R.choice(supermarkets), money(3, 180),
        channel="card", memo=R.choice(["", "", "groceries", "groceries, weekly"]))

# Refunds from the supermarkets.
for _ in range(40):
    add(at(R.randrange(DAYS)), R.choice(supermarkets), R.choice(customers), money(2, 60),
        channel="card", memo="refund")

# Rent, monthly.
for c in customers[40:140]:
    landlord = R.choice(landlords)
    for month_day in (2, 33):
        add(at(month_day), c, landlord, money(450, 1400), memo="rent")

# Person-to-person transfers: nine in ten between friends (each customer
# pays two, again and again), the rest to anyone. Friends are drawn from their own generator
# so that every other row is as before.
F = random.Random(7)
friends = {c: F.sample([d for d in customers if d != c], 2) for c in customers}
for _ in range(1050):
    a, b = R.sample(customers, 2)
    if F.random() < 0.9:
        b = F.choice(friends[a])
    memo = R.choice(["", "", "thanks", "dinner", "gift \"birthday\"", "share of trip,\nsee list"])
    add(at(R.randrange(DAYS)), a, b, money(5, 400), memo=memo)

# Self-transfers between an account and itself (savings sweeps).
for c in R.sample(customers, 6):
    add(at(R.randrange(DAYS)), c, c, money(50, 500), memo="sweep")

# Foreign-currency rows.
for _ in range(30):
    add(at(R.randrange(DAYS)), R.choice(customers), iban("US"), money(20, 900), currency="USD", channel="wire")
for _ in range(20):
    add(at(R.randrange(DAYS)), R.choice(customers), iban("GB"), money(20, 600), currency="GBP", channel="wire")
for _ in range(10):
    add(at(R.randrange(DAYS)), R.choice(customers), iban("JP"), str(R.randint(1000, 90000)), currency="JPY", channel="card")

# --- planted patterns ---------------------------------------------------------
truth = []


def plant(instance, pattern, params, planted):
    first = len(rows)
    for p in planted:
        add(*p, label=instance)
    truth.append([instance, pattern, first, len(rows), params])


# fanout-1: one account to 12 within one day.
src = iban("DE")
targets = [iban("DE") for _ in range(12)]
plant("fanout-1", "fan_out", "degree=12;window=1d",
      [(at(10, 9, i * 4), src, t, money(900, 990)) for i, t in enumerate(targets)])

# fanin-1: 15 accounts to one within two days.
dst = iban("DE")
plant("fanin-1", "fan_in", "degree=15;window=2d",
      [(at(14 + i // 8, 8 + i % 8), iban("DE"), dst, money(1500, 1950)) for i in range(15)])

# cycle-1: A -> B -> C -> D -> A, strictly later each hop, 90-98 % kept.
ring = [iban("DE"), iban("NL"), iban("BE"), iban("DE")]
amount = Decimal(R.randint(1800000, 2500000)) / 100
hops = []
for h in range(4):
    hops.append((at(20 + h, 10, 5 * h), ring[h], ring[(h + 1) % 4], str(amount), "EUR", "wire"))
    amount = (amount * Decimal(R.randint(90, 98)) / 100).quantize(Decimal("0.01"))
plant("cycle-1", "cycle", "hops=4;keep=0.90-0.98", hops)

# scatter-gather-1: one account -> 6 intermediaries -> one account.
s, g = iban("DE"), iban("CH")
mids = [iban("DE") for _ in range(6)]
legs = [(at(30, 9, 7 * i), s, m, money(4000, 4900), "EUR", "sepa") for i, m in enumerate(mids)]
legs += [(at(31, 11, 7 * i), m, g, money(3800, 3990), "EUR", "wire") for i, m in enumerate(mids)]
plant("scatter-gather-1", "scatter_gather", "intermediaries=6", legs)

# structuring-1: cash deposits just under 10,000 EUR within five days.
acct = iban("DE")
plant("structuring-1", "structuring", "threshold=10000;deposits=8;window=5d",
      [(at(40 + i * 5 // 8, 9 + i), "CASH-DESK-017", acct, money(9000, 9900), "EUR", "cash")
       for i in range(8)])

# tf-collection-1: many small donations, then few larger wires abroad.
collector = iban("DE")
donations = [(at(44 + i * 10 // 25), iban("DE"), collector, money(20, 150), "EUR", "sepa", "donation")
             for i in range(25)]
total = sum(Decimal(d[3]) for d in donations)
first_wire = (total * Decimal("0.55")).quantize(Decimal("0.01"))
second_wire = (total * Decimal("0.40")).quantize(Decimal("0.01"))
wires = [(at(55, 10), collector, iban("TR"), str(first_wire), "EUR", "wire"),
         (at(56, 15), collector, iban("AE"), str(second_wire), "EUR", "wire")]
plant("tf-collection-1", "tf_collection", "sources=25;window=10d;out=2;abroad=yes", donations + wires)

# --- write --------------------------------------------------------------------
order = sorted(range(len(rows)), key=lambda i: (rows[i][0], i))
ids = {}
with open(os.path.join(HERE, "sample.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["txn_id", "timestamp", "src_account", "dst_account", "amount", "currency",
                "channel", "memo", "label"])
    for n, i in enumerate(order, 1):
        t, src, dst, amount, currency, channel, memo, label = rows[i]
        ids[i] = "T%06d" % n
        w.writerow([ids[i], t.strftime("%Y-%m-%dT%H:%M:%SZ"), src, dst, amount, currency, channel,
                    memo, label])

with open(os.path.join(HERE, "sample_truth.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["instance_id", "pattern", "accounts", "txn_ids", "params"])
    for instance, pattern, first, last, params in truth:
        accounts = []
        for i in range(first, last):
            for a in rows[i][1:3]:
                if a not in accounts:
                    accounts.append(a)
        txns = sorted(ids[i] for i in range(first, last))
        w.writerow([instance, pattern, ";".join(accounts), ";".join(txns), params])

print("wrote %d transactions, %d planted instances" % (len(rows), len(truth)))
