/*
 * cron.c: five-field cron expressions, parsed into bit sets, and the next
 * matching minute in UTC.
 *
 * Syntax, per field: "*", a value, a range "a-b", a step "*\/n", "a-b/n" or
 * "a/n" (= a through the field's maximum, every n), and comma lists of
 * these. Months and weekdays take three-letter names (JAN-DEC, SUN-SAT,
 * any case); weekday 7 is Sunday like 0. Macros: @hourly, @daily,
 * @midnight, @weekly, @monthly, @yearly, @annually.
 *
 * Day matching follows Vixie cron (and crontab(5)): when both day-of-month
 * and day-of-week are restricted, a day matches if either does. A field
 * counts as unrestricted when it starts with '*', so "*\/2" in day-of-month
 * is still ANDed with day-of-week, exactly as Vixie cron and cronie do.
 */
#include "cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CRON_FIELDS 5
/* The latest start cron_next accepts: 9999-12-31 23:59:59 UTC, well inside
 * what gmtime_r/timegm handle with a 32-bit tm_year. */
#define CRON_TIME_MAX 253402300799LL
/* The earliest: 0001-01-01 00:00:00 UTC. */
#define CRON_TIME_MIN (-62135596800LL)
/* A value longer than this many digits is out of range in every field;
 * reading no further keeps the arithmetic far from overflow. */
#define CRON_VALUE_DIGITS_MAX 4

typedef struct cron_field {
	const char *label;
	int min;
	int max;      /* the largest value accepted (7 for day-of-week) */
	int star_max; /* the largest value "*" and "a/n" reach */
	int span;     /* distinct values: the largest useful step */
	const char *const *names; /* names[i] is value min + i */
	int n_names;
} cron_field;

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR",
                                          "MAY", "JUN", "JUL", "AUG",
                                          "SEP", "OCT", "NOV", "DEC"};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED",
                                         "THU", "FRI", "SAT"};

static const cron_field fields[CRON_FIELDS] = {
    {"minute", 0, 59, 59, 60, NULL, 0},
    {"hour", 0, 23, 23, 24, NULL, 0},
    {"day-of-month", 1, 31, 31, 31, NULL, 0},
    {"month", 1, 12, 12, 12, month_names, 12},
    {"day-of-week", 0, 7, 6, 7, wday_names, 7},
};

static const struct {
	const char *name;
	const char *expansion;
} macros[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},  {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

static int fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* One value: digits, or a name where the field has names. The text is
 * [s, s + len). */
static int parse_value(const cron_field *f, const char *s, size_t len, int *out,
                       char *err, size_t err_len)
{
	size_t i;
	int v = 0;

	if (len == 0)
		return fail(err, err_len, "%s: missing value", f->label);
	if (isdigit((unsigned char)s[0])) {
		for (i = 0; i < len; i++) {
			if (!isdigit((unsigned char)s[i]))
				return fail(err, err_len,
				            "%s: bad value \"%.*s\"", f->label,
				            (int)len, s);
		}
		if (len > CRON_VALUE_DIGITS_MAX)
			v = f->max + 1;
		else
			for (i = 0; i < len; i++)
				v = v * 10 + (s[i] - '0');
		if (v < f->min || v > f->max)
			return fail(err, err_len,
			            "%s: %.*s is out of range %d-%d", f->label,
			            (int)len, s, f->min, f->max);
		*out = v;
		return 0;
	}
	if (f->names && len == 3) {
		for (i = 0; i < (size_t)f->n_names; i++) {
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*out = f->min + (int)i;
				return 0;
			}
		}
	}
	if (f->names)
		return fail(err, err_len, "%s: unknown name \"%.*s\"", f->label,
		            (int)len, s);
	return fail(err, err_len, "%s: bad value \"%.*s\"", f->label, (int)len,
	            s);
}

/* One list item: "*", "a", "a-b", each optionally "/n". */
static int parse_item(const cron_field *f, const char *s, size_t len,
                      uint64_t *bits, char *err, size_t err_len)
{
	const char *slash = memchr(s, '/', len);
	size_t base_len = slash ? (size_t)(slash - s) : len;
	const char *dash;
	int lo, hi, step = 1, v;
	size_t i;

	if (len == 0)
		return fail(err, err_len, "%s: empty list item", f->label);
	if (slash) {
		const char *st = slash + 1;
		size_t st_len = len - base_len - 1;

		if (st_len == 0)
			return fail(err, err_len, "%s: missing step after '/'",
			            f->label);
		for (i = 0; i < st_len; i++)
			if (!isdigit((unsigned char)st[i]))
				return fail(err, err_len,
				            "%s: bad step \"%.*s\"", f->label,
				            (int)st_len, st);
		step = 0;
		if (st_len > CRON_VALUE_DIGITS_MAX)
			step = f->span + 1;
		else
			for (i = 0; i < st_len; i++)
				step = step * 10 + (st[i] - '0');
		if (step == 0)
			return fail(err, err_len, "%s: step 0", f->label);
		if (step > f->span)
			return fail(err, err_len,
			            "%s: step %.*s is out of range 1-%d",
			            f->label, (int)st_len, st, f->span);
	}
	if (base_len == 1 && s[0] == '*') {
		lo = f->min;
		hi = f->star_max;
	} else {
		dash = memchr(s, '-', base_len);
		if (dash) {
			size_t a_len = (size_t)(dash - s);

			if (parse_value(f, s, a_len, &lo, err, err_len) ||
			    parse_value(f, dash + 1, base_len - a_len - 1, &hi,
			                err, err_len))
				return -1;
			if (lo > hi)
				return fail(err, err_len,
				            "%s: range %.*s is backwards",
				            f->label, (int)base_len, s);
		} else {
			if (parse_value(f, s, base_len, &lo, err, err_len))
				return -1;
			hi = slash ? f->star_max : lo;
			if (hi < lo)
				hi = lo;
		}
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1
		         << (v == 7 && f->names == wday_names ? 0 : v);
	return 0;
}

static int parse_field(const cron_field *f, const char *s, size_t len,
                       uint64_t *bits, char *err, size_t err_len)
{
	size_t start = 0, i;

	*bits = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == ',') {
			if (parse_item(f, s + start, i - start, bits, err,
			               err_len))
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

static int parse_fields(const char *text, cron_expr *out, char *err,
                        size_t err_len)
{
	const char *start[CRON_FIELDS];
	size_t len[CRON_FIELDS];
	uint64_t bits[CRON_FIELDS];
	int n = 0, i;
	const char *p = text;

	while (*p) {
		const char *q;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		q = p;
		while (*q && !is_blank(*q))
			q++;
		if (n < CRON_FIELDS) {
			start[n] = p;
			len[n] = (size_t)(q - p);
		}
		n++;
		p = q;
	}
	if (n != CRON_FIELDS)
		return fail(err, err_len, "expected %d fields, got %d",
		            CRON_FIELDS, n);
	for (i = 0; i < CRON_FIELDS; i++)
		if (parse_field(&fields[i], start[i], len[i], &bits[i], err,
		                err_len))
			return -1;
	memset(out, 0, sizeof(*out));
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->wdays = (uint8_t)bits[4];
	out->mday_any = start[2][0] == '*';
	out->wday_any = start[4][0] == '*';
	return 0;
}

int cron_parse(const char *text, cron_expr *out, char *err, size_t err_len)
{
	size_t i, len;
	cron_expr tmp;

	if (!text || !out)
		return fail(err, err_len, "expected 5 fields, got 0");
	while (is_blank(*text))
		text++;
	if (*text == '@') {
		len = strlen(text);
		while (len > 0 && is_blank(text[len - 1]))
			len--;
		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			if (strlen(macros[i].name) == len &&
			    strncasecmp(text, macros[i].name, len) == 0)
				return parse_fields(macros[i].expansion, out,
				                    err, err_len);
		}
		return fail(err, err_len, "unknown macro \"%.*s\"", (int)len,
		            text);
	}
	if (parse_fields(text, &tmp, err, err_len))
		return -1;
	*out = tmp;
	return 0;
}

static int day_matches(const cron_expr *c, const struct tm *tm)
{
	int dom = (c->mdays >> tm->tm_mday) & 1;
	int dow = (c->wdays >> tm->tm_wday) & 1;

	if (c->mday_any || c->wday_any)
		return dom && dow;
	return dom || dow;
}

/*
 * Walks forward from the next whole minute, jumping a month, a day or an
 * hour at a time while the coarser field does not match, so a five-year
 * search costs at most a few thousand steps. timegm normalizes the
 * overflowing field (tm_mon 12, tm_mday 32, tm_hour 24) into the next one.
 */
time_t cron_next(const cron_expr *c, time_t after)
{
	int64_t t, limit;
	struct tm tm;
	int m;

	if (!c || (int64_t)after > CRON_TIME_MAX ||
	    (int64_t)after < CRON_TIME_MIN)
		return (time_t)-1;
	t = (int64_t)after - ((((int64_t)after % 60) + 60) % 60) + 60;
	limit = (int64_t)after + (int64_t)CRON_HORIZON_DAYS * 86400;
	while (t <= limit) {
		time_t tt = (time_t)t;

		if (!gmtime_r(&tt, &tm))
			return (time_t)-1;
		if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!day_matches(c, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = 0;
			tm.tm_min = 0;
		} else if (!((c->hours >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = 0;
		} else if (!((c->minutes >> tm.tm_min) & 1)) {
			for (m = tm.tm_min + 1; m < 60; m++)
				if ((c->minutes >> m) & 1)
					break;
			if (m < 60) {
				tm.tm_min = m;
			} else {
				tm.tm_hour++;
				tm.tm_min = 0;
			}
		} else {
			return (time_t)t;
		}
		tm.tm_sec = 0;
		tm.tm_isdst = 0;
		t = (int64_t)timegm(&tm);
	}
	return (time_t)-1;
}
