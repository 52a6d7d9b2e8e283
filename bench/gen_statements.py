#!/usr/bin/env python3
"""gen_statements.py N OUTDIR - the same N bank entries three ways.

Writes OUTDIR/stmt-N.sta (MT940), OUTDIR/stmt-N.xml (camt.053) and
OUTDIR/stmt-N.csv (our generic CSV of the same transfers), for
bench/ingest_formats.sh. 100 accounts, each with daily statements of up to
1,000 entries whose balances add up; counterparties from 10,000 IBANs.
Deterministic (seed 15).
"""
import random
import sys


def iban(bban):
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    return "DE%02d%s" % (98 - int(digits) % 97, bban)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(15)
    own = [iban("10000000%010d" % i) for i in range(100)]
    cps = [iban("20000000%010d" % i) for i in range(10000)]
    per = 1000
    mt = open("%s/stmt-%d.sta" % (out, n), "w", newline="")
    xml = open("%s/stmt-%d.xml" % (out, n), "w")
    csv = open("%s/stmt-%d.csv" % (out, n), "w")
    csv.write("txn_id,timestamp,src_account,dst_account,amount,currency,memo\n")
    xml.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n'
              "<BkToCstmrStmt>\n<GrpHdr><MsgId>BENCH</MsgId>"
              "<CreDtTm>2024-12-31T00:00:00Z</CreDtTm></GrpHdr>\n")
    balance = [10_000_000_00] * len(own)
    made = 0
    stmt = 0
    while made < n:
        a = stmt % len(own)
        day = 1 + (stmt // len(own)) % 28
        month = 1 + (stmt // len(own) // 28) % 12
        yy = 24 + stmt // len(own) // 336
        d6 = "%02d%02d%02d" % (yy, month, day)
        iso = "20%02d-%02d-%02d" % (yy, month, day)
        k = min(per, n - made)
        entries = []
        for j in range(k):
            cents = rnd.randint(1, 1_000_000)
            debit = rnd.random() < 0.5
            cp = cps[rnd.randrange(len(cps))]
            entries.append((cents, debit, cp, "B%d-%d" % (stmt, j), "E2E-%d" % (made + j)))
        opening = balance[a]
        closing = opening + sum(-c if d else c for c, d, _, _, _ in entries)
        balance[a] = closing

        def bal(v):
            return ("C" if v >= 0 else "D"), "%d,%02d" % (abs(v) // 100, abs(v) % 100)

        c, amt = bal(opening)
        mt.write(":20:BENCH%d\r\n:25:%s\r\n:28C:%d/1\r\n:60F:%s%sEUR%s\r\n" % (stmt, own[a], stmt, c, d6, amt))
        xml.write("<Stmt><Id>S%d</Id><Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>\n" % (stmt, own[a]))
        xml.write("<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%d.%02d</Amt>"
                  "<CdtDbtInd>%s</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n"
                  % (abs(opening) // 100, abs(opening) % 100, "CRDT" if opening >= 0 else "DBIT", iso))
        xml.write("<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">%d.%02d</Amt>"
                  "<CdtDbtInd>%s</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>\n"
                  % (abs(closing) // 100, abs(closing) % 100, "CRDT" if closing >= 0 else "DBIT", iso))
        for cents, debit, cp, ref, e2e in entries:
            mt.write(":61:%s%s%s%d,%02dNTRFNONREF//%s\r\n" % (d6, d6[2:], "D" if debit else "C",
                                                          cents // 100, cents % 100, ref))
            mt.write(":86:166?00SEPA-UEBERWEISUNG?20EREF+%s?21SVWZ+Invoice %s?31%s?32Party %s\r\n"
                     % (e2e, ref, cp, cp[-6:]))
            party = "Cdtr" if debit else "Dbtr"
            xml.write("<Ntry><Amt Ccy=\"EUR\">%d.%02d</Amt><CdtDbtInd>%s</CdtDbtInd><Sts>BOOK</Sts>"
                      "<BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>%s</AcctSvcrRef>"
                      "<NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs><RltdPties><%s><Nm>Party %s</Nm></%s>"
                      "<%sAcct><Id><IBAN>%s</IBAN></Id></%sAcct></RltdPties><RmtInf><Ustrd>Invoice %s</Ustrd></RmtInf>"
                      "</TxDtls></NtryDtls></Ntry>\n"
                      % (cents // 100, cents % 100, "DBIT" if debit else "CRDT", iso, iso, ref, e2e,
                         party, cp[-6:], party, party, cp, party, ref))
            src, dst = (own[a], cp) if debit else (cp, own[a])
            csv.write("%s,%s,%s,%s,%d.%02d,EUR,Invoice %s\n" % (ref, iso, src, dst, cents // 100, cents % 100, ref))
        c, amt = bal(closing)
        mt.write(":62F:%s%sEUR%s\r\n-\r\n" % (c, d6, amt))
        xml.write("</Stmt>\n")
        made += k
        stmt += 1
    xml.write("</BkToCstmrStmt>\n</Document>\n")
    for f in (mt, xml, csv):
        f.close()


if __name__ == "__main__":
    main()
