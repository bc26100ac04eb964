#include "logger_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An integer given as a JSON integer or a string of digits: 1 and *out,
 * 0 when absent or null, -1 for anything else. */
static int int_arg(const json_t *args, const char *key, long long *out)
{
	json_t *v = json_object_get(args, key);
	char *end;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	const char *s = json_string_value(v);
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *end || errno ? -1 : 1;
}

static int fail(char *err, size_t err_len, const char *msg)
{
	snprintf(err, err_len, "%s", msg);
	return -1;
}

/* An optional string argument of at most max bytes into out. */
static int str_arg(const json_t *args, const char *key, char *out, size_t max,
                   char *err, size_t err_len)
{
	json_t *v = json_object_get(args, key);

	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max) {
		snprintf(err, err_len,
		         "%s: expected a string of at most %zu characters", key,
		         max);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int logger_filter_parse(const json_t *args, logger_filter *f, char *err,
                        size_t err_len)
{
	long long n;
	int r;

	memset(f, 0, sizeof *f);
	f->limit = LOGGER_LIMIT_DEFAULT;
	if (args && !json_is_object(args))
		return fail(err, err_len, "arguments: expected an object");
	if (str_arg(args, "service", f->service, LOGGER_SERVICE_MAX, err,
	            err_len) ||
	    str_arg(args, "request_id", f->request_id, LOGGER_REQUEST_ID_MAX,
	            err, err_len) ||
	    str_arg(args, "cursor", f->cursor, LOGGER_CURSOR_MAX, err, err_len))
		return -1;
	if (f->cursor[0] && !logger_cursor_valid(f->cursor))
		return fail(err, err_len,
		            "cursor: expected a stream id as tail returned it");
	json_t *lv = json_object_get(args, "level");
	if (lv && !json_is_null(lv) &&
	    (f->min_level = logger_level_rank(json_string_value(lv))) < 0)
		return fail(err, err_len,
		            "level: expected debug, info, warn or error");
	if ((r = int_arg(args, "limit", &n)) < 0 ||
	    (r == 1 && (n < 1 || n > LOGGER_LIMIT_MAX))) {
		snprintf(err, err_len, "limit: expected 1-%d",
		         LOGGER_LIMIT_MAX);
		return -1;
	}
	if (r == 1)
		f->limit = (int)n;
	if ((r = int_arg(args, "since_ms", &n)) < 0 || (r == 1 && n < 0))
		return fail(err, err_len,
		            "since_ms: expected milliseconds since the epoch");
	if (r == 1) {
		f->since_ms = n;
		return 0;
	}
	json_t *since = json_object_get(args, "since");
	if (!since || json_is_null(since))
		return 0;
	if ((r = int_arg(args, "since", &n)) == 1 && n >= 0) {
		f->since_ms = n;
		return 0;
	}
	int64_t t = logger_parse_ts(json_string_value(since));
	if (t < 0)
		return fail(err, err_len,
		            "since: expected milliseconds since the epoch or "
		            "an ISO-8601 UTC time (2025-07-01T08:00:00Z)");
	f->since_ms = t;
	return 0;
}

int logger_filter_match(const logger_filter *f, const json_t *rec)
{
	const char *svc = json_string_value(json_object_get(rec, "service"));
	const char *rid = json_string_value(json_object_get(rec, "request_id"));
	int level =
	    logger_level_rank(json_string_value(json_object_get(rec, "level")));

	if (f->service[0] && (!svc || strcmp(svc, f->service) != 0))
		return 0;
	if (f->request_id[0] && (!rid || strcmp(rid, f->request_id) != 0))
		return 0;
	if (level < f->min_level)
		return 0;
	if (f->since_ms > 0) {
		int64_t ts = logger_parse_ts(
		    json_string_value(json_object_get(rec, "ts")));
		if (ts < f->since_ms)
			return 0;
	}
	return 1;
}

int logger_cursor_valid(const char *s)
{
	const char *p = s;
	int parts = 0;

	if (!s || !*s || strlen(s) > LOGGER_CURSOR_MAX)
		return 0;
	for (;;) {
		const char *start = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start || p - start > 19)
			return 0;
		parts++;
		if (*p == '\0')
			return 1;
		if (*p != '-' || parts == 2)
			return 0;
		p++;
	}
}
