/*
 * Which shipped records the logger keeps, the order of levels, and the
 * timestamps it can read.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/logger/logger_record.h"

static char why[128];

static int check_json(const char *text)
{
	json_t *rec = json_loads(text, JSON_DECODE_ANY, NULL);
	ck_assert_msg(rec != NULL, "bad test JSON: %s", text);
	int r = logger_record_check(rec, why, sizeof why);
	json_decref(rec);
	return r;
}

START_TEST(good_records)
{
	/* What libmesh's mesh_log ships, extra fields included. */
	ck_assert_int_eq(check_json("{\"ts\": \"2025-07-01T08:00:00.123Z\","
	                            " \"level\": \"info\", \"service\": "
	                            "\"slack-notify\", \"request_id\": \"r1\","
	                            " \"trace_id\": \"abc\", \"msg\": \"hi\","
	                            " \"template\": \"new_lead\"}"),
	                 0);
	/* No request id (a line outside any request). */
	ck_assert_int_eq(check_json("{\"ts\": \"x\", \"level\": \"error\","
	                            " \"service\": \"s\", \"msg\": \"\"}"),
	                 0);
}
END_TEST

START_TEST(bad_records_say_why)
{
	static const struct {
		const char *json, *why;
	} cases[] = {
	    {"[1]", "record: expected an object"},
	    {"\"line\"", "record: expected an object"},
	    {"null", "record: expected an object"},
	    {"{\"level\": \"info\", \"service\": \"s\", \"msg\": \"m\"}",
	     "ts: expected a string"},
	    {"{\"ts\": 5, \"level\": \"info\", \"service\": \"s\", \"msg\": "
	     "\"m\"}",
	     "ts: expected a string"},
	    {"{\"ts\": \"t\", \"service\": \"s\", \"msg\": \"m\"}",
	     "level: expected a string"},
	    {"{\"ts\": \"t\", \"level\": \"loud\", \"service\": \"s\", "
	     "\"msg\": "
	     "\"m\"}",
	     "level: expected debug, info, warn or error"},
	    {"{\"ts\": \"t\", \"level\": \"info\", \"msg\": \"m\"}",
	     "service: expected a string"},
	    {"{\"ts\": \"t\", \"level\": \"info\", \"service\": \"\", \"msg\": "
	     "\"m\"}",
	     "service: expected 1-64 characters"},
	    {"{\"ts\": \"t\", \"level\": \"info\", \"service\": \"s\"}",
	     "msg: expected a string"},
	    {"{\"ts\": \"t\", \"level\": \"info\", \"service\": \"s\", "
	     "\"msg\": "
	     "{}}",
	     "msg: expected a string"},
	    {"{\"ts\": \"t\", \"level\": \"info\", \"service\": \"s\", "
	     "\"msg\": "
	     "\"m\", \"request_id\": 7}",
	     "request_id"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_msg(check_json(cases[i].json) == -1, "kept %s",
		              cases[i].json);
		ck_assert_msg(strstr(why, cases[i].why) != NULL,
		              "%s: \"%s\" lacks \"%s\"", cases[i].json, why,
		              cases[i].why);
	}
}
END_TEST

START_TEST(field_length_limits)
{
	char svc[LOGGER_SERVICE_MAX + 2], rid[LOGGER_REQUEST_ID_MAX + 2];
	json_t *rec = json_pack("{s:s, s:s, s:s}", "ts", "t", "level", "warn",
	                        "msg", "m");

	memset(svc, 's', sizeof svc - 1);
	svc[LOGGER_SERVICE_MAX] = '\0';
	json_object_set_new(rec, "service", json_string(svc));
	ck_assert_int_eq(logger_record_check(rec, why, sizeof why), 0);
	svc[LOGGER_SERVICE_MAX] = 's';
	svc[LOGGER_SERVICE_MAX + 1] = '\0';
	json_object_set_new(rec, "service", json_string(svc));
	ck_assert_int_eq(logger_record_check(rec, why, sizeof why), -1);

	json_object_set_new(rec, "service", json_string("s"));
	memset(rid, 'r', sizeof rid - 1);
	rid[LOGGER_REQUEST_ID_MAX] = '\0';
	json_object_set_new(rec, "request_id", json_string(rid));
	ck_assert_int_eq(logger_record_check(rec, why, sizeof why), 0);
	rid[LOGGER_REQUEST_ID_MAX] = 'r';
	rid[LOGGER_REQUEST_ID_MAX + 1] = '\0';
	json_object_set_new(rec, "request_id", json_string(rid));
	ck_assert_int_eq(logger_record_check(rec, why, sizeof why), -1);
	json_decref(rec);
}
END_TEST

START_TEST(levels_in_order)
{
	ck_assert_int_eq(logger_level_rank("debug"), 0);
	ck_assert_int_eq(logger_level_rank("info"), 1);
	ck_assert_int_eq(logger_level_rank("warn"), 2);
	ck_assert_int_eq(logger_level_rank("error"), 3);
	ck_assert_int_eq(logger_level_rank("ERROR"), -1);
	ck_assert_int_eq(logger_level_rank("warning"), -1);
	ck_assert_int_eq(logger_level_rank(NULL), -1);
}
END_TEST

START_TEST(timestamps)
{
	ck_assert_int_eq(logger_parse_ts("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(logger_parse_ts("1970-01-01T00:00:01.5Z"), 1500);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T08:00:00.123Z"),
	                 1751356800123LL);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T08:00:00.1239Z"),
	                 1751356800123LL);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T08:00:00"), -1);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T08:00:00.Z"), -1);
	ck_assert_int_eq(logger_parse_ts("2025-07-01 08:00:00Z"), -1);
	ck_assert_int_eq(logger_parse_ts("2025-13-01T08:00:00Z"), -1);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T24:00:00Z"), -1);
	ck_assert_int_eq(logger_parse_ts("2025-07-01T08:00:00Zjunk"), -1);
	ck_assert_int_eq(logger_parse_ts("1969-12-31T23:59:59Z"), -1);
	ck_assert_int_eq(logger_parse_ts(""), -1);
	ck_assert_int_eq(logger_parse_ts(NULL), -1);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("logger_record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, good_records);
	tcase_add_test(tc, bad_records_say_why);
	tcase_add_test(tc, field_length_limits);
	tcase_add_test(tc, levels_in_order);
	tcase_add_test(tc, timestamps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(record_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
