/*
 * gen_generic.c - writes N rows of fundtrace's generic CSV layout to stdout,
 * fast and deterministically, for the load benchmark.
 *
 *   gen_generic ROWS [SEED]
 *
 * Rows are in time order over about a year from 2024-01-01, between about
 * ROWS/10 accounts chosen with a heavy tail (a few hubs take much of the
 * traffic), with log-normal amounts in EUR, USD, GBP (2 decimals) and JPY
 * (0 decimals), four channels, and a label on one row in a thousand. The
 * PRNG is xoshiro256** seeded by splitmix64, so a seed gives the same
 * bytes on any machine. Numbers are formatted by hand into a large buffer:
 * the generator must not be what a benchmark measures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s[4];

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(void)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static void seed(uint64_t x)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        s[i] = z ^ (z >> 31);
    }
}

static double uniform(void)
{
    return (double)(next() >> 11) * 0x1.0p-53;
}

static char out[1 << 20];
static size_t used;

static void flush(void)
{
    fwrite(out, 1, used, stdout);
    used = 0;
}

static void put(const char *p, size_t n)
{
    memcpy(out + used, p, n);
    used += n;
}

static void put_u64(uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    while (n)
        out[used++] = tmp[--n];
}

/* Howard Hinnant's civil_from_days. */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_generic ROWS [SEED]\n");
        return 2;
    }
    uint64_t rows = strtoull(argv[1], NULL, 10);
    seed(argc > 2 ? strtoull(argv[2], NULL, 10) : 20241124);
    uint64_t accounts = rows / 10 > 100 ? rows / 10 : 100;
    static const char *const cur[] = {"EUR", "EUR", "EUR", "EUR", "EUR", "EUR", "USD", "USD",
                                      "GBP", "JPY"};
    static const char *const chan[] = {"card", "wire", "sepa", "cash"};
    int64_t t = 1704067200; /* 2024-01-01T00:00:00Z */
    uint64_t step = 2 * 365ULL * 86400 / (rows ? rows : 1) + 1;
    int64_t day = -1;
    char date[11];
    static const char header[] =
        "txn_id,timestamp,src_account,dst_account,amount,currency,channel,label\n";
    put(header, sizeof header - 1);
    for (uint64_t i = 1; i <= rows; i++) {
        t += (int64_t)(next() % step);
        if (t / 86400 != day) {
            day = t / 86400;
            int y, m, d;
            civil(day, &y, &m, &d);
            snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        }
        /* u^3 piles the choices onto the low account numbers: hubs. */
        double u = uniform(), v = uniform();
        uint64_t src = (uint64_t)(u * u * u * (double)accounts);
        uint64_t dst = (uint64_t)(v * v * (double)accounts);
        const char *c = cur[next() % 10];
        /* log-normal around 50 units, clamped to [1, 100000] */
        double g = sqrt(-2.0 * log(uniform() + 1e-300)) * cos(6.283185307179586 * uniform());
        double amt = exp(3.9 + 1.6 * g);
        if (amt < 1)
            amt = 1;
        if (amt > 100000)
            amt = 100000;
        put_u64(i, 0);
        out[used++] = ',';
        put(date, 10);
        out[used++] = 'T';
        int64_t sec = t % 86400;
        put_u64((uint64_t)(sec / 3600), 2);
        out[used++] = ':';
        put_u64((uint64_t)(sec / 60 % 60), 2);
        out[used++] = ':';
        put_u64((uint64_t)(sec % 60), 2);
        put("Z,AC", 4);
        put_u64(src, 8);
        put(",AC", 3);
        put_u64(dst, 8);
        out[used++] = ',';
        if (c[0] == 'J') {
            put_u64((uint64_t)amt * 100, 0);
        } else {
            uint64_t cents = (uint64_t)(amt * 100);
            put_u64(cents / 100, 0);
            out[used++] = '.';
            put_u64(cents % 100, 2);
        }
        out[used++] = ',';
        put(c, 3);
        out[used++] = ',';
        const char *ch = chan[next() % 4];
        put(ch, strlen(ch));
        out[used++] = ',';
        if (next() % 1000 == 0) {
            out[used++] = 'P';
            put_u64(next() % 500, 0);
        }
        out[used++] = '\n';
        if (used > sizeof out - 256)
            flush();
    }
    flush();
    return ferror(stdout) ? 1 : 0;
}
