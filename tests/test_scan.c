/*
 * test_scan.c - every detector on a fixture where the exact alert set is
 * known, with near misses that must not fire; ordinary life that must not
 * fire either; scores that grow with the evidence; alert ids under row
 * shuffling and thread counts; the state of nightly runs.
 *
 * The fixture is a year of ordinary life (hours after 2024-03-01T00:00Z,
 * EUR): 200 people B0..B199 who pay two friends and a shop every week
 * (even-numbered ones on a fixed weekday), a utility every month, receive a
 * salary from EMP every month, pay back a friend now and then, and pay
 * someone new once a quarter; five traders who pay somebody new every week.
 * None of that may alert: a payroll, a utility's and a shop's customers,
 * friends settling up, traders' new payees.
 *
 * Into it, one group of accounts per case (the transaction ids start with
 * the case's tag):
 *   fo   FOA, with a life of its own, pays FO0..FO7 2000-2070 within 7
 *        hours: fan_out.
 *   fi   FI0..FI7, new accounts, pay FIA 1000-1070 within 7 hours: fan_in.
 *   sfi  six new accounts pay SFC over 200 days: fan_in (slow).
 *   sfo  SFO, which pays on one weekday, pays six new accounts on six other
 *        days over 150 days: fan_out (slow).
 *   cy   CYA -> CYB -> CYC -> CYA, 95 % each hop, two hours apart: cycle
 *        (temporal).
 *   cs   CS1 -> CS2 -> CS3 -> CS4 -> CS1 within 10 days, hops out of order,
 *        amounts free: cycle (structural).
 *   cl   a loop of three that takes 60 days: no.
 *   rs   two strangers with lives of their own, 60 there and 57 back: no
 *        (small for both).
 *   rt   the same with 5000 there and 4800 back: cycle (a two-hop return
 *        large for both).
 *   st   STA -> ... -> STE, four hops a day apart, 95 % each: stack.
 *   ls   LSA pays two, each pays both of the next two, who pay LSZ: stack
 *        (three layers two wide).
 *   ss   SSA -> ... -> SSE, four hops 100 hours apart, 95 % each: stack.
 *   sn   the same chain with a ten-day pause: no stack; but SNB and SND,
 *        new accounts, each pass a large sum on within a day: two
 *        pass_through alerts of one round each.
 *   lf   LFO, with a weekly rhythm, pays 16 new accounts 3000-3150 on its
 *        own weekday in 16 of 22 weeks: fan_out (slow: a burst in its
 *        year). le: LEO pays 16 the same way, one every three weeks all
 *        year: no (its pace all year).
 *   sg   SGS pays SGM0..3 5000, each pays SGT 4800 three days later:
 *        scatter_gather. sh: the intermediaries pass on 40 %: no scatter-
 *        gather, but SHS paid four new accounts 5000 each within four hours
 *        (fan_out) and SHT was paid by four (fan_in).
 *   gs   GSI0..4 pay GSH 2000 within two days, then GSH pays GSO0..4 1900:
 *        gather_scatter; two of its payments in were each passed on whole
 *        within three days, rounds of pass_through too (both are kept).
 *        gt: passes on 30 %: no gather-scatter, but a fan_in and a fan_out
 *        at GTH.
 *   bp   BPS0..2 each pay BPR0..2 within a day: bipartite. bq: the third
 *        sender pays two of the three: no block, but BQS0 and BQS1 each
 *        paid three new accounts within four hours (fan_out) and BQR0 and
 *        BQR1 were each paid by three (fan_in).
 *   pt   PTM receives and passes on 98-99 % three times, two days apart:
 *        pass_through. pu: twice, but sums this large are rare in the
 *        data and PUM is new: pass_through too.
 *   rm   RMM passes on 99 % ten minutes later, four times: rapid_movement.
 *   su   three deposits of 9200-9900 within three days: structuring. sv:
 *        three over twenty days, sw: three of 10000.00: no.
 *   tf   fifteen small donations to TFC in five days, 87 % moved on in one
 *        payment: tf_collection. tg: 30 % moved on: no collection, but
 *        fifteen new payers in five days are a fan_in.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fundtrace/ingest.h"
#include "fundtrace/scan.h"
#include "fundtrace/time.h"
#include "fundtrace/synth.h"
#include "fundtrace/writer.h"

typedef struct fixture {
    char *csv;
    size_t len, cap;
    int n;
} fixture;

#define T0    1709251200LL /* 2024-03-01T00:00:00Z, a Friday */
#define DAY   24.0
#define WEEKS 52

/* Times to the day only: most transfers then share their time. */
static bool days_only;

static void row(fixture *f, const char *tag, double hours, const char *src, const char *dst,
                const char *amount)
{
    if (f->len + 256 > f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1 << 20;
        f->csv = realloc(f->csv, f->cap);
    }
    if (f->len == 0)
        f->len += (size_t)snprintf(f->csv, f->cap,
                                   "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    long long t = T0 + (long long)(hours * 3600);
    if (days_only)
        t -= t % 86400; /* as AMLSim and many statements give times */
    f->len += (size_t)snprintf(f->csv + f->len, f->cap - f->len, "%s.%d,%lld,%s,%s,%s,EUR\n", tag,
                               ++f->n, t, src, dst, amount);
}

static void rowf(fixture *f, const char *tag, double hours, const char *src, const char *dst,
                 double amount)
{
    char a[32];
    snprintf(a, sizeof a, "%.2f", amount);
    row(f, tag, hours, src, dst, a);
}

static const char *name_of(char *buf, const char *prefix, int i)
{
    snprintf(buf, 16, "%s%d", prefix, i);
    return buf;
}

/* An ordinary life: 200 people who pay two friends, a shop and a utility
 * every week or month, are paid a salary, and now and then pay someone
 * new; five traders who pay somebody new all the time. Even-numbered
 * people pay on a fixed weekday, odd-numbered ones on any day. */
static void background(fixture *f)
{
    char a[16], b[16], c[16];
    for (int w = 0; w < WEEKS; w++) {
        for (int i = 0; i < 200; i++) {
            int day = i % 2 == 0 ? i % 7 : (w * 3 + i) % 7;
            double h = (7 * w + day) * DAY + 9 + i % 8;
            name_of(a, "B", i);
            rowf(f, "bg", h, a, name_of(b, "B", (i + 1) % 200), 20 + i % 50);
            rowf(f, "bg", h + 0.5, a, name_of(b, "B", (i + 7) % 200), 15 + i % 30);
            rowf(f, "bg", h + 1, a, name_of(c, "SHOP", i % 3), 30 + (i * 7 + w) % 40);
            /* a friend pays back now and then: a recurring two-way relation */
            if (i % 10 == 0 && w % 4 == 1)
                rowf(f, "bg", h + 20, name_of(b, "B", (i + 1) % 200), a, 0.95 * (20 + i % 50));
        }
    }
    for (int m = 0; m < 12; m++) {
        for (int i = 0; i < 200; i++) {
            double h = (30.0 * m + 1) * DAY + 8 + i % 5;
            rowf(f, "bg", h, "EMP", name_of(a, "B", i), 2000 + 10 * (i % 20));
            rowf(f, "bg", h + 48, name_of(a, "B", i), "UTIL", 60 + i % 25);
        }
    }
    /* someone new, once a quarter: small, on the person's usual day */
    for (int q = 0; q < 4; q++)
        for (int i = 0; i < 200; i++) {
            int day = i % 2 == 0 ? i % 7 : (q + i) % 7;
            double h = (7 * (13 * q + 3 + i % 9) + day) * DAY + 12;
            rowf(f, "bg", h, name_of(a, "B", i), name_of(b, "N", 1000 * q + i), 25 + (i + q) % 40);
        }
    /* traders: somebody new every week */
    for (int k = 0; k < 5; k++)
        for (int w = 0; w < WEEKS; w++)
            rowf(f, "bg", (7 * w + (k + w) % 7) * DAY + 14, name_of(a, "TRADER", k),
                 name_of(b, "B", (37 * w + 11 * k) % 200), 50 + (w * 3 + k) % 40);
}

/* An ordinary life for a planted account: it pays a shop every week and a
 * friend pays it every week, on the weekday `day` (a rhythm). */
static void life(fixture *f, const char *name, int friend, int day)
{
    char b[16];
    for (int w = 0; w < WEEKS; w++) {
        double h = (7 * w + day) * DAY + 10;
        rowf(f, "bg", h, name, "SHOP0", 30 + w % 20);
        rowf(f, "bg", h + 2, name_of(b, "B", friend), name, 40 + w % 10);
    }
}

static void cases(fixture *f)
{
    char a[16], b[16];
    /* fast fan-out: FOA pays eight new accounts 2000-2070 within 7 hours */
    life(f, "FOA", 10, 2);
    for (int i = 0; i < 8; i++)
        rowf(f, "fo", 1000 + i, "FOA", name_of(b, "FO", i), 2000 + 10 * i);
    /* fast fan-in: eight new accounts pay FIA 1000-1070 within 7 hours */
    life(f, "FIA", 12, 3);
    for (int i = 0; i < 8; i++)
        rowf(f, "fi", 1500 + i, name_of(a, "FI", i), "FIA", 1000 + 10 * i);
    /* slow fan-in: six new accounts pay SFC over 200 days */
    life(f, "SFC", 14, 4);
    for (int i = 0; i < 6; i++)
        rowf(f, "sfi", 2000 + 800 * i, name_of(a, "SF", i), "SFC", 300 + 100 * i);
    /* slow fan-out: SFO, which pays on Mondays (day 3 of the week from a
     * Friday), pays six new accounts on six other days over 150 days */
    life(f, "SFO", 16, 3);
    static const int offday[] = {4, 5, 6, 0, 1, 2};
    for (int i = 0; i < 6; i++)
        rowf(f, "sfo", (7 * (20 + 4 * i) + offday[i]) * DAY + 15, "SFO", name_of(b, "SO", i),
             200 + 50 * i);
    /* a temporal cycle: CYA -> CYB -> CYC -> CYA, keeping 95 % each hop */
    row(f, "cy", 3000, "CYA", "CYB", "10000.00");
    row(f, "cy", 3002, "CYB", "CYC", "9500.00");
    row(f, "cy", 3004, "CYC", "CYA", "9025.00");
    /* a structural cycle: four accounts, hops in any order within 10 days */
    row(f, "cs", 3200, "CS2", "CS3", "700.00");
    row(f, "cs", 3300, "CS4", "CS1", "300.00");
    row(f, "cs", 3250, "CS1", "CS2", "900.00");
    row(f, "cs", 3400, "CS3", "CS4", "450.00");
    /* not a cycle: three accounts whose loop takes 60 days */
    row(f, "cl", 3100, "CLA", "CLB", "800.00");
    row(f, "cl", 3100 + 30 * DAY, "CLB", "CLC", "800.00");
    row(f, "cl", 3100 + 60 * DAY, "CLC", "CLA", "800.00");
    /* two-hop returns: between strangers, small for both (no), and large
     * for both (yes) */
    life(f, "RSA", 20, 1);
    life(f, "RSB", 21, 2);
    row(f, "rs", 3500, "RSA", "RSB", "60.00");
    row(f, "rs", 3520, "RSB", "RSA", "57.00");
    life(f, "RTA", 22, 1);
    life(f, "RTB", 23, 2);
    row(f, "rt", 3600, "RTA", "RTB", "5000.00");
    row(f, "rt", 3620, "RTB", "RTA", "4800.00");
    /* a stack: four hops a day apart, 95 % each */
    row(f, "st", 4000, "STA", "STB", "20000.00");
    row(f, "st", 4024, "STB", "STC", "19000.00");
    row(f, "st", 4048, "STC", "STD", "18050.00");
    row(f, "st", 4072, "STD", "STE", "17147.50");
    /* a layered stack, two wide: LSA -> LS1a, LS1b -> LS2a, LS2b -> LSZ */
    row(f, "ls", 4200, "LSA", "LS1a", "6000.00");
    row(f, "ls", 4201, "LSA", "LS1b", "6000.00");
    row(f, "ls", 4230, "LS1a", "LS2a", "3000.00");
    row(f, "ls", 4231, "LS1a", "LS2b", "2900.00");
    row(f, "ls", 4240, "LS1b", "LS2a", "2800.00");
    row(f, "ls", 4241, "LS1b", "LS2b", "3000.00");
    row(f, "ls", 4280, "LS2a", "LSZ", "5600.00");
    row(f, "ls", 4290, "LS2b", "LSZ", "5700.00");
    /* not a stack: the third hop comes ten days later */
    row(f, "sn", 4400, "SNA", "SNB", "20000.00");
    row(f, "sn", 4424, "SNB", "SNC", "19000.00");
    row(f, "sn", 4424 + 10 * DAY, "SNC", "SND", "18050.00");
    row(f, "sn", 4448 + 10 * DAY, "SND", "SNE", "17147.50");
    /* a slow stack: four hops 100 hours apart, 95 % each */
    row(f, "ss", 4500, "SSA", "SSB", "20000.00");
    row(f, "ss", 4600, "SSB", "SSC", "19000.00");
    row(f, "ss", 4700, "SSC", "SSD", "18050.00");
    row(f, "ss", 4800, "SSD", "SSE", "17147.50");
    /* a long fan-out: LFO pays 16 new accounts 3000-3150 on its own
     * weekday, in 16 of 22 weeks; LEO pays 16 the same way spread over
     * the whole year: a person paid by one friend, whose payments to new
     * people are most of what it pays (yes); LEB, a small business that 20
     * customers pay every week, pays 16 new suppliers the same way (no) */
    life(f, "LFO", 24, 2);
    life(f, "LEO", 26, 2);
    life(f, "LEB", 28, 2);
    for (int i = 0; i < 16; i++) {
        rowf(f, "lf", (7 * (10 + i + i / 3) + 2) * DAY + 15, "LFO", name_of(b, "LF", i),
             3000 + 10 * i);
        rowf(f, "le", (7 * (3 * i + 1) + 2) * DAY + 15, "LEO", name_of(b, "LE", i), 3000 + 10 * i);
        rowf(f, "lb", (7 * (3 * i + 1) + 2) * DAY + 16, "LEB", name_of(b, "LBS", i), 3000 + 10 * i);
    }
    for (int w = 0; w < WEEKS; w++)
        for (int i = 0; i < 20; i++)
            rowf(f, "lb", (7 * w + 2) * DAY + 9 + 0.1 * i, name_of(a, "B", 100 + i), "LEB",
                 150 + i);
    /* a long fan-in: 12 people with lives of their own pay LGI 2000-2110,
     * large for each, in 12 of 28 weeks (found among the few accounts
     * paid by many new payers, not among all); 12 others pay LGA the same
     * way spread over the whole year (no) */
    life(f, "LGI", 30, 5);
    life(f, "LGA", 32, 5);
    for (int i = 0; i < 12; i++) {
        rowf(f, "lg", (7 * (8 + (5 * i) / 2) + 1) * DAY + 11, name_of(a, "B", 40 + i), "LGI",
             2000 + 10 * i);
        rowf(f, "la", (7 * (4 * i + 1) + 1) * DAY + 11, name_of(a, "B", 60 + i), "LGA",
             2000 + 10 * i);
    }
    /* scatter-gather: SGS pays four intermediaries 5000, each pays SGT
     * 4800 three days later; SH's intermediaries pass on 40 % (no) */
    for (int i = 0; i < 4; i++) {
        row(f, "sg", 4600 + i, "SGS", name_of(b, "SGM", i), "5000.00");
        row(f, "sg", 4672 + i, name_of(a, "SGM", i), "SGT", "4800.00");
        row(f, "sh", 4600 + i, "SHS", name_of(b, "SHM", i), "5000.00");
        row(f, "sh", 4672 + i, name_of(a, "SHM", i), "SHT", "2000.00");
    }
    /* gather-scatter: five pay GSH 2000 over two days, then GSH pays five
     * others 1900 each; GTH passes on 30 % (no) */
    for (int i = 0; i < 5; i++) {
        row(f, "gs", 4800 + 10 * i, name_of(a, "GSI", i), "GSH", "2000.00");
        row(f, "gs", 4900 + i, "GSH", name_of(b, "GSO", i), "1900.00");
        row(f, "gt", 4800 + 10 * i, name_of(a, "GTI", i), "GTH", "2000.00");
        row(f, "gt", 4900 + i, "GTH", name_of(b, "GTO", i), "600.00");
    }
    /* bipartite: three senders each pay the same three receivers within a
     * day; BQ's third sender pays two of them (no) */
    for (int s = 0; s < 3; s++)
        for (int r = 0; r < 3; r++) {
            double h = 5000 + 2 * (3 * s + r);
            rowf(f, "bp", h, name_of(a, "BPS", s), name_of(b, "BPR", r), 1000 + 20 * (3 * s + r));
            if (s < 2 || r < 2)
                rowf(f, "bq", h, name_of(a, "BQS", s), name_of(b, "BQR", r),
                     1000 + 20 * (3 * s + r));
        }
    /* pass-through: three rounds in and 98-99 % out; PU two (no) */
    row(f, "pt", 5200, "PTI1", "PTM", "3000.00");
    row(f, "pt", 5202, "PTM", "PTO1", "2950.00");
    row(f, "pt", 5248, "PTI2", "PTM", "4000.00");
    row(f, "pt", 5251, "PTM", "PTO2", "3900.00");
    row(f, "pt", 5296, "PTI3", "PTM", "5000.00");
    row(f, "pt", 5297.5, "PTM", "PTO3", "4990.00");
    row(f, "pu", 5200, "PUI1", "PUM", "3000.00");
    row(f, "pu", 5202, "PUM", "PUO1", "2950.00");
    row(f, "pu", 5248, "PUI2", "PUM", "4000.00");
    row(f, "pu", 5251, "PUM", "PUO2", "3900.00");
    /* rapid movement: four times in and 99 % out ten minutes later */
    for (int i = 0; i < 4; i++) {
        row(f, "rm", 5400 + 12 * i, name_of(a, "RMI", i), "RMM", "2000.00");
        row(f, "rm", 5400 + 12 * i + 1.0 / 6, "RMM", name_of(b, "RMO", i), "1980.00");
    }
    /* the same at one time: RZM passes each of four payments on in the
     * second it arrives, the row out listed before the row in (money that
     * arrives at a time may leave at that time, whatever the rows' order) */
    for (int i = 0; i < 4; i++) {
        row(f, "rz", 5600 + 12 * i, "RZM", name_of(b, "RZO", i), "1980.00");
        row(f, "rz", 5600 + 12 * i, name_of(a, "RZI", i), "RZM", "2000.00");
    }
    /* structuring: three deposits just under 10,000 within three days; SV
     * three over twenty days, SW three of 10,000.00 (no) */
    static const char *under[] = {"9500.00", "9200.00", "9900.00"};
    for (int i = 0; i < 3; i++) {
        row(f, "su", 5600 + 24 * i, "SUD", "SUA", under[i]);
        row(f, "sv", 5600 + 240 * i, "SVD", "SVA", "9500.00");
        row(f, "sw", 5600 + 24 * i, "SWD", "SWA", "10000.00");
    }
    /* terrorist-financing collection: fifteen small donations in five days,
     * then 87 % moved on in one payment; TG moves on 30 % (no) */
    int sum = 0;
    for (int i = 0; i < 15; i++) {
        sum += 60 + 5 * i;
        rowf(f, "tf", 5800 + 8 * i, name_of(a, "TFD", i), "TFC", 60 + 5 * i);
        rowf(f, "tg", 5800 + 8 * i, name_of(a, "TGD", i), "TGC", 60 + 5 * i);
    }
    rowf(f, "tf", 5800 + 8 * 14 + 24, "TFC", "TFX", sum * 87 / 100);
    rowf(f, "tg", 5800 + 8 * 14 + 24, "TGC", "TGX", sum * 30 / 100);
}

static void build(fixture *f)
{
    background(f);
    cases(f);
}

static void load(ft_store *s, const char *csv)
{
    ft_error err;
    if (tu_load(s, "scan.csv", csv, NULL, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

/* "kind:id1,id2,..." with the ids sorted, for every alert, sorted. */
static char *alert_set(const ft_store *s, const ft_alerts *a)
{
    size_t cap = 1 << 16, len = 0;
    char *out = calloc(1, cap);
    char **lines = calloc(a->n + 1, sizeof *lines);
    for (uint32_t i = 0; i < a->n; i++) {
        const ft_alert *al = &a->v[i];
        char *l = calloc(1, 4096);
        size_t n = (size_t)snprintf(l, 4096, "%s:", ft_alert_kind_name(al->kind));
        for (uint32_t k = 0; k < al->ntxn; k++) {
            char id[64];
            ft_store_txid(s, a->txns[al->txn0 + k], id, sizeof id);
            n += (size_t)snprintf(l + n, 4096 - n, "%s%s", k ? "," : "", id);
        }
        lines[i] = l;
    }
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = i + 1; j < a->n; j++)
            if (strcmp(lines[j], lines[i]) < 0) {
                char *x = lines[i];
                lines[i] = lines[j];
                lines[j] = x;
            }
    for (uint32_t i = 0; i < a->n; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return out;
}

static void run(const ft_store *s, const ft_scan_params *p, int threads, ft_alerts *a)
{
    ft_error err;
    if (ft_scan_run(s, p, threads, a, &err) != FT_OK)
        fail_msg("%s", err.msg);
}

/* What the fixture must give: kind, the case's tag (every transaction's id
 * starts with it), how many transactions, the main account. */
static const struct want {
    const char *kind, *tag;
    uint32_t ntxn;
    const char *main;
} want[] = {
    {"fan_out", "fo", 8, "FOA"},         {"fan_out", "sfo", 6, "SFO"},
    {"fan_out", "sh", 4, "SHS"},         {"fan_out", "gt", 5, "GTH"},
    {"fan_out", "bq", 3, "BQS0"},        {"fan_out", "bq", 3, "BQS1"},
    {"fan_in", "fi", 8, "FIA"},          {"fan_in", "sfi", 6, "SFC"},
    {"fan_in", "sh", 4, "SHT"},          {"fan_in", "gt", 5, "GTH"},
    {"fan_in", "bq", 3, "BQR0"},         {"fan_in", "bq", 3, "BQR1"},
    {"fan_in", "tg", 15, "TGC"},         {"scatter_gather", "sg", 8, "SGS"},
    {"gather_scatter", "gs", 10, "GSH"}, {"cycle", "cy", 3, "CYA"},
    {"cycle", "cs", 4, "CS2"},           {"cycle", "rt", 2, "RTA"},
    {"stack", "st", 4, "STA"},           {"stack", "ls", 8, "LSA"},
    {"bipartite", "bp", 9, "BPS0"},      {"pass_through", "pt", 6, "PTM"},
    {"pass_through", "pu", 4, "PUM"},    {"pass_through", "sn", 2, "SNB"},
    {"pass_through", "sn", 2, "SND"},    {"pass_through", "gs", 4, "GSH"},
    {"structuring", "su", 3, "SUA"},     {"rapid_movement", "rm", 8, "RMM"},
    {"tf_collection", "tf", 16, "TFC"},  {"stack", "ss", 4, "SSA"},
    {"fan_out", "lf", 16, "LFO"},        {"fan_out", "le", 16, "LEO"},
    {"fan_in", "lg", 12, "LGI"},         {"rapid_movement", "rz", 8, "RZM"},
};
#define NWANT (sizeof want / sizeof *want)

/* The expected alert alert `al` is, or -1. */
static int which(const ft_store *s, const ft_alerts *a, const ft_alert *al)
{
    size_t len;
    const char *m = ft_store_account(s, a->accts[al->acc0], &len);
    for (size_t k = 0; k < NWANT; k++) {
        if (strcmp(want[k].kind, ft_alert_kind_name(al->kind)) != 0 || al->ntxn != want[k].ntxn ||
            strlen(want[k].main) != len || memcmp(want[k].main, m, len) != 0)
            continue;
        bool all = true;
        for (uint32_t q = 0; q < al->ntxn && all; q++) {
            char id[64];
            ft_store_txid(s, a->txns[al->txn0 + q], id, sizeof id);
            all = strncmp(id, want[k].tag, strlen(want[k].tag)) == 0 &&
                  id[strlen(want[k].tag)] == '.';
        }
        if (all)
            return (int)k;
    }
    return -1;
}

static void test_every_detector(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 1, &a);
    char *got = alert_set(&s, &a);
    if (a.n != NWANT)
        fail_msg("%u alerts, want %zu:\n%s", a.n, NWANT, got);
    bool seen[NWANT] = {false};
    for (uint32_t i = 0; i < a.n; i++) {
        const ft_alert *al = &a.v[i];
        int k = which(&s, &a, al);
        if (k < 0)
            fail_msg("unexpected alert %u (%s):\n%s", i, ft_alert_kind_name(al->kind), got);
        if (seen[k])
            fail_msg("%s at %s twice:\n%s", want[k].kind, want[k].main, got);
        seen[k] = true;
        assert_true(al->score >= p.min_score && al->score <= 1);
        const char *expl = a.text + al->text;
        assert_true(strlen(expl) > 40);
    }
    free(got);
    ft_alerts_free(&a);

    /* Each detector alone still finds its own cases (with the others off,
     * the general patterns that specific ones contain show too). */
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        ft_scan_params one = p;
        for (int j = 0; j < FT_PAT_COUNT; j++)
            one.enabled[j] = j == k;
        run(&s, &one, 2, &a);
        size_t mine = 0, found = 0;
        for (size_t q = 0; q < NWANT; q++)
            mine += strcmp(want[q].kind, ft_pattern_name((ft_pattern)k)) == 0;
        for (uint32_t i = 0; i < a.n; i++) {
            assert_int_equal(a.v[i].kind, k);
            found += which(&s, &a, &a.v[i]) >= 0;
        }
        assert_int_equal(found, mine);
        ft_alerts_free(&a);
    }
    ft_store_free(&s);
    free(f.csv);
}

/* Ordinary life alone: nothing. A payroll, a utility's and the shops'
 * customers, friends paying back, traders paying somebody new each week. */
static void test_ordinary_life_is_quiet(void **state)
{
    (void)state;
    fixture f = {0};
    background(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 2, &a);
    char *got = alert_set(&s, &a);
    if (a.n)
        fail_msg("%u alerts on ordinary life:\n%s", a.n, got);
    free(got);
    ft_alerts_free(&a);
    ft_store_free(&s);
    free(f.csv);
}

/* More evidence never scores lower: a fan-in of 4 to 10 new payers, a
 * stack of 3 to 7 hops, a scatter-gather 3 to 7 wide, on the same life. */
static void test_scores_grow_with_evidence(void **state)
{
    (void)state;
    static const char *kinds[] = {"fan_in", "stack", "scatter_gather"};
    for (int c = 0; c < 3; c++) {
        double last = -1;
        for (int k = 3; k <= 7; k++) {
            fixture f = {0};
            char a[16], b[16];
            background(&f);
            life(&f, "FIA", 12, 3);
            for (int i = 0; i < k; i++) {
                if (c == 0) {
                    rowf(&f, "x", 1500 + i, name_of(a, "FI", i), "FIA", 1000 + 10 * i);
                } else if (c == 1) {
                    rowf(&f, "x", 4000 + 24 * i, name_of(a, "ST", i), name_of(b, "ST", i + 1),
                         20000 * (1 - 0.05 * i));
                } else {
                    rowf(&f, "x", 4600 + i, "SGS", name_of(b, "SGM", i), 5000);
                    rowf(&f, "x", 4672 + i, name_of(a, "SGM", i), "SGT", 4800);
                }
            }
            ft_store s = {0};
            load(&s, f.csv);
            ft_scan_params p;
            ft_scan_defaults(&p);
            p.min_score = 0;
            for (int j = 0; j < FT_PAT_COUNT; j++)
                p.enabled[j] = strcmp(ft_pattern_name((ft_pattern)j), kinds[c]) == 0;
            ft_alerts al;
            run(&s, &p, 1, &al);
            double best = -1;
            for (uint32_t i = 0; i < al.n; i++) {
                char id[64];
                ft_store_txid(&s, al.txns[al.v[i].txn0], id, sizeof id);
                if (id[0] == 'x' && al.v[i].score > best)
                    best = al.v[i].score;
            }
            if (best < last - 1e-9)
                fail_msg("%s: %d scores %.4f, less than %.4f with fewer", kinds[c], k, best, last);
            if (best < 0)
                fail_msg("%s: %d found nothing", kinds[c], k);
            last = best;
            ft_alerts_free(&al);
            ft_store_free(&s);
            free(f.csv);
        }
    }
}

static void test_parameters(void **state)
{
    (void)state;
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_error err;
    assert_int_equal(ft_scan_param_set(&p, "fan.min_degree", "x", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "fan.nothing", "1", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "cycle.max_hops", "40", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "scan.min_score", "1.5", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_set(&p, "cycle.enabled", "0", &err), FT_OK);
    assert_false(p.enabled[FT_PAT_CYCLE]);
    assert_int_equal(ft_scan_param_set(&p, "fan.slow_window_days", "90", &err), FT_OK);
    assert_true(p.fan_slow_days[0] == 90 && p.fan_slow_days[1] == 90);
    double v;
    assert_true(ft_scan_param_get(&p, "scan.min_score", &v) && v == 0.5);
    /* Every documented name is one ft_scan_param_get knows. */
    for (int i = 0; ft_scan_param_names[i]; i++)
        assert_true(ft_scan_param_get(&p, ft_scan_param_names[i], &v));
    /* NAME=VALUE, as --set gives it */
    assert_int_equal(ft_scan_param_assign(&p, "stack.gap_hours=12.5", &err), FT_OK);
    assert_true(p.stack_gap_hours == 12.5);
    assert_int_equal(ft_scan_param_assign(&p, "stack.gap_hours", &err), FT_EUSAGE);
    assert_int_equal(ft_scan_param_assign(&p, "stack.gap_hours=", &err), FT_EUSAGE);
    assert_true(p.stack_gap_hours == 12.5);
    /* --only: the kinds named stay on (cycle was switched off above) */
    assert_int_equal(ft_scan_only(&p, "fan_out,,cycle,stack", &err), FT_OK);
    for (int k = 0; k < FT_PAT_COUNT; k++)
        assert_int_equal(p.enabled[k], k == FT_PAT_FAN_OUT || k == FT_PAT_STACK);
    ft_scan_params q = p;
    assert_int_equal(ft_scan_only(&q, "stack,fan_outs", &err), FT_EUSAGE);
    assert_non_null(strstr(err.msg, "'fan_outs'"));
    assert_memory_equal(q.enabled, p.enabled, sizeof p.enabled);
}

/* Ids and output do not depend on row order or threads. */
/* The same rows, last first (the store sorts them by time again; rows at
 * the same time then come in the other order). */
static char *reversed(const fixture *f)
{
    char *rev = malloc(f->len + 1);
    const char *body = strchr(f->csv, '\n') + 1;
    size_t hlen = (size_t)(body - f->csv), w = hlen;
    memcpy(rev, f->csv, hlen);
    const char *end = f->csv + f->len;
    while (end > body) {
        const char *start = end - 1;
        while (start > body && start[-1] != '\n')
            start--;
        memcpy(rev + w, start, (size_t)(end - start));
        w += (size_t)(end - start);
        end = start;
    }
    rev[w] = '\0';
    return rev;
}

static void test_ids_are_stable(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    char *rev = reversed(&f);
    ft_store s1 = {0}, s2 = {0};
    load(&s1, f.csv);
    load(&s2, rev);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a1, a2, a3;
    run(&s1, &p, 1, &a1);
    run(&s2, &p, 3, &a2);
    run(&s1, &p, 4, &a3);
    assert_int_equal(a1.n, NWANT);
    assert_int_equal(a1.n, a2.n);
    assert_int_equal(a1.n, a3.n);
    for (uint32_t i = 0; i < a1.n; i++) {
        assert_true(a1.v[i].id == a2.v[i].id);
        assert_true(a1.v[i].id == a3.v[i].id);
    }
    char *t1 = NULL, *t3 = NULL;
    size_t l1, l3;
    FILE *m1 = open_memstream(&t1, &l1), *m3 = open_memstream(&t3, &l3);
    ft_alerts_write(m1, &s1, &a1, NULL, FT_FORMAT_JSONL);
    ft_alerts_write(m3, &s1, &a3, NULL, FT_FORMAT_JSONL);
    fclose(m1);
    fclose(m3);
    assert_int_equal(l1, l3);
    assert_memory_equal(t1, t3, l1);
    free(t1);
    free(t3);
    ft_alerts_free(&a1);
    ft_alerts_free(&a2);
    ft_alerts_free(&a3);
    ft_store_free(&s1);
    ft_store_free(&s2);
    free(rev);
    free(f.csv);
}

/* With times to the day, nearly every transfer shares its time with
 * others: the rows in the other order give the same alerts, scores and
 * transfers (money that arrives at a time may leave at that time; the
 * transfers at one time are taken in the tie order). */
static void test_same_day_rows_in_any_order(void **state)
{
    (void)state;
    fixture f = {0};
    days_only = true;
    build(&f);
    days_only = false;
    char *rev = reversed(&f);
    ft_store s1 = {0}, s2 = {0};
    load(&s1, f.csv);
    load(&s2, rev);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a1, a2;
    run(&s1, &p, 2, &a1);
    run(&s2, &p, 2, &a2);
    assert_true(a1.n > 10);
    char *g1 = alert_set(&s1, &a1), *g2 = alert_set(&s2, &a2);
    assert_string_equal(g1, g2);
    assert_int_equal(a1.n, a2.n);
    for (uint32_t i = 0; i < a1.n; i++) {
        assert_true(a1.v[i].id == a2.v[i].id);
        if (a1.v[i].score != a2.v[i].score)
            fail_msg("%s: %s, score %g against %g", ft_alert_kind_name(a1.v[i].kind),
                     a1.text + a1.v[i].text, a1.v[i].score, a2.v[i].score);
    }
    free(g1);
    free(g2);
    ft_alerts_free(&a1);
    ft_alerts_free(&a2);
    ft_store_free(&s1);
    ft_store_free(&s2);
    free(rev);
    free(f.csv);
}

static void test_state_across_runs(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 1, &a);
    char path[] = "/tmp/ft_state_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* the first night: no state yet */
    ft_scan_state st;
    ft_error err;
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_OK);
    assert_int_equal(st.n, 0);
    for (uint32_t i = 0; i < a.n; i++)
        assert_false(ft_scan_state_has(&st, a.v[i].id));
    assert_int_equal(ft_scan_state_save(&st, &a, path, &err), FT_OK);
    ft_scan_state_free(&st);
    /* The second night: everything known. */
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_OK);
    assert_int_equal(st.n, a.n);
    for (uint32_t i = 0; i < a.n; i++)
        assert_true(ft_scan_state_has(&st, a.v[i].id));
    assert_false(ft_scan_state_has(&st, a.v[0].id ^ 1));
    ft_scan_state_free(&st);
    /* A damaged state is refused with its line. */
    FILE *fp = fopen(path, "a");
    fputs("not-an-id\n", fp);
    fclose(fp);
    assert_int_equal(ft_scan_state_load(&st, path, &err), FT_EINPUT);
    char line[16];
    snprintf(line, sizeof line, ":%u:", a.n + 2); /* a comment line, then the ids */
    assert_non_null(strstr(err.msg, line));
    unlink(path);
    ft_alerts_free(&a);
    ft_store_free(&s);
    free(f.csv);
}

/* The alert of `kind` whose main account is `main`, or NULL. */
static const ft_alert *alert_at(const ft_store *s, const ft_alerts *a, const char *kind,
                                const char *main)
{
    for (uint32_t i = 0; i < a->n; i++) {
        size_t len;
        const char *m = ft_store_account(s, a->accts[a->v[i].acc0], &len);
        if (strcmp(ft_alert_kind_name(a->v[i].kind), kind) == 0 && strlen(main) == len &&
            memcmp(m, main, len) == 0)
            return &a->v[i];
    }
    return NULL;
}

/* A scatter-gather leg exactly at scatter_gather.delay_hours counts; a
 * leg 0.36 seconds over does not. SGS's intermediaries pass the money on
 * exactly 72 hours after receiving it. */
static void test_scatter_gather_delay_limit(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_error err;
    static const char *delay[] = {"72", "71.9999"};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(ft_scan_param_set(&p, "scatter_gather.delay_hours", delay[k], &err),
                         FT_OK);
        ft_alerts a;
        run(&s, &p, 1, &a);
        const ft_alert *sg = alert_at(&s, &a, "scatter_gather", "SGS");
        if (k == 0) {
            assert_non_null(sg);
            assert_int_equal(sg->ntxn, 8);
            assert_string_equal(want[which(&s, &a, sg)].tag, "sg");
        } else {
            assert_null(sg);
        }
        ft_alerts_free(&a);
    }
    ft_store_free(&s);
    free(f.csv);
}

/* Windows include their ends, to the millisecond: the temporal cycle CY
 * takes exactly 4 hours (10000, 9500 and 9025 EUR two hours apart), the
 * deposits SU exactly 2 days, each of BP's senders pays its three
 * receivers in exactly 4 hours; with windows of exactly that they are
 * found, with windows 0.36 seconds shorter not. */
static void test_window_limits(void **state)
{
    (void)state;
    fixture f = {0};
    build(&f);
    ft_store s = {0};
    load(&s, f.csv);
    static const struct {
        const char *param, *in, *out, *kind, *main;
        uint32_t ntxn;
    } cases[] = {
        {"cycle.window_hours", "4", "3.9999", "cycle", "CYA", 3},
        {"structuring.window_days", "2", "1.999995833", "structuring", "SUA", 3},
        {"bipartite.window_hours", "16", "15.9999", "bipartite", "BPS0", 9},
    };
    ft_error err;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int k = 0; k < 2; k++) {
            ft_scan_params p;
            ft_scan_defaults(&p);
            assert_int_equal(
                ft_scan_param_set(&p, cases[c].param, k ? cases[c].out : cases[c].in, &err), FT_OK);
            ft_alerts a;
            run(&s, &p, 1, &a);
            const ft_alert *al = alert_at(&s, &a, cases[c].kind, cases[c].main);
            if (k == 0 && (!al || al->ntxn != cases[c].ntxn))
                fail_msg("%s %s: no %s at %s", cases[c].param, cases[c].in, cases[c].kind,
                         cases[c].main);
            if (k == 1 && al)
                fail_msg("%s %s: a %s at %s", cases[c].param, cases[c].out, cases[c].kind,
                         cases[c].main);
            ft_alerts_free(&a);
        }
    }
    ft_store_free(&s);
    free(f.csv);
    /* BZ: three senders each pay the same three receivers, 2 hours wide:
     * first each sender's payments (1, 2 and 3 hours after 5000, alike
     * for all), then the senders' starts (each pays all three at once,
     * one hour after the other). */
    for (int layout = 0; layout < 2; layout++) {
        fixture g = {0};
        char x[16], y[16];
        background(&g);
        for (int snd = 0; snd < 3; snd++)
            for (int r = 0; r < 3; r++)
                rowf(&g, "bz", 5001 + (layout ? snd : r), name_of(x, "BZS", snd),
                     name_of(y, "BZR", r), 1000 + 20 * (3 * snd + r));
        load(&s, g.csv);
        for (int k = 0; k < 2; k++) {
            ft_scan_params p;
            ft_scan_defaults(&p);
            assert_int_equal(
                ft_scan_param_set(&p, "bipartite.window_hours", k ? "1.9999" : "2", &err), FT_OK);
            ft_alerts a;
            run(&s, &p, 1, &a);
            const ft_alert *al = alert_at(&s, &a, "bipartite", "BZS0");
            if (k == 0 && (!al || al->ntxn != 9))
                fail_msg("layout %d, bipartite.window_hours 2: no bipartite at BZS0", layout);
            if (k == 1 && al)
                fail_msg("layout %d, bipartite.window_hours 1.9999: a bipartite at BZS0", layout);
            ft_alerts_free(&a);
        }
        ft_store_free(&s);
        free(g.csv);
    }
}

/* A two-hop return is a cycle only forward in time with most of the money
 * coming back: RTA and RTB (5000 there, 4800 back) are one; RVA and RVB,
 * strangers with lives of their own too, are not (5000 there, 1500 back). */
static void test_two_hop_returns(void **state)
{
    (void)state;
    fixture f = {0};
    background(&f);
    life(&f, "RTA", 22, 1);
    life(&f, "RTB", 23, 2);
    row(&f, "rt", 3600, "RTA", "RTB", "5000.00");
    row(&f, "rt", 3620, "RTB", "RTA", "4800.00");
    life(&f, "RVA", 24, 1);
    life(&f, "RVB", 25, 2);
    row(&f, "rv", 3600, "RVA", "RVB", "5000.00");
    row(&f, "rv", 3620, "RVB", "RVA", "1500.00");
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts a;
    run(&s, &p, 1, &a);
    const ft_alert *c = alert_at(&s, &a, "cycle", "RTA");
    assert_non_null(c);
    assert_int_equal(c->ntxn, 2);
    assert_null(alert_at(&s, &a, "cycle", "RVA"));
    assert_null(alert_at(&s, &a, "cycle", "RVB"));
    ft_alerts_free(&a);
    ft_store_free(&s);
    /* Where returns are common (data that begins in the middle of old
     * relations shows them as new), one is weighed against the others:
     * with six more pairs like RTA and RTB, none alerts, and at
     * --min-score 0 each says how many others the data holds. */
    for (int i = 0; i < 6; i++) {
        char x[16], y[16];
        name_of(x, "RXA", i);
        name_of(y, "RXB", i);
        life(&f, x, 26 + 2 * i, 1);
        life(&f, y, 27 + 2 * i, 2);
        rowf(&f, "rx", 3600 + 50 * i, x, y, 5000 + 100 * i);
        rowf(&f, "rx", 3620 + 50 * i, y, x, 4800 + 100 * i);
    }
    load(&s, f.csv);
    run(&s, &p, 2, &a);
    assert_null(alert_at(&s, &a, "cycle", "RTA"));
    assert_null(alert_at(&s, &a, "cycle", "RXA0"));
    ft_alerts_free(&a);
    p.min_score = 0;
    run(&s, &p, 1, &a);
    c = alert_at(&s, &a, "cycle", "RTA");
    assert_non_null(c);
    assert_non_null(strstr(a.text + c->text, "; this data holds 6 other returns like it"));
    /* 1 / (1 + sqrt(6)) */
    assert_true(fabs(c->score - 1 / (1 + sqrt(6.0))) < 1e-6);
    assert_non_null(alert_at(&s, &a, "cycle", "RXA5"));
    ft_alerts_free(&a);
    ft_store_free(&s);
    free(f.csv);
}

static const ft_alerts *sorting; /* the alerts by_kind_score_id compares */

static int by_kind_score_id(const void *x, const void *y)
{
    const ft_alerts *a = sorting;
    const ft_alert *p = &a->v[*(const uint32_t *)x], *q = &a->v[*(const uint32_t *)y];
    uint64_t sp = (uint64_t)((1.0 - (double)p->score) * 1e9);
    uint64_t sq = (uint64_t)((1.0 - (double)q->score) * 1e9);
    if (p->kind != q->kind)
        return p->kind < q->kind ? -1 : 1;
    if (sp != sq)
        return sp < sq ? -1 : 1;
    return (p->id > q->id) - (p->id < q->id);
}

/* One finding, one alert: taking the alerts of each kind from the highest
 * score down (then by id), none has half or more of its transfers among
 * those of the ones before it. On synthetic data (20,000 rows, seed 5,
 * hundreds of candidates of every kind at --min-score 0, fans of both
 * variants and overlapping windows among them), and by default. */
static void test_one_finding_one_alert(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[512], truth[512];
    snprintf(path, sizeof path, "%s/s.csv", dir);
    snprintf(truth, sizeof truth, "%s/s_truth.csv", dir);
    ft_synth_options o;
    ft_synth_defaults(&o);
    o.seed = 5;
    o.rows = 20000;
    ft_writer dw, tw;
    ft_synth_report rep;
    ft_error err;
    assert_int_equal(ft_writer_open(&dw, path, false, &err), FT_OK);
    assert_int_equal(ft_writer_open(&tw, truth, false, &err), FT_OK);
    assert_int_equal(ft_synth_write(&o, &dw, &tw, &rep, &err), FT_OK);
    assert_int_equal(ft_writer_close(&dw, &err), FT_OK);
    assert_int_equal(ft_writer_close(&tw, &err), FT_OK);
    ft_store s = {0};
    const char *paths[] = {path};
    if (ft_ingest_files(&s, paths, 1, NULL, &err) != FT_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(ft_store_adjacency(&s, &err), FT_OK);
    tu_rmdir(dir);
    uint8_t *mark = calloc((size_t)s.t.n, 1);
    for (int pass = 0; pass < 2; pass++) {
        ft_scan_params p;
        ft_scan_defaults(&p);
        if (pass == 0)
            p.min_score = 0;
        ft_alerts a;
        run(&s, &p, 2, &a);
        uint32_t *order = malloc((size_t)a.n * sizeof *order);
        for (uint32_t i = 0; i < a.n; i++)
            order[i] = i;
        sorting = &a;
        qsort(order, a.n, sizeof *order, by_kind_score_id);
        int kinds = 0;
        for (uint32_t x = 0; x < a.n; x++) {
            const ft_alert *al = &a.v[order[x]];
            if (al->kind >= FT_PAT_COUNT)
                continue;
            if (x == 0 || al->kind != a.v[order[x - 1]].kind) {
                memset(mark, 0, (size_t)s.t.n);
                kinds++;
            }
            uint32_t covered = 0;
            for (uint32_t k = 0; k < al->ntxn; k++)
                covered += mark[a.txns[al->txn0 + k]];
            if (2 * covered >= al->ntxn)
                fail_msg("pass %d: a %s alert of %u transfers, %u of them in better ones", pass,
                         ft_alert_kind_name(al->kind), al->ntxn, covered);
            for (uint32_t k = 0; k < al->ntxn; k++)
                mark[a.txns[al->txn0 + k]] = 1;
        }
        assert_true(kinds >= 10);
        if (pass == 0)
            assert_true(a.n > 500);
        free(order);
        ft_alerts_free(&a);
    }
    free(mark);
    ft_store_free(&s);
}

/* A general alert exactly half of whose transfers a specific one covers
 * gives way to it; with one transfer more, less than half, it stays.
 * SGS pays `width` new accounts within a few hours; four of them pass 96 %
 * on to SGT three days later: a scatter-gather of 8 transfers, 4 of them
 * in SGS's fan-out. */
static void test_precedence_at_exactly_half(void **state)
{
    (void)state;
    for (int width = 8; width <= 9; width++) {
        fixture f = {0};
        char a[16], b[16];
        background(&f);
        for (int i = 0; i < width; i++) {
            row(&f, "sg", 4600 + 0.5 * i, "SGS", name_of(b, "SGM", i), "5000.00");
            if (i < 4)
                row(&f, "sg", 4672 + i, name_of(a, "SGM", i), "SGT", "4800.00");
        }
        ft_store s = {0};
        load(&s, f.csv);
        ft_scan_params p;
        ft_scan_defaults(&p);
        ft_alerts al;
        /* Alone, the fan-out is reported, with every payment. */
        p.enabled[FT_PAT_SCATTER_GATHER] = false;
        run(&s, &p, 1, &al);
        const ft_alert *fan = alert_at(&s, &al, "fan_out", "SGS");
        assert_non_null(fan);
        assert_int_equal(fan->ntxn, width);
        ft_alerts_free(&al);
        p.enabled[FT_PAT_SCATTER_GATHER] = true;
        run(&s, &p, 1, &al);
        const ft_alert *sg = alert_at(&s, &al, "scatter_gather", "SGS");
        assert_non_null(sg);
        assert_int_equal(sg->ntxn, 8);
        fan = alert_at(&s, &al, "fan_out", "SGS");
        if (width == 8) {
            assert_null(fan);
        } else {
            assert_non_null(fan);
            assert_int_equal(fan->ntxn, 9);
        }
        ft_alerts_free(&al);
        ft_store_free(&s);
        free(f.csv);
    }
}

/* Alert ids hash the sorted original ids: they do not depend on whether
 * the ids run with time or against it. FOA pays eight new accounts; the
 * payments are named X1 .. X8 in time order, then X8 .. X1. */
static void test_ids_against_time(void **state)
{
    (void)state;
    uint64_t alert[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        fixture f = {0};
        char b[16], id[8];
        background(&f);
        life(&f, "FOA", 10, 2);
        for (int i = 0; i < 8; i++) {
            snprintf(id, sizeof id, "X%d", k == 0 ? i + 1 : 8 - i);
            row(&f, "x", 1000 + i, "FOA", name_of(b, "FO", i), "2000.00");
            /* the row's id is X<n> alone: "x.123,..." -> "X1,..." */
            char *line = f.csv + f.len - 1;
            while (line[-1] != '\n')
                line--;
            char *rest = strchr(line, ',');
            size_t idlen = strlen(id);
            memmove(line + idlen, rest, strlen(rest) + 1);
            memcpy(line, id, idlen);
            f.len = strlen(f.csv);
        }
        ft_store s = {0};
        load(&s, f.csv);
        ft_scan_params p;
        ft_scan_defaults(&p);
        ft_alerts a;
        run(&s, &p, 1, &a);
        const ft_alert *fan = alert_at(&s, &a, "fan_out", "FOA");
        assert_non_null(fan);
        assert_int_equal(fan->ntxn, 8);
        alert[k] = fan->id;
        /* the transfers in time order: X1 first, or X8 first */
        char first[16];
        ft_store_txid(&s, a.txns[fan->txn0], first, sizeof first);
        assert_string_equal(first, k == 0 ? "X1" : "X8");
        ft_alerts_free(&a);
        ft_store_free(&s);
        free(f.csv);
    }
    assert_true(alert[0] == alert[1]);
}

/* How large a payment in is counts to the top of the ratio table: PLA and
 * PMA each received 10.00 from twelve people, then one payment of 30000
 * (3000 times that, step 9, the table's last) or 15000 (step 8), which
 * they pass on whole the next day. The larger is rarer in the data (only
 * PLA's reaches step 9), so PLA's round scores higher. */
static void test_large_steps(void **state)
{
    (void)state;
    fixture f = {0};
    char a[16];
    background(&f);
    for (int i = 0; i < 12; i++) {
        rowf(&f, "pl", 200 + 168 * i, name_of(a, "B", i), "PLA", 10);
        rowf(&f, "pm", 200 + 168 * i, name_of(a, "B", 20 + i), "PMA", 10);
    }
    rowf(&f, "pl", 3000, "PLX", "PLA", 30000);
    rowf(&f, "pl", 3012, "PLA", "PLY", 30000);
    rowf(&f, "pm", 3000, "PMX", "PMA", 15000);
    rowf(&f, "pm", 3012, "PMA", "PMY", 15000);
    ft_store s = {0};
    load(&s, f.csv);
    ft_scan_params p;
    ft_scan_defaults(&p);
    p.min_score = 0;
    ft_alerts al;
    run(&s, &p, 1, &al);
    const ft_alert *l = alert_at(&s, &al, "pass_through", "PLA");
    const ft_alert *m = alert_at(&s, &al, "pass_through", "PMA");
    assert_non_null(l);
    assert_non_null(m);
    if (!(l->score > m->score + 1e-9))
        fail_msg("step 9 scores %.6f, step 8 %.6f", l->score, m->score);
    ft_alerts_free(&al);
    ft_store_free(&s);
    free(f.csv);
}

/* A time window keeps the whole scan's alerts with a transfer in it, whole
 * and in order: exactly those. */
static void test_alerts_window(void **state)
{
    (void)state;
    ft_store s = {0};
    tu_synth_store(&s, 20000, 11);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts all = {0}, win = {0};
    ft_error err;
    assert_int_equal(ft_scan_run(&s, &p, 1, &all, &err), FT_OK);
    assert_int_equal(all.n, 29);
    int64_t since, until;
    ft_time_error why;
    assert_true(ft_time_parse("2024-06-01", 10, &since, &why));
    assert_true(ft_time_parse("2024-06-30T23:59:59Z", 20, &until, &why));
    const int64_t windows[][2] = {{since, until},
                                  {s.t.ts_ms[s.t.n - 1] - 35 * 86400000LL, INT64_MAX},
                                  {INT64_MIN, INT64_MAX},
                                  {INT64_MIN, s.t.ts_ms[0] - 1}};
    const uint32_t want[] = {2, 3, 29, 0};
    for (int w = 0; w < 4; w++) {
        assert_int_equal(ft_scan_run(&s, &p, 1, &win, &err), FT_OK);
        ft_alerts_window(&win, &s, windows[w][0], windows[w][1]);
        assert_int_equal(win.n, want[w]);
        uint32_t k = 0;
        for (uint32_t i = 0; i < all.n; i++) {
            const ft_alert *a = &all.v[i];
            bool in = false;
            for (uint32_t j = 0; j < a->ntxn; j++) {
                int64_t ts = s.t.ts_ms[all.txns[a->txn0 + j]];
                in = in || (ts >= windows[w][0] && ts <= windows[w][1]);
            }
            if (!in)
                continue;
            assert_true(k < win.n);
            assert_int_equal(win.v[k].id, a->id);
            assert_int_equal(win.v[k].ntxn, a->ntxn);
            k++;
        }
        assert_int_equal(k, win.n);
        ft_alerts_free(&win);
    }
    ft_alerts_free(&all);
    ft_store_free(&s);
}

/* The history counts are per year of data (ft_scan_params_for_data): data
 * spanning d < 365 whole days scales scan.hub_degree,
 * fan_in.slow_max_payers and scan.opener_min (to 1 at least) by d / 365;
 * scan.rhythm_min and everything else stay; a year or more keeps them. */
static void test_params_for_data(void **state)
{
    (void)state;
    /* span in seconds, and the factor expected */
    const struct {
        long long span;
        double f;
    } cases[] = {
        {365 * 86400LL, 1},       /* a year */
        {364 * 86400LL + 1, 1},   /* 364 days and a second: 365 whole days */
        {400 * 86400LL, 1},       /* more */
        {73 * 86400LL, 0.2},      /* 73 days */
        {72 * 86400LL + 60, 0.2}, /* 73 whole days */
        {3600, 1.0 / 365},        /* an hour: one day */
        {0, 1.0 / 365},           /* one instant */
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char csv[256];
        snprintf(csv, sizeof csv,
                 "txn_id,timestamp,src_account,dst_account,amount,currency\n"
                 "a,%lld,X,Y,10.00,EUR\nb,%lld,Y,X,10.00,EUR\n",
                 T0, T0 + cases[k].span);
        ft_store s = {0};
        load(&s, csv);
        ft_scan_params p, q;
        ft_scan_defaults(&p);
        p.rhythm_min = 7;
        ft_scan_params_for_data(&s, &p, &q);
        double f = cases[k].f;
        assert_true(fabs(q.hub_degree - 500 * f) < 1e-9);
        assert_true(fabs(q.fan_slow_max_payers - 100 * f) < 1e-9);
        assert_true(fabs(q.opener_min - fmax(1, 10 * f)) < 1e-9);
        /* the rest as given */
        q.hub_degree = p.hub_degree;
        q.fan_slow_max_payers = p.fan_slow_max_payers;
        q.opener_min = p.opener_min;
        assert_memory_equal(&q, &p, sizeof p);
        /* in place */
        ft_scan_params_for_data(&s, &p, &p);
        assert_true(fabs(p.hub_degree - 500 * f) < 1e-9);
        ft_store_free(&s);
    }
    /* no transfers: as given */
    ft_store s = {0};
    load(&s, "txn_id,timestamp,src_account,dst_account,amount,currency\n");
    ft_scan_params p, q;
    ft_scan_defaults(&p);
    ft_scan_params_for_data(&s, &p, &q);
    assert_memory_equal(&q, &p, sizeof p);
    ft_store_free(&s);
}

/* An extract of five weeks cut from a longer history: 100 people pay two
 * friends every week; a cash desk pays 60 people their withdrawals and is
 * paid 60 deposits (a business: in a year it has over 600 payers and 1,200
 * transfers); FI0..FI7, new accounts, pay FIA 1000-1070 within 7 hours;
 * CYA -> CYB -> CYC -> CYA, 95 % each hop. The data spans 35 whole days,
 * so the history counts are 35/365 of a year's: the desk, paid by 60
 * accounts (more than 9.6) with 120 transfers (more than 48 and 20 times
 * the mean account's 4.5), is a business and a hub; the fan-in and the
 * cycle are found. With a year's counts the desk's 60 payers were a slow
 * fan-in of new relations. */
static void test_short_extract(void **state)
{
    (void)state;
    fixture f = {0};
    char a[16], b[16];
    for (int w = 0; w < 5; w++)
        for (int i = 0; i < 100; i++) {
            double h = (7 * w + i % 7) * DAY + 9 + i % 8;
            name_of(a, "B", i);
            rowf(&f, "bg", h, a, name_of(b, "B", (i + 1) % 100), 20 + i % 50);
            rowf(&f, "bg", h + 0.5, a, name_of(b, "B", (i + 7) % 100), 15 + i % 30);
        }
    for (int k = 0; k < 60; k++) {
        double h = k * 13.5 + 5;
        rowf(&f, "dk", h, "DESK", name_of(a, "W", k), 200 + (k * 37) % 20);
        rowf(&f, "dk", h + 6, name_of(a, "D", k), "DESK", 205 + (k * 53) % 20);
    }
    for (int k = 0; k < 8; k++)
        rowf(&f, "fi", 500 + k * 0.9, name_of(a, "FI", k), "FIA", 1000 + 10 * k);
    row(&f, "cy", 600, "CYA", "CYB", "10000.00");
    row(&f, "cy", 602, "CYB", "CYC", "9500.00");
    row(&f, "cy", 604, "CYC", "CYA", "9025.00");
    ft_store s = {0};
    load(&s, f.csv);
    int64_t span = s.t.ts_ms[s.t.n - 1] - s.t.ts_ms[0];
    assert_true(span > 34 * 86400000LL && span <= 35 * 86400000LL);
    ft_scan_params p;
    ft_scan_defaults(&p);
    ft_alerts al;
    run(&s, &p, 2, &al);
    char *got = alert_set(&s, &al);
    assert_string_equal(got, "cycle:cy.1129,cy.1130,cy.1131\n"
                             "fan_in:fi.1121,fi.1122,fi.1123,fi.1124,fi.1125,fi.1126,fi.1127,"
                             "fi.1128\n");
    free(got);
    ft_alerts_free(&al);
    /* a year's counts: the desk is a slow fan-in of its 60 payers */
    p.hub_degree *= 365.0 / 35;
    p.fan_slow_max_payers *= 365.0 / 35;
    p.opener_min *= 365.0 / 35;
    run(&s, &p, 1, &al);
    const ft_alert *d = alert_at(&s, &al, "fan_in", "DESK");
    assert_non_null(d);
    assert_int_equal(d->ntxn, 60);
    assert_int_equal(al.n, 3);
    ft_alerts_free(&al);
    ft_store_free(&s);
    free(f.csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_detector),
        cmocka_unit_test(test_ordinary_life_is_quiet),
        cmocka_unit_test(test_scores_grow_with_evidence),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_ids_are_stable),
        cmocka_unit_test(test_same_day_rows_in_any_order),
        cmocka_unit_test(test_state_across_runs),
        cmocka_unit_test(test_scatter_gather_delay_limit),
        cmocka_unit_test(test_window_limits),
        cmocka_unit_test(test_one_finding_one_alert),
        cmocka_unit_test(test_two_hop_returns),
        cmocka_unit_test(test_precedence_at_exactly_half),
        cmocka_unit_test(test_ids_against_time),
        cmocka_unit_test(test_large_steps),
        cmocka_unit_test(test_alerts_window),
        cmocka_unit_test(test_params_for_data),
        cmocka_unit_test(test_short_extract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
