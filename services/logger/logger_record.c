#include "logger_record.h"
#include "mesh.h"

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

int64_t logger_parse_ts(const char *s)
{
	int64_t ms;

	return s && mesh_time_parse(s, &ms) == 0 ? ms : -1;
}
