/*
 * synth_out.h - the files and the summary of a synth run (synth.h writes
 * the rows).
 */
#ifndef FUNDTRACE_SYNTH_OUT_H
#define FUNDTRACE_SYNTH_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "fundtrace/synth.h"

/* The ground truth's default name beside the data file: X_Patterns.txt
 * for X_Trans.csv in the IBM layout (as the AMLworld files), FILE_truth.csv
 * for FILE.csv otherwise (a .gz after either is dropped). malloc'd; NULL
 * out of memory. */
char *ft_synth_truth_name(const char *data, ft_synth_layout layout);

/* The summary of a run: one line saying what was written where; unless
 * brief, the time it took and a line per planted pattern. */
void ft_synth_summary(FILE *f, const ft_synth_report *rep, const char *data, const char *truth,
                      double secs, bool brief);

#endif
