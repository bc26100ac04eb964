/* test_lead_query.c: list arguments, defaults and limits at the
 * boundary. */
#include <check.h>
#include <string.h>

#include "../../services/leads-intake/lead_cursor.h"
#include "../../services/leads-intake/lead_query.h"

static int parse(const char *json, lead_query *q, char *why, size_t n)
{
	json_t *args = json_loads(json, 0, NULL);
	int rc;

	ck_assert_ptr_nonnull(args);
	rc = lead_query_parse(args, q, why, n);
	json_decref(args);
	return rc;
}

START_TEST(defaults)
{
	lead_query q;
	char why[256];

	ck_assert_int_eq(parse("{}", &q, why, sizeof why), 0);
	ck_assert_int_eq(q.limit, LEAD_LIST_LIMIT_DEFAULT);
	ck_assert_str_eq(q.status, "");
	ck_assert_str_eq(q.zip, "");
	ck_assert_str_eq(q.after_id, "");
	ck_assert_int_eq(q.since_ms, -1);
	/* The gateway's _meta is no filter. */
	ck_assert_int_eq(parse("{\"_meta\": {\"client_ip\": \"127.0.0.1\"}}",
	                       &q, why, sizeof why),
	                 0);
}
END_TEST

START_TEST(every_filter)
{
	lead_query q;
	char why[256], cursor[LEAD_CURSOR_SIZE], json[256];

	lead_cursor_encode("ld_0001m8g7sz5ebq79yrzk", cursor);
	snprintf(json, sizeof json,
	         "{\"status\": \"offer_sent\", \"zip\": \"78701\", \"since\": "
	         "\"2026-01-01\", \"limit\": \"25\", \"cursor\": \"%s\"}",
	         cursor);
	ck_assert_int_eq(parse(json, &q, why, sizeof why), 0);
	ck_assert_str_eq(q.status, "offer_sent");
	ck_assert_str_eq(q.zip, "78701");
	ck_assert_int_eq(q.since_ms, 1767225600000LL);
	ck_assert_int_eq(q.limit, 25);
	ck_assert_str_eq(q.after_id, "ld_0001m8g7sz5ebq79yrzk");
	/* Numbers as JSON integers too. */
	ck_assert_int_eq(parse("{\"limit\": 7, \"since\": 1767225600000}", &q,
	                       why, sizeof why),
	                 0);
	ck_assert_int_eq(q.limit, 7);
	ck_assert_int_eq(q.since_ms, 1767225600000LL);
}
END_TEST

START_TEST(limit_boundaries)
{
	lead_query q;
	char why[256];

	ck_assert_int_eq(parse("{\"limit\": \"1\"}", &q, why, sizeof why), 0);
	ck_assert_int_eq(q.limit, 1);
	ck_assert_int_eq(parse("{\"limit\": \"200\"}", &q, why, sizeof why), 0);
	ck_assert_int_eq(q.limit, 200);
	ck_assert_int_eq(parse("{\"limit\": \"201\"}", &q, why, sizeof why),
	                 -1);
	ck_assert_str_eq(why, "limit: expected an integer 1-200, got \"201\"");
	ck_assert_int_eq(parse("{\"limit\": 0}", &q, why, sizeof why), -1);
	ck_assert_str_eq(why, "limit: expected an integer 1-200, got \"0\"");
	ck_assert_int_eq(parse("{\"limit\": \"-3\"}", &q, why, sizeof why), -1);
	ck_assert_int_eq(parse("{\"limit\": \"5x\"}", &q, why, sizeof why), -1);
	ck_assert_int_eq(parse("{\"limit\": 2.5}", &q, why, sizeof why), -1);
	ck_assert_str_eq(why, "limit: expected an integer 1-200, got \"?\"");
}
END_TEST

START_TEST(bad_filters_name_the_parameter)
{
	static const struct {
		const char *json, *why;
	} cases[] = {
	    {"{\"status\": \"won\"}",
	     "status: expected one of new, contacted, offer_sent, "
	     "under_contract, closed, dead"},
	    {"{\"status\": 3}",
	     "status: expected one of new, contacted, offer_sent, "
	     "under_contract, closed, dead"},
	    {"{\"zip\": \"7870\"}", "zip: expected 5 digits"},
	    {"{\"zip\": \"78701-1234\"}", "zip: expected 5 digits"},
	    {"{\"zip\": \"7870a\"}", "zip: expected 5 digits"},
	    {"{\"since\": \"last week\"}",
	     "since: expected an ISO-8601 date or time (2026-01-05, "
	     "2026-01-05T14:00:00Z) or milliseconds since the epoch"},
	    {"{\"cursor\": \"abc\"}",
	     "cursor: not a cursor from a previous page"},
	    {"{\"state\": \"TX\"}",
	     "state: unknown parameter (expected status, zip, since, limit, "
	     "cursor)"},
	};
	lead_query q;
	char why[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(parse(cases[i].json, &q, why, sizeof why), -1);
		ck_assert_str_eq(why, cases[i].why);
	}
}
END_TEST

static Suite *lead_query_suite(void)
{
	Suite *s = suite_create("lead_query");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_filter);
	tcase_add_test(tc, limit_boundaries);
	tcase_add_test(tc, bad_filters_name_the_parameter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lead_query_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
