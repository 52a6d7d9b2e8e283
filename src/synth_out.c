/*
 * synth_out.c - the files and the summary of a synth run (synth_out.h).
 */
#include "fundtrace/synth_out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

char *ft_synth_truth_name(const char *data, ft_synth_layout layout)
{
    size_t len = strlen(data);
    char *out = malloc(len + 32);
    if (!out)
        return NULL;
    memcpy(out, data, len + 1);
    if (len > 3 && strcmp(out + len - 3, ".gz") == 0)
        out[len -= 3] = '\0';
    if (len > 4 && strcmp(out + len - 4, ".csv") == 0)
        out[len -= 4] = '\0';
    if (layout == FT_SYNTH_IBM) {
        if (len > 6 && strcmp(out + len - 6, "_Trans") == 0)
            out[len -= 6] = '\0';
        strcpy(out + len, "_Patterns.txt");
    } else {
        strcpy(out + len, "_truth.csv");
    }
    return out;
}

void ft_synth_summary(FILE *f, const ft_synth_report *rep, const char *data, const char *truth,
                      double secs, bool brief)
{
    int64_t n = 0;
    for (int k = 0; k < FT_PAT_COUNT; k++)
        n += rep->instances[k];
    fprintf(f,
            "fundtrace synth: wrote %" PRId64 " rows (%" PRId64 " background, %" PRId64
            " planted in %" PRId64 " instances; %" PRId64 " accounts) to %s, the truth to %s",
            rep->rows, rep->background_rows, rep->planted_rows, n, rep->accounts,
            strcmp(data, "-") == 0 ? "standard output" : data, truth);
    if (brief) {
        fputc('\n', f);
    } else {
        fprintf(f, ", in %.2f s (%.0f rows/s)\n", secs, secs > 0 ? (double)rep->rows / secs : 0.0);
        for (int k = 0; k < FT_PAT_COUNT; k++)
            if (rep->instances[k])
                fprintf(f, "  %-16s %" PRId64 " instance%s\n", ft_pattern_name((ft_pattern)k),
                        rep->instances[k], rep->instances[k] == 1 ? "" : "s");
    }
    if (rep->countries == 0)
        return;
    /* --countries: the regular accounts of each, and the rows across a border. */
    fprintf(f, "  countries       ");
    for (int c = 0; c < rep->countries; c++)
        fprintf(f, " %s %" PRId64 "%s", ft_synth_country_codes[c], rep->country_accounts[c],
                c + 1 < rep->countries ? "," : " accounts;");
    fprintf(f, " %" PRId64 " rows (%.2f %%) cross a border\n", rep->cross_border_rows,
            rep->rows > 0 ? 100.0 * (double)rep->cross_border_rows / (double)rep->rows : 0.0);
}
