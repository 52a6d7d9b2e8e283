/*
 * synth.c - the synthetic bank and its planted patterns.
 *
 * Accounts are not stored: an account is an index, and its kind, bank and
 * employer are functions of the index and the seed. Days are generated one
 * at a time: the day's background rows (a per-day PRNG stream), the rows of
 * the benign look-alikes (streams per model and actor or day; see "benign
 * look-alikes"), the rows of the planted instances that fall in it (each
 * instance has its own stream), sorted by time and written. An instance is
 * generated whole when its first day comes; its rows wait in a heap until
 * their day, and its ground-truth record is written when its last row is.
 * A look-alike's later rows (a payback days on) wait in the same heap. Row
 * counts are planned up front, so exactly --rows rows come out.
 *
 * Only IEEE arithmetic is used for amounts and times (log-normal amounts
 * come from our own exp), so the bytes do not depend on the C library.
 */
#include "fundtrace/synth.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/pool.h"
#include "fundtrace/time.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL
#define MIN_MS  60000LL

/* --- deterministic randomness ---------------------------------------------------- */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A stream of its own for each (seed, purpose, index). */
static void rng_init(rng *r, uint64_t seed, uint64_t purpose, uint64_t index)
{
    uint64_t x = seed ^ (purpose * 0xD1B54A32D192ED03ULL) ^ (index * 0x8CB92BA72F3D8DD7ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

/* Streams of the generator, one per purpose; an index picks the day, the
 * instance or the actor (and its period) within it. */
enum {
    ST_BACKGROUND = 1,
    ST_SHAPE,
    ST_START,
    ST_PAYROLL,
    ST_WIDTH,
    ST_PERSON,
    ST_PAYBACK,
    ST_FLAT,
    ST_FLAT_MONTH,
    ST_FAMILY,
    ST_FAMILY_MONTH,
    ST_SUPPLIER,
    ST_SUPPLIER_RUN,
    ST_SAVER,
    ST_SAVER_MONTH,
    ST_SHOP_DAY,
    ST_SHOP_PAYOUT,
};

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_u64(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static inline double rng_unit(rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static inline uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_u64(r) * n) >> 64);
}

/* A single value draws nothing, so fixing a parameter leaves the other
 * draws of an instance where they were. */
static double rng_in(rng *r, ft_range x)
{
    return x.hi > x.lo ? x.lo + (x.hi - x.lo) * rng_unit(r) : x.lo;
}

static int64_t rng_int(rng *r, ft_range x)
{
    int64_t lo = (int64_t)(x.lo + 0.5), hi = (int64_t)(x.hi + 0.5);
    return hi <= lo ? lo : lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

/* An approximately normal variate: the sum of four uniforms, scaled to
 * unit variance (tails end at 3.46, which suits amounts). */
static double rng_normal(rng *r)
{
    double s = rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r);
    return (s - 2.0) * 1.7320508075688772;
}

/* exp(x) from +, *, / only, so every machine gets the same bits. */
static double det_exp(double x)
{
    const double ln2 = 0.6931471805599453;
    double kf = x / ln2;
    int64_t k = (int64_t)(kf < 0 ? kf - 0.5 : kf + 0.5);
    double rr = x - (double)k * ln2, term = 1, sum = 1;
    for (int i = 1; i < 14; i++) {
        term *= rr / i;
        sum += term;
    }
    for (; k > 0; k--)
        sum *= 2;
    for (; k < 0; k++)
        sum /= 2;
    return sum;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
}

/* --- parameters -------------------------------------------------------------------- */

/* What a parameter may hold; check_params enforces it. */
enum pkind {
    PK_COUNT,    /* whole numbers from 1 to 1000 */
    PK_SHARE,    /* above 0, at most 1 */
    PK_RATIO,    /* above 0, at most 10: an amount relative to the one before */
    PK_POSITIVE, /* above 0 */
    PK_VALUE,    /* one positive number */
    PK_FRACTION, /* one number from 0 to 1 */
};

/* One table for every parameter: name, field, kind, and its range in the
 * default and the wide profile. The wide ranges follow what other
 * generators and real cases show (AMLSim's slow fans over months and
 * unordered cycles of 3 to 10 accounts with free amounts; layering with
 * gaps of days through layers of several accounts; one-round mules;
 * structuring from 3 deposits; hubs that hold money for days). */
#define SYNTH_PARAMS(X)                                                                            \
    X("fan.degree", fan_degree, PK_COUNT, 8, 20, 4, 20)                                            \
    X("fan.window_hours", fan_window, PK_POSITIVE, 2, 48, 2, 5760)                                 \
    X("fan.amount", fan_amount, PK_POSITIVE, 800, 4000, 100, 10000)                                \
    X("fan.leg_low", fan_leg_low, PK_SHARE, 0.85, 0.85, 0.1, 0.5)                                  \
    X("scatter_gather.width", sg_width, PK_COUNT, 4, 10, 3, 15)                                    \
    X("scatter_gather.delay_hours", sg_delay, PK_POSITIVE, 2, 24, 1, 168)                          \
    X("scatter_gather.keep", sg_keep, PK_SHARE, 0.9, 0.99, 0.7, 1)                                 \
    X("scatter_gather.amount", sg_amount, PK_POSITIVE, 2000, 9000, 500, 20000)                     \
    X("gather_scatter.in", gs_in, PK_COUNT, 5, 12, 3, 15)                                          \
    X("gather_scatter.out", gs_out, PK_COUNT, 5, 12, 3, 15)                                        \
    X("gather_scatter.hold_hours", gs_hold, PK_POSITIVE, 2, 48, 2, 240)                            \
    X("gather_scatter.keep", gs_keep, PK_SHARE, 0.9, 0.99, 0.7, 1)                                 \
    X("gather_scatter.amount", gs_amount, PK_POSITIVE, 1000, 5000, 300, 20000)                     \
    X("cycle.hops", cycle_hops, PK_COUNT, 2, 6, 3, 10)                                             \
    X("cycle.gap_hours", cycle_gap, PK_POSITIVE, 0.5, 24, 0.5, 120)                                \
    X("cycle.keep", cycle_keep, PK_RATIO, 0.8, 1, 0.7, 1.3)                                        \
    X("cycle.amount", cycle_amount, PK_POSITIVE, 5000, 50000, 100, 50000)                          \
    X("cycle.ordered", cycle_ordered, PK_FRACTION, 1, 1, 0.25, 0.25)                               \
    X("cycle.window_days", cycle_window_days, PK_POSITIVE, 1, 20, 1, 20)                           \
    X("stack.length", stack_length, PK_COUNT, 4, 8, 3, 10)                                         \
    X("stack.gap_hours", stack_gap, PK_POSITIVE, 0.25, 6, 1, 120)                                  \
    X("stack.keep", stack_keep, PK_SHARE, 0.9, 0.99, 0.8, 1)                                       \
    X("stack.amount", stack_amount, PK_POSITIVE, 5000, 50000, 1000, 100000)                        \
    X("stack.width", stack_width, PK_COUNT, 1, 1, 1, 4)                                            \
    X("bipartite.senders", bip_senders, PK_COUNT, 3, 6, 2, 8)                                      \
    X("bipartite.receivers", bip_receivers, PK_COUNT, 3, 6, 2, 8)                                  \
    X("bipartite.window_hours", bip_window, PK_POSITIVE, 6, 72, 6, 720)                            \
    X("bipartite.amount", bip_amount, PK_POSITIVE, 1000, 6000, 300, 10000)                         \
    X("pass_through.rounds", pt_rounds, PK_COUNT, 3, 6, 1, 3)                                      \
    X("pass_through.delay_hours", pt_delay, PK_POSITIVE, 1, 12, 1, 72)                             \
    X("pass_through.gap_days", pt_gap_days, PK_POSITIVE, 1, 4, 1, 30)                              \
    X("pass_through.keep", pt_keep, PK_SHARE, 0.95, 0.995, 0.85, 1)                                \
    X("pass_through.amount", pt_amount, PK_POSITIVE, 2000, 15000, 3000, 50000)                     \
    X("structuring.deposits", st_deposits, PK_COUNT, 5, 10, 3, 10)                                 \
    X("structuring.window_days", st_window_days, PK_POSITIVE, 2, 7, 1, 14)                         \
    X("structuring.low", st_low, PK_SHARE, 0.85, 0.99, 0.7, 0.99)                                  \
    X("structuring.threshold", st_threshold, PK_VALUE, 10000, 10000, 10000, 10000)                 \
    X("rapid.moves", rapid_moves, PK_COUNT, 4, 8, 2, 8)                                            \
    X("rapid.delay_minutes", rapid_delay_min, PK_POSITIVE, 1, 30, 1, 120)                          \
    X("rapid.gap_hours", rapid_gap, PK_POSITIVE, 6, 72, 1, 168)                                    \
    X("rapid.keep", rapid_keep, PK_SHARE, 0.9, 1, 0.8, 1)                                          \
    X("rapid.amount", rapid_amount, PK_POSITIVE, 1000, 8000, 300, 20000)                           \
    X("tf.sources", tf_sources, PK_COUNT, 15, 40, 8, 60)                                           \
    X("tf.window_days", tf_window_days, PK_POSITIVE, 5, 15, 3, 60)                                 \
    X("tf.donation", tf_donation, PK_POSITIVE, 20, 200, 10, 500)                                   \
    X("tf.outflows", tf_outflows, PK_COUNT, 1, 3, 1, 5)                                            \
    X("tf.delay_days", tf_delay_days, PK_POSITIVE, 0.2, 3, 0.2, 14)                                \
    X("tf.share", tf_share, PK_SHARE, 0.8, 0.95, 0.6, 1)                                           \
    X("tf.donors_abroad", tf_donors_abroad, PK_FRACTION, 0.3, 0.3, -1, -1)                         \
    X("benign.payback", bg_payback, PK_FRACTION, 0.04, 0.04, -1, -1)                               \
    X("benign.rent_split", bg_rent_split, PK_FRACTION, 0.015, 0.015, -1, -1)                       \
    X("benign.salary_bills", bg_salary_bills, PK_FRACTION, 0.03, 0.03, -1, -1)                     \
    X("benign.family_abroad", bg_family_abroad, PK_FRACTION, 0.01, 0.01, -1, -1)                   \
    X("benign.merchant", bg_merchant, PK_FRACTION, 0.03, 0.03, -1, -1)                             \
    X("benign.supplier", bg_supplier, PK_FRACTION, 0.02, 0.02, -1, -1)                             \
    X("benign.savings", bg_savings, PK_FRACTION, 0.01, 0.01, -1, -1)

/* A wide value of -1: the profile leaves the parameter alone. */
static const struct param {
    const char *name;
    size_t offset; /* of an ft_range in ft_synth_params, or of a double */
    enum pkind kind;
    ft_range dflt, wide;
} params[] = {
#define ROW(n, f, k, dlo, dhi, wlo, whi)                                                           \
    {n, offsetof(ft_synth_params, f), k, {dlo, dhi}, {wlo, whi}},
    SYNTH_PARAMS(ROW)
#undef ROW
};

#define NPARAMS (sizeof params / sizeof params[0])

const char *const ft_synth_param_names[NPARAMS + 1] = {
#define NAME(n, f, k, dlo, dhi, wlo, whi) n,
    SYNTH_PARAMS(NAME)
#undef NAME
        NULL,
};

const char *const ft_synth_profile_names[] = {"default", "wide", NULL};

static bool one_value(enum pkind k)
{
    return k == PK_VALUE || k == PK_FRACTION;
}

static void put_param(ft_synth_params *p, const struct param *q, ft_range v)
{
    char *base = (char *)p + q->offset;
    if (one_value(q->kind))
        *(double *)base = v.lo;
    else
        *(ft_range *)base = v;
}

static ft_range get_param(const ft_synth_params *p, const struct param *q)
{
    const char *base = (const char *)p + q->offset;
    if (one_value(q->kind)) {
        double v = *(const double *)base;
        return (ft_range){v, v};
    }
    return *(const ft_range *)base;
}

static const struct param *find_param(const char *name, size_t len)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (strlen(params[i].name) == len && memcmp(params[i].name, name, len) == 0)
            return &params[i];
    return NULL;
}

void ft_synth_defaults(ft_synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->rows = 1000000;
    o->start_ms = ft_days_from_civil(2024, 1, 1) * DAY_MS;
    o->days = 365;
    o->planted = 0.01;
    o->patterns = (1u << FT_PAT_COUNT) - 1;
    o->layout = FT_SYNTH_GENERIC;
    o->cross_border = 0.1;
    for (size_t i = 0; i < NPARAMS; i++)
        put_param(&o->p, &params[i], params[i].dflt);
}

ft_status ft_synth_profile(ft_synth_options *o, const char *name, ft_error *err)
{
    bool wide = strcmp(name, "wide") == 0;
    if (!wide && strcmp(name, "default") != 0)
        return ft_error_set(err, FT_EUSAGE, "unknown profile '%s' (default or wide)", name);
    for (size_t i = 0; i < NPARAMS; i++)
        if (params[i].wide.lo >= 0)
            put_param(&o->p, &params[i], wide ? params[i].wide : params[i].dflt);
    return FT_OK;
}

bool ft_synth_get(const ft_synth_options *o, const char *name, ft_range *out)
{
    const struct param *q = find_param(name, strlen(name));
    if (q)
        *out = get_param(&o->p, q);
    return q != NULL;
}

/* Parses a plain non-negative decimal ("12", "0.95"); strtod would depend
 * on the locale. */
static bool parse_number(const char *s, size_t len, double *out)
{
    double v = 0, scale = 1;
    bool dot = false, any = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && !dot) {
            dot = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return false;
        any = true;
        if (dot) {
            scale /= 10;
            v += (s[i] - '0') * scale;
        } else {
            v = v * 10 + (s[i] - '0');
        }
    }
    *out = v;
    return any;
}

ft_status ft_synth_set(ft_synth_options *o, const char *assignment, ft_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return ft_error_set(err, FT_EUSAGE, "'%s': expected NAME=VALUE or NAME=LOW-HIGH",
                            assignment);
    const char *name = assignment, *value = eq + 1;
    size_t nlen = (size_t)(eq - assignment), vlen = strlen(value);
    ft_span_trim(&name, &nlen);
    ft_span_trim(&value, &vlen);
    const struct param *p = find_param(name, nlen);
    if (!p)
        return ft_error_set(err, FT_EUSAGE, "unknown parameter '%.*s' (see fundtrace synth --help)",
                            (int)nlen, name);
    double lo = 0, hi = 0;
    const char *dash = memchr(value, '-', vlen);
    bool ok = dash ? parse_number(value, (size_t)(dash - value), &lo) &&
                         parse_number(dash + 1, vlen - (size_t)(dash - value) - 1, &hi)
                   : parse_number(value, vlen, &lo);
    if (!dash)
        hi = lo;
    bool scalar = one_value(p->kind);
    if (!ok || hi < lo || (scalar && dash))
        return ft_error_set(err, FT_EUSAGE, "%s: '%.*s' is not a %s", p->name, (int)vlen, value,
                            scalar ? "number" : "number or LOW-HIGH range");
    put_param(&o->p, p, (ft_range){lo, hi});
    return FT_OK;
}

static ft_status config_line(void *ctx, const char *line, ft_error *err)
{
    return ft_synth_set(ctx, line, err);
}

ft_status ft_synth_config(ft_synth_options *o, const char *path, ft_error *err)
{
    return ft_config_lines(path, config_line, o, err);
}

/* --- currencies, banks, accounts ---------------------------------------------------- */

enum { EUR, USD, GBP, CHF, JPY, SAR, RUB, INR, CNY, MXN, BRL, NCUR };

static const struct cur {
    char code[4];
    const char *ibm_name;
    int exponent;
    double per_eur;
} curs[NCUR] = {
    [EUR] = {"EUR", "Euro", 2, 1.0},          [USD] = {"USD", "US Dollar", 2, 1.1},
    [GBP] = {"GBP", "UK Pound", 2, 0.85},     [CHF] = {"CHF", "Swiss Franc", 2, 0.95},
    [JPY] = {"JPY", "Yen", 0, 160.0},         [SAR] = {"SAR", "Saudi Riyal", 2, 4.1},
    [RUB] = {"RUB", "Ruble", 2, 100.0},       [INR] = {"INR", "Rupee", 2, 90.0},
    [CNY] = {"CNY", "Yuan", 2, 7.8},          [MXN] = {"MXN", "Mexican Peso", 2, 18.5},
    [BRL] = {"BRL", "Brazil Real", 2, 5.5},
};

static const struct bank {
    char code[6];
    uint8_t cur;
    uint8_t weight; /* share of the regular accounts; 0 for banks abroad */
} banks[] = {
    {"DE001", EUR, 20}, {"DE002", EUR, 15}, {"DE003", EUR, 8}, {"FR001", EUR, 15},
    {"FR002", EUR, 8},  {"NL001", EUR, 10}, {"NL002", EUR, 5}, {"BE001", EUR, 6},
    {"IT001", EUR, 10}, {"IT002", EUR, 5},  {"ES001", EUR, 10}, {"AT001", EUR, 4},
    {"IE001", EUR, 3},  {"PT001", EUR, 3},  {"FI001", EUR, 2}, {"LU001", EUR, 2},
    {"GB001", GBP, 6},  {"CH001", CHF, 3},  {"US001", USD, 4}, {"JP001", JPY, 1},
    /* abroad: receive wires and the money of terrorist financing */
    {"SA001", SAR, 0},  {"RU001", RUB, 0},  {"IN001", INR, 0}, {"CN001", CNY, 0},
    {"MX001", MXN, 0},  {"BR001", BRL, 0},
};

#define NBANKS    ((int)(sizeof banks / sizeof banks[0]))
#define NDOMESTIC 20

enum { K_MERCHANT, K_EMPLOYER, K_BUSINESS, K_PERSON, K_FOREIGN, K_CASH, K_SAVINGS };

/* The countries --countries takes, in order: the euro area by size, then
 * the rest. Each has the banks of its code in banks[] and their weights. */
const char *const ft_synth_country_codes[FT_SYNTH_COUNTRIES + 1] = {
    "DE", "FR", "NL", "IT", "ES", "BE", "AT", "IE", "PT", "FI", "LU", "GB", "CH", "US", "JP", NULL,
};

#define MAX_PERIOD 256 /* above the sum of the domestic banks' weights */
#define NO_COUNTRY 255

/* The actors of a look-alike model: k -> base + (a k + b) mod n, a
 * bijection of [0, n) because a and n are coprime. Actors are spread over
 * their range, distinct for distinct k, and no list of them is kept. */
typedef struct actors {
    uint64_t a, b, n;
    int64_t base;
} actors;

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void actors_init(actors *x, uint64_t seed, uint64_t salt, int64_t base, int64_t n)
{
    x->base = base;
    x->n = n > 0 ? (uint64_t)n : 1;
    uint64_t h = mix64(seed ^ (salt * 0x9E3779B97F4A7C15ULL));
    uint64_t a = h % x->n;
    while (gcd(a, x->n) != 1)
        a = (a + 1) % x->n;
    x->a = a;
    x->b = mix64(h) % x->n;
}

/* Both factors are below 2^32 (there are fewer accounts), so the product
 * fits. */
static int64_t actor(const actors *x, uint64_t k)
{
    return x->base + (int64_t)((x->a * (k % x->n) + x->b) % x->n);
}

typedef struct model {
    uint64_t seed;
    int64_t n;                          /* regular accounts */
    int64_t n_merchant, n_employer, n_business;
    int64_t n_foreign;                  /* accounts abroad: [n, n + n_foreign) */
    int64_t employ_mod;                 /* a person is employed when hash % this == 0 */
    uint32_t bank_cum[NDOMESTIC];       /* cumulative weights */
    uint32_t bank_total;
    uint32_t hour_total;                /* the sum of hour_weight */
    /* The benign look-alikes' actors (see "benign look-alikes" below). */
    int64_t n_flats, n_family, n_savers, n_shops, n_payers;
    uint64_t bills_below; /* an employed person pays bills when its hash is below */
    actors flatmates, family, savers, owners, shops, payers;
    /* Countries (--countries; see "countries" below); 0: none, banks as ever. */
    int countries;
    double cross;                /* --cross-border */
    uint32_t period;             /* the pattern's length: the countries' weights */
    uint8_t pattern[MAX_PERIOD]; /* the country of each position of a kind's range */
    uint8_t next_off[FT_SYNTH_COUNTRIES][MAX_PERIOD]; /* to the next position of a country */
    uint32_t cweight[FT_SYNTH_COUNTRIES];             /* each country's bank weights */
    uint8_t cbank[FT_SYNTH_COUNTRIES][4], ncbank[FT_SYNTH_COUNTRIES];
    uint32_t cbank_cum[FT_SYNTH_COUNTRIES][4];
    uint8_t bank_country[NDOMESTIC]; /* a domestic bank's country, or NO_COUNTRY */
    bool ceuro[FT_SYNTH_COUNTRIES];  /* the country pays in euros */
} model;

/* Savings accounts follow the cash desks: [savings_base, + n_savers). */
static int64_t savings_base(const model *m)
{
    return m->n + m->n_foreign + NDOMESTIC;
}

static int kind_of(const model *m, int64_t a)
{
    if (a < m->n_merchant)
        return K_MERCHANT;
    if (a < m->n_merchant + m->n_employer)
        return K_EMPLOYER;
    if (a < m->n_merchant + m->n_employer + m->n_business)
        return K_BUSINESS;
    if (a < m->n)
        return K_PERSON;
    if (a < m->n + m->n_foreign)
        return K_FOREIGN;
    if (a < savings_base(m))
        return K_CASH;
    return K_SAVINGS;
}

/* The person who owns savings account `a`. */
static int64_t saver_of(const model *m, int64_t a)
{
    return actor(&m->savers, (uint64_t)(a - savings_base(m)));
}

/* --- countries ----------------------------------------------------------------------- *
 *
 * With --countries N the regular accounts live in the first N countries of
 * ft_synth_country_codes, and the country of an account is a function of
 * its index: each kind's range (merchants, employers, businesses, people)
 * runs through a fixed pattern of the N countries whose length is the sum
 * of their banks' weights and in which each country takes as many places as
 * its weight, spread out (smooth weighted round robin), so every stretch of
 * a range holds the countries in about their shares. The bank within the
 * country is drawn by a hash with the banks' relative weights. Cash desks
 * are their bank's, savings their owner's; accounts abroad are in none.
 *
 * A counterparty is first drawn as ever, without regard to country (a
 * popular merchant, a friend from the circle, a big company), then moved
 * to the nearest account at or after it, within its kind's range, of the
 * country it should be in: the payer's own, or with probability
 * --cross-border another of the N, by weight. A table of the offset to the
 * next place of each country makes that one step, and nothing per account
 * is kept. Every kind has an account in every country (the pattern starts
 * with each once, and each kind has at least N accounts), but when a small
 * country has too few (a business paying another, a run of 20 suppliers)
 * the counterparty stays where it was drawn. */

static int64_t kind_lo(const model *m, int64_t a, int64_t *hi)
{
    int64_t e = m->n_merchant, b = e + m->n_employer, p = b + m->n_business;
    if (a < e) {
        *hi = e;
        return 0;
    }
    if (a < b) {
        *hi = b;
        return e;
    }
    if (a < p) {
        *hi = p;
        return b;
    }
    *hi = m->n;
    return p;
}

/* The country of account a (an index into ft_synth_country_codes), or -1
 * abroad. Only with --countries. */
static int country_of(const model *m, int64_t a)
{
    if (a >= savings_base(m))
        a = saver_of(m, a);
    if (a >= m->n + m->n_foreign) {
        uint8_t c = m->bank_country[a - m->n - m->n_foreign];
        return c == NO_COUNTRY ? -1 : c;
    }
    if (a >= m->n)
        return -1;
    int64_t hi, lo = kind_lo(m, a, &hi);
    return m->pattern[(uint64_t)(a - lo) % m->period];
}

static void build_countries(model *m, int n, double cross)
{
    m->countries = n;
    m->cross = cross;
    memset(m->bank_country, NO_COUNTRY, sizeof m->bank_country);
    for (int c = 0; c < n; c++) {
        for (int b = 0; b < NDOMESTIC; b++) {
            if (memcmp(banks[b].code, ft_synth_country_codes[c], 2) != 0)
                continue;
            m->cweight[c] += banks[b].weight;
            m->cbank[c][m->ncbank[c]] = (uint8_t)b;
            m->cbank_cum[c][m->ncbank[c]++] = m->cweight[c];
            m->bank_country[b] = (uint8_t)c;
            m->ceuro[c] = banks[b].cur == EUR;
        }
        m->period += m->cweight[c];
    }
    /* Each country once, then the rest of their weights spread out. */
    int64_t cur[FT_SYNTH_COUNTRIES] = {0}, rest = (int64_t)m->period - n;
    for (int c = 0; c < n; c++)
        m->pattern[c] = (uint8_t)c;
    for (uint32_t pos = (uint32_t)n; pos < m->period; pos++) {
        int best = 0;
        for (int c = 0; c < n; c++) {
            cur[c] += m->cweight[c] - 1;
            best = cur[c] > cur[best] ? c : best;
        }
        cur[best] -= rest;
        m->pattern[pos] = (uint8_t)best;
    }
    for (int c = 0; c < n; c++)
        for (uint32_t r = 0; r < m->period; r++) {
            uint32_t d = 0;
            while (m->pattern[(r + d) % m->period] != c)
                d++;
            m->next_off[c][r] = (uint8_t)d;
        }
}

/* The country of a counterparty of an account of country c: c, or with
 * probability `cross` another of the countries (euro ones only when
 * `euro`), by weight; h is a random 64-bit value. */
static int pick_country(const model *m, int c, uint64_t h, double cross, bool euro)
{
    if (c < 0 || (double)(h >> 11) * 0x1.0p-53 >= cross)
        return c;
    uint32_t total = 0;
    for (int k = 0; k < m->countries; k++)
        if (k != c && (!euro || m->ceuro[k]))
            total += m->cweight[k];
    if (total == 0)
        return c;
    uint32_t x = (uint32_t)(mix64(h) % total);
    for (int k = 0;; k++) {
        if (k == c || (euro && !m->ceuro[k]))
            continue;
        if (x < m->cweight[k])
            return k;
        x -= m->cweight[k];
    }
}

/* The nearest account at or after regular account a (round the end of its
 * kind's range) in country c, not `avoid`; a itself when there is none. */
static int64_t in_country(const model *m, int64_t a, int c, int64_t avoid)
{
    if (c < 0 || a >= m->n)
        return a;
    int64_t hi, lo = kind_lo(m, a, &hi), first = lo + m->next_off[c][0];
    if (first >= hi)
        return a;
    int64_t x = a + m->next_off[c][(uint64_t)(a - lo) % m->period];
    x = x < hi ? x : first;
    if (x == avoid) {
        int64_t y = x + 1 < hi ? x + 1 + m->next_off[c][(uint64_t)(x + 1 - lo) % m->period] : hi;
        x = y < hi ? y : first;
    }
    return x == avoid ? a : x;
}

/* Counterparty a of account `from`, drawn without regard to country, moved
 * to the country it is in (see above); draws once from r, and only with
 * --countries. */
static int64_t counterpart(const model *m, rng *r, int64_t from, int64_t a)
{
    if (!m->countries)
        return a;
    int c = pick_country(m, country_of(m, from), rng_u64(r), m->cross, false);
    return in_country(m, a, c, from);
}

/* The same for a fixed relation (an employer, a flatmate, a relative, an
 * owner): the choice is a hash of `key`, so it holds every month. */
static int64_t counterpart_h(const model *m, uint64_t salt, uint64_t key, int64_t from, int64_t a)
{
    if (!m->countries)
        return a;
    uint64_t h = mix64(key ^ m->seed ^ (salt * 0xD6E8FEB86659FD93ULL));
    return in_country(m, a, pick_country(m, country_of(m, from), h, m->cross, false), from);
}

static int bank_of(const model *m, int64_t a)
{
    if (a >= savings_base(m))
        a = saver_of(m, a); /* the bank of its owner's current account */
    if (a >= m->n + m->n_foreign)
        return (int)(a - m->n - m->n_foreign); /* the cash desk of a domestic bank */
    uint64_t h = mix64((uint64_t)a ^ m->seed ^ 0xB4B4B4B4ULL);
    if (a >= m->n)
        return NDOMESTIC + (int)(h % (uint64_t)(NBANKS - NDOMESTIC));
    if (m->countries) {
        int c = country_of(m, a), k = 0;
        uint32_t x = (uint32_t)(h % m->cweight[c]);
        while (m->cbank_cum[c][k] <= x)
            k++;
        return m->cbank[c][k];
    }
    uint32_t x = (uint32_t)(h % m->bank_total);
    int b = 0;
    while (m->bank_cum[b] <= x)
        b++;
    return b;
}

static int64_t cash_desk(const model *m, int bank)
{
    return m->n + m->n_foreign + bank;
}

static int64_t first_person(const model *m)
{
    return m->n_merchant + m->n_employer + m->n_business;
}

static int64_t employer_of(const model *m, int64_t person)
{
    uint64_t h = mix64((uint64_t)person ^ m->seed ^ 0xE3E3E3E3ULL);
    if (m->employ_mod == 0 || h % (uint64_t)m->employ_mod != 0)
        return -1;
    double u = (double)(mix64(h) >> 11) * 0x1.0p-53;
    return counterpart_h(m, 1, h, person, m->n_merchant + (int64_t)(u * u * (double)m->n_employer));
}

static int64_t any_person(const model *m, rng *r)
{
    int64_t p0 = first_person(m);
    return p0 + (int64_t)rng_below(r, (uint64_t)(m->n - p0));
}

/* A random person with a euro account. */
static int64_t euro_person(const model *m, rng *r)
{
    int64_t p0 = first_person(m), np = m->n - p0;
    for (;;) {
        int64_t p = p0 + (int64_t)rng_below(r, (uint64_t)np);
        if (banks[bank_of(m, p)].cur == EUR)
            return p;
    }
}

/* --- rows ------------------------------------------------------------------------- */

enum { CH_CARD, CH_SEPA, CH_WIRE, CH_CASH, NCHAN };
static const char *const chan_names[NCHAN] = {"card", "sepa", "wire", "cash"};
static const char *const chan_ibm[NCHAN] = {"Credit Card", "ACH", "Wire", "Cash"};

enum {
    M_NONE,
    M_SALARY,
    M_INVOICE,
    M_RENT,
    M_REFUND,
    M_THANKS,
    M_DINNER,
    M_DONATION,
    M_SAVINGS,
    M_FAMILY,
    NMEMO
};
static const char *const memo_text[NMEMO] = {
    "",         "salary",  "invoice", "rent", "refund", "thanks", "\"dinner, thanks\"",
    "donation", "savings", "family",
};

/* What wrote a row, as the model column names it: the kinds of ordinary
 * traffic, the benign look-alikes (from B_PAYBACK), planted instances. */
enum {
    B_CARD,
    B_P2P,
    B_BILL,
    B_B2B,
    B_REFUND,
    B_CASH_IN,
    B_CASH_OUT,
    B_WIRE_OUT,
    B_WIRE_IN,
    B_SALARY,
    B_PAYBACK,
    B_RENT_SPLIT,
    B_SALARY_BILLS,
    B_FAMILY,
    B_MERCHANT,
    B_SUPPLIER,
    B_SAVINGS,
    B_PLANTED,
    NMODELS
};
static const char *const model_names[NMODELS] = {
    "card",         "p2p",           "bill",     "b2b",      "refund",  "cash_in",
    "cash_out",     "wire_out",      "wire_in",  "salary",   "payback", "rent_split",
    "salary_bills", "family_abroad", "merchant", "supplier", "savings", "planted",
};

#define NO_EP UINT32_MAX

typedef struct row {
    int64_t ts;
    int64_t src, dst;
    int64_t amount; /* minor units of cur */
    int32_t inst;   /* planted instance, -1 for background */
    uint32_t seq;   /* order of creation, to break ties in time */
    uint32_t ep;    /* a look-alike's actor or episode (model column), or NO_EP */
    uint8_t cur, chan, memo, model;
} row;

/* Minor units of `eur` euros in currency c, at least 1. */
static int64_t minor_of(double eur, int c)
{
    double v = eur * curs[c].per_eur;
    for (int i = 0; i < curs[c].exponent; i++)
        v *= 10;
    int64_t m = (int64_t)(v + 0.5);
    return m < 1 ? 1 : m;
}

static double lognormal(rng *r, double median, double sigma)
{
    double v = median * det_exp(sigma * rng_normal(r));
    return v > 250000 ? 250000 : v;
}

/* --- planned instances ---------------------------------------------------------------- */

typedef struct plan {
    int64_t start;    /* ms */
    int64_t duration; /* ms, an upper bound */
    uint32_t index;   /* global instance number, names its stream and label */
    uint32_t rows;
    uint8_t pattern;
} plan;

/* What an instance draws first; the same draws at planning and at
 * generation, so the row count planned is the row count written. */
typedef struct shape {
    int a, b;       /* counts: degree, width, hops, rounds, senders, ... */
    double w, x, y; /* windows, keeps, amounts */
    bool ordered;   /* a cycle's hops follow in time order */
} shape;

/* The widths of a layered stack come from a stream of their own, so that
 * planning can count the rows without storing them and generation can
 * draw them again. */
static void width_stream(rng *r, uint64_t seed, uint32_t index)
{
    rng_init(r, seed, ST_WIDTH, index);
}

/* How many accounts of the next layer each account of a layer of `w`
 * accounts pays, when the next has `next`: several (two or more) where
 * there are several, and enough that every account of the next layer is
 * paid. */
static int layer_fanout(int w, int next)
{
    int f = (next + w - 1) / w;
    int several = next < 2 ? next : 2;
    return f > several ? f : several;
}

static bool layered(const ft_synth_params *p)
{
    return p->stack_width.hi >= 1.5;
}

/* The rows of a stack of `length` layers of transfers whose inner layers
 * are as wide as the width stream says (the first payer and the last
 * payee are one account each). */
static uint32_t stack_rows(const ft_synth_params *p, uint64_t seed, uint32_t index, int length)
{
    if (!layered(p))
        return (uint32_t)length;
    rng wr;
    width_stream(&wr, seed, index);
    uint32_t rows = 0;
    int w = 1;
    for (int i = 1; i <= length; i++) {
        int next = i == length ? 1 : (int)rng_int(&wr, p->stack_width);
        rows += (uint32_t)(w * layer_fanout(w, next));
        w = next;
    }
    return rows;
}

static void draw_shape(const ft_synth_params *p, uint64_t seed, uint32_t index, ft_pattern pat,
                       rng *r, shape *s, uint32_t *rows, int64_t *duration)
{
    memset(s, 0, sizeof *s);
    double h = 0;
    switch (pat) {
    case FT_PAT_FAN_OUT:
    case FT_PAT_FAN_IN:
        s->a = (int)rng_int(r, p->fan_degree);
        s->w = rng_in(r, p->fan_window);
        *rows = (uint32_t)s->a;
        h = s->w;
        break;
    case FT_PAT_SCATTER_GATHER:
        s->a = (int)rng_int(r, p->sg_width);
        s->w = rng_in(r, p->sg_delay);
        *rows = 2u * (uint32_t)s->a;
        /* The first legs spread over w hours, and each middle account pays
         * on up to the range's longest delay after its own. */
        h = s->w + p->sg_delay.hi + 2;
        break;
    case FT_PAT_GATHER_SCATTER:
        s->a = (int)rng_int(r, p->gs_in);
        s->b = (int)rng_int(r, p->gs_out);
        s->w = rng_in(r, p->gs_hold);
        *rows = (uint32_t)(s->a + s->b);
        h = 2 * s->w + 2;
        break;
    case FT_PAT_CYCLE:
        s->a = (int)rng_int(r, p->cycle_hops);
        /* Only a mixed profile spends a draw on the order. */
        s->ordered =
            p->cycle_ordered >= 1 || (p->cycle_ordered > 0 && rng_unit(r) < p->cycle_ordered);
        *rows = (uint32_t)s->a;
        if (s->ordered) {
            h = s->a * p->cycle_gap.hi + 1;
        } else {
            s->w = rng_in(r, p->cycle_window_days);
            h = 24 * s->w + 1;
        }
        break;
    case FT_PAT_STACK:
        s->a = (int)rng_int(r, p->stack_length);
        *rows = stack_rows(p, seed, index, s->a);
        /* A layer pays its few transfers a minute apart. */
        h = s->a * (p->stack_gap.hi + p->stack_width.hi / 30) + 1;
        break;
    case FT_PAT_BIPARTITE:
        s->a = (int)rng_int(r, p->bip_senders);
        s->b = (int)rng_int(r, p->bip_receivers);
        s->w = rng_in(r, p->bip_window);
        *rows = (uint32_t)(s->a * s->b);
        h = s->w;
        break;
    case FT_PAT_PASS_THROUGH:
        s->a = (int)rng_int(r, p->pt_rounds);
        *rows = 2u * (uint32_t)s->a;
        h = s->a * (24 * p->pt_gap_days.hi + p->pt_delay.hi) + 1;
        break;
    case FT_PAT_STRUCTURING:
        s->a = (int)rng_int(r, p->st_deposits);
        s->w = rng_in(r, p->st_window_days);
        *rows = (uint32_t)s->a;
        h = 24 * s->w;
        break;
    case FT_PAT_RAPID:
        s->a = (int)rng_int(r, p->rapid_moves);
        *rows = 2u * (uint32_t)s->a;
        h = s->a * (p->rapid_gap.hi + p->rapid_delay_min.hi / 60) + 1;
        break;
    case FT_PAT_TF_COLLECTION:
        s->a = (int)rng_int(r, p->tf_sources);
        s->b = (int)rng_int(r, p->tf_outflows);
        s->w = rng_in(r, p->tf_window_days);
        *rows = (uint32_t)(s->a + s->b);
        h = 24 * (s->w + p->tf_delay_days.hi) + 4;
        break;
    case FT_PAT_COUNT:
        break;
    }
    *duration = (int64_t)(h * (double)HOUR_MS) + HOUR_MS;
}

/* --- the run --------------------------------------------------------------------------- */

typedef struct instance {
    ft_pattern pattern;
    uint32_t index;
    uint32_t remaining;  /* rows not yet written */
    char params[160];    /* "degree=12;window_hours=18.50" */
    int64_t *accts;      /* accounts, in the order of the pattern's roles */
    uint32_t naccts, cap_accts;
    uint64_t *ids;       /* txn ids, as written */
    uint32_t nids;
    char *text;          /* IBM: the rows as written */
    size_t text_len, text_cap;
} instance;

typedef struct synth {
    const ft_synth_options *o;
    model m;
    ft_writer *data, *truth;
    ft_synth_report *rep;
    ft_error *err;
    ft_status rc;
    /* the day's rows */
    row *rows;
    size_t nrows, cap_rows;
    uint32_t seq;
    /* planted rows waiting for their day: a binary heap on (ts, seq) */
    row *heap;
    size_t nheap, cap_heap;
    instance **live; /* by instance number */
    plan *plans;
    uint32_t nplans;
    uint64_t next_id;
    /* sorting scratch */
    uint32_t *key, *key2, *idx, *idx2;
    size_t cap_key, cap_key2, cap_idx, cap_idx2;
    int64_t payroll_rows;
    char daytext[16];
    /* the calendar: days since the epoch, and the ends of the day being
     * made and of the data, in ms */
    int64_t first_day, last_day, day_end, span_end;
    /* benign look-alikes: rows planned up front for the scheduled ones,
     * episodes and rows shared out by day weight for the others */
    int64_t sched_rows, payback_episodes, shop_rows;
    uint32_t next_payback;
    int64_t *balance; /* each saver's savings, minor units */
    double *takings;  /* each shop's takings since its last payout, euros */
} synth;

static void fail(synth *S, ft_status rc)
{
    if (S->rc == FT_OK)
        S->rc = rc;
}

static bool grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *p;
    memcpy(&p, pp, sizeof p);
    void *q = realloc(p, c * elem);
    if (!q)
        return false;
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return true;
}

/* GROW(p, cap, need): room for `need` elements in the typed array p. */
#define GROW(p, cap, need) grow(&(p), (cap), (need), sizeof *(p))

static bool before(const row *a, const row *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_push(synth *S, const row *r)
{
    if (!GROW(S->heap, &S->cap_heap, S->nheap + 1)) {
        fail(S, ft_error_oom(S->err));
        return;
    }
    size_t i = S->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(r, &S->heap[parent]))
            break;
        S->heap[i] = S->heap[parent];
        i = parent;
    }
    S->heap[i] = *r;
}

static row heap_pop(synth *S)
{
    row top = S->heap[0], last = S->heap[--S->nheap];
    size_t i = 0, n = S->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&S->heap[c + 1], &S->heap[c]))
            c++;
        if (!before(&S->heap[c], &last))
            break;
        S->heap[i] = S->heap[c];
        i = c;
    }
    if (n)
        S->heap[i] = last;
    return top;
}

/* A background row: into the day's batch, or, when a look-alike writes
 * ahead (a payback days later), into the heap until its day comes. */
static void emit(synth *S, int64_t ts, int64_t src, int64_t dst, int64_t amount, int cur, int chan,
                 int memo, int model, uint32_t ep)
{
    row r = {ts,           src,           dst,           amount,        -1, S->seq++, ep,
             (uint8_t)cur, (uint8_t)chan, (uint8_t)memo, (uint8_t)model};
    if (ts >= S->day_end) {
        heap_push(S, &r);
        return;
    }
    if (!GROW(S->rows, &S->cap_rows, S->nrows + 1)) {
        fail(S, ft_error_oom(S->err));
        return;
    }
    S->rows[S->nrows++] = r;
}

/* --- planting ------------------------------------------------------------------------ */

typedef struct gen {
    synth *S;
    instance *I;
    rng *r;
} gen;

static void note_account(gen *g, int64_t a)
{
    instance *I = g->I;
    for (uint32_t k = 0; k < I->naccts; k++)
        if (I->accts[k] == a)
            return;
    size_t cap = I->cap_accts;
    if (!GROW(I->accts, &cap, I->naccts + 1)) {
        fail(g->S, ft_error_oom(g->S->err));
        return;
    }
    I->cap_accts = (uint32_t)cap;
    I->accts[I->naccts++] = a;
}

/* A planted transfer in euros (cents given exactly). */
static void plant(gen *g, int64_t ts, int64_t src, int64_t dst, int64_t cents, int chan, int memo)
{
    note_account(g, src);
    note_account(g, dst);
    row r = {ts,  src,           dst,           cents,    (int32_t)g->I->index, g->S->seq++, NO_EP,
             EUR, (uint8_t)chan, (uint8_t)memo, B_PLANTED};
    heap_push(g->S, &r);
}

/* `k` distinct euro persons, none of them in `avoid`. */
static void distinct_people(gen *g, int64_t *out, int k)
{
    const model *m = &g->S->m;
    for (int i = 0; i < k; i++) {
        int64_t a;
        bool dup;
        do {
            a = euro_person(m, g->r);
            dup = false;
            for (int j = 0; j < i; j++)
                dup |= out[j] == a;
        } while (dup);
        out[i] = a;
    }
}

/* With --countries: out[i], a euro person distinct from out[0..i-1], in
 * the country of `from` or, with probability `cross`, in another euro
 * country of the data (any country when from < 0). */
static void person_near(gen *g, int64_t *out, int i, int64_t from, double cross)
{
    const model *m = &g->S->m;
    int c = from < 0 ? -1 : pick_country(m, country_of(m, from), rng_u64(g->r), cross, true);
    for (int tries = 0;; tries++) {
        /* A country too small for the instance: any country. */
        int64_t a = c >= 0 && tries < 64 ? in_country(m, any_person(m, g->r), c, from)
                                         : euro_person(m, g->r);
        bool ok = banks[bank_of(m, a)].cur == EUR;
        for (int j = 0; j < i && ok; j++)
            ok = out[j] != a;
        if (ok) {
            out[i] = a;
            return;
        }
    }
}

/* `k` distinct euro persons for an instance's roles: without --countries
 * as distinct_people; with it, out[0] anywhere and each other one near the
 * one before it (a chain: each hop crosses a border with probability
 * --cross-border) or near out[0] (a star: each account but the first is
 * abroad from it with that probability). */
static void people_near(gen *g, int64_t *out, int k, bool chain)
{
    if (!g->S->m.countries) {
        distinct_people(g, out, k);
        return;
    }
    for (int i = 0; i < k; i++)
        person_near(g, out, i, i == 0 ? -1 : out[chain ? i - 1 : 0], g->S->m.cross);
}

/* Cycles whose ratios pass 1 grow hop by hop: they stop at 100 billion
 * euros, far inside int64 and any currency's amounts. */
#define MAX_CENTS 10000000000000LL

static int64_t cents(double eur)
{
    return (int64_t)(eur * 100 + 0.5);
}

/* Whole minutes, so that the IBM layout's minute resolution keeps every
 * "strictly later" strict. */
static int64_t minutes(double hours)
{
    int64_t m = (int64_t)(hours * 60 + 0.5);
    return (m < 1 ? 1 : m) * MIN_MS;
}

/* n sorted times in [t, t + span), whole minutes apart at least. */
static void spread(rng *r, int64_t t, int64_t span, int n, int64_t *out)
{
    int64_t slot = span / (n > 0 ? n : 1);
    if (slot < MIN_MS)
        slot = MIN_MS;
    for (int i = 0; i < n; i++)
        out[i] = t + i * slot + (int64_t)rng_below(r, (uint64_t)(slot - MIN_MS + 1)) / MIN_MS * MIN_MS;
}

/* A cycle as AMLSim draws it: distinct accounts round a ring, each hop at
 * a random minute of the window (so in any time order), each amount free
 * relative to the one before (cycle.keep may pass 1). */
static void unordered_cycle(gen *g, const ft_synth_params *p, const shape *sh, int64_t t,
                            int64_t *acc)
{
    rng *r = g->r;
    int n = sh->a;
    double base = rng_in(r, p->cycle_amount);
    people_near(g, acc, n, true);
    int64_t amount = cents(base), minutes_in = (int64_t)(sh->w * DAY_MS) / MIN_MS;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            double next = (double)amount * rng_in(r, p->cycle_keep);
            amount = next < 1 ? 1 : next > MAX_CENTS ? MAX_CENTS : (int64_t)next;
        }
        int64_t when =
            t + (int64_t)rng_below(r, (uint64_t)(minutes_in > 0 ? minutes_in : 1)) * MIN_MS;
        plant(g, when, acc[i], acc[(i + 1) % n], amount, CH_WIRE, M_NONE);
    }
    snprintf(g->I->params, sizeof g->I->params, "hops=%d;ordered=0;window_days=%.2f;amount=%.2f", n,
             sh->w, base);
}

/* A stack whose inner layers hold several accounts: each account pays
 * several of the next layer (layer_fanout) a share stack.keep of all it
 * received, after its last receipt and a gap of stack.gap_hours. The
 * first payer and the last payee are one account each. */
static void layered_stack(gen *g, const ft_synth_params *p, const shape *sh, int64_t t)
{
    rng *r = g->r, wr;
    int L = sh->a;
    int *width = malloc((size_t)(L + 1) * sizeof *width);
    if (!width) {
        fail(g->S, ft_error_oom(g->S->err));
        return;
    }
    width_stream(&wr, g->S->o->seed, g->I->index);
    int total = 0, widest = 1;
    for (int i = 0; i <= L; i++) {
        width[i] = i == 0 || i == L ? 1 : (int)rng_int(&wr, p->stack_width);
        total += width[i];
        widest = width[i] > widest ? width[i] : widest;
    }
    /* Each account's money and the time its last receipt arrived, for the
     * layer paying and the layer paid. */
    int64_t *held = calloc(2 * (size_t)widest, sizeof *held);
    int64_t *ready = calloc(2 * (size_t)widest, sizeof *ready);
    int64_t *people = malloc((size_t)total * sizeof *people);
    double *wt = malloc((size_t)widest * sizeof *wt);
    if (!held || !ready || !people || !wt) {
        fail(g->S, ft_error_oom(g->S->err));
        goto done;
    }
    if (g->S->m.countries) {
        /* Each account near one of the layer before that pays it. */
        people_near(g, people, 1, true);
        for (int i = 1, at = 1, prev = 0; i <= L; prev += width[i - 1], at += width[i], i++)
            for (int k = 0; k < width[i]; k++)
                person_near(g, people, at + k, people[prev + k % width[i - 1]], g->S->m.cross);
    } else {
        distinct_people(g, people, total);
    }
    double base = rng_in(r, p->stack_amount);
    held[0] = cents(base);
    ready[0] = t;
    int first = 0; /* index in people of the paying layer's first account */
    for (int i = 0; i < L; i++) {
        int w = width[i], next = width[i + 1], f = layer_fanout(w, next);
        int64_t *in = held + (i % 2) * widest, *out = held + ((i + 1) % 2) * widest;
        int64_t *rin = ready + (i % 2) * widest, *rout = ready + ((i + 1) % 2) * widest;
        for (int k = 0; k < next; k++)
            out[k] = rout[k] = 0;
        for (int j = 0; j < w; j++) {
            double keep = rng_in(r, p->stack_keep);
            int64_t pass = (int64_t)((double)in[j] * keep);
            int64_t when = rin[j] + (i > 0 ? minutes(rng_in(r, p->stack_gap)) : 0);
            /* Uneven parts, as a layerer splits to avoid round figures. */
            double wsum = 0;
            for (int k = 0; k < f; k++)
                wsum += wt[k] = 0.5 + rng_unit(r);
            int64_t left = pass;
            for (int k = 0; k < f; k++) {
                int to = (j * f + k) % next;
                int64_t part = k + 1 < f ? (int64_t)((double)pass * wt[k] / wsum) : left;
                part = part < 1 ? 1 : part;
                left -= part;
                int64_t at = when + k * MIN_MS;
                plant(g, at, people[first + j], people[first + w + to], part, CH_SEPA, M_NONE);
                out[to] += part;
                rout[to] = at > rout[to] ? at : rout[to];
            }
        }
        first += w;
    }
    snprintf(g->I->params, sizeof g->I->params, "length=%d;accounts=%d;amount=%.2f", L, total,
             base);
done:
    free(width);
    free(held);
    free(ready);
    free(people);
    free(wt);
}

/* A collection's collector acc[0] and its k donors: with two or more euro
 * countries, each donor is abroad from the collector with probability
 * tf.donors_abroad or --cross-border, the larger, and when that is above 0
 * the donors come from two countries at least. */
static void tf_donors(gen *g, int64_t *acc, int k)
{
    const model *m = &g->S->m;
    const ft_synth_params *p = &g->S->o->p;
    if (!m->countries) {
        distinct_people(g, acc, k + 1);
        return;
    }
    double cross = p->tf_donors_abroad > m->cross ? p->tf_donors_abroad : m->cross;
    person_near(g, acc, 0, -1, cross);
    bool several = false;
    for (int i = 1; i <= k; i++) {
        person_near(g, acc, i, acc[0], cross);
        several |= country_of(m, acc[i]) != country_of(m, acc[1]);
    }
    /* All in one country: the last one in another, if there is one. */
    if (!several && cross > 0 && k > 1)
        person_near(g, acc, k, acc[0], country_of(m, acc[1]) == country_of(m, acc[0]) ? 1 : 0);
}

static void gen_instance(synth *S, const plan *pl)
{
    const ft_synth_params *p = &S->o->p;
    rng r;
    rng_init(&r, S->o->seed, ST_SHAPE, pl->index);
    shape sh;
    uint32_t rows;
    int64_t dur;
    draw_shape(p, S->o->seed, pl->index, (ft_pattern)pl->pattern, &r, &sh, &rows, &dur);
    instance *I = calloc(1, sizeof *I);
    if (!I)
        {
        fail(S, ft_error_oom(S->err));
        return;
    }
    I->pattern = (ft_pattern)pl->pattern;
    I->index = pl->index;
    I->remaining = rows;
    S->live[pl->index] = I;
    gen g = {S, I, &r};
    int64_t t = pl->start;
    /* Room for every role and every time an instance of this shape needs. */
    size_t need = (size_t)(sh.a + 2) * (size_t)(sh.b + 2) + 2 * (size_t)sh.a + 4;
    int64_t *acc = malloc(need * sizeof *acc), *times = malloc(need * sizeof *times);
    if (!acc || !times) {
        free(acc);
        free(times);
        fail(S, ft_error_oom(S->err));
        return;
    }
    const model *m = &S->m;
    switch (I->pattern) {
    case FT_PAT_FAN_OUT:
    case FT_PAT_FAN_IN: {
        double base = rng_in(&r, p->fan_amount), low = rng_in(&r, p->fan_leg_low);
        people_near(&g, acc, sh.a + 1, false);
        spread(&r, t, (int64_t)(sh.w * HOUR_MS), sh.a, times);
        for (int i = 0; i < sh.a; i++) {
            int64_t c = cents(base * (low + (1 - low) * rng_unit(&r)));
            if (I->pattern == FT_PAT_FAN_OUT)
                plant(&g, times[i], acc[0], acc[i + 1], c, CH_SEPA, M_NONE);
            else
                plant(&g, times[i], acc[i + 1], acc[0], c, CH_SEPA, M_NONE);
        }
        snprintf(I->params, sizeof I->params,
                 "degree=%d;window_hours=%.2f;amount=%.2f;leg_low=%.2f", sh.a, sh.w, base, low);
        break;
    }
    case FT_PAT_SCATTER_GATHER: {
        double base = rng_in(&r, p->sg_amount);
        people_near(&g, acc, sh.a + 2, false); /* acc[0] source, acc[1] sink, then the middle */
        spread(&r, t, (int64_t)(sh.w * HOUR_MS), sh.a, times);
        for (int i = 0; i < sh.a; i++) {
            int64_t out = cents(base * (0.85 + 0.15 * rng_unit(&r)));
            int64_t back = (int64_t)((double)out * rng_in(&r, p->sg_keep));
            plant(&g, times[i], acc[0], acc[i + 2], out, CH_SEPA, M_NONE);
            plant(&g, times[i] + minutes(rng_in(&r, p->sg_delay)), acc[i + 2], acc[1], back,
                  CH_SEPA, M_NONE);
        }
        snprintf(I->params, sizeof I->params, "width=%d;delay_hours=%.2f;amount=%.2f", sh.a, sh.w,
                 base);
        break;
    }
    case FT_PAT_GATHER_SCATTER: {
        double base = rng_in(&r, p->gs_amount);
        people_near(&g, acc, sh.a + sh.b + 1, false); /* acc[0] the hub */
        spread(&r, t, (int64_t)(sh.w * HOUR_MS), sh.a, times);
        int64_t total = 0;
        for (int i = 0; i < sh.a; i++) {
            int64_t c = cents(base * (0.85 + 0.15 * rng_unit(&r)));
            total += c;
            plant(&g, times[i], acc[1 + i], acc[0], c, CH_SEPA, M_NONE);
        }
        int64_t after = times[sh.a - 1] + MIN_MS;
        spread(&r, after, (int64_t)(sh.w * HOUR_MS), sh.b, times);
        int64_t pass = (int64_t)((double)total * rng_in(&r, p->gs_keep)) / sh.b;
        for (int i = 0; i < sh.b; i++)
            plant(&g, times[i], acc[0], acc[1 + sh.a + i], pass, CH_SEPA, M_NONE);
        snprintf(I->params, sizeof I->params, "in=%d;out=%d;hold_hours=%.2f;amount=%.2f", sh.a,
                 sh.b, sh.w, base);
        break;
    }
    case FT_PAT_CYCLE:
    case FT_PAT_STACK: {
        /* An ordered cycle is a chain of one account per layer that closes. */
        bool cycle = I->pattern == FT_PAT_CYCLE;
        if (cycle && !sh.ordered) {
            unordered_cycle(&g, p, &sh, t, acc);
            break;
        }
        if (!cycle && layered(p)) {
            layered_stack(&g, p, &sh, t);
            break;
        }
        ft_range gap = cycle ? p->cycle_gap : p->stack_gap;
        ft_range keep = cycle ? p->cycle_keep : p->stack_keep;
        double base = rng_in(&r, cycle ? p->cycle_amount : p->stack_amount);
        int n = cycle ? sh.a : sh.a + 1;
        people_near(&g, acc, n, true);
        int64_t amount = cents(base), when = t;
        for (int i = 0; i < sh.a; i++) {
            if (i > 0) {
                /* Each hop keeps a share of the one before, rounded down and
                 * never below the range's low end. */
                double k = rng_in(&r, keep);
                int64_t next = (int64_t)((double)amount * k);
                int64_t floor_amt = (int64_t)((double)amount * keep.lo);
                if ((double)floor_amt < (double)amount * keep.lo)
                    floor_amt++;
                amount = next < floor_amt ? floor_amt : next;
                amount = amount < MAX_CENTS ? amount : MAX_CENTS;
                when += minutes(rng_in(&r, gap));
            }
            plant(&g, when, acc[i], acc[cycle ? (i + 1) % n : i + 1], amount,
                  cycle ? CH_WIRE : CH_SEPA, M_NONE);
        }
        snprintf(I->params, sizeof I->params, "%s=%d;%samount=%.2f", cycle ? "hops" : "length",
                 sh.a, cycle ? "ordered=1;" : "", base);
        break;
    }
    case FT_PAT_BIPARTITE: {
        double base = rng_in(&r, p->bip_amount);
        people_near(&g, acc, sh.a + sh.b, false);
        int n = sh.a * sh.b;
        spread(&r, t, (int64_t)(sh.w * HOUR_MS), n, times);
        for (int i = 0; i < n; i++)
            plant(&g, times[i], acc[i / sh.b], acc[sh.a + i % sh.b],
                  cents(base * (0.8 + 0.2 * rng_unit(&r))), CH_SEPA, M_NONE);
        snprintf(I->params, sizeof I->params, "senders=%d;receivers=%d;window_hours=%.2f",
                 sh.a, sh.b, sh.w);
        break;
    }
    case FT_PAT_PASS_THROUGH:
    case FT_PAT_RAPID: {
        bool rapid = I->pattern == FT_PAT_RAPID;
        people_near(&g, acc, 1 + 2 * sh.a, false); /* acc[0] the mule */
        int64_t when = t;
        for (int i = 0; i < sh.a; i++) {
            double eur = rng_in(&r, rapid ? p->rapid_amount : p->pt_amount);
            int64_t in = cents(eur);
            int64_t out = (int64_t)((double)in * rng_in(&r, rapid ? p->rapid_keep : p->pt_keep));
            int64_t delay = rapid ? minutes(rng_in(&r, p->rapid_delay_min) / 60)
                                  : minutes(rng_in(&r, p->pt_delay));
            plant(&g, when, acc[1 + 2 * i], acc[0], in, CH_SEPA, M_NONE);
            plant(&g, when + delay, acc[0], acc[2 + 2 * i], out, CH_WIRE, M_NONE);
            when += delay + (rapid ? minutes(rng_in(&r, p->rapid_gap))
                                   : minutes(24 * rng_in(&r, p->pt_gap_days)));
        }
        snprintf(I->params, sizeof I->params, "%s=%d", rapid ? "moves" : "rounds", sh.a);
        break;
    }
    case FT_PAT_STRUCTURING: {
        distinct_people(&g, acc, 1);
        int64_t desk = cash_desk(m, bank_of(m, acc[0]));
        double thr = p->st_threshold;
        spread(&r, t, (int64_t)(sh.w * DAY_MS), sh.a, times);
        for (int i = 0; i < sh.a; i++) {
            /* Strictly below the threshold, whole cents. */
            int64_t c = cents(thr * rng_in(&r, p->st_low));
            if (c >= cents(thr))
                c = cents(thr) - 1;
            plant(&g, times[i], desk, acc[0], c, CH_CASH, M_NONE);
        }
        snprintf(I->params, sizeof I->params, "deposits=%d;window_days=%.2f;threshold=%.2f", sh.a,
                 sh.w, thr);
        break;
    }
    case FT_PAT_TF_COLLECTION: {
        tf_donors(&g, acc, sh.a);
        spread(&r, t, (int64_t)(sh.w * DAY_MS), sh.a, times);
        int64_t total = 0;
        for (int i = 0; i < sh.a; i++) {
            int64_t c = cents(rng_in(&r, p->tf_donation));
            total += c;
            plant(&g, times[i], acc[1 + i], acc[0], c, CH_SEPA, M_DONATION);
        }
        int64_t when = times[sh.a - 1] + minutes(24 * rng_in(&r, p->tf_delay_days));
        int64_t send = (int64_t)((double)total * rng_in(&r, p->tf_share));
        for (int i = 0; i < sh.b; i++) {
            int64_t abroad = m->n + (int64_t)rng_below(&r, (uint64_t)m->n_foreign);
            int64_t part = i + 1 < sh.b ? send / sh.b : send - (send / sh.b) * (sh.b - 1);
            plant(&g, when, acc[0], abroad, part, CH_WIRE, M_NONE);
            when += minutes(1 + 6 * rng_unit(&r));
        }
        snprintf(I->params, sizeof I->params, "sources=%d;outflows=%d;window_days=%.2f", sh.a,
                 sh.b, sh.w);
        break;
    }
    case FT_PAT_COUNT:
        break;
    }
    free(acc);
    free(times);
}

/* --- planning ---------------------------------------------------------------------- */

static int cmp_plan(const void *a, const void *b)
{
    const plan *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static ft_status make_plans(synth *S)
{
    const ft_synth_options *o = S->o;
    int enabled = 0;
    for (int k = 0; k < FT_PAT_COUNT; k++)
        enabled += (o->patterns >> k) & 1;
    int64_t target = (int64_t)((double)o->rows * o->planted + 0.5);
    if (enabled == 0 || target == 0)
        return FT_OK;
    int64_t per = target / enabled > 0 ? target / enabled : 1, span = o->days * DAY_MS;
    int64_t planted[FT_PAT_COUNT] = {0};
    size_t cap = 0;
    /* Round robin over the patterns, so that each gets its share. */
    for (bool more = true; more;) {
        more = false;
        for (int k = 0; k < FT_PAT_COUNT; k++) {
            if (!((o->patterns >> k) & 1) || (planted[k] >= per && S->rep->instances[k] > 0))
                continue;
            plan pl = {0};
            pl.index = S->nplans;
            pl.pattern = (uint8_t)k;
            rng r;
            rng_init(&r, o->seed, ST_SHAPE, pl.index);
            shape sh;
            draw_shape(&o->p, o->seed, pl.index, (ft_pattern)k, &r, &sh, &pl.rows, &pl.duration);
            if (pl.duration >= span)
                return ft_error_set(S->err, FT_EUSAGE,
                                    "a %s instance lasts up to %.1f days, longer than --days %d",
                                    ft_pattern_name((ft_pattern)k),
                                    (double)pl.duration / DAY_MS, o->days);
            rng_init(&r, o->seed, ST_START, pl.index);
            pl.start = o->start_ms + (int64_t)rng_below(&r, (uint64_t)(span - pl.duration));
            if (!GROW(S->plans, &cap, S->nplans + 1))
                return ft_error_oom(S->err);
            S->plans[S->nplans++] = pl;
            planted[k] += pl.rows;
            S->rep->instances[k]++;
            S->rep->planted_rows += pl.rows;
            more = true;
        }
    }
    if (S->nplans > 1)
        qsort(S->plans, S->nplans, sizeof *S->plans, cmp_plan);
    S->live = calloc(S->nplans + 1, sizeof *S->live);
    return S->live ? FT_OK : ft_error_oom(S->err);
}

/* --- background ---------------------------------------------------------------------- */

static const uint16_t hour_weight[24] = {1,  1,  1,  1,  1,  2,  4,  8,  10, 10, 10, 11,
                                         12, 11, 10, 10, 11, 12, 12, 10, 8,  6,  4,  2};

/* --- calendar ---------------------------------------------------------------------- */

static int weekday(int64_t day)
{
    return (int)(((day + 4) % 7 + 7) % 7); /* 0 Sunday: 1970-01-01 was a Thursday */
}

/* The civil date of a day since 1970-01-01 (Howard Hinnant's algorithm). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int day_of_month(int64_t day)
{
    int y, m, d;
    civil(day, &y, &m, &d);
    return d;
}

static int64_t month_index(int64_t day)
{
    int y, m, d;
    civil(day, &y, &m, &d);
    return (int64_t)y * 12 + m - 1;
}

static int64_t day_weight(int64_t day)
{
    int dow = weekday(day);
    return dow == 0 ? 55 : dow == 6 ? 80 : 100;
}

static bool is_payday(int64_t day)
{
    /* The 25th, or the Friday before when it falls on a weekend. */
    int d = day_of_month(day), dow = weekday(day);
    if (dow >= 1 && dow <= 5)
        return d == 25 || (dow == 5 && (d == 23 || d == 24));
    return false;
}

static int64_t pick_time(const model *m, rng *r, int64_t day_start)
{
    uint32_t x = (uint32_t)rng_below(r, m->hour_total);
    int h = 0;
    while (x >= hour_weight[h]) {
        x -= hour_weight[h];
        h++;
    }
    return day_start + h * HOUR_MS + (int64_t)rng_below(r, (uint64_t)HOUR_MS) / 1000 * 1000;
}

/* A friend of person p: one of the six people next to it in the circle
 * of people, three each side, so that friends pay each other both ways
 * and a pair of friends has a history. */
static int64_t friend_of(const model *m, rng *r, int64_t p)
{
    int64_t p0 = first_person(m), np = m->n - p0;
    int64_t off = 1 + (int64_t)rng_below(r, 6);
    off = off <= 3 ? off : np - (off - 3);
    return p0 + (p - p0 + off) % np;
}

static int cur_of(const model *m, int64_t a)
{
    return banks[bank_of(m, a)].cur;
}

/* An actor's stream for one period (the day it starts, counted from the
 * first day): periods < 65536 days. */
static void period_stream(rng *r, const synth *S, uint64_t purpose, int64_t k, int64_t day)
{
    rng_init(r, S->o->seed, purpose, (uint64_t)k * 65536 + (uint64_t)(day - S->first_day));
}

static void background_row(synth *S, rng *r, int64_t day_start)
{
    const model *m = &S->m;
    int64_t ts = pick_time(m, r, day_start), src, dst;
    uint32_t k = (uint32_t)rng_below(r, 1000);
    double u = rng_unit(r);
    int chan = CH_SEPA, memo = M_NONE, kind;
    double eur;
    if (k < 520) { /* a card payment at a merchant: the merchants are hubs */
        src = any_person(m, r);
        dst = counterpart(m, r, src, (int64_t)(u * u * u * (double)m->n_merchant));
        eur = lognormal(r, 35, 0.9);
        chan = CH_CARD;
        kind = B_CARD;
    } else if (k < 700) { /* person to person, mostly within a circle of friends */
        src = any_person(m, r);
        dst = u < 0.8 ? friend_of(m, r, src) : any_person(m, r);
        dst = counterpart(m, r, src, dst);
        eur = lognormal(r, 60, 1.0);
        memo = u < 0.1 ? M_THANKS : u < 0.15 ? M_DINNER : u < 0.25 ? M_RENT : M_NONE;
        kind = B_P2P;
    } else if (k < 800) { /* bills */
        src = any_person(m, r);
        dst = counterpart(m, r, src,
                          m->n_merchant + m->n_employer + (int64_t)(u * u * (double)m->n_business));
        eur = lognormal(r, 120, 0.7);
        memo = M_INVOICE;
        kind = B_BILL;
    } else if (k < 880) { /* business to business */
        int64_t b0 = m->n_merchant + m->n_employer;
        src = b0 + (int64_t)rng_below(r, (uint64_t)m->n_business);
        dst = counterpart(m, r, src, b0 + (int64_t)(u * u * (double)m->n_business));
        eur = lognormal(r, 2500, 1.1);
        memo = M_INVOICE;
        kind = B_B2B;
    } else if (k < 910) { /* refunds: the paybacks that make a merchant's flows two-way */
        src = (int64_t)(u * u * u * (double)m->n_merchant);
        dst = counterpart(m, r, src, any_person(m, r));
        eur = lognormal(r, 25, 0.8);
        chan = CH_CARD;
        memo = M_REFUND;
        kind = B_REFUND;
    } else if (k < 945) { /* a cash deposit at the desk */
        dst = any_person(m, r);
        src = cash_desk(m, bank_of(m, dst));
        eur = lognormal(r, 300, 0.8);
        chan = CH_CASH;
        kind = B_CASH_IN;
    } else if (k < 980) { /* a cash withdrawal */
        src = any_person(m, r);
        dst = cash_desk(m, bank_of(m, src));
        eur = lognormal(r, 150, 0.7);
        chan = CH_CASH;
        kind = B_CASH_OUT;
    } else if (k < 990) { /* a wire abroad */
        src = any_person(m, r);
        dst = m->n + (int64_t)rng_below(r, (uint64_t)m->n_foreign);
        eur = lognormal(r, 800, 1.0);
        chan = CH_WIRE;
        kind = B_WIRE_OUT;
    } else { /* a wire from abroad */
        src = m->n + (int64_t)rng_below(r, (uint64_t)m->n_foreign);
        dst = any_person(m, r);
        eur = lognormal(r, 600, 1.0);
        chan = CH_WIRE;
        kind = B_WIRE_IN;
    }
    int cur = cur_of(m, src);
    emit(S, ts, src, dst, minor_of(eur, cur), cur, chan, memo, kind, NO_EP);
}

/* --- benign look-alikes --------------------------------------------------------------- *
 *
 * Ordinary behaviour that has the shape of a pattern, so that precision is
 * measured against realistic confounders. Each model is documented in
 * fundtrace-synth(1) with its share and parameters; its rows carry no
 * label. Two kinds:
 *
 *   - scheduled (rent splits, salary then bills, family support, suppliers,
 *     savings, shop payouts): fixed actors on a calendar. The actors of a
 *     model are k = 0..K-1 mapped to accounts by an affine bijection, and
 *     every draw comes from a stream of the actor (its fixed traits) or of
 *     the actor and period, so nothing is stored but a balance per saver
 *     and the takings per shop. Their rows are counted up front, like
 *     payroll's; an episode is written only when all of it fits in the
 *     data, and the count uses the same rule.
 *   - drawn (paybacks, shop sales and refunds): a number of rows shared out
 *     by day weight like the ordinary background, from a stream per day.
 *     A payback or refund days later is cut at the end of the data.
 *
 * Rows later than the day they are made on wait in the heap. */

/* Rounds minor units to whole tens of the currency's major unit, as people
 * send 250.00 rather than 247.13, at least ten. */
static int64_t round_tens(int64_t minor, int c)
{
    int64_t unit = 10;
    for (int i = 0; i < curs[c].exponent; i++)
        unit *= 10;
    int64_t v = (minor + unit / 2) / unit * unit;
    return v < unit ? unit : v;
}

/* Paybacks between friends, and one-offs: A pays B, B pays back 85-100 %
 * (the whole of it two times in five) 1 hour to 7 days later, in the same
 * currency. Three in four are friends from A's circle, the rest people
 * with no relation; one in seven is a small loan rather than a shared bill. */
static void paybacks(synth *S, int64_t day, int64_t episodes)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, ST_PAYBACK, (uint64_t)day);
    for (int64_t i = 0; i < episodes && S->rc == FT_OK; i++) {
        int64_t a = any_person(m, &r);
        int64_t b = rng_unit(&r) < 0.75 ? friend_of(m, &r, a) : any_person(m, &r);
        if (b == a)
            b = friend_of(m, &r, a);
        b = counterpart(m, &r, a, b);
        int cur = cur_of(m, a);
        double eur = rng_unit(&r) < 0.15 ? lognormal(&r, 600, 0.8) : lognormal(&r, 60, 1.0);
        int64_t x = minor_of(eur, cur), y = x;
        if (rng_unit(&r) >= 0.4) {
            int64_t lo = (x * 85 + 99) / 100; /* 85 %, rounded up */
            y = (int64_t)((double)x * (0.85 + 0.15 * rng_unit(&r)));
            y = y < lo ? lo : y > x ? x : y;
        }
        int64_t ts = pick_time(m, &r, day * DAY_MS);
        double v = rng_unit(&r);
        int64_t delay = (HOUR_MS + (int64_t)(v * v * (double)(7 * DAY_MS - HOUR_MS))) / 1000 * 1000;
        /* Near the end of the data the payback comes sooner, within what is left. */
        int64_t back = ts + delay < S->span_end
                           ? ts + delay
                           : ts + (int64_t)(v * (double)(S->span_end - ts)) / 1000 * 1000;
        uint32_t ep = S->next_payback++;
        emit(S, ts, a, b, x, cur, CH_SEPA, rng_unit(&r) < 0.15 ? M_DINNER : M_NONE, B_PAYBACK, ep);
        emit(S, back, b, a, y, cur, CH_SEPA, rng_unit(&r) < 0.25 ? M_THANKS : M_NONE, B_PAYBACK,
             ep);
    }
}

/* A shared flat: 2-4 flatmates pay one of them (the collector) an equal
 * share of the rent 1-5 days before the 1st of each month, and the
 * collector pays the landlord the whole rent (the shares plus its own) on
 * the 1st to the 3rd, all in the collector's currency. The landlord is a
 * private person or a property company; the rent is about 1,500 EUR. */
typedef struct flat {
    int payers;
    int64_t landlord;
    double rent; /* euros */
} flat;

static void flat_traits(const synth *S, int64_t f, flat *out)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, ST_FLAT, (uint64_t)f);
    out->payers = 2 + (int)rng_below(&r, 3);
    int64_t b0 = m->n_merchant + m->n_employer,
            half = m->n_business / 2 > 0 ? m->n_business / 2 : 1;
    out->landlord = rng_unit(&r) < 0.5 ? actor(&m->flatmates, (uint64_t)(5 * m->n_flats + f))
                                       : b0 + (int64_t)rng_below(&r, (uint64_t)half);
    out->landlord =
        counterpart_h(m, 2, (uint64_t)f, actor(&m->flatmates, (uint64_t)(5 * f)), out->landlord);
    out->rent = lognormal(&r, 1500, 0.35);
}

/* The trigger is five days before the 1st: the first share may be paid
 * then. */
static bool rent_month(const synth *S, int64_t day)
{
    return day_of_month(day + 5) == 1 && day + 7 <= S->last_day;
}

static void rent_splits(synth *S, int64_t day)
{
    const model *m = &S->m;
    if (!rent_month(S, day))
        return;
    int64_t due = day + 5;
    for (int64_t f = 0; f < m->n_flats; f++) {
        flat fl;
        flat_traits(S, f, &fl);
        rng r;
        period_stream(&r, S, ST_FLAT_MONTH, f, day);
        int64_t collector = actor(&m->flatmates, (uint64_t)(5 * f));
        int cur = cur_of(m, collector);
        int64_t share = minor_of(fl.rent, cur) / (fl.payers + 1);
        share = share < 1 ? 1 : share;
        for (int j = 1; j <= fl.payers; j++) {
            int64_t mate = counterpart_h(m, 3, (uint64_t)(5 * f + j), collector,
                                         actor(&m->flatmates, (uint64_t)(5 * f + j)));
            int64_t lead = 1 + (int64_t)rng_below(&r, 5);
            emit(S, pick_time(m, &r, (due - lead) * DAY_MS), mate, collector, share, cur, CH_SEPA,
                 M_RENT, B_RENT_SPLIT, (uint32_t)f);
        }
        int64_t pay = due + (int64_t)rng_below(&r, 3);
        emit(S, pick_time(m, &r, pay * DAY_MS), collector, fl.landlord, share * (fl.payers + 1),
             cur, CH_SEPA, M_RENT, B_RENT_SPLIT, (uint32_t)f);
    }
}

/* Salary then rent and bills: an employed person with this habit pays,
 * 1 hour to 5 days after each salary, its rent (25-40 % of its salary, the
 * same every month) to a landlord, one or two utilities (the same big
 * companies every month, about 90 EUR each, varying ±25 %) and up to two
 * subscriptions (fixed prices, by card). How many of each is a trait of
 * the person, so that the rows can be counted up front. */
static bool pays_bills(const model *m, int64_t p)
{
    return mix64((uint64_t)p ^ m->seed ^ 0xB1B1B1B1ULL) < m->bills_below;
}

static int bills_per_month(const model *m, int64_t p, int *nutil, int *nsub)
{
    uint64_t h = mix64((uint64_t)p ^ m->seed ^ 0xB2B2B2B2ULL);
    *nutil = 1 + (int)(h % 2);
    *nsub = (int)((h >> 8) % 3);
    return 1 + *nutil + *nsub;
}

static void household_bills(synth *S, rng *pr, rng *r, int64_t p, double salary, int64_t paid)
{
    static const double prices[] = {4.99, 7.99, 9.99, 12.99, 17.99};
    const model *m = &S->m;
    int nutil, nsub;
    bills_per_month(m, p, &nutil, &nsub);
    int cur = cur_of(m, p);
    int64_t b0 = m->n_merchant + m->n_employer;
    uint64_t half = (uint64_t)(m->n_business / 2 > 0 ? m->n_business / 2 : 1);
    uint64_t utilities = (uint64_t)(m->n_business / 100 > 1 ? m->n_business / 100 : 1);
    uint64_t services = (uint64_t)(m->n_merchant / 10 > 1 ? m->n_merchant / 10 : 1);
    /* The person's traits, from its own stream: the same every month. */
    double rent = salary * (0.25 + 0.15 * rng_unit(pr));
    int64_t landlord = rng_unit(pr) < 0.5 ? any_person(m, pr) : b0 + (int64_t)rng_below(pr, half);
    landlord = counterpart(m, pr, p, landlord);
    landlord = landlord == p ? b0 : landlord;
    uint32_t ep = (uint32_t)p;
    emit(S, paid + HOUR_MS + (int64_t)rng_below(r, 3 * DAY_MS) / 1000 * 1000, p, landlord,
         minor_of(rent, cur), cur, CH_SEPA, M_RENT, B_SALARY_BILLS, ep);
    for (int i = 0; i < nutil; i++) {
        int64_t company = counterpart(m, pr, p, b0 + (int64_t)rng_below(pr, utilities));
        double eur = lognormal(pr, 90, 0.4) * (0.75 + 0.5 * rng_unit(r));
        emit(S, paid + DAY_MS + (int64_t)rng_below(r, 4 * DAY_MS) / 1000 * 1000, p, company,
             minor_of(eur, cur), cur, CH_SEPA, M_INVOICE, B_SALARY_BILLS, ep);
    }
    for (int i = 0; i < nsub; i++) {
        int64_t service = counterpart(m, pr, p, (int64_t)rng_below(pr, services));
        double eur = prices[rng_below(pr, 5)];
        emit(S, paid + HOUR_MS + (int64_t)rng_below(r, 5 * DAY_MS - HOUR_MS) / 1000 * 1000, p,
             service, minor_of(eur, cur), cur, CH_CARD, M_NONE, B_SALARY_BILLS, ep);
    }
}

static void payroll(synth *S, int64_t day_start, int64_t day)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, ST_PAYROLL, (uint64_t)day);
    bool bills = day + 5 <= S->last_day;
    for (int64_t p = first_person(m); p < m->n && S->rc == FT_OK; p++) {
        int64_t e = employer_of(m, p);
        if (e < 0)
            continue;
        /* A salary is a trait of the person, varying a little month to month. */
        rng pr;
        rng_init(&pr, S->o->seed, ST_PERSON, (uint64_t)p);
        double salary = lognormal(&pr, 2800, 0.35);
        int64_t ts = day_start + 6 * HOUR_MS + (int64_t)rng_below(&r, 3 * HOUR_MS) / 1000 * 1000;
        double eur = salary * (0.97 + 0.06 * rng_unit(&r));
        int cur = cur_of(m, e);
        emit(S, ts, e, p, minor_of(eur, cur), cur, CH_SEPA, M_SALARY, B_SALARY, NO_EP);
        if (bills && pays_bills(m, p))
            household_bills(S, &pr, &r, p, salary, ts);
    }
}

/* Family support abroad: a person sends a relative abroad about 250 EUR
 * (log-normal, rounded to tens; half send the same sum every time, half
 * vary it ±20 %) on a fixed day of each month (the 1st to the 28th), by
 * wire. Three in ten send it through a relative at home, who forwards
 * 95-100 % of it abroad 1 to 72 hours later. */
typedef struct sender {
    double eur;
    bool fixed, via;
    int64_t abroad;
} sender;

static void sender_traits(const synth *S, int64_t k, sender *out)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, ST_FAMILY, (uint64_t)k);
    out->eur = lognormal(&r, 250, 0.5);
    out->fixed = rng_unit(&r) < 0.5;
    out->via = rng_unit(&r) < 0.3;
    out->abroad = m->n + (int64_t)rng_below(&r, (uint64_t)m->n_foreign);
}

static void family_support(synth *S, int64_t day)
{
    const model *m = &S->m;
    int dom = day_of_month(day);
    if (dom > 28)
        return;
    for (int64_t k = dom - 1; k < m->n_family; k += 28) {
        sender sd;
        sender_traits(S, k, &sd);
        if (sd.via && day + 3 > S->last_day)
            continue;
        rng r;
        period_stream(&r, S, ST_FAMILY_MONTH, k, day);
        int64_t from = actor(&m->family, (uint64_t)k);
        int cur = cur_of(m, from);
        double eur = sd.fixed ? sd.eur : sd.eur * (0.8 + 0.4 * rng_unit(&r));
        int64_t amount = round_tens(minor_of(eur, cur), cur);
        int64_t ts = pick_time(m, &r, day * DAY_MS);
        if (!sd.via) {
            emit(S, ts, from, sd.abroad, amount, cur, CH_WIRE, M_FAMILY, B_FAMILY, (uint32_t)k);
            continue;
        }
        int64_t relative =
            counterpart_h(m, 4, (uint64_t)k, from, actor(&m->family, (uint64_t)(m->n_family + k)));
        int64_t fwd = (int64_t)((double)amount * (0.95 + 0.05 * rng_unit(&r)));
        int64_t later = ts + HOUR_MS + (int64_t)rng_below(&r, 71 * HOUR_MS) / 1000 * 1000;
        emit(S, ts, from, relative, amount, cur, CH_SEPA, M_FAMILY, B_FAMILY, (uint32_t)k);
        emit(S, later, relative, sd.abroad, fwd < 1 ? 1 : fwd, cur, CH_WIRE, M_NONE, B_FAMILY,
             (uint32_t)k);
    }
}

/* Suppliers paid on a schedule: a small business pays its 5-20 suppliers
 * (other businesses, one in five a freelancer) in one payment run in
 * working hours, 10 seconds to 2 minutes apart, on a fixed day: seven in ten monthly on
 * the same day of the month (1st-28th; on a weekend, the Monday after),
 * three in ten fortnightly on the same weekday. Each supplier has its own
 * usual amount (log-normal about 1,500 EUR); each run varies it ±30 %. */
#define MAX_SUPPLIERS 20

typedef struct payer {
    int nsup;
    bool fortnightly;
    int when; /* the day of the month, or the day modulo 14 */
    int64_t sup[MAX_SUPPLIERS];
    double eur[MAX_SUPPLIERS];
} payer;

static void payer_traits(const synth *S, int64_t k, bool all, payer *out)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, ST_SUPPLIER, (uint64_t)k);
    out->nsup = 5 + (int)rng_below(&r, MAX_SUPPLIERS - 4);
    out->fortnightly = rng_unit(&r) < 0.3;
    if (out->fortnightly) {
        do /* a working day: 14 days keep the weekday */
            out->when = (int)rng_below(&r, 14);
        while (weekday(out->when) == 0 || weekday(out->when) == 6);
    } else {
        out->when = 1 + (int)rng_below(&r, 28);
    }
    if (!all)
        return;
    int64_t self = actor(&m->payers, (uint64_t)k), b0 = m->n_merchant + m->n_employer;
    for (int j = 0; j < out->nsup; j++) {
        int64_t s;
        bool dup;
        int tries = 0;
        do {
            double u = rng_unit(&r);
            s = rng_unit(&r) < 0.8 ? b0 + (int64_t)(u * u * (double)m->n_business)
                                   : any_person(m, &r);
            /* A country with too few accounts of a kind: drawn as ever. */
            if (tries++ < 64)
                s = counterpart(m, &r, self, s);
            dup = s == self;
            for (int i = 0; i < j; i++)
                dup |= out->sup[i] == s;
        } while (dup);
        out->sup[j] = s;
        out->eur[j] = lognormal(&r, 1500, 0.8);
    }
}

static bool run_day(const payer *py, int64_t day)
{
    int wd = weekday(day);
    if (wd == 0 || wd == 6)
        return false;
    if (py->fortnightly)
        return ((day - py->when) % 14 + 14) % 14 == 0;
    if (day_of_month(day) == py->when)
        return true;
    return wd == 1 && (day_of_month(day - 1) == py->when || day_of_month(day - 2) == py->when);
}

static void supplier_runs(synth *S, int64_t day)
{
    const model *m = &S->m;
    for (int64_t k = 0; k < m->n_payers; k++) {
        payer py;
        payer_traits(S, k, false, &py);
        if (!run_day(&py, day))
            continue;
        payer_traits(S, k, true, &py);
        rng r;
        period_stream(&r, S, ST_SUPPLIER_RUN, k, day);
        int64_t from = actor(&m->payers, (uint64_t)k);
        int cur = cur_of(m, from);
        int64_t ts = day * DAY_MS + (9 + (int64_t)rng_below(&r, 7)) * HOUR_MS +
                     (int64_t)rng_below(&r, 3600) * 1000;
        for (int j = 0; j < py.nsup; j++) {
            double eur = py.eur[j] * (0.7 + 0.6 * rng_unit(&r));
            emit(S, ts, from, py.sup[j], minor_of(eur, cur), cur, CH_SEPA, M_INVOICE, B_SUPPLIER,
                 (uint32_t)k);
            ts += (10 + (int64_t)rng_below(&r, 111)) * 1000;
        }
    }
}

/* Savings moved out and back: a person moves about 300 EUR (log-normal,
 * rounded to tens, ±10 % a month) to its own savings account (same bank,
 * the owner's number with an S) on a fixed day of each month (1st-28th);
 * every P-th time (P of 1 to 6, a trait) it moves 50-100 % of what the
 * savings hold back to its current account 1 to 30 days later. */
static void saver_traits(const synth *S, int64_t k, double *eur, int *every)
{
    rng r;
    rng_init(&r, S->o->seed, ST_SAVER, (uint64_t)k);
    *eur = lognormal(&r, 300, 0.6);
    *every = 1 + (int)rng_below(&r, 6);
}

static void savings(synth *S, int64_t day)
{
    const model *m = &S->m;
    int dom = day_of_month(day);
    if (dom > 28)
        return;
    /* This is the j-th time (from 0) that the day of the month comes round. */
    int64_t j =
        month_index(day) - month_index(S->first_day) - (day_of_month(S->first_day) > dom ? 1 : 0);
    for (int64_t k = dom - 1; k < m->n_savers; k += 28) {
        double base;
        int every;
        saver_traits(S, k, &base, &every);
        rng r;
        period_stream(&r, S, ST_SAVER_MONTH, k, day);
        int64_t owner = actor(&m->savers, (uint64_t)k), acct = savings_base(m) + k;
        int cur = cur_of(m, owner);
        int64_t amount = round_tens(minor_of(base * (0.9 + 0.2 * rng_unit(&r)), cur), cur);
        emit(S, pick_time(m, &r, day * DAY_MS), owner, acct, amount, cur, CH_SEPA, M_SAVINGS,
             B_SAVINGS, (uint32_t)k);
        S->balance[k] += amount;
        if (j % every != every - 1 || day + 30 > S->last_day)
            continue;
        int64_t back = (int64_t)((double)S->balance[k] * (0.5 + 0.5 * rng_unit(&r)));
        back = back < 1 ? 1 : back;
        S->balance[k] -= back;
        int64_t when = day + 1 + (int64_t)rng_below(&r, 30);
        emit(S, pick_time(m, &r, when * DAY_MS), acct, owner, back, cur, CH_SEPA, M_SAVINGS,
             B_SAVINGS, (uint32_t)k);
    }
}

/* Small shops (merchant settlements and refunds): a small business below
 * the hub degree (about 300 rows in all) takes card payments of about
 * 25 EUR, mostly from 200 people of its neighbourhood; one sale in 25 is
 * refunded 1 to 10 days later (whole, or 30-90 % of it in one case in
 * three) in the sale's currency; and once a week on a fixed working day,
 * from the second week on, the shop pays its owner 60-90 % of its takings
 * since the last payout (20-100 EUR at least). */
static int64_t shop_anchor(const model *m, int64_t k)
{
    int64_t p0 = first_person(m);
    return p0 + (int64_t)(mix64((uint64_t)k ^ m->seed ^ 0x5A5A5A5AULL) % (uint64_t)(m->n - p0));
}

static void shop_payouts(synth *S, int64_t day)
{
    const model *m = &S->m;
    int wd = weekday(day);
    if (wd == 0 || wd == 6 || day < S->first_day + 7)
        return;
    for (int64_t k = wd - 1; k < m->n_shops; k += 5) {
        rng r;
        period_stream(&r, S, ST_SHOP_PAYOUT, k, day);
        int64_t shop = actor(&m->shops, (uint64_t)k);
        int64_t owner = counterpart_h(m, 5, (uint64_t)k, shop, actor(&m->owners, (uint64_t)k));
        int cur = cur_of(m, shop);
        /* In a week with (almost) no takings the owner still draws a little. */
        double eur = S->takings[k] * (0.6 + 0.3 * rng_unit(&r)), least = 20 + 80 * rng_unit(&r);
        S->takings[k] -= eur;
        eur = eur > least ? eur : least;
        int64_t ts = day * DAY_MS + (10 + (int64_t)rng_below(&r, 6)) * HOUR_MS +
                     (int64_t)rng_below(&r, 3600) * 1000;
        emit(S, ts, shop, owner, minor_of(eur, cur), cur, CH_SEPA, M_NONE, B_MERCHANT, (uint32_t)k);
    }
}

static void shop_sales(synth *S, int64_t day, int64_t rows)
{
    const model *m = &S->m;
    if (m->n_shops == 0)
        return;
    rng r;
    rng_init(&r, S->o->seed, ST_SHOP_DAY, (uint64_t)day);
    int64_t p0 = first_person(m), np = m->n - p0;
    while (rows > 0 && S->rc == FT_OK) {
        int64_t k = (int64_t)rng_below(&r, (uint64_t)m->n_shops);
        int64_t shop = actor(&m->shops, (uint64_t)k), customer;
        if (rng_unit(&r) < 0.85)
            customer = p0 + (shop_anchor(m, k) - p0 + (int64_t)rng_below(&r, 200)) % np;
        else
            customer = any_person(m, &r);
        customer = counterpart(m, &r, shop, customer);
        int cur = cur_of(m, customer);
        double eur = lognormal(&r, 25, 0.8);
        int64_t amount = minor_of(eur, cur), ts = pick_time(m, &r, day * DAY_MS);
        emit(S, ts, customer, shop, amount, cur, CH_CARD, M_NONE, B_MERCHANT, (uint32_t)k);
        S->takings[k] += eur;
        rows--;
        if (rows == 0 || rng_unit(&r) >= 0.04)
            continue;
        int64_t back = amount;
        if (rng_unit(&r) < 1.0 / 3) {
            back = (int64_t)((double)amount * (0.3 + 0.6 * rng_unit(&r)));
            back = back < 1 ? 1 : back;
        }
        double v = rng_unit(&r);
        int64_t when = ts + (DAY_MS + (int64_t)(v * 9 * DAY_MS)) / 1000 * 1000;
        if (when >= S->span_end) /* sooner, within what is left of the data */
            when = ts + (int64_t)(v * (double)(S->span_end - ts)) / 1000 * 1000;
        emit(S, when, shop, customer, back, cur, CH_CARD, M_REFUND, B_MERCHANT, (uint32_t)k);
        S->takings[k] -= eur * (double)back / (double)amount;
        rows--;
    }
}

/* --- writing --------------------------------------------------------------------------- */

static char *put_u64(char *w, uint64_t v, int width)
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
        *w++ = tmp[--n];
    return w;
}

static char *put_str(char *w, const char *s)
{
    size_t n = strlen(s);
    memcpy(w, s, n);
    return w + n;
}

static char *put_amount(char *w, int64_t minor, int exponent)
{
    char buf[48];
    size_t n = ft_money_format(minor, exponent, buf, sizeof buf);
    memcpy(w, buf, n);
    return w + n;
}

/* "DE001" and "A000001234" (a regular account), "F..." abroad, "CASH";
 * b is bank_of(m, a). */
static char *put_account_at(char *w, const model *m, int64_t a, int b, bool ibm)
{
    if (ibm) {
        w = put_u64(w, (uint64_t)(b + 1) * 7, 3);
        *w++ = ',';
        static const char hex[] = "0123456789ABCDEF";
        uint64_t v = 0x800000000ULL + (uint64_t)a * 16 + (a >= m->n ? 5 : 0);
        char tmp[16];
        int n = 0;
        do {
            tmp[n++] = hex[v & 15];
            v >>= 4;
        } while (v);
        while (n)
            *w++ = tmp[--n];
        return w;
    }
    w = put_str(w, banks[b].code);
    *w++ = ',';
    int kind = kind_of(m, a);
    if (kind == K_CASH)
        return put_str(w, "CASH");
    if (kind == K_SAVINGS) {
        /* The owner's number with an S: one person, two accounts. */
        *w++ = 'S';
        return put_u64(w, (uint64_t)saver_of(m, a), 9);
    }
    *w++ = kind == K_FOREIGN ? 'F' : 'A';
    return put_u64(w, (uint64_t)a, 9);
}

static char *put_account(char *w, const model *m, int64_t a, bool ibm)
{
    return put_account_at(w, m, a, bank_of(m, a), ibm);
}

static void write_header(synth *S)
{
    if (S->o->layout == FT_SYNTH_IBM)
        ft_writer_puts(S->data, "Timestamp,From Bank,Account,To Bank,Account,Amount Received,"
                                "Receiving Currency,Amount Paid,Payment Currency,Payment Format,"
                                "Is Laundering\n");
    else
        ft_writer_puts(S->data, S->o->model_column
                                    ? "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,"
                                      "amount,currency,channel,memo,label,model\n"
                                    : "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,"
                                      "amount,currency,channel,memo,label\n");
    if (S->o->layout == FT_SYNTH_GENERIC)
        ft_writer_puts(S->truth, "instance_id,pattern,params,txn_ids,accounts\n");
}

static const char *ibm_pattern(ft_pattern p)
{
    static const char *const names[FT_PAT_COUNT] = {
        "FAN-OUT", "FAN-IN",    "SCATTER-GATHER", "GATHER-SCATTER", "CYCLE",        "STACK",
        "BIPARTITE", "PASS-THROUGH", "STRUCTURING", "RAPID-MOVEMENT", "TF-COLLECTION",
    };
    return names[p];
}

static void finish_instance(synth *S, instance *I)
{
    ft_writer *w = S->truth;
    char buf[64];
    if (S->o->layout == FT_SYNTH_IBM) {
        ft_writer_puts(w, "BEGIN LAUNDERING ATTEMPT - ");
        ft_writer_puts(w, ibm_pattern(I->pattern));
        ft_writer_puts(w, ":  ");
        ft_writer_puts(w, I->params);
        ft_writer_puts(w, "\n");
        ft_writer_put(w, I->text, I->text_len);
        ft_writer_puts(w, "END LAUNDERING ATTEMPT - ");
        ft_writer_puts(w, ibm_pattern(I->pattern));
        ft_writer_puts(w, "\n\n");
    } else {
        snprintf(buf, sizeof buf, "I%06" PRIu32 ",", I->index);
        ft_writer_puts(w, buf);
        ft_writer_puts(w, ft_pattern_name(I->pattern));
        ft_writer_puts(w, ",");
        ft_writer_puts(w, I->params);
        ft_writer_puts(w, ",");
        for (uint32_t k = 0; k < I->nids; k++) {
            char *p = ft_writer_reserve(w, 24);
            if (!p)
                break;
            char *e = p;
            if (k)
                *e++ = ';';
            e = put_u64(e, I->ids[k], 0);
            ft_writer_commit(w, (size_t)(e - p));
        }
        ft_writer_puts(w, ",");
        for (uint32_t k = 0; k < I->naccts; k++) {
            char *p = ft_writer_reserve(w, 40);
            if (!p)
                break;
            char *e = p;
            if (k)
                *e++ = ';';
            e = put_account(e, &S->m, I->accts[k], false);
            for (char *c = p; c < e; c++)
                if (*c == ',')
                    *c = ':'; /* bank:account, the key fundtrace builds */
            ft_writer_commit(w, (size_t)(e - p));
        }
        ft_writer_puts(w, "\n");
    }
    S->live[I->index] = NULL;
    free(I->accts);
    free(I->ids);
    free(I->text);
    free(I);
}

static void write_row(synth *S, const row *r)
{
    char *w0 = ft_writer_reserve(S->data, 256);
    if (!w0)
        {
        fail(S, ft_error_set(S->err, FT_EIO, "cannot write the data: out of memory"));
        return;
    }
    char *w = w0;
    const model *m = &S->m;
    uint64_t id = ++S->next_id;
    int64_t sec = (r->ts % DAY_MS) / 1000;
    int bsrc = bank_of(m, r->src), bdst = bank_of(m, r->dst);
    if (S->o->layout == FT_SYNTH_IBM) {
        /* 2024/01/31 14:05 */
        memcpy(w, S->daytext, 4);
        w[4] = '/';
        memcpy(w + 5, S->daytext + 5, 2);
        w[7] = '/';
        memcpy(w + 8, S->daytext + 8, 2);
        w[10] = ' ';
        w = put_u64(w + 11, (uint64_t)(sec / 3600), 2);
        *w++ = ':';
        w = put_u64(w, (uint64_t)(sec / 60 % 60), 2);
        *w++ = ',';
        w = put_account_at(w, m, r->src, bsrc, true);
        *w++ = ',';
        w = put_account_at(w, m, r->dst, bdst, true);
        for (int leg = 0; leg < 2; leg++) {
            *w++ = ',';
            /* IBM writes every fiat amount with two decimals, the Yen too. */
            int e = curs[r->cur].exponent;
            int64_t v = r->amount;
            for (; e < 2; e++)
                v *= 10;
            w = put_amount(w, v, e);
            *w++ = ',';
            w = put_str(w, curs[r->cur].ibm_name);
        }
        *w++ = ',';
        w = put_str(w, chan_ibm[r->chan]);
        *w++ = ',';
        *w++ = r->inst >= 0 ? '1' : '0';
    } else {
        w = put_u64(w, id, 0);
        *w++ = ',';
        memcpy(w, S->daytext, 11);
        w = put_u64(w + 11, (uint64_t)(sec / 3600), 2);
        *w++ = ':';
        w = put_u64(w, (uint64_t)(sec / 60 % 60), 2);
        *w++ = ':';
        w = put_u64(w, (uint64_t)(sec % 60), 2);
        *w++ = 'Z';
        *w++ = ',';
        w = put_account_at(w, m, r->src, bsrc, false);
        *w++ = ',';
        w = put_account_at(w, m, r->dst, bdst, false);
        *w++ = ',';
        w = put_amount(w, r->amount, curs[r->cur].exponent);
        *w++ = ',';
        w = put_str(w, curs[r->cur].code);
        *w++ = ',';
        w = put_str(w, chan_names[r->chan]);
        *w++ = ',';
        w = put_str(w, memo_text[r->memo]);
        if (r->memo == M_INVOICE) {
            *w++ = ' ';
            w = put_u64(w, id % 100000, 5);
        }
        *w++ = ',';
        if (r->inst >= 0) {
            *w++ = 'I';
            w = put_u64(w, (uint64_t)r->inst, 6);
        }
        if (S->o->model_column) {
            *w++ = ',';
            w = put_str(w, model_names[r->model]);
            if (r->ep != NO_EP) {
                *w++ = ':';
                w = put_u64(w, r->ep, 0);
            }
        }
    }
    *w++ = '\n';
    ft_writer_commit(S->data, (size_t)(w - w0));
    S->rep->rows++;
    if (m->countries && memcmp(banks[bsrc].code, banks[bdst].code, 2) != 0)
        S->rep->cross_border_rows++;
    if (r->inst < 0)
        return;
    instance *I = S->live[r->inst];
    if (!I)
        {
        fail(S, ft_error_set(S->err, FT_EUSAGE, "internal: instance %d lost", r->inst));
        return;
    }
    if (S->o->layout == FT_SYNTH_IBM) {
        size_t len = (size_t)(w - w0);
        if (!GROW(I->text, &I->text_cap, I->text_len + len)) {
            fail(S, ft_error_oom(S->err));
            return;
        }
        memcpy(I->text + I->text_len, w0, len);
        I->text_len += len;
    } else {
        size_t cap = I->nids;
        uint64_t *ids = realloc(I->ids, (cap + 1) * sizeof *ids);
        if (!ids)
            {
        fail(S, ft_error_oom(S->err));
        return;
    }
        I->ids = ids;
        I->ids[I->nids++] = id;
    }
    if (--I->remaining == 0)
        finish_instance(S, I);
}

/* Orders the day's rows by time: an LSD radix sort of the time of day
 * (27 bits) carrying the row index; ties keep the order the rows were
 * added in. Leaves the order in S->idx. */
static bool sort_day(synth *S, int64_t day_start)
{
    size_t n = S->nrows;
    if (!GROW(S->key, &S->cap_key, n) || !GROW(S->key2, &S->cap_key2, n) ||
        !GROW(S->idx, &S->cap_idx, n) || !GROW(S->idx2, &S->cap_idx2, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        S->key[i] = (uint32_t)(S->rows[i].ts - day_start);
        S->idx[i] = (uint32_t)i;
    }
    uint32_t count[1 << 9];
    for (int shift = 0; shift < 27; shift += 9) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(S->key[i] >> shift) & 511]++;
        uint32_t sum = 0;
        for (int d = 0; d < 512; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint32_t pos = count[(S->key[i] >> shift) & 511]++;
            S->key2[pos] = S->key[i];
            S->idx2[pos] = S->idx[i];
        }
        uint32_t *t = S->key;
        S->key = S->key2;
        S->key2 = t;
        t = S->idx;
        S->idx = S->idx2;
        S->idx2 = t;
        size_t c = S->cap_key;
        S->cap_key = S->cap_key2;
        S->cap_key2 = c;
        c = S->cap_idx;
        S->cap_idx = S->cap_idx2;
        S->cap_idx2 = c;
    }
    return true;
}

/* Ranges a generator can honour: counts from 1 (cycles from 2) to 1000,
 * shares within (0, 1], ratios within (0, 10], positive amounts and
 * times. */
static ft_status check_params(const ft_synth_params *p, ft_error *err)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        const struct param *q = &params[i];
        ft_range r = get_param(p, q);
        double lo = 0, hi = 1e9;
        bool lo_open = true;
        const char *what = "a positive number";
        switch (q->kind) {
        case PK_COUNT:
            lo = strcmp(q->name, "cycle.hops") == 0 ? 2 : 1;
            hi = 1000;
            lo_open = false;
            what = "whole numbers from 1 to 1000, cycles from 2";
            break;
        case PK_SHARE:
            hi = 1;
            what = "a share above 0 and at most 1";
            break;
        case PK_RATIO:
            hi = 10;
            what = "a ratio above 0 and at most 10";
            break;
        case PK_POSITIVE:
        case PK_VALUE:
            break;
        case PK_FRACTION:
            hi = 1;
            lo_open = false;
            what = "a share from 0 to 1";
            break;
        }
        if (r.lo < lo || (lo_open && r.lo <= lo) || r.hi > hi) {
            if (one_value(q->kind))
                return ft_error_set(err, FT_EUSAGE, "%s=%g is out of range (%s)", q->name, r.lo,
                                    what);
            return ft_error_set(err, FT_EUSAGE, "%s=%g-%g is out of range (%s)", q->name, r.lo,
                                r.hi, what);
        }
    }
    return FT_OK;
}

/* Chooses how many actors each scheduled look-alike has, from its share of
 * the rows, and counts their rows exactly with the rules that write them;
 * shares out the drawn ones. Salary then bills is counted with payroll. */
static ft_status plan_lookalikes(synth *S, int64_t employed, int64_t bill_paydays)
{
    const ft_synth_params *p = &S->o->p;
    model *m = &S->m;
    double rows = (double)S->o->rows, months = (double)S->o->days / 30.44;
    int64_t p0 = first_person(m), np = m->n - p0, b0 = m->n_merchant + m->n_employer;
    int64_t half = m->n_business / 2, upper = m->n_business - half;
    /* How often each day of the month (1-28) and each weekday comes round
     * in the data, and with 3 and 30 days to spare. */
    int64_t dom_all[29] = {0}, dom_3[29] = {0}, dom_30[29] = {0}, wdays[7] = {0}, rent_months = 0;
    for (int64_t d = S->first_day; d <= S->last_day; d++) {
        int dm = day_of_month(d);
        if (dm <= 28) {
            dom_all[dm]++;
            dom_3[dm] += d + 3 <= S->last_day;
            dom_30[dm] += d + 30 <= S->last_day;
        }
        wdays[weekday(d)] += d >= S->first_day + 7; /* shops pay out from the second week */
        rent_months += rent_month(S, d);
    }
    int64_t sched = 0;
    /* Salary then bills: a share of the employed, chosen by a hash. */
    double want = p->bg_salary_bills * rows;
    if (employed > 0 && bill_paydays > 0 && want > 0) {
        double share = want / ((double)employed * (double)bill_paydays * 4);
        m->bills_below = share >= 1 ? UINT64_MAX : (uint64_t)(share * 0x1.0p64);
        for (int64_t q = p0; q < m->n; q++) {
            int nu, ns;
            if (employer_of(m, q) >= 0 && pays_bills(m, q))
                sched += bill_paydays * bills_per_month(m, q, &nu, &ns);
        }
    }
    /* Rent splits: five person slots a flat, and one more for a landlord. */
    actors_init(&m->flatmates, m->seed, 11, p0, np);
    if (rent_months > 0) {
        m->n_flats = (int64_t)(p->bg_rent_split * rows / (4.0 * (double)rent_months));
        m->n_flats = m->n_flats < np / 6 ? m->n_flats : np / 6;
        for (int64_t f = 0; f < m->n_flats; f++) {
            flat fl;
            flat_traits(S, f, &fl);
            sched += rent_months * (fl.payers + 1);
        }
    }
    /* Family support: a sender and, for those who send through one, a
     * relative at home. */
    actors_init(&m->family, m->seed, 12, p0, np);
    m->n_family = months > 0 ? (int64_t)(p->bg_family_abroad * rows / (1.3 * months)) : 0;
    m->n_family = m->n_family < np / 2 ? m->n_family : np / 2;
    for (int64_t k = 0; k < m->n_family; k++) {
        sender sd;
        sender_traits(S, k, &sd);
        int dom = 1 + (int)(k % 28);
        sched += sd.via ? 2 * dom_3[dom] : dom_all[dom];
    }
    /* Savings: a deposit a month, and every P-th month a withdrawal. */
    actors_init(&m->savers, m->seed, 13, p0, np);
    m->n_savers = months > 0 ? (int64_t)(p->bg_savings * rows / (1.4 * months)) : 0;
    m->n_savers = m->n_savers < np ? m->n_savers : np;
    for (int64_t k = 0; k < m->n_savers; k++) {
        double base;
        int every;
        saver_traits(S, k, &base, &every);
        int dom = 1 + (int)(k % 28);
        sched += dom_all[dom] + dom_30[dom] / every;
    }
    /* Suppliers: small businesses of the upper half (the lower half are
     * the big companies that bills go to). */
    actors_init(&m->payers, m->seed, 14, b0 + half, upper);
    double runs = 0.7 * months + 0.3 * (double)S->o->days / 14;
    m->n_payers = runs > 0 ? (int64_t)(p->bg_supplier * rows / (12.5 * runs)) : 0;
    m->n_payers = m->n_payers < upper ? m->n_payers : upper;
    for (int64_t k = 0; k < m->n_payers; k++) {
        payer py;
        payer_traits(S, k, false, &py);
        for (int64_t d = S->first_day; d <= S->last_day; d++)
            sched += run_day(&py, d) ? py.nsup : 0;
    }
    /* Small shops: about 300 rows each, below the hub degree. */
    actors_init(&m->shops, m->seed, 15, b0 + half, upper);
    actors_init(&m->owners, m->seed, 16, p0, np);
    m->n_shops = (int64_t)(p->bg_merchant * rows / 300);
    m->n_shops = m->n_shops < upper ? m->n_shops : upper;
    int64_t payouts = 0;
    for (int64_t k = 0; k < m->n_shops; k++)
        payouts += wdays[1 + k % 5];
    sched += payouts;
    int64_t sales = (int64_t)(p->bg_merchant * rows) - payouts;
    S->shop_rows = m->n_shops > 0 && sales > 0 ? sales : 0;
    S->payback_episodes = (int64_t)(p->bg_payback * rows / 2);
    S->sched_rows = sched;
    S->rep->accounts += m->n_savers;
    S->balance = calloc((size_t)m->n_savers + 1, sizeof *S->balance);
    S->takings = calloc((size_t)m->n_shops + 1, sizeof *S->takings);
    return S->balance && S->takings ? FT_OK : ft_error_oom(S->err);
}

static ft_status build_model(synth *S)
{
    const ft_synth_options *o = S->o;
    model *m = &S->m;
    m->seed = o->seed;
    m->n = o->accounts > 0 ? o->accounts : o->rows / 25;
    if (m->n < 1000)
        m->n = 1000;
    m->n_merchant = m->n / 200 > 10 ? m->n / 200 : 10;
    m->n_employer = m->n / 500 > 5 ? m->n / 500 : 5;
    m->n_business = m->n / 20 > 20 ? m->n / 20 : 20;
    m->n_foreign = m->n / 200 > 100 ? m->n / 200 : 100;
    if (o->countries > 0) { /* every kind has an account in every country */
        m->n_merchant = m->n_merchant > o->countries ? m->n_merchant : o->countries;
        m->n_employer = m->n_employer > o->countries ? m->n_employer : o->countries;
    }
    uint32_t sum = 0;
    for (int b = 0; b < NDOMESTIC; b++) {
        sum += banks[b].weight;
        m->bank_cum[b] = sum;
    }
    m->bank_total = sum;
    if (o->countries > 0) {
        build_countries(m, o->countries, o->cross_border);
        /* The accounts of each country: whole periods of each kind's range,
         * then the places of the last, partial one. */
        S->rep->countries = o->countries;
        int64_t e = m->n_merchant, b = e + m->n_employer, p0 = b + m->n_business;
        int64_t bounds[5] = {0, e, b, p0, m->n};
        for (int k = 0; k < 4; k++) {
            int64_t len = bounds[k + 1] - bounds[k];
            for (uint32_t pos = 0; pos < m->period; pos++)
                S->rep->country_accounts[m->pattern[pos]] +=
                    len / m->period + ((int64_t)pos < len % m->period);
        }
    }
    for (int h = 0; h < 24; h++)
        m->hour_total += hour_weight[h];
    S->rep->accounts = m->n + m->n_foreign + NDOMESTIC;
    S->first_day = o->start_ms / DAY_MS;
    S->last_day = S->first_day + o->days - 1;
    S->span_end = (S->last_day + 1) * DAY_MS;
    /* Payroll: one person in eight is employed, fewer when that would pass
     * 8 % of the rows. Bills follow a salary only when five days are left. */
    int64_t paydays = 0, bill_paydays = 0;
    for (int64_t d = S->first_day; d <= S->last_day; d++) {
        paydays += is_payday(d);
        bill_paydays += is_payday(d) && d + 5 <= S->last_day;
    }
    int64_t persons = m->n - first_person(m);
    m->employ_mod = 8;
    if (paydays && persons)
        while (persons / m->employ_mod * paydays > o->rows / 12)
            m->employ_mod *= 2;
    int64_t employed = 0;
    for (int64_t p = first_person(m); p < m->n; p++)
        employed += employer_of(m, p) >= 0;
    S->payroll_rows = employed * paydays;
    return plan_lookalikes(S, employed, bill_paydays);
}

/* A number of rows (or episodes) shared out over the days by weight, so
 * that the days add up to the total exactly. */
typedef struct pool {
    int64_t total, done;
} pool;

static int64_t pool_take(pool *p, int64_t done_weight, int64_t total_weight)
{
    int64_t upto = (int64_t)((__int128)p->total * done_weight / total_weight);
    int64_t today = upto - p->done;
    p->done = upto;
    return today;
}

ft_status ft_synth_write(const ft_synth_options *o, ft_writer *data, ft_writer *truth,
                         ft_synth_report *report, ft_error *err)
{
    synth S = {.o = o, .data = data, .truth = truth, .rep = report, .err = err};
    memset(report, 0, sizeof *report);
    if (o->rows < 1 || o->days < 1 || o->planted < 0 || o->planted > 0.5)
        return ft_error_set(err, FT_EUSAGE,
                            "need --rows at least 1, --days at least 1, --planted from 0 to 0.5");
    if (o->countries < 0 || o->countries > FT_SYNTH_COUNTRIES || !(o->cross_border >= 0) ||
        o->cross_border > 1)
        return ft_error_set(err, FT_EUSAGE,
                            "need --countries from 1 to %d, --cross-border from 0 to 1",
                            FT_SYNTH_COUNTRIES);
    ft_status rc = check_params(&o->p, err);
    if (rc == FT_OK)
        rc = build_model(&S);
    if (rc == FT_OK)
        rc = make_plans(&S);
    int64_t scheduled = S.payroll_rows + S.sched_rows;
    int64_t background =
        o->rows - report->planted_rows - scheduled - 2 * S.payback_episodes - S.shop_rows;
    if (rc == FT_OK && background < 0)
        rc =
            ft_error_set(err, FT_EUSAGE,
                         "%" PRId64 " rows are too few for the planted patterns (%" PRId64
                         " rows) and the scheduled background (%" PRId64 " rows): give more --rows",
                         o->rows, report->planted_rows, scheduled);
    if (rc != FT_OK)
        goto done;
    report->background_rows = o->rows - report->planted_rows;
    report->lookalike_rows = S.sched_rows + 2 * S.payback_episodes + S.shop_rows;
    write_header(&S);
    int64_t total_weight = 0;
    for (int64_t day = S.first_day; day <= S.last_day; day++)
        total_weight += day_weight(day);
    /* The drawn rows: exact totals, shared out by day weight. */
    pool generic = {background, 0}, payback = {S.payback_episodes, 0}, shop = {S.shop_rows, 0};
    int64_t done_weight = 0;
    uint32_t next_plan = 0;
    for (int64_t day = S.first_day; day <= S.last_day && S.rc == FT_OK; day++) {
        int64_t day_start = day * DAY_MS, day_end = day_start + DAY_MS;
        S.day_end = day_end;
        ft_time_format(day_start, S.daytext, sizeof S.daytext);
        S.daytext[10] = 'T';
        /* Instances that begin today are generated whole. */
        while (next_plan < S.nplans && S.plans[next_plan].start < day_end && S.rc == FT_OK)
            gen_instance(&S, &S.plans[next_plan++]);
        done_weight += day_weight(day);
        int64_t today = pool_take(&generic, done_weight, total_weight);
        S.nrows = 0;
        rng r;
        rng_init(&r, o->seed, ST_BACKGROUND, (uint64_t)day);
        for (int64_t i = 0; i < today && S.rc == FT_OK; i++)
            background_row(&S, &r, day_start);
        if (is_payday(day))
            payroll(&S, day_start, day);
        rent_splits(&S, day);
        family_support(&S, day);
        supplier_runs(&S, day);
        savings(&S, day);
        shop_payouts(&S, day);
        paybacks(&S, day, pool_take(&payback, done_weight, total_weight));
        shop_sales(&S, day, pool_take(&shop, done_weight, total_weight));
        while (S.nheap && S.heap[0].ts < day_end && S.rc == FT_OK) {
            row pr = heap_pop(&S);
            if (!GROW(S.rows, &S.cap_rows, S.nrows + 1)) {
                fail(&S, ft_error_oom(err));
                break;
            }
            S.rows[S.nrows++] = pr;
        }
        if (S.rc != FT_OK)
            break;
        if (!sort_day(&S, day_start)) {
            fail(&S, ft_error_oom(err));
            break;
        }
        for (size_t i = 0; i < S.nrows && S.rc == FT_OK; i++)
            write_row(&S, &S.rows[S.idx[i]]);
        if (data->errnum)
            fail(&S, ft_error_set(err, FT_EIO, "cannot write the data: %s", strerror(data->errnum)));
    }
    if (S.rc == FT_OK && (S.nheap || report->rows != o->rows))
        fail(&S, ft_error_set(err, FT_EUSAGE,
                              "internal: %" PRId64 " rows written of %" PRId64 ", %zu waiting",
                              report->rows, o->rows, S.nheap));
    rc = S.rc;
done:
    for (uint32_t i = 0; S.live && i < S.nplans; i++) {
        if (S.live[i]) {
            free(S.live[i]->accts);
            free(S.live[i]->ids);
            free(S.live[i]->text);
            free(S.live[i]);
        }
    }
    free(S.live);
    free(S.plans);
    free(S.rows);
    free(S.heap);
    free(S.key);
    free(S.key2);
    free(S.idx);
    free(S.idx2);
    free(S.balance);
    free(S.takings);
    return rc;
}
