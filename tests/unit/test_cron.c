/*
 * test_cron.c: cron_parse bit sets and error messages, cron_next across
 * calendar boundaries, and a cross-check of cron_next against a naive
 * day-by-day, minute-by-minute search over random expressions.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cron.h"

#define ALL_MINUTES ((UINT64_C(1) << 60) - 1)
#define ALL_HOURS   0xFFFFFFu
#define ALL_MDAYS   0xFFFFFFFEu
#define ALL_MONTHS  0x1FFEu
#define ALL_WDAYS   0x7Fu

static uint64_t bits(const int *v, int n)
{
	uint64_t b = 0;
	int i;

	for (i = 0; i < n; i++)
		b |= UINT64_C(1) << v[i];
	return b;
}

#define BITS(...)                                                              \
	bits((const int[]){__VA_ARGS__},                                       \
	     (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)))

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static cron_expr parse_ok(const char *text)
{
	cron_expr c;
	char err[128] = "";

	ck_assert_msg(cron_parse(text, &c, err, sizeof(err)) == 0, "\"%s\": %s",
	              text, err);
	return c;
}

START_TEST(parses_stars)
{
	cron_expr c = parse_ok("* * * * *");

	ck_assert_uint_eq(c.minutes, ALL_MINUTES);
	ck_assert_uint_eq(c.hours, ALL_HOURS);
	ck_assert_uint_eq(c.mdays, ALL_MDAYS);
	ck_assert_uint_eq(c.months, ALL_MONTHS);
	ck_assert_uint_eq(c.wdays, ALL_WDAYS);
	ck_assert_int_eq(c.mday_any, 1);
	ck_assert_int_eq(c.wday_any, 1);
}
END_TEST

START_TEST(parses_values_lists_ranges)
{
	cron_expr c = parse_ok("5 4 3 2 1");

	ck_assert_uint_eq(c.minutes, BITS(5));
	ck_assert_uint_eq(c.hours, BITS(4));
	ck_assert_uint_eq(c.mdays, BITS(3));
	ck_assert_uint_eq(c.months, BITS(2));
	ck_assert_uint_eq(c.wdays, BITS(1));
	ck_assert_int_eq(c.mday_any, 0);
	ck_assert_int_eq(c.wday_any, 0);

	c = parse_ok("0,30,59 0-3,22 1,15-17,31 1-12 0-6");
	ck_assert_uint_eq(c.minutes, BITS(0, 30, 59));
	ck_assert_uint_eq(c.hours, BITS(0, 1, 2, 3, 22));
	ck_assert_uint_eq(c.mdays, BITS(1, 15, 16, 17, 31));
	ck_assert_uint_eq(c.months, ALL_MONTHS);
	ck_assert_uint_eq(c.wdays, ALL_WDAYS);
	ck_assert_int_eq(c.mday_any, 0);
	ck_assert_int_eq(c.wday_any, 0);

	/* Blanks of any kind and amount separate fields. */
	c = parse_ok("  7\t 8   9 10 \t3  ");
	ck_assert_uint_eq(c.minutes, BITS(7));
	ck_assert_uint_eq(c.wdays, BITS(3));
}
END_TEST

START_TEST(parses_steps)
{
	cron_expr c = parse_ok("*/15 */6 */10 */3 */2");

	ck_assert_uint_eq(c.minutes, BITS(0, 15, 30, 45));
	ck_assert_uint_eq(c.hours, BITS(0, 6, 12, 18));
	ck_assert_uint_eq(c.mdays, BITS(1, 11, 21, 31));
	ck_assert_uint_eq(c.months, BITS(1, 4, 7, 10));
	ck_assert_uint_eq(c.wdays, BITS(0, 2, 4, 6));
	/* A field starting with '*' is unrestricted for the OR rule. */
	ck_assert_int_eq(c.mday_any, 1);
	ck_assert_int_eq(c.wday_any, 1);

	c = parse_ok("10-30/10 1-10/4 2-9/3 3-12/5 1-5/2");
	ck_assert_uint_eq(c.minutes, BITS(10, 20, 30));
	ck_assert_uint_eq(c.hours, BITS(1, 5, 9));
	ck_assert_uint_eq(c.mdays, BITS(2, 5, 8));
	ck_assert_uint_eq(c.months, BITS(3, 8));
	ck_assert_uint_eq(c.wdays, BITS(1, 3, 5));

	/* a/n runs from a to the field's maximum. */
	c = parse_ok("50/5 5/6 28/2 11/1 1/2");
	ck_assert_uint_eq(c.minutes, BITS(50, 55));
	ck_assert_uint_eq(c.hours, BITS(5, 11, 17, 23));
	ck_assert_uint_eq(c.mdays, BITS(28, 30));
	ck_assert_uint_eq(c.months, BITS(11, 12));
	ck_assert_uint_eq(c.wdays, BITS(1, 3, 5));

	/* The largest step is the field's number of values. */
	c = parse_ok("*/60 */24 */31 */12 */7");
	ck_assert_uint_eq(c.minutes, BITS(0));
	ck_assert_uint_eq(c.hours, BITS(0));
	ck_assert_uint_eq(c.mdays, BITS(1));
	ck_assert_uint_eq(c.months, BITS(1));
	ck_assert_uint_eq(c.wdays, BITS(0));
}
END_TEST

START_TEST(parses_names_and_sunday_seven)
{
	cron_expr c = parse_ok("0 0 * JAN-MAR,jul,Dec mon-FRI");

	ck_assert_uint_eq(c.months, BITS(1, 2, 3, 7, 12));
	ck_assert_uint_eq(c.wdays, BITS(1, 2, 3, 4, 5));

	c = parse_ok("0 0 * * SUN,sat");
	ck_assert_uint_eq(c.wdays, BITS(0, 6));
	c = parse_ok("0 0 * * 7");
	ck_assert_uint_eq(c.wdays, BITS(0));
	c = parse_ok("0 0 * * 0");
	ck_assert_uint_eq(c.wdays, BITS(0));
	c = parse_ok("0 0 * * 5-7");
	ck_assert_uint_eq(c.wdays, BITS(0, 5, 6));
	c = parse_ok("0 0 * * FRI-7");
	ck_assert_uint_eq(c.wdays, BITS(0, 5, 6));
	c = parse_ok("0 0 * FEB/3 TUE/2");
	ck_assert_uint_eq(c.months, BITS(2, 5, 8, 11));
	ck_assert_uint_eq(c.wdays, BITS(2, 4, 6));
}
END_TEST

START_TEST(parses_macros)
{
	static const struct {
		const char *macro, *same;
	} cases[] = {
	    {"@hourly", "0 * * * *"},      {"@daily", "0 0 * * *"},
	    {"@midnight", "0 0 * * *"},    {"@weekly", "0 0 * * 0"},
	    {"@monthly", "0 0 1 * *"},     {"@yearly", "0 0 1 1 *"},
	    {"@annually", "0 0 1 1 *"},    {"@DAILY", "0 0 * * *"},
	    {"  @Weekly \t", "0 0 * * 0"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cron_expr a = parse_ok(cases[i].macro);
		cron_expr b = parse_ok(cases[i].same);

		ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0, "%s",
		              cases[i].macro);
	}
	{
		cron_expr w = parse_ok("@weekly");

		ck_assert_int_eq(w.mday_any, 1);
		ck_assert_int_eq(w.wday_any, 0);
	}
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} bad[] = {
    {"", "expected 5 fields, got 0"},
    {"   ", "expected 5 fields, got 0"},
    {"* * * *", "expected 5 fields, got 4"},
    {"* * * * * *", "expected 5 fields, got 6"},
    {"60 * * * *", "minute: 60 is out of range 0-59"},
    {"* 24 * * *", "hour: 24 is out of range 0-23"},
    {"* * 0 * *", "day-of-month: 0 is out of range 1-31"},
    {"* * 32 * *", "day-of-month: 32 is out of range 1-31"},
    {"* * * 0 *", "month: 0 is out of range 1-12"},
    {"* * * 13 *", "month: 13 is out of range 1-12"},
    {"* * * * 8", "day-of-week: 8 is out of range 0-7"},
    {"99999999999 * * * *", "minute: 99999999999 is out of range 0-59"},
    {"1-60 * * * *", "minute: 60 is out of range 0-59"},
    {"*/0 * * * *", "minute: step 0"},
    {"* 1-5/0 * * *", "hour: step 0"},
    {"*/61 * * * *", "minute: step 61 is out of range 1-60"},
    {"* */25 * * *", "hour: step 25 is out of range 1-24"},
    {"* * */32 * *", "day-of-month: step 32 is out of range 1-31"},
    {"* * * */13 *", "month: step 13 is out of range 1-12"},
    {"* * * * */8", "day-of-week: step 8 is out of range 1-7"},
    {"*/99999 * * * *", "minute: step 99999 is out of range 1-60"},
    {"1-2/x * * * *", "minute: bad step \"x\""},
    {"5/ * * * *", "minute: missing step after '/'"},
    {"abc * * * *", "minute: bad value \"abc\""},
    {"* 1x * * *", "hour: bad value \"1x\""},
    {"* * JAN * *", "day-of-month: bad value \"JAN\""},
    {"* * * FOO *", "month: unknown name \"FOO\""},
    {"* * * * MONDAY", "day-of-week: unknown name \"MONDAY\""},
    {"* * * * ?", "day-of-week: unknown name \"?\""},
    {"1,,2 * * * *", "minute: empty list item"},
    {"1, * * * *", "minute: empty list item"},
    {"5-3 * * * *", "minute: range 5-3 is backwards"},
    {"* * * * SAT-SUN", "day-of-week: range SAT-SUN is backwards"},
    {"-5 * * * *", "minute: missing value"},
    {"1- * * * *", "minute: missing value"},
    {"*-5 * * * *", "minute: bad value \"*\""},
    {"1-2-3 * * * *", "minute: bad value \"2-3\""},
    {"@reboot", "unknown macro \"@reboot\""},
    {"@daily 0", "unknown macro \"@daily 0\""},
};

START_TEST(rejects_with_message)
{
	cron_expr c, before;
	char err[128];

	memset(&before, 0xAB, sizeof(before));
	c = before;
	err[0] = '\0';
	ck_assert_int_eq(cron_parse(bad[_i].text, &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, bad[_i].err);
	/* A failed parse leaves the output untouched. */
	ck_assert(memcmp(&c, &before, sizeof(c)) == 0);
}
END_TEST

START_TEST(rejects_null_and_truncates_error)
{
	cron_expr c;
	char err[8];

	ck_assert_int_eq(cron_parse(NULL, &c, err, sizeof(err)), -1);
	ck_assert_int_eq(cron_parse("* 24 * * *", &c, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "hour: 2");
	ck_assert_int_eq(cron_parse("* 24 * * *", &c, NULL, 0), -1);
}
END_TEST

START_TEST(next_basic_boundaries)
{
	cron_expr c = parse_ok("* * * * *");

	/* Strictly after: a matching minute itself is skipped. */
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 12, 0)),
	                 utc(2024, 5, 1, 12, 1));
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 12, 0) + 30),
	                 utc(2024, 5, 1, 12, 1));
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 12, 0) - 1),
	                 utc(2024, 5, 1, 12, 0));

	c = parse_ok("*/15 * * * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 12, 50)),
	                 utc(2024, 5, 1, 13, 0));
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 13, 0)),
	                 utc(2024, 5, 1, 13, 15));

	/* The last minute of the hour, day and year. */
	c = parse_ok("59 23 31 12 *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 12, 31, 23, 0)),
	                 utc(2024, 12, 31, 23, 59));
	c = parse_ok("0,59 * * * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 5, 1, 12, 0)),
	                 utc(2024, 5, 1, 12, 59));

	c = parse_ok("30 23 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 31, 23, 30)),
	                 utc(2024, 2, 1, 23, 30));

	c = parse_ok("0 0 1 * *");
	ck_assert_int_eq(cron_next(&c, utc(2023, 12, 31, 12, 0)),
	                 utc(2024, 1, 1, 0, 0));
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 1, 0, 0)),
	                 utc(2024, 2, 1, 0, 0));

	c = parse_ok("@yearly");
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 1, 0, 0)),
	                 utc(2025, 1, 1, 0, 0));

	c = parse_ok("0 0 31 * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 4, 15, 0, 0)),
	                 utc(2024, 5, 31, 0, 0));

	c = parse_ok("0 8 * * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 12, 31, 9, 0)),
	                 utc(2025, 1, 1, 8, 0));

	/* Before the epoch, and across it. */
	c = parse_ok("0 0 1 1 *");
	ck_assert_int_eq(cron_next(&c, -1), 0);
	ck_assert_int_eq(cron_next(&c, utc(1969, 6, 1, 0, 0)), 0);
}
END_TEST

START_TEST(next_leap_day_and_impossible)
{
	cron_expr c = parse_ok("0 0 29 2 *");

	ck_assert_int_eq(cron_next(&c, utc(2021, 3, 1, 0, 0)),
	                 utc(2024, 2, 29, 0, 0));
	ck_assert_int_eq(cron_next(&c, utc(2024, 2, 29, 0, 0)),
	                 utc(2028, 2, 29, 0, 0));
	/* 2100 is no leap year: the next 29 February after 2096 is in 2104,
	 * beyond the five-year horizon. */
	ck_assert_int_eq(cron_next(&c, utc(2096, 3, 1, 0, 0)), (time_t)-1);
	ck_assert_int_eq(cron_next(&c, utc(2099, 3, 1, 0, 0)),
	                 utc(2104, 2, 29, 0, 0));

	c = parse_ok("0 0 30 2 *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 1, 0, 0)), (time_t)-1);
	c = parse_ok("0 0 31 2 *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 1, 0, 0)), (time_t)-1);
	c = parse_ok("0 0 31 4,6,9,11 *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 1, 1, 0, 0)), (time_t)-1);
	/* With a weekday restricted too, the OR rule makes it possible. */
	c = parse_ok("0 0 30 2 MON");
	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 1, 0, 0)),
	                 utc(2025, 2, 3, 0, 0));
}
END_TEST

START_TEST(next_horizon_edge)
{
	cron_expr c = parse_ok("0 0 29 2 *");
	time_t leap = utc(2104, 2, 29, 0, 0);
	time_t start = leap - (time_t)CRON_HORIZON_DAYS * 86400;

	/* The previous 29 February is 2096's, long before start. Exactly at
	 * the horizon still counts; one second further does not. */
	ck_assert_int_eq(cron_next(&c, start), leap);
	ck_assert_int_eq(cron_next(&c, start + 1), leap);
	ck_assert_int_eq(cron_next(&c, start - 1), (time_t)-1);
	ck_assert_int_eq(cron_next(NULL, start), (time_t)-1);
	ck_assert_int_eq(cron_next(&c, (time_t)INT64_MAX), (time_t)-1);
	ck_assert_int_eq(cron_next(&c, (time_t)INT64_MIN), (time_t)-1);
}
END_TEST

START_TEST(next_dom_dow_or_rule)
{
	/* Both restricted: the 13th or any Friday. 2024-09-01 is a Sunday. */
	cron_expr c = parse_ok("0 12 13 * 5");

	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 1, 0, 0)),
	                 utc(2024, 9, 6, 12, 0));
	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 6, 12, 0)),
	                 utc(2024, 9, 13, 12, 0));
	ck_assert_int_eq(cron_next(&c, utc(2024, 10, 11, 12, 0)),
	                 utc(2024, 10, 13, 12, 0));

	/* Day-of-month starting with '*': both must match (odd Fridays). */
	c = parse_ok("0 12 */2 * 5");
	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 1, 0, 0)),
	                 utc(2024, 9, 13, 12, 0));

	/* Day-of-week "*": only the day of month counts. */
	c = parse_ok("0 12 13 * *");
	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 1, 0, 0)),
	                 utc(2024, 9, 13, 12, 0));

	/* Weekdays only, across a weekend. 2024-09-06 is a Friday. */
	c = parse_ok("0 9 * * MON-FRI");
	ck_assert_int_eq(cron_next(&c, utc(2024, 9, 6, 10, 0)),
	                 utc(2024, 9, 9, 9, 0));
}
END_TEST

START_TEST(next_sunday_zero_and_seven)
{
	cron_expr a = parse_ok("0 0 * * 0");
	cron_expr b = parse_ok("0 0 * * 7");
	cron_expr n = parse_ok("0 0 * * sun");

	/* 2024-09-02 is a Monday. */
	ck_assert_int_eq(cron_next(&a, utc(2024, 9, 2, 0, 0)),
	                 utc(2024, 9, 8, 0, 0));
	ck_assert_int_eq(cron_next(&b, utc(2024, 9, 2, 0, 0)),
	                 utc(2024, 9, 8, 0, 0));
	ck_assert_int_eq(cron_next(&n, utc(2024, 9, 2, 0, 0)),
	                 utc(2024, 9, 8, 0, 0));
}
END_TEST

/* ---- Cross-check against a naive search ------------------------------- */

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: deterministic across platforms and runs. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 33) %
	       n;
}

static int rnd_in(int lo, int hi)
{
	return lo + (int)rnd((uint32_t)(hi - lo + 1));
}

/* One random item for a field whose values run lo..hi, steps 1..span. */
static int rnd_item(char *out, size_t len, int lo, int hi, int span)
{
	int a = rnd_in(lo, hi), b = rnd_in(lo, hi), t;

	if (a > b) {
		t = a;
		a = b;
		b = t;
	}
	switch (rnd(7)) {
	case 0:
		return snprintf(out, len, "*");
	case 1:
		return snprintf(out, len, "*/%d", rnd_in(1, span));
	case 2:
		return snprintf(out, len, "%d", a);
	case 3:
		return snprintf(out, len, "%d-%d", a, b);
	case 4:
		return snprintf(out, len, "%d-%d/%d", a, b, rnd_in(1, span));
	case 5:
		return snprintf(out, len, "%d/%d", a, rnd_in(1, span));
	default:
		return snprintf(out, len, "%d,%d", a, b);
	}
}

static void rnd_field(char *out, size_t len, int lo, int hi, int span)
{
	size_t used = 0;
	int items = rnd(4) == 0 ? 2 : 1, i;

	for (i = 0; i < items; i++) {
		if (i > 0)
			used += (size_t)snprintf(out + used, len - used, ",");
		used += (size_t)rnd_item(out + used, len - used, lo, hi, span);
	}
}

static time_t naive_next(const cron_expr *c, time_t after)
{
	int64_t limit = (int64_t)after + (int64_t)CRON_HORIZON_DAYS * 86400;
	int64_t day =
	    (int64_t)after - ((((int64_t)after % 86400) + 86400) % 86400);
	int h, m;

	for (; day <= limit; day += 86400) {
		time_t dt = (time_t)day;
		struct tm tm;
		int dom, dow, ok;

		gmtime_r(&dt, &tm);
		if (!((c->months >> (tm.tm_mon + 1)) & 1))
			continue;
		dom = (c->mdays >> tm.tm_mday) & 1;
		dow = (c->wdays >> tm.tm_wday) & 1;
		ok = (c->mday_any || c->wday_any) ? dom && dow : dom || dow;
		if (!ok)
			continue;
		for (h = 0; h < 24; h++) {
			if (!((c->hours >> h) & 1))
				continue;
			for (m = 0; m < 60; m++) {
				int64_t t = day + h * 3600 + m * 60;

				if (!((c->minutes >> m) & 1) || t <= after)
					continue;
				return t <= limit ? (time_t)t : (time_t)-1;
			}
		}
	}
	return (time_t)-1;
}

#define CROSS_CHECKS 3000

START_TEST(next_matches_naive_search)
{
	static const int lo[5] = {0, 0, 1, 1, 0}, hi[5] = {59, 23, 31, 12, 7};
	static const int span[5] = {60, 24, 31, 12, 7};
	int n, f, found = 0, none = 0;

	for (n = 0; n < CROSS_CHECKS; n++) {
		char text[200], field[48], err[128];
		size_t used = 0;
		cron_expr c;
		time_t start, got, want;

		for (f = 0; f < 5; f++) {
			rnd_field(field, sizeof(field), lo[f], hi[f], span[f]);
			used +=
			    (size_t)snprintf(text + used, sizeof(text) - used,
			                     "%s%s", f ? " " : "", field);
		}
		ck_assert_msg(cron_parse(text, &c, err, sizeof(err)) == 0,
		              "\"%s\": %s", text, err);
		/* 1950..2150, at any second. */
		start = utc(1950, 1, 1, 0, 0) +
		        (time_t)rnd(200u * 365u) * 86400 + (time_t)rnd(86400);
		got = cron_next(&c, start);
		want = naive_next(&c, start);
		ck_assert_msg(
		    got == want, "\"%s\" after %lld: got %lld, want %lld", text,
		    (long long)start, (long long)got, (long long)want);
		if (got == (time_t)-1)
			none++;
		else
			found++;
	}
	/* The generator must exercise both outcomes to prove anything. */
	ck_assert_int_gt(found, CROSS_CHECKS / 2);
	ck_assert_int_gt(none, 0);
}
END_TEST

static Suite *cron_suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parses_stars);
	tcase_add_test(tc, parses_values_lists_ranges);
	tcase_add_test(tc, parses_steps);
	tcase_add_test(tc, parses_names_and_sunday_seven);
	tcase_add_test(tc, parses_macros);
	tcase_add_loop_test(tc, rejects_with_message, 0,
	                    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, rejects_null_and_truncates_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("next");
	tcase_add_test(tc, next_basic_boundaries);
	tcase_add_test(tc, next_leap_day_and_impossible);
	tcase_add_test(tc, next_horizon_edge);
	tcase_add_test(tc, next_dom_dow_or_rule);
	tcase_add_test(tc, next_sunday_zero_and_seven);
	suite_add_tcase(s, tc);

	tc = tcase_create("cross-check");
	/* Generous for sanitizer builds; the plain build takes well under
	 * a second. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, next_matches_naive_search);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cron_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
