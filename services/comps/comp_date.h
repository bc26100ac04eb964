/*
 * comp_date.h: sale dates for the comps service, as YYYYMMDD integers
 * (20261101): they sort like the dates they stand for, so they serve as
 * sorted-set scores and compare with plain integer operators.
 *
 * Pure: no I/O, no globals. The month arithmetic matches
 * val_months_before() in services/valuation/valuation_model.h, so that a
 * search for "sold in the last 12 months" returns exactly the window the
 * valuation model counts.
 */
#ifndef COMP_DATE_H
#define COMP_DATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Years a date may carry: older records are typos, not comparable sales. */
#define COMP_DATE_YEAR_MIN 1900
#define COMP_DATE_YEAR_MAX 2999

/* Parses exactly "YYYY-MM-DD" naming a day that exists, with the year in
 * COMP_DATE_YEAR_MIN..COMP_DATE_YEAR_MAX; false (out untouched) otherwise. */
bool comp_date_parse(const char *s, int32_t *ymd);
/* Writes "YYYY-MM-DD" for a YYYYMMDD integer into buf. */
void comp_date_format(int32_t ymd, char buf[static 11]);
/* The same day of the month `months` calendar months earlier, clamped to
 * that month's end (1 month before 20260331 is 20260228); months >= 0. */
int32_t comp_date_months_before(int32_t ymd, int months);
/* The day after ymd. */
int32_t comp_date_next_day(int32_t ymd);
/* The UTC calendar day of a Unix time. */
int32_t comp_date_from_unix(time_t t);

#endif
