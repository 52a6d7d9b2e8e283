/*
 * cluster_out.c - the cluster report as a table, JSON Lines, JSON or CSV.
 */
#include <inttypes.h>
#include <string.h>

#include "fundtrace/cluster.h"
#include "fundtrace/money.h"
#include "fundtrace/time.h"

static void when(int64_t ms, char buf[40])
{
    if (ms == INT64_MAX || ms == INT64_MIN || !ft_time_format(ms, buf, 40))
        strcpy(buf, "-");
}

/* field 0 internal, 1 in, 2 out */
static __int128 pick(const ft_cluster_volume *v, int field)
{
    return field == 0 ? v->internal : field == 1 ? v->in : v->out;
}

static void json_volumes(ft_json *j, const char *key, const ft_store *s,
                         const ft_cluster_report *rep, const ft_cluster_info *ci, int field)
{
    ft_json_object(j, key);
    for (int c = 0; c < rep->ncur; c++) {
        __int128 v = pick(&rep->volumes[ci->amount0 + (uint32_t)c], field);
        if (!v)
            continue;
        char buf[64];
        ft_money_format(v, s->currencies[c].exponent, buf, sizeof buf);
        ft_json_cstr(j, s->currencies[c].code, buf);
    }
    ft_json_end(j, '}');
}

/* "1234.00 EUR, 5.00 USD" */
static void volumes_text(const ft_store *s, const ft_cluster_report *rep,
                         const ft_cluster_info *ci, int field, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int c = 0; c < rep->ncur && used + 48 < cap; c++) {
        __int128 v = pick(&rep->volumes[ci->amount0 + (uint32_t)c], field);
        if (!v)
            continue;
        char buf[64];
        ft_money_format(v, s->currencies[c].exponent, buf, sizeof buf);
        used += (size_t)snprintf(out + used, cap - used, "%s%s %s", used ? ", " : "", buf,
                                 s->currencies[c].code);
    }
    if (!used)
        snprintf(out, cap, "-");
}

static void json_cluster(FILE *f, const ft_store *s, const ft_cluster_options *o,
                         const ft_clustering *c, const ft_cluster_report *rep,
                         const ft_cluster_alerts *ca, uint32_t i)
{
    const ft_cluster_info *ci = &rep->v[i];
    ft_json j;
    char buf[64];
    size_t len;
    ft_json_init(&j, f, false);
    ft_json_object(&j, NULL);
    ft_json_int(&j, "rank", i + 1);
    ft_json_int(&j, "cluster", ci->id);
    ft_json_cstr(&j, "method", ft_cluster_method_name(o->method));
    if (o->method == FT_CLUSTER_KCORE)
        ft_json_int(&j, "k", c->k);
    ft_json_int(&j, "size", ci->size);
    ft_json_array(&j, "members");
    for (uint32_t m = 0; m < ci->size; m++) {
        const char *k = ft_store_account(s, rep->members[ci->member0 + m], &len);
        ft_json_string(&j, NULL, k, len);
    }
    ft_json_end(&j, ']');
    json_volumes(&j, "internal", s, rep, ci, 0);
    json_volumes(&j, "in", s, rep, ci, 1);
    json_volumes(&j, "out", s, rep, ci, 2);
    snprintf(buf, sizeof buf, "%.4f", ci->inside_share);
    ft_json_raw(&j, "inside_share", buf);
    ft_json_int(&j, "internal_transfers", ci->ninternal);
    when(ci->first_ms, buf);
    ft_json_cstr(&j, "first_time", buf);
    when(ci->last_ms, buf);
    ft_json_cstr(&j, "last_time", buf);
    if (ca && ca->off) {
        ft_json_array(&j, "alerts");
        for (uint32_t k = ca->off[i]; k < ca->off[i + 1]; k++)
            ft_json_cstr(&j, NULL, ca->ids[ca->hit[k]]);
        ft_json_end(&j, ']');
    }
    ft_json_end(&j, '}');
    fputc('\n', f);
}

void ft_cluster_write(FILE *f, const ft_store *s, const ft_cluster_options *o,
                      const ft_clustering *c, const ft_cluster_report *rep,
                      const ft_cluster_alerts *ca, ft_format fmt)
{
    if (fmt == FT_FORMAT_JSON)
        fputs("[\n", f);
    if (fmt == FT_FORMAT_CSV)
        fputs("rank,cluster,size,inside_share,internal_transfers,first_time,last_time,internal,in,"
              "out,members,alerts\n",
              f);
    if (fmt == FT_FORMAT_TABLE) {
        fprintf(f, "%s clusters", ft_cluster_method_name(o->method));
        if (o->method == FT_CLUSTER_KCORE)
            fprintf(f, " (k = %d)", c->k);
        fprintf(f, ": %" PRIu32 " in all, %" PRIu32 " shown of %" PRIu32 " that qualify\n\n",
                c->n, rep->n, rep->candidates);
    }
    for (uint32_t i = 0; i < rep->n; i++) {
        const ft_cluster_info *ci = &rep->v[i];
        char t0[40], t1[40], in[400], out[400], inside[400];
        when(ci->first_ms, t0);
        when(ci->last_ms, t1);
        volumes_text(s, rep, ci, 0, inside, sizeof inside);
        volumes_text(s, rep, ci, 1, in, sizeof in);
        volumes_text(s, rep, ci, 2, out, sizeof out);
        switch (fmt) {
        case FT_FORMAT_JSON:
            if (i)
                fputc(',', f);
            /* fall through */
        case FT_FORMAT_JSONL:
            json_cluster(f, s, o, c, rep, ca, i);
            break;
        case FT_FORMAT_CSV: {
            fprintf(f, "%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%.4f,%" PRIu32 ",%s,%s,", i + 1, ci->id,
                    ci->size, ci->inside_share, ci->ninternal, strcmp(t0, "-") ? t0 : "",
                    strcmp(t1, "-") ? t1 : "");
            /* none is an empty cell here, not the table's "-" */
            const char *v[3] = {inside, in, out};
            for (int k = 0; k < 3; k++) {
                if (strcmp(v[k], "-") != 0)
                    ft_csv_write_field(f, v[k], strlen(v[k]));
                fputc(',', f);
            }
            fputc('"', f);
            for (uint32_t m = 0; m < ci->size; m++) {
                size_t len;
                const char *k = ft_store_account(s, rep->members[ci->member0 + m], &len);
                if (m)
                    fputc(' ', f);
                else if (ft_csv_needs_guard(k, len))
                    fputc('\'', f); /* the cell begins with the first member */
                for (size_t q = 0; q < len; q++) {
                    if (k[q] == '"')
                        fputc('"', f);
                    fputc(k[q], f);
                }
            }
            fputs("\",\"", f);
            for (uint32_t k = ca && ca->off ? ca->off[i] : 0; ca && ca->off && k < ca->off[i + 1];
                 k++) {
                const char *id = ca->ids[ca->hit[k]];
                if (k > ca->off[i])
                    fputc(' ', f);
                else if (ft_csv_needs_guard(id, strlen(id)))
                    fputc('\'', f);
                for (; *id; id++) {
                    if (*id == '"')
                        fputc('"', f);
                    fputc(*id, f);
                }
            }
            fputs("\"\n", f);
            break;
        }
        default: {
            fprintf(f, "#%" PRIu32 "  cluster %" PRIu32 ": %" PRIu32 " account%s, %.0f%% of its "
                       "volume stays inside, %" PRIu32 " internal transfers, %s to %s\n",
                    i + 1, ci->id, ci->size, ci->size == 1 ? "" : "s", 100 * ci->inside_share,
                    ci->ninternal, t0, t1);
            fprintf(f, "    inside: %s\n    in: %s\n    out: %s\n", inside, in, out);
            fputs("    members:", f);
            for (uint32_t m = 0; m < ci->size && m < 10; m++) {
                size_t len;
                const char *k = ft_store_account(s, rep->members[ci->member0 + m], &len);
                fprintf(f, " %.*s", (int)len, k);
            }
            if (ci->size > 10)
                fprintf(f, " ... and %" PRIu32 " more", ci->size - 10);
            fputc('\n', f);
            if (ca && ca->off && ca->off[i + 1] > ca->off[i]) {
                fputs("    alerts:", f);
                for (uint32_t k = ca->off[i]; k < ca->off[i + 1] && k < ca->off[i] + 10; k++)
                    fprintf(f, " %s", ca->ids[ca->hit[k]]);
                if (ca->off[i + 1] - ca->off[i] > 10)
                    fprintf(f, " ... and %" PRIu32 " more", ca->off[i + 1] - ca->off[i] - 10);
                fputc('\n', f);
            }
            fputc('\n', f);
            break;
        }
        }
    }
    if (fmt == FT_FORMAT_JSON)
        fputs("]\n", f);
}
