/*
 * test_handoff.c - parties that cannot pool their data (handoff.h): the
 * accounts a party holds by bank id; two parties trading traced money
 * back and forth in rounds until no handoff changes, whose union is
 * exactly the trace over the pooled data for every policy; records of
 * other options and other parties' transfers.
 */
#include "testutil.h"

#include <dirent.h>
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

/* The handoff files of a directory, in name order, as one text. */
static char *dir_text(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    char *all = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&all, &len);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char path[900];
            size_t got;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
            char *text = tu_read(path, &got);
            fprintf(f, "%s:\n", names[i]->d_name);
            fwrite(text, 1, got, f);
            free(text);
        }
        free(names[i]);
    }
    if (n > 0)
        free(names);
    fclose(f);
    return all;
}

/* One party's traces (ft_handoff_party_run) with the other's handoffs (if
 * any): its lines appended to *text, its handoffs written to its
 * directory; whether they changed. */
static bool party_run(party *p, const party *other, const ft_trace_options *o, bool back,
                      bool seed_here, FILE *text)
{
    ft_error err;
    ft_handoff_set hs = {0};
    assert_int_equal(ft_handoff_read_dir(&hs, &p->s, p->local, o, back, other->ho, &err), FT_OK);
    ft_trace_seed seed = {"P1:A", 0, -1};
    if (seed_here)
        assert_true(ft_intern_find(&p->s.accounts, "P1:A", 4, &seed.account));
    ft_handoff_out *ho;
    assert_int_equal(ft_handoff_out_new(&ho, &p->s, p->local, &err), FT_OK);
    bool found;
    assert_int_equal(ft_handoff_party_run(&p->s, p->ix, o, &seed, seed_here, p->local, &hs, text,
                                          ho, &found, &err),
                     FT_OK);
    char *old = dir_text(p->ho);
    assert_int_equal(ft_handoff_out_write(ho, p->ho, &err), FT_OK);
    char *now = dir_text(p->ho);
    bool changed = strcmp(old, now) != 0;
    free(old);
    free(now);
    ft_handoff_out_free(ho);
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
    /* A seed not held here is refused. */
    {
        ft_trace_options o;
        ft_trace_defaults(&o);
        ft_trace_index *qix;
        assert_int_equal(ft_trace_index_new(&qix, &Q.s, false, &err), FT_OK);
        ft_trace_seed sd = {"P1:A", 0, -1};
        assert_true(ft_intern_find(&Q.s.accounts, "P1:A", 4, &sd.account));
        ft_handoff_set hs = {0};
        bool found;
        assert_int_equal(
            ft_handoff_party_run(&Q.s, qix, &o, &sd, 1, Q.local, &hs, stdout, NULL, &found, &err),
            FT_EUSAGE);
        assert_string_equal(err.msg, "the seed 'P1:A' is not held here");
        ft_trace_index_free(qix);
    }
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
            tu_rmdir(strdup(P.ho));
            tu_rmdir(strdup(Q.ho));
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
            char to_q[700];
            snprintf(to_q, sizeof to_q, "%s/Q.jsonl", P.ho);
            assert_int_equal(ft_handoff_read(&hs, &Q.s, Q.local, &o, back, to_q, &err), FT_EINPUT);
            assert_non_null(
                strstr(err.msg, "Q.jsonl:1:1: a handoff of a trace with --policy lifo"));
            /* Records for the other party are skipped: P's own file read by P. */
            o.policy = FT_POLICY_LIFO;
            assert_int_equal(ft_handoff_read(&hs, &P.s, P.local, &o, back, to_q, &err), FT_OK);
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

/* Where an account's records go: its bank id, or an IBAN's country; a
 * name safe as a file name (no leading '.', no '/'), cut to the buffer. */
static void test_route(void **state)
{
    (void)state;
    ft_store s = {0};
    load_rows(&s, "txn_id,timestamp,src_bank,src_account,dst_bank,dst_account,amount,currency\n"
                  "1,2024-01-01T08:00:00Z,.hid,A,x/y.z,B,1.00,EUR\n"
                  "2,2024-01-01T09:00:00Z,LONGBANKNAME,C,DE,D,1.00,EUR\n");
    const char *keys[] = {".hid:A", "x/y.z:B", "LONGBANKNAME:C"};
    const char *want[] = {"_hid", "x_y.z", "LONGBAN"};
    for (int i = 0; i < 3; i++) {
        uint32_t a;
        assert_true(ft_intern_find(&s.accounts, keys[i], strlen(keys[i]), &a));
        char buf[8];
        ft_handoff_route(&s, a, buf, sizeof buf);
        assert_string_equal(buf, want[i]);
    }
    ft_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_parties),
        cmocka_unit_test(test_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
