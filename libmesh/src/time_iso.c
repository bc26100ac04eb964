/* time_iso.c: ISO-8601 UTC timestamps (see mesh.h). */
#include "mesh.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Up to year 9999: four-digit years keep the format fixed-width. */
#define TIME_ISO_MAX_MS 253402300799999LL

void mesh_time_format(int64_t ms, char out[MESH_TIME_SIZE])
{
	struct tm tm;
	time_t s;
	char date[32];

	if (ms < 0)
		ms = 0;
	if (ms > TIME_ISO_MAX_MS)
		ms = TIME_ISO_MAX_MS;
	s = (time_t)(ms / 1000);
	gmtime_r(&s, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, MESH_TIME_SIZE, "%.19s.%03dZ", date, (int)(ms % 1000));
}

/* Reads exactly n digits at *p into *v and advances. */
static int digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

static int parse_ms_number(const char *s, int64_t *ms)
{
	int64_t v = 0;
	size_t n = strlen(s);

	/* 15 digits reach past year 9999; more is no timestamp. */
	if (n == 0 || n > 15)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > TIME_ISO_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

int mesh_time_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	struct tm tm = {0};

	if (!s)
		return -1;
	if (!strchr(s, '-'))
		return parse_ms_number(s, ms);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*p == 'T') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
		    *p++ != ':' || digits(&p, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (*p == '.') {
			int scale = 100;
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			/* Digits past milliseconds are read and dropped. */
			for (; isdigit((unsigned char)*p); p++, scale /= 10)
				frac += scale * (*p - '0');
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (digits(&p, 2, &oh) || *p++ != ':' ||
			    digits(&p, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
		} else {
			return -1;
		}
	}
	if (*p)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	int64_t t = (int64_t)timegm(&tm) * 1000 + frac - (int64_t)off * 60000;
	if (t < 0 || t > TIME_ISO_MAX_MS)
		return -1;
	*ms = t;
	return 0;
}
