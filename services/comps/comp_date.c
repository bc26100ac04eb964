/* comp_date.c: YYYYMMDD dates (see comp_date.h). */
#include <stdio.h>
#include <string.h>

#include "comp_date.h"

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
	                             31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool comp_date_parse(const char *s, int32_t *ymd)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < COMP_DATE_YEAR_MIN || y > COMP_DATE_YEAR_MAX || m < 1 ||
	    m > 12 || d < 1 || d > month_days(y, m))
		return false;
	*ymd = y * 10000 + m * 100 + d;
	return true;
}

void comp_date_format(int32_t ymd, char buf[static 11])
{
	unsigned v = (unsigned)ymd;

	snprintf(buf, 11, "%04u-%02u-%02u", v / 10000 % 10000, v / 100 % 100,
	         v % 100);
}

int32_t comp_date_months_before(int32_t ymd, int months)
{
	int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
	int total = y * 12 + (m - 1) - months;

	y = total / 12;
	m = total % 12 + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	return y * 10000 + m * 100 + d;
}

int32_t comp_date_next_day(int32_t ymd)
{
	int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;

	if (d < month_days(y, m))
		return ymd + 1;
	if (m < 12)
		return y * 10000 + (m + 1) * 100 + 1;
	return (y + 1) * 10000 + 101;
}

int32_t comp_date_from_unix(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}
