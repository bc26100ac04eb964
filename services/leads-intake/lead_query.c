/* lead_query.c: list arguments (see lead_query.h). */
#include "lead_query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lead_cursor.h"
#include "lead_status.h"
#include "mesh.h"

static const char *const params[] = {"status", "zip",    "since",
                                     "limit",  "cursor", "_meta"};

/* A string parameter, or an integer rendered as one into buf. NULL when
 * absent; *bad set when present with another type. */
static const char *param_text(json_t *args, const char *name, char *buf,
                              size_t size, int *bad)
{
	json_t *v = json_object_get(args, name);

	*bad = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	*bad = 1;
	return NULL;
}

static int parse_limit(const char *s, int *limit)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > LEAD_LIST_LIMIT_MAX)
		return -1;
	*limit = (int)v;
	return 0;
}

static int zip_valid(const char *s)
{
	if (strlen(s) != 5)
		return 0;
	for (int i = 0; i < 5; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int lead_query_parse(json_t *args, lead_query *q, char *why, size_t why_size)
{
	const char *key, *s;
	json_t *v;
	char buf[32];
	int bad;

	memset(q, 0, sizeof *q);
	q->since_ms = -1;
	q->limit = LEAD_LIST_LIMIT_DEFAULT;
	json_object_foreach(args, key, v)
	{
		size_t i = 0;
		while (i < sizeof params / sizeof params[0] &&
		       strcmp(key, params[i]))
			i++;
		if (i == sizeof params / sizeof params[0]) {
			snprintf(
			    why, why_size,
			    "%.40s: unknown parameter (expected status, zip, "
			    "since, limit, cursor)",
			    key);
			return -1;
		}
	}
	if ((s = param_text(args, "status", buf, sizeof buf, &bad)) || bad) {
		if (bad || lead_status_parse(s) < 0) {
			snprintf(why, why_size,
			         "status: expected one of new, contacted, "
			         "offer_sent, under_contract, closed, dead");
			return -1;
		}
		snprintf(q->status, sizeof q->status, "%s", s);
	}
	if ((s = param_text(args, "zip", buf, sizeof buf, &bad)) || bad) {
		if (bad || !zip_valid(s)) {
			snprintf(why, why_size, "zip: expected 5 digits");
			return -1;
		}
		memcpy(q->zip, s, 6);
	}
	if ((s = param_text(args, "since", buf, sizeof buf, &bad)) || bad) {
		if (bad || mesh_time_parse(s, &q->since_ms) != 0) {
			snprintf(why, why_size,
			         "since: expected an ISO-8601 date or time "
			         "(2026-01-05, 2026-01-05T14:00:00Z) or "
			         "milliseconds since the epoch");
			return -1;
		}
	}
	if ((s = param_text(args, "limit", buf, sizeof buf, &bad)) || bad) {
		if (bad || parse_limit(s, &q->limit) != 0) {
			snprintf(
			    why, why_size,
			    "limit: expected an integer 1-%d, got \"%.20s\"",
			    LEAD_LIST_LIMIT_MAX, bad ? "?" : s);
			return -1;
		}
	}
	if ((s = param_text(args, "cursor", buf, sizeof buf, &bad)) || bad) {
		if (bad || lead_cursor_decode(s, q->after_id) != 0) {
			snprintf(why, why_size,
			         "cursor: not a cursor from a previous page");
			return -1;
		}
	}
	if (why_size)
		why[0] = '\0';
	return 0;
}
