#include "logger_record.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const levels[] = {"debug", "info", "warn", "error"};

int logger_level_rank(const char *name)
{
	for (int i = 0; name && i < 4; i++)
		if (strcmp(name, levels[i]) == 0)
			return i;
	return -1;
}

static int bad(char *why, size_t why_len, const char *msg)
{
	snprintf(why, why_len, "%s", msg);
	return -1;
}

int logger_record_check(const json_t *rec, char *why, size_t why_len)
{
	static const char *const required[] = {"ts", "level", "service", "msg"};

	if (!json_is_object(rec))
		return bad(why, why_len, "record: expected an object");
	for (size_t i = 0; i < 4; i++)
		if (!json_is_string(json_object_get(rec, required[i]))) {
			snprintf(why, why_len, "%s: expected a string",
			         required[i]);
			return -1;
		}
	if (logger_level_rank(
	        json_string_value(json_object_get(rec, "level"))) < 0)
		return bad(why, why_len,
		           "level: expected debug, info, warn or error");
	size_t n = json_string_length(json_object_get(rec, "service"));
	if (n == 0 || n > LOGGER_SERVICE_MAX)
		return bad(why, why_len, "service: expected 1-64 characters");
	json_t *rid = json_object_get(rec, "request_id");
	if (rid && !json_is_null(rid) &&
	    (!json_is_string(rid) ||
	     json_string_length(rid) > LOGGER_REQUEST_ID_MAX))
		return bad(why, why_len,
		           "request_id: expected a string of at most 128 "
		           "characters");
	return 0;
}

/* n digits at s as a number, or -1. */
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

int64_t logger_parse_ts(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	size_t n = s ? strlen(s) : 0;

	/* YYYY-MM-DDTHH:MM:SS then [.mmm] then Z */
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = digits(s + 11, 2), mi = digits(s + 14, 2),
	    se = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int k = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, k++)
			if (k < 3)
				ms = ms * 10 + (*p - '0');
		if (k == 0)
			return -1;
		for (; k < 3; k++)
			ms *= 10;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm) * 1000 + ms;
}
