/*
 * test_handoff.c - parties that cannot pool their data (handoff.h): the
 * accounts a party holds by bank id; two parties trading traced money
 * back and forth in rounds until no handoff changes, whose union is
 * exactly the trace over the pooled data for every policy; records of
 * other options and other parties' transfers.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/handoff.h"
#include "fundtrace/trace.h"

/* Party P holds banks P1 and P2, party Q bank Q. A's money goes to Q's B,
 * back to P's C (B held 100 of it in a balance of 200, so 30 of its 60),
 * and on to Q's D (C pays 30 of its 90: 10 of the traced 30). */
static const char *POOLED =
    "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
    "1,2024-01-01T08:00:00Z,Q,X,Q,B,100.00,EUR\n"
    "2,2024-01-02T08:00:00Z,P1,A,Q,B,100.00,EUR\n"
    "3,2024-01-03T08:00:00Z,Q,B,P2,C,60.00,EUR\n"
    "4,2024-01-03T09:00:00Z,P1,Y,P2,C,30.00,EUR\n"
    "5,2024-01-04T08:00:00Z,P2,C,Q,D,30.00,EUR\n"
    "6,2024-01-05T08:00:00Z,Q,D,Q,E,25.00,EUR\n";

static void load_rows(ft_store *s, const char *rows)
{
    ft_error err;
    assert_int_equal(tu_load(s, "t.csv", rows, NULL, NULL, &err), FT_OK);
    assert_int_equal(ft_store_adjacency(s, &err), FT_OK);
}

/* The lines of text, sorted, joined. */
static char *sorted_lines(char *text)
{
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof *v);
    for (char *p = strtok(text, "\n"); p; p = strtok(NULL, "\n")) {
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = p;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *out = calloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        strcat(out, v[i]);
        strcat(out, "\n");
    }
    free(v);
    return out;
}

typedef struct party {
    ft_store s;
    ft_trace_index *ix;
    ft_tracer *tr;
    uint8_t *local;
    char out[600], ho[600]; /* its handoff file */
} party;

/* One party's trace with the other's handoffs (if any): its lines
 * appended to *text, its handoffs written; whether they changed. */
static bool party_run(party *p, const party *other, const ft_trace_options *o, bool back,
                      bool seed_here, FILE *text)
{
    ft_error err;
    ft_handoff_set hs = {0};
    FILE *f = fopen(other->ho, "r");
    if (f) {
        fclose(f);
        assert_int_equal(ft_handoff_read(&hs, &p->s, p->local, o, back, other->ho, &err), FT_OK);
    }
    ft_handoff_seed *sd = ft_handoff_find(&hs, "P1:A");
    ft_trace_options so = *o;
    uint32_t a = UINT32_MAX;
    if (seed_here)
        assert_true(ft_intern_find(&p->s.accounts, "P1:A", 4, &a));
    else if (sd) {
        so.since_ms = sd->start_ms;
        so.until_ms = sd->end_ms;
    }
    ft_tracer_set_border(p->tr, p->local, sd ? sd->in : NULL, sd ? sd->nin : 0);
    const ft_trace_result *r;
    char *old = NULL, *now = NULL;
    size_t oldn = 0, nown = 0;
    if (!seed_here && !sd) { /* nothing to trace yet */
        FILE *e = fopen(p->ho, "r");
        if (e) {
            fclose(e);
            old = tu_read(p->ho, &oldn);
        }
        FILE *w = fopen(p->ho, "w");
        fclose(w);
    } else {
        assert_int_equal(ft_trace_run(p->tr, &so, a, -1, &r, &err), FT_OK);
        ft_trace_write_held(text, &p->s, "P1:A", r, p->local, seed_here);
        size_t nc;
        const ft_trace_crossing *c = ft_tracer_crossings(p->tr, &nc);
        FILE *e = fopen(p->ho, "r");
        if (e) {
            fclose(e);
            old = tu_read(p->ho, &oldn);
        }
        FILE *w = fopen(p->ho, "w");
        ft_handoff_write(w, &p->s, "P1:A", &so, r, c, nc);
        fclose(w);
    }
    now = tu_read(p->ho, &nown);
    bool changed = !old || oldn != nown || memcmp(old, now, nown) != 0;
    free(old);
    free(now);
    ft_handoff_set_free(&hs);
    return changed;
}

static void test_two_parties(void **state)
{
    (void)state;
    ft_error err;
    ft_store pooled = {0};
    load_rows(&pooled, POOLED);
    char *dir = tu_tmpdir();
    party P = {0}, Q = {0};
    /* Each party: the rows that touch its banks. */
    load_rows(&P.s, "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
                    "2,2024-01-02T08:00:00Z,P1,A,Q,B,100.00,EUR\n"
                    "3,2024-01-03T08:00:00Z,Q,B,P2,C,60.00,EUR\n"
                    "4,2024-01-03T09:00:00Z,P1,Y,P2,C,30.00,EUR\n"
                    "5,2024-01-04T08:00:00Z,P2,C,Q,D,30.00,EUR\n");
    load_rows(&Q.s, "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
                    "1,2024-01-01T08:00:00Z,Q,X,Q,B,100.00,EUR\n"
                    "2,2024-01-02T08:00:00Z,P1,A,Q,B,100.00,EUR\n"
                    "3,2024-01-03T08:00:00Z,Q,B,P2,C,60.00,EUR\n"
                    "5,2024-01-04T08:00:00Z,P2,C,Q,D,30.00,EUR\n"
                    "6,2024-01-05T08:00:00Z,Q,D,Q,E,25.00,EUR\n");
    assert_int_equal(ft_local_accounts(&P.s, "P*", &P.local, &err), FT_OK);
    assert_int_equal(ft_local_accounts(&Q.s, ",Q,", &Q.local, &err), FT_OK);
    uint32_t b;
    assert_true(ft_intern_find(&P.s.accounts, "Q:B", 3, &b));
    assert_false(P.local[b]);
    assert_true(ft_intern_find(&P.s.accounts, "P2:C", 4, &b));
    assert_true(P.local[b]);
    uint8_t *none;
    assert_int_equal(ft_local_accounts(&P.s, ",", &none, &err), FT_EUSAGE);
    assert_null(none);
    snprintf(P.ho, sizeof P.ho, "%s/P.ho", dir);
    snprintf(Q.ho, sizeof Q.ho, "%s/Q.ho", dir);
    uint32_t seed;
    assert_true(ft_intern_find(&pooled.accounts, "P1:A", 4, &seed));
    for (int back = 0; back < 2; back++) {
        ft_trace_index *pix;
        ft_tracer *ptr;
        assert_int_equal(ft_trace_index_new(&pix, &pooled, back, &err), FT_OK);
        assert_int_equal(ft_tracer_new(&ptr, pix, &err), FT_OK);
        assert_int_equal(ft_trace_index_new(&P.ix, &P.s, back, &err), FT_OK);
        assert_int_equal(ft_trace_index_new(&Q.ix, &Q.s, back, &err), FT_OK);
        assert_int_equal(ft_tracer_new(&P.tr, P.ix, &err), FT_OK);
        assert_int_equal(ft_tracer_new(&Q.tr, Q.ix, &err), FT_OK);
        for (int pol = 0; pol < 4; pol++) {
            ft_trace_options o;
            ft_trace_defaults(&o);
            o.policy = (ft_policy)pol;
            remove(P.ho);
            remove(Q.ho);
            char *text = NULL;
            size_t len = 0;
            int rounds = 0;
            for (;;) { /* P, then Q on P's newest handoffs */
                rounds++;
                free(text);
                text = NULL;
                FILE *f = open_memstream(&text, &len);
                bool cp = party_run(&P, &Q, &o, back, true, f);
                bool cq = party_run(&Q, &P, &o, back, false, f);
                fclose(f);
                if (!cp && !cq)
                    break;
                assert_true(rounds <= o.max_hops + 2);
            }
            const ft_trace_result *r;
            assert_int_equal(ft_trace_run(ptr, &o, seed, -1, &r, &err), FT_OK);
            char *want = NULL;
            size_t wl = 0;
            FILE *f = open_memstream(&want, &wl);
            ft_trace_write(f, &pooled, "P1:A", &o, r, FT_FORMAT_JSONL, true);
            fclose(f);
            char *a = sorted_lines(want), *u = sorted_lines(text);
            assert_string_equal(a, u);
            if (!back && pol == FT_POLICY_HAIRCUT) {
                /* Back at P's C: 30 of B's 60; on to Q's D: 10. Q reads
                 * P's newest handoffs within a round: A->B, then B->C and
                 * C->D, then a round with nothing new. */
                assert_int_equal(rounds, 3);
                assert_non_null(strstr(u, "\"account\":\"P2:C\",\"hops\":2"));
                assert_non_null(strstr(u, "\"amounts\":{\"EUR\":\"30.00\"}"));
                assert_non_null(strstr(u,
                                       "\"account\":\"Q:D\",\"hops\":3,\"first_time\":"
                                       "\"2024-01-04T08:00:00Z\",\"amounts\":{\"EUR\":\"10.00\"}"));
            }
            free(a);
            free(u);
            free(want);
            free(text);
        }
        /* A record of another policy is refused where it stands. */
        ft_trace_options o;
        ft_trace_defaults(&o);
        o.policy = FT_POLICY_FIFO;
        ft_handoff_set hs = {0};
        if (!back) {
            assert_int_equal(ft_handoff_read(&hs, &Q.s, Q.local, &o, back, P.ho, &err), FT_EINPUT);
            assert_non_null(strstr(err.msg, "P.ho:1:1: a handoff of a trace with --policy lifo"));
            /* Records for the other party are skipped: P's own file read by P. */
            o.policy = FT_POLICY_LIFO;
            assert_int_equal(ft_handoff_read(&hs, &P.s, P.local, &o, back, P.ho, &err), FT_OK);
            assert_int_equal(hs.records, 0);
            assert_true(hs.skipped > 0);
            ft_handoff_set_free(&hs);
        }
        ft_tracer_free(P.tr);
        ft_tracer_free(Q.tr);
        ft_trace_index_free(P.ix);
        ft_trace_index_free(Q.ix);
        ft_tracer_free(ptr);
        ft_trace_index_free(pix);
    }
    free(P.local);
    free(Q.local);
    ft_store_free(&P.s);
    ft_store_free(&Q.s);
    ft_store_free(&pooled);
    tu_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_parties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
