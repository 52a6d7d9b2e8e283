/*
 * tz.h - local wall-clock times to UTC, from the system's tz database.
 *
 * A zone is read from its TZif file ($TZDIR, else /usr/share/zoneinfo):
 * the table of transitions, and the POSIX rule of its footer for times
 * after the last one, so summer time is right for any year. Nothing
 * global is touched (no TZ variable, no tzset), so a zone can be used
 * from any thread.
 */
#ifndef FUNDTRACE_TZ_H
#define FUNDTRACE_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "fundtrace/error.h"

typedef struct ft_tz ft_tz;

/* Loads zone `name` ("Europe/Berlin", "UTC"). FT_EUSAGE when there is no
 * such zone or its file is not a TZif file. Free with ft_tz_free. */
ft_status ft_tz_load(ft_tz **tz, const char *name, ft_error *err);

/* The zone's name as given (borrowed). */
const char *ft_tz_name(const ft_tz *tz);

/* Seconds east of UTC in force at utc_s. */
int32_t ft_tz_offset(const ft_tz *tz, int64_t utc_s);

/* Converts a wall-clock time of the zone (milliseconds, as if it were
 * UTC) to UTC. A time that occurs twice (the hour repeated when summer
 * time ends) is the earlier instant; false for a time that does not occur
 * (the hour skipped when it starts). */
bool ft_tz_to_utc(const ft_tz *tz, int64_t local_ms, int64_t *utc_ms);

void ft_tz_free(ft_tz *tz);

#endif
