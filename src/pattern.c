/*
 * pattern.c - pattern names.
 */
#include "fundtrace/pattern.h"

#include <ctype.h>
#include <string.h>

static const char *const names[FT_PAT_COUNT] = {
    [FT_PAT_FAN_OUT] = "fan_out",
    [FT_PAT_FAN_IN] = "fan_in",
    [FT_PAT_SCATTER_GATHER] = "scatter_gather",
    [FT_PAT_GATHER_SCATTER] = "gather_scatter",
    [FT_PAT_CYCLE] = "cycle",
    [FT_PAT_STACK] = "stack",
    [FT_PAT_BIPARTITE] = "bipartite",
    [FT_PAT_PASS_THROUGH] = "pass_through",
    [FT_PAT_STRUCTURING] = "structuring",
    [FT_PAT_RAPID] = "rapid_movement",
    [FT_PAT_TF_COLLECTION] = "tf_collection",
};

const char *ft_pattern_name(ft_pattern p)
{
    return p < FT_PAT_COUNT ? names[p] : "unknown";
}

bool ft_pattern_parse(const char *name, size_t len, ft_pattern *p)
{
    for (int k = 0; k < FT_PAT_COUNT; k++) {
        const char *n = names[k];
        if (strlen(n) != len)
            continue;
        size_t i = 0;
        for (; i < len; i++) {
            char c = (char)tolower((unsigned char)name[i]);
            if (c == '-')
                c = '_';
            if (c != n[i])
                break;
        }
        if (i == len) {
            *p = (ft_pattern)k;
            return true;
        }
    }
    return false;
}
