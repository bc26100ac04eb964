/*
 * cron.h: five-field cron expressions (minute hour day-of-month month
 * day-of-week) with lists, ranges, steps and names (JAN-DEC, SUN-SAT), and
 * the macros @hourly @daily @weekly @monthly @yearly. Times are UTC. Pure.
 */
#ifndef MESH_CRON_H
#define MESH_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct cron_expr {
	uint64_t minutes; /* bit n: minute n (0-59) */
	uint32_t hours;   /* 0-23 */
	uint32_t mdays;   /* 1-31 */
	uint16_t months;  /* 1-12 */
	uint8_t wdays;    /* 0-6, Sunday 0 (7 is accepted as Sunday) */
	uint8_t mday_any; /* day-of-month was "*": Vixie cron's OR rule */
	uint8_t wday_any;
} cron_expr;

/* How far cron_next looks ahead: five years, two leap days included. */
#define CRON_HORIZON_DAYS 1827

/* 0, or -1 with err naming the field and what is wrong with it. */
int cron_parse(const char *text, cron_expr *out, char *err, size_t err_len);
/* The first matching minute strictly after t (seconds since the epoch), or
 * (time_t)-1 when none exists within five years (e.g. "0 0 31 2 *"). */
time_t cron_next(const cron_expr *c, time_t after);

#endif
