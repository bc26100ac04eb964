/*
 * lead_time.h: the ISO-8601 UTC timestamps leads carry, and the "since"
 * forms list accepts. Pure (no clock: callers pass the time).
 */
#ifndef LEAD_TIME_H
#define LEAD_TIME_H

#include <stdint.h>

/* "2026-01-05T14:03:09.120Z" and its NUL. */
#define LEAD_TIME_ISO_SIZE 25

/* Formats ms since the epoch (0 to year 9999) as UTC with milliseconds. */
void lead_time_iso(int64_t ms, char out[LEAD_TIME_ISO_SIZE]);
/*
 * Parses a point in time into ms since the epoch:
 *   "2026-01-05"                      midnight UTC of that day
 *   "2026-01-05T14:03:09Z"            also with ".120" and with an offset
 *                                     "+02:00" / "-05:00" instead of Z
 *   "1767621789120"                   milliseconds since the epoch
 * 0, or -1 for anything else (including impossible dates like 02-30).
 */
int lead_time_parse(const char *s, int64_t *ms);

#endif
