/*
 * pattern.h - the kinds of pattern that synth plants, scan flags and eval
 * scores. The names are the `kind` of an alert and the `pattern` of a
 * ground-truth instance, so they are part of the output contract.
 */
#ifndef FUNDTRACE_PATTERN_H
#define FUNDTRACE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ft_pattern {
    FT_PAT_FAN_OUT,        /* one account pays many within a window */
    FT_PAT_FAN_IN,         /* many accounts pay one within a window */
    FT_PAT_SCATTER_GATHER, /* one -> many intermediaries -> one */
    FT_PAT_GATHER_SCATTER, /* many -> one -> many */
    FT_PAT_CYCLE,          /* money returns to where it started, later each hop */
    FT_PAT_STACK,          /* a layering chain passing most of the amount on quickly */
    FT_PAT_BIPARTITE,      /* a group of senders all paying a group of receivers */
    FT_PAT_PASS_THROUGH,   /* a mule: in and out nearly balance, again and again */
    FT_PAT_STRUCTURING,    /* deposits just under a reporting threshold */
    FT_PAT_RAPID,          /* money leaves within minutes of arriving, repeatedly */
    FT_PAT_TF_COLLECTION,  /* many small contributions collected, moved on in few */
    FT_PAT_COUNT
} ft_pattern;

/* "fan_out", "fan_in", "scatter_gather", "gather_scatter", "cycle",
 * "stack", "bipartite", "pass_through", "structuring", "rapid_movement",
 * "tf_collection". */
const char *ft_pattern_name(ft_pattern p);

/* The pattern called `name` (also accepting '-' for '_' and any case, as
 * the IBM files write FAN-OUT); false when unknown. */
bool ft_pattern_parse(const char *name, size_t len, ft_pattern *p);

#endif
