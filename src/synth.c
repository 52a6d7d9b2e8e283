/*
 * synth.c - the synthetic bank and its planted patterns.
 *
 * Accounts are not stored: an account is an index, and its kind, bank and
 * employer are functions of the index and the seed. Days are generated one
 * at a time: the day's background rows (a per-day PRNG stream), the rows of
 * the planted instances that fall in it (each instance has its own
 * stream), sorted by time and written. An instance is generated whole
 * when its first day comes; its rows wait in a heap until their day, and
 * its ground-truth record is written when its last row is. Row counts are
 * planned up front, so exactly --rows rows come out.
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

static double rng_in(rng *r, ft_range x)
{
    return x.lo + (x.hi - x.lo) * rng_unit(r);
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

static const struct param {
    const char *name;
    size_t offset; /* of an ft_range in ft_synth_params, or of st_threshold */
    bool scalar;
} params[] = {
#define R(n, f) {n, offsetof(ft_synth_params, f), false}
    R("fan.degree", fan_degree),
    R("fan.window_hours", fan_window),
    R("fan.amount", fan_amount),
    R("scatter_gather.width", sg_width),
    R("scatter_gather.delay_hours", sg_delay),
    R("scatter_gather.keep", sg_keep),
    R("scatter_gather.amount", sg_amount),
    R("gather_scatter.in", gs_in),
    R("gather_scatter.out", gs_out),
    R("gather_scatter.hold_hours", gs_hold),
    R("gather_scatter.keep", gs_keep),
    R("gather_scatter.amount", gs_amount),
    R("cycle.hops", cycle_hops),
    R("cycle.gap_hours", cycle_gap),
    R("cycle.keep", cycle_keep),
    R("cycle.amount", cycle_amount),
    R("stack.length", stack_length),
    R("stack.gap_hours", stack_gap),
    R("stack.keep", stack_keep),
    R("stack.amount", stack_amount),
    R("bipartite.senders", bip_senders),
    R("bipartite.receivers", bip_receivers),
    R("bipartite.window_hours", bip_window),
    R("bipartite.amount", bip_amount),
    R("pass_through.rounds", pt_rounds),
    R("pass_through.delay_hours", pt_delay),
    R("pass_through.gap_days", pt_gap_days),
    R("pass_through.keep", pt_keep),
    R("pass_through.amount", pt_amount),
    R("structuring.deposits", st_deposits),
    R("structuring.window_days", st_window_days),
    R("structuring.low", st_low),
    {"structuring.threshold", offsetof(ft_synth_params, st_threshold), true},
    R("rapid.moves", rapid_moves),
    R("rapid.delay_minutes", rapid_delay_min),
    R("rapid.gap_hours", rapid_gap),
    R("rapid.keep", rapid_keep),
    R("rapid.amount", rapid_amount),
    R("tf.sources", tf_sources),
    R("tf.window_days", tf_window_days),
    R("tf.donation", tf_donation),
    R("tf.outflows", tf_outflows),
    R("tf.delay_days", tf_delay_days),
    R("tf.share", tf_share),
#undef R
};

#define NPARAMS (sizeof params / sizeof params[0])

const char *const ft_synth_param_names[NPARAMS + 1] = {
    "fan.degree", "fan.window_hours", "fan.amount", "scatter_gather.width",
    "scatter_gather.delay_hours", "scatter_gather.keep", "scatter_gather.amount",
    "gather_scatter.in", "gather_scatter.out", "gather_scatter.hold_hours", "gather_scatter.keep",
    "gather_scatter.amount", "cycle.hops", "cycle.gap_hours", "cycle.keep", "cycle.amount",
    "stack.length", "stack.gap_hours", "stack.keep", "stack.amount", "bipartite.senders",
    "bipartite.receivers", "bipartite.window_hours", "bipartite.amount", "pass_through.rounds",
    "pass_through.delay_hours", "pass_through.gap_days", "pass_through.keep",
    "pass_through.amount", "structuring.deposits", "structuring.window_days", "structuring.low",
    "structuring.threshold", "rapid.moves", "rapid.delay_minutes", "rapid.gap_hours",
    "rapid.keep", "rapid.amount", "tf.sources", "tf.window_days", "tf.donation", "tf.outflows",
    "tf.delay_days", "tf.share", NULL,
};

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
    ft_synth_params *p = &o->p;
    p->fan_degree = (ft_range){8, 20};
    p->fan_window = (ft_range){2, 48};
    p->fan_amount = (ft_range){800, 4000};
    p->sg_width = (ft_range){4, 10};
    p->sg_delay = (ft_range){2, 24};
    p->sg_keep = (ft_range){0.9, 0.99};
    p->sg_amount = (ft_range){2000, 9000};
    p->gs_in = (ft_range){5, 12};
    p->gs_out = (ft_range){5, 12};
    p->gs_hold = (ft_range){2, 48};
    p->gs_keep = (ft_range){0.9, 0.99};
    p->gs_amount = (ft_range){1000, 5000};
    p->cycle_hops = (ft_range){2, 6};
    p->cycle_gap = (ft_range){0.5, 24};
    p->cycle_keep = (ft_range){0.8, 1.0};
    p->cycle_amount = (ft_range){5000, 50000};
    p->stack_length = (ft_range){4, 8};
    p->stack_gap = (ft_range){0.25, 6};
    p->stack_keep = (ft_range){0.9, 0.99};
    p->stack_amount = (ft_range){5000, 50000};
    p->bip_senders = (ft_range){3, 6};
    p->bip_receivers = (ft_range){3, 6};
    p->bip_window = (ft_range){6, 72};
    p->bip_amount = (ft_range){1000, 6000};
    p->pt_rounds = (ft_range){3, 6};
    p->pt_delay = (ft_range){1, 12};
    p->pt_gap_days = (ft_range){1, 4};
    p->pt_keep = (ft_range){0.95, 0.995};
    p->pt_amount = (ft_range){2000, 15000};
    p->st_deposits = (ft_range){5, 10};
    p->st_window_days = (ft_range){2, 7};
    p->st_low = (ft_range){0.85, 0.99};
    p->st_threshold = 10000;
    p->rapid_moves = (ft_range){4, 8};
    p->rapid_delay_min = (ft_range){1, 30};
    p->rapid_gap = (ft_range){6, 72};
    p->rapid_keep = (ft_range){0.9, 1.0};
    p->rapid_amount = (ft_range){1000, 8000};
    p->tf_sources = (ft_range){15, 40};
    p->tf_window_days = (ft_range){5, 15};
    p->tf_donation = (ft_range){20, 200};
    p->tf_outflows = (ft_range){1, 3};
    p->tf_delay_days = (ft_range){0.2, 3};
    p->tf_share = (ft_range){0.8, 0.95};
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
    const struct param *p = NULL;
    for (size_t i = 0; i < NPARAMS; i++)
        if (strlen(params[i].name) == nlen && memcmp(params[i].name, name, nlen) == 0)
            p = &params[i];
    if (!p)
        return ft_error_set(err, FT_EUSAGE, "unknown parameter '%.*s' (see fundtrace synth --help)",
                            (int)nlen, name);
    double lo, hi;
    const char *dash = memchr(value, '-', vlen);
    bool ok = dash ? parse_number(value, (size_t)(dash - value), &lo) &&
                         parse_number(dash + 1, vlen - (size_t)(dash - value) - 1, &hi)
                   : parse_number(value, vlen, &lo);
    if (!dash)
        hi = lo;
    if (!ok || hi < lo || (p->scalar && dash))
        return ft_error_set(err, FT_EUSAGE, "%s: '%.*s' is not a %s", p->name, (int)vlen, value,
                            p->scalar ? "number" : "number or LOW-HIGH range");
    char *base = (char *)&o->p + p->offset;
    if (p->scalar)
        *(double *)base = lo;
    else
        *(ft_range *)base = (ft_range){lo, hi};
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

enum { K_MERCHANT, K_EMPLOYER, K_BUSINESS, K_PERSON, K_FOREIGN, K_CASH };

typedef struct model {
    uint64_t seed;
    int64_t n;                          /* regular accounts */
    int64_t n_merchant, n_employer, n_business;
    int64_t n_foreign;                  /* accounts abroad: [n, n + n_foreign) */
    int64_t employ_mod;                 /* a person is employed when hash % this == 0 */
    uint32_t bank_cum[NDOMESTIC];       /* cumulative weights */
    uint32_t bank_total;
    uint32_t hour_total;                /* the sum of hour_weight */
} model;

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
    return K_CASH;
}

static int bank_of(const model *m, int64_t a)
{
    if (a >= m->n + m->n_foreign)
        return (int)(a - m->n - m->n_foreign); /* the cash desk of a domestic bank */
    uint64_t h = mix64((uint64_t)a ^ m->seed ^ 0xB4B4B4B4ULL);
    if (a >= m->n)
        return NDOMESTIC + (int)(h % (uint64_t)(NBANKS - NDOMESTIC));
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
    return m->n_merchant + (int64_t)(u * u * (double)m->n_employer);
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

enum { M_NONE, M_SALARY, M_INVOICE, M_RENT, M_REFUND, M_THANKS, M_DINNER, M_DONATION, NMEMO };
static const char *const memo_text[NMEMO] = {
    "", "salary", "invoice", "rent", "refund", "thanks", "\"dinner, thanks\"", "donation",
};

typedef struct row {
    int64_t ts;
    int64_t src, dst;
    int64_t amount; /* minor units of cur */
    int32_t inst;   /* planted instance, -1 for background */
    uint32_t seq;   /* order of creation, to break ties in time */
    uint8_t cur, chan, memo;
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
} shape;

static void draw_shape(const ft_synth_params *p, ft_pattern pat, rng *r, shape *s, uint32_t *rows,
                       int64_t *duration)
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
        h = 3 * s->w + 2;
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
        *rows = (uint32_t)s->a;
        h = s->a * p->cycle_gap.hi + 1;
        break;
    case FT_PAT_STACK:
        s->a = (int)rng_int(r, p->stack_length);
        *rows = (uint32_t)s->a;
        h = s->a * p->stack_gap.hi + 1;
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

static void add_row(synth *S, int64_t ts, int64_t src, int64_t dst, int64_t amount, int cur,
                    int chan, int memo)
{
    if (!GROW(S->rows, &S->cap_rows, S->nrows + 1)) {
        fail(S, ft_error_oom(S->err));
        return;
    }
    S->rows[S->nrows++] = (row){ts, src, dst, amount, -1, S->seq++, (uint8_t)cur, (uint8_t)chan,
                                (uint8_t)memo};
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
    row r = {ts, src, dst, cents, (int32_t)g->I->index, g->S->seq++, EUR, (uint8_t)chan,
             (uint8_t)memo};
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

static void gen_instance(synth *S, const plan *pl)
{
    const ft_synth_params *p = &S->o->p;
    rng r;
    rng_init(&r, S->o->seed, 2, pl->index);
    shape sh;
    uint32_t rows;
    int64_t dur;
    draw_shape(p, (ft_pattern)pl->pattern, &r, &sh, &rows, &dur);
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
        double base = rng_in(&r, p->fan_amount);
        distinct_people(&g, acc, sh.a + 1);
        spread(&r, t, (int64_t)(sh.w * HOUR_MS), sh.a, times);
        for (int i = 0; i < sh.a; i++) {
            int64_t c = cents(base * (0.85 + 0.15 * rng_unit(&r)));
            if (I->pattern == FT_PAT_FAN_OUT)
                plant(&g, times[i], acc[0], acc[i + 1], c, CH_SEPA, M_NONE);
            else
                plant(&g, times[i], acc[i + 1], acc[0], c, CH_SEPA, M_NONE);
        }
        snprintf(I->params, sizeof I->params, "degree=%d;window_hours=%.2f;amount=%.2f", sh.a,
                 sh.w, base);
        break;
    }
    case FT_PAT_SCATTER_GATHER: {
        double base = rng_in(&r, p->sg_amount);
        distinct_people(&g, acc, sh.a + 2); /* acc[0] source, acc[1] sink, then the middle */
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
        distinct_people(&g, acc, sh.a + sh.b + 1); /* acc[0] the hub */
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
        bool cycle = I->pattern == FT_PAT_CYCLE;
        ft_range gap = cycle ? p->cycle_gap : p->stack_gap;
        ft_range keep = cycle ? p->cycle_keep : p->stack_keep;
        double base = rng_in(&r, cycle ? p->cycle_amount : p->stack_amount);
        int n = cycle ? sh.a : sh.a + 1;
        distinct_people(&g, acc, n);
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
                when += minutes(rng_in(&r, gap));
            }
            plant(&g, when, acc[i], acc[cycle ? (i + 1) % n : i + 1], amount,
                  cycle ? CH_WIRE : CH_SEPA, M_NONE);
        }
        snprintf(I->params, sizeof I->params, "%s=%d;amount=%.2f", cycle ? "hops" : "length",
                 sh.a, base);
        break;
    }
    case FT_PAT_BIPARTITE: {
        double base = rng_in(&r, p->bip_amount);
        distinct_people(&g, acc, sh.a + sh.b);
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
        distinct_people(&g, acc, 1 + 2 * sh.a); /* acc[0] the mule */
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
        distinct_people(&g, acc, sh.a + 1); /* acc[0] the collector */
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
            rng_init(&r, o->seed, 2, pl.index);
            shape sh;
            draw_shape(&o->p, (ft_pattern)k, &r, &sh, &pl.rows, &pl.duration);
            if (pl.duration >= span)
                return ft_error_set(S->err, FT_EUSAGE,
                                    "a %s instance lasts up to %.1f days, longer than --days %d",
                                    ft_pattern_name((ft_pattern)k),
                                    (double)pl.duration / DAY_MS, o->days);
            rng_init(&r, o->seed, 3, pl.index);
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

static int64_t day_weight(int64_t day)
{
    int dow = (int)(((day + 4) % 7 + 7) % 7); /* 0 Sunday: 1970-01-01 was a Thursday */
    return dow == 0 ? 55 : dow == 6 ? 80 : 100;
}

static bool is_payday(int64_t day)
{
    /* The 25th, or the Friday before when it falls on a weekend. */
    char buf[32];
    ft_time_format(day * DAY_MS, buf, sizeof buf);
    int d = (buf[8] - '0') * 10 + (buf[9] - '0');
    int dow = (int)(((day + 4) % 7 + 7) % 7);
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

static int64_t any_person(const model *m, rng *r)
{
    int64_t p0 = first_person(m);
    return p0 + (int64_t)rng_below(r, (uint64_t)(m->n - p0));
}

static void background_row(synth *S, rng *r, int64_t day_start)
{
    const model *m = &S->m;
    int64_t ts = pick_time(m, r, day_start), src, dst;
    uint32_t k = (uint32_t)rng_below(r, 1000);
    double u = rng_unit(r);
    int chan = CH_SEPA, memo = M_NONE;
    double eur;
    if (k < 520) { /* a card payment at a merchant: the merchants are hubs */
        src = any_person(m, r);
        dst = (int64_t)(u * u * u * (double)m->n_merchant);
        eur = lognormal(r, 35, 0.9);
        chan = CH_CARD;
    } else if (k < 700) { /* person to person, mostly within a circle of friends */
        src = any_person(m, r);
        int64_t p0 = first_person(m), np = m->n - p0;
        dst = u < 0.8 ? p0 + (src - p0 + 1 + (int64_t)rng_below(r, 40)) % np : any_person(m, r);
        eur = lognormal(r, 60, 1.0);
        memo = u < 0.1 ? M_THANKS : u < 0.15 ? M_DINNER : u < 0.25 ? M_RENT : M_NONE;
    } else if (k < 800) { /* bills */
        src = any_person(m, r);
        dst = m->n_merchant + m->n_employer + (int64_t)(u * u * (double)m->n_business);
        eur = lognormal(r, 120, 0.7);
        memo = M_INVOICE;
    } else if (k < 880) { /* business to business */
        int64_t b0 = m->n_merchant + m->n_employer;
        src = b0 + (int64_t)rng_below(r, (uint64_t)m->n_business);
        dst = b0 + (int64_t)(u * u * (double)m->n_business);
        eur = lognormal(r, 2500, 1.1);
        memo = M_INVOICE;
    } else if (k < 910) { /* refunds: the paybacks that make a merchant's flows two-way */
        src = (int64_t)(u * u * u * (double)m->n_merchant);
        dst = any_person(m, r);
        eur = lognormal(r, 25, 0.8);
        chan = CH_CARD;
        memo = M_REFUND;
    } else if (k < 945) { /* a cash deposit at the desk */
        dst = any_person(m, r);
        src = cash_desk(m, bank_of(m, dst));
        eur = lognormal(r, 300, 0.8);
        chan = CH_CASH;
    } else if (k < 980) { /* a cash withdrawal */
        src = any_person(m, r);
        dst = cash_desk(m, bank_of(m, src));
        eur = lognormal(r, 150, 0.7);
        chan = CH_CASH;
    } else if (k < 990) { /* a wire abroad */
        src = any_person(m, r);
        dst = m->n + (int64_t)rng_below(r, (uint64_t)m->n_foreign);
        eur = lognormal(r, 800, 1.0);
        chan = CH_WIRE;
    } else { /* a wire from abroad */
        src = m->n + (int64_t)rng_below(r, (uint64_t)m->n_foreign);
        dst = any_person(m, r);
        eur = lognormal(r, 600, 1.0);
        chan = CH_WIRE;
    }
    int cur = banks[bank_of(m, src)].cur;
    add_row(S, ts, src, dst, minor_of(eur, cur), cur, chan, memo);
}

static void payroll(synth *S, int64_t day_start, int64_t day)
{
    const model *m = &S->m;
    rng r;
    rng_init(&r, S->o->seed, 4, (uint64_t)day);
    for (int64_t p = first_person(m); p < m->n; p++) {
        int64_t e = employer_of(m, p);
        if (e < 0)
            continue;
        int64_t ts = day_start + 6 * HOUR_MS + (int64_t)rng_below(&r, 3 * HOUR_MS) / 1000 * 1000;
        double eur = lognormal(&r, 2800, 0.35);
        int cur = banks[bank_of(m, e)].cur;
        add_row(S, ts, e, p, minor_of(eur, cur), cur, CH_SEPA, M_SALARY);
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

/* "DE001" and "A000001234" (a regular account), "F..." abroad, "CASH". */
static char *put_account(char *w, const model *m, int64_t a, bool ibm)
{
    int b = bank_of(m, a);
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
    *w++ = kind == K_FOREIGN ? 'F' : 'A';
    return put_u64(w, (uint64_t)a, 9);
}

static void write_header(synth *S)
{
    if (S->o->layout == FT_SYNTH_IBM)
        ft_writer_puts(S->data, "Timestamp,From Bank,Account,To Bank,Account,Amount Received,"
                                "Receiving Currency,Amount Paid,Payment Currency,Payment Format,"
                                "Is Laundering\n");
    else
        ft_writer_puts(S->data, "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,"
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
        w = put_account(w, m, r->src, true);
        *w++ = ',';
        w = put_account(w, m, r->dst, true);
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
        w = put_account(w, m, r->src, false);
        *w++ = ',';
        w = put_account(w, m, r->dst, false);
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
    }
    *w++ = '\n';
    ft_writer_commit(S->data, (size_t)(w - w0));
    S->rep->rows++;
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
 * shares within (0, 1], positive amounts and times. */
static ft_status check_params(const ft_synth_params *p, ft_error *err)
{
    for (size_t i = 0; i < NPARAMS; i++) {
        const char *n = params[i].name;
        if (params[i].scalar) {
            if (*(const double *)((const char *)p + params[i].offset) <= 0)
                return ft_error_set(err, FT_EUSAGE, "%s must be positive", n);
            continue;
        }
        ft_range r = *(const ft_range *)((const char *)p + params[i].offset);
        bool count = strstr(n, "degree") || strstr(n, "width") || strstr(n, ".in") ||
                     strstr(n, ".out") || strstr(n, "hops") || strstr(n, "length") ||
                     strstr(n, "senders") || strstr(n, "receivers") || strstr(n, "rounds") ||
                     strstr(n, "deposits") || strstr(n, "moves") || strstr(n, "sources");
        bool share = strstr(n, "keep") || strstr(n, "share") || strstr(n, ".low");
        double lo = count ? (strcmp(n, "cycle.hops") == 0 ? 2 : 1) : 0;
        double hi = count ? 1000 : share ? 1 : 1e9;
        if (r.lo < lo || r.hi > hi || (!count && r.lo <= 0))
            return ft_error_set(err, FT_EUSAGE, "%s=%g-%g is out of range (%s)", n, r.lo, r.hi,
                                count ? "whole numbers from 1 to 1000, cycles from 2"
                                : share ? "a share above 0 and at most 1"
                                        : "a positive number");
    }
    return FT_OK;
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
    uint32_t sum = 0;
    for (int b = 0; b < NDOMESTIC; b++) {
        sum += banks[b].weight;
        m->bank_cum[b] = sum;
    }
    m->bank_total = sum;
    for (int h = 0; h < 24; h++)
        m->hour_total += hour_weight[h];
    S->rep->accounts = m->n + m->n_foreign + NDOMESTIC;
    /* Payroll: one person in eight is employed, fewer when that would pass
     * 8 % of the rows. */
    int64_t paydays = 0;
    for (int d = 0; d < o->days; d++)
        paydays += is_payday(o->start_ms / DAY_MS + d);
    int64_t persons = m->n - first_person(m);
    m->employ_mod = 8;
    if (paydays && persons)
        while (persons / m->employ_mod * paydays > o->rows / 12)
            m->employ_mod *= 2;
    int64_t employed = 0;
    for (int64_t p = first_person(m); p < m->n; p++)
        employed += employer_of(m, p) >= 0;
    S->payroll_rows = employed * paydays;
    return FT_OK;
}

ft_status ft_synth_write(const ft_synth_options *o, ft_writer *data, ft_writer *truth,
                         ft_synth_report *report, ft_error *err)
{
    synth S = {.o = o, .data = data, .truth = truth, .rep = report, .err = err};
    memset(report, 0, sizeof *report);
    if (o->rows < 1 || o->days < 1 || o->planted < 0 || o->planted > 0.5)
        return ft_error_set(err, FT_EUSAGE,
                            "need --rows at least 1, --days at least 1, --planted from 0 to 0.5");
    ft_status rc = check_params(&o->p, err);
    if (rc == FT_OK)
        rc = build_model(&S);
    if (rc == FT_OK)
        rc = make_plans(&S);
    int64_t background = o->rows - report->planted_rows - S.payroll_rows;
    if (rc == FT_OK && background < 0)
        rc = ft_error_set(err, FT_EUSAGE,
                          "%" PRId64 " rows are too few for the planted patterns (%" PRId64
                          " rows) and payroll (%" PRId64 " rows): give more --rows",
                          o->rows, report->planted_rows, S.payroll_rows);
    if (rc != FT_OK)
        goto done;
    report->background_rows = background + S.payroll_rows;
    write_header(&S);
    int64_t total_weight = 0, first_day = o->start_ms / DAY_MS;
    for (int d = 0; d < o->days; d++)
        total_weight += day_weight(first_day + d);
    int64_t done_weight = 0, done_rows = 0;
    uint32_t next_plan = 0;
    for (int d = 0; d < o->days && S.rc == FT_OK; d++) {
        int64_t day = first_day + d, day_start = day * DAY_MS, day_end = day_start + DAY_MS;
        ft_time_format(day_start, S.daytext, sizeof S.daytext);
        S.daytext[10] = 'T';
        /* Instances that begin today are generated whole. */
        while (next_plan < S.nplans && S.plans[next_plan].start < day_end && S.rc == FT_OK)
            gen_instance(&S, &S.plans[next_plan++]);
        /* Background rows: an exact share of the budget by day weight. */
        done_weight += day_weight(day);
        int64_t upto = (int64_t)((__int128)background * done_weight / total_weight);
        int64_t today = upto - done_rows;
        done_rows = upto;
        S.nrows = 0;
        rng r;
        rng_init(&r, o->seed, 1, (uint64_t)day);
        for (int64_t i = 0; i < today && S.rc == FT_OK; i++)
            background_row(&S, &r, day_start);
        if (is_payday(day))
            payroll(&S, day_start, day);
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
    return rc;
}
