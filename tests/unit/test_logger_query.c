/*
 * The query and tail filter: arguments as the gateway passes them (query
 * parameters are strings), their errors, and which records match.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/logger/logger_query.h"

static char err[200];
static logger_filter f;

static int parse(const char *json)
{
	json_t *args = json_loads(json, 0, NULL);
	ck_assert_msg(args != NULL, "bad test JSON: %s", json);
	err[0] = '\0';
	int r = logger_filter_parse(args, &f, err, sizeof err);
	json_decref(args);
	return r;
}

static void parse_bad(const char *json, const char *needle)
{
	ck_assert_msg(parse(json) == -1, "accepted %s", json);
	ck_assert_msg(strstr(err, needle) != NULL, "%s: \"%s\" lacks \"%s\"",
	              json, err, needle);
}

static json_t *rec(const char *svc, const char *level, const char *rid,
                   const char *ts)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "service", svc, "level",
	                      level, "ts", ts, "msg", "m");
	if (rid)
		json_object_set_new(r, "request_id", json_string(rid));
	return r;
}

START_TEST(defaults)
{
	ck_assert_int_eq(parse("{}"), 0);
	ck_assert_int_eq(f.limit, LOGGER_LIMIT_DEFAULT);
	ck_assert_int_eq(f.min_level, 0);
	ck_assert_str_eq(f.service, "");
	ck_assert_str_eq(f.request_id, "");
	ck_assert_int_eq(f.since_ms, 0);
	ck_assert_str_eq(f.cursor, "");
	/* The gateway's _meta is not a filter. */
	ck_assert_int_eq(parse("{\"_meta\": {\"client_ip\": \"1.2.3.4\"}}"), 0);
	ck_assert_int_eq(logger_filter_parse(NULL, &f, err, sizeof err), 0);
}
END_TEST

START_TEST(strings_from_the_gateway)
{
	ck_assert_int_eq(parse("{\"service\": \"gateway\", \"level\": \"warn\","
	                       " \"request_id\": \"req-1\", \"limit\": \"50\","
	                       " \"since_ms\": \"1751356800000\"}"),
	                 0);
	ck_assert_str_eq(f.service, "gateway");
	ck_assert_int_eq(f.min_level, 2);
	ck_assert_str_eq(f.request_id, "req-1");
	ck_assert_int_eq(f.limit, 50);
	ck_assert_int_eq(f.since_ms, 1751356800000LL);

	ck_assert_int_eq(parse("{\"limit\": 7, \"since\": 1000}"), 0);
	ck_assert_int_eq(f.limit, 7);
	ck_assert_int_eq(f.since_ms, 1000);
	ck_assert_int_eq(parse("{\"since\": \"2025-07-01T08:00:00Z\"}"), 0);
	ck_assert_int_eq(f.since_ms, 1751356800000LL);
	ck_assert_int_eq(parse("{\"since\": \"1751356800000\"}"), 0);
	ck_assert_int_eq(f.since_ms, 1751356800000LL);
	ck_assert_int_eq(parse("{\"cursor\": \"1751356800000-3\"}"), 0);
	ck_assert_str_eq(f.cursor, "1751356800000-3");
}
END_TEST

START_TEST(limit_boundaries)
{
	ck_assert_int_eq(parse("{\"limit\": 1}"), 0);
	ck_assert_int_eq(f.limit, 1);
	ck_assert_int_eq(parse("{\"limit\": \"1000\"}"), 0);
	ck_assert_int_eq(f.limit, LOGGER_LIMIT_MAX);
	parse_bad("{\"limit\": 1001}", "limit: expected 1-1000");
	parse_bad("{\"limit\": \"0\"}", "limit");
	parse_bad("{\"limit\": -1}", "limit");
	parse_bad("{\"limit\": \"ten\"}", "limit");
	parse_bad("{\"limit\": \"10x\"}", "limit");
	parse_bad("{\"limit\": 2.5}", "limit");
	parse_bad("{\"limit\": \"99999999999999999999999\"}", "limit");
}
END_TEST

START_TEST(bad_arguments)
{
	parse_bad("{\"level\": \"loud\"}",
	          "level: expected debug, info, warn or error");
	parse_bad("{\"level\": 3}", "level");
	parse_bad("{\"service\": 5}", "service");
	parse_bad("{\"since_ms\": \"yesterday\"}", "since_ms");
	parse_bad("{\"since_ms\": -5}", "since_ms");
	parse_bad("{\"since\": \"last week\"}", "since");
	parse_bad("{\"cursor\": \"abc\"}", "cursor");
	parse_bad("{\"cursor\": \"1-2-3\"}", "cursor");
	json_t *arr = json_array();
	ck_assert_int_eq(logger_filter_parse(arr, &f, err, sizeof err), -1);
	json_decref(arr);
	char big[LOGGER_REQUEST_ID_MAX + 40];
	memset(big, 'r', LOGGER_REQUEST_ID_MAX + 1);
	big[LOGGER_REQUEST_ID_MAX + 1] = '\0';
	json_t *a = json_pack("{s:s}", "request_id", big);
	ck_assert_int_eq(logger_filter_parse(a, &f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "request_id"));
	big[LOGGER_REQUEST_ID_MAX] = '\0';
	json_object_set_new(a, "request_id", json_string(big));
	ck_assert_int_eq(logger_filter_parse(a, &f, err, sizeof err), 0);
	json_decref(a);
}
END_TEST

START_TEST(cursor_shapes)
{
	ck_assert_int_eq(logger_cursor_valid("0"), 1);
	ck_assert_int_eq(logger_cursor_valid("0-0"), 1);
	ck_assert_int_eq(logger_cursor_valid("1751356800000-12"), 1);
	ck_assert_int_eq(logger_cursor_valid("9999999999999999999-1"), 1);
	ck_assert_int_eq(logger_cursor_valid("99999999999999999999-1"), 0);
	ck_assert_int_eq(logger_cursor_valid("-1"), 0);
	ck_assert_int_eq(logger_cursor_valid("1-"), 0);
	ck_assert_int_eq(logger_cursor_valid("+"), 0);
	ck_assert_int_eq(logger_cursor_valid(""), 0);
	ck_assert_int_eq(logger_cursor_valid(NULL), 0);
}
END_TEST

START_TEST(matching)
{
	json_t *a = rec("gateway", "info", "r1", "2025-07-01T08:00:00.000Z");
	json_t *b =
	    rec("slack-notify", "error", "r2", "2025-07-01T09:00:00.000Z");
	json_t *c = rec("slack-notify", "debug", NULL, "garbage");

	ck_assert_int_eq(parse("{}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 1);
	ck_assert_int_eq(logger_filter_match(&f, c), 1);

	ck_assert_int_eq(parse("{\"service\": \"slack-notify\"}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 0);
	ck_assert_int_eq(logger_filter_match(&f, b), 1);

	/* level is a minimum. */
	ck_assert_int_eq(parse("{\"level\": \"info\"}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 1);
	ck_assert_int_eq(logger_filter_match(&f, b), 1);
	ck_assert_int_eq(logger_filter_match(&f, c), 0);
	ck_assert_int_eq(parse("{\"level\": \"error\"}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 0);
	ck_assert_int_eq(logger_filter_match(&f, b), 1);

	ck_assert_int_eq(parse("{\"request_id\": \"r1\"}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 1);
	ck_assert_int_eq(logger_filter_match(&f, b), 0);
	ck_assert_int_eq(logger_filter_match(&f, c), 0);

	/* since: the record's own time, at the boundary inclusive; an
	 * unreadable time does not pass a bound. */
	ck_assert_int_eq(parse("{\"since\": \"2025-07-01T09:00:00Z\"}"), 0);
	ck_assert_int_eq(logger_filter_match(&f, a), 0);
	ck_assert_int_eq(logger_filter_match(&f, b), 1);
	ck_assert_int_eq(logger_filter_match(&f, c), 0);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

static Suite *query_suite(void)
{
	Suite *s = suite_create("logger_query");
	TCase *tc = tcase_create("filter");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, strings_from_the_gateway);
	tcase_add_test(tc, limit_boundaries);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, cursor_shapes);
	tcase_add_test(tc, matching);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(query_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
