/* test_comp_query.c: comps.search arguments (numbers or strings, limits at
 * the boundary) and the filter. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "../../services/comps/comp_query.h"

#define TODAY 20261101

static char err[256];
static comp_query q;

static int parse(const char *json)
{
	json_t *args = json_loads(json, 0, NULL);
	int r;

	ck_assert_ptr_nonnull(args);
	err[0] = '\0';
	r = comp_query_parse(args, TODAY, &q, err, sizeof err);
	json_decref(args);
	return r;
}

static void bad(const char *json, const char *msg)
{
	ck_assert_msg(parse(json) == -1, "accepted %s", json);
	ck_assert_str_eq(err, msg);
}

START_TEST(defaults_and_strings)
{
	ck_assert_int_eq(parse("{\"lat\": 30.25, \"lon\": -97.75}"), 0);
	ck_assert(q.has_point);
	ck_assert_double_eq(q.radius_mi, COMP_RADIUS_DEFAULT_MI);
	ck_assert_int_eq(q.months, 12);
	ck_assert_int_eq(q.as_of, TODAY);
	ck_assert_int_eq(q.since, 20251101);
	ck_assert_int_eq(q.limit, COMP_LIMIT_DEFAULT);
	ck_assert(isnan(q.beds_min) && isnan(q.sqft_max));
	ck_assert_str_eq(q.zip, "");

	/* As the gateway passes query parameters. */
	ck_assert_int_eq(
	    parse("{\"lat\": \"30.25\", \"lon\": \"-97.75\", \"radius_mi\": "
	          "\"2.5\", \"months\": \"6\", \"as_of\": \"2026-03-31\", "
	          "\"beds_min\": \"3\", \"beds_max\": \"4\", \"sqft_min\": "
	          "\"1500\", \"sqft_max\": \"\", \"limit\": \"20\"}"),
	    0);
	ck_assert_double_eq(q.lat, 30.25);
	ck_assert_double_eq(q.radius_mi, 2.5);
	ck_assert_int_eq(q.months, 6);
	ck_assert_int_eq(q.as_of, 20260331);
	ck_assert_int_eq(q.since, 20250930);
	ck_assert_double_eq(q.beds_min, 3);
	ck_assert_double_eq(q.sqft_min, 1500);
	ck_assert(isnan(q.sqft_max)); /* "" is absent */
	ck_assert_int_eq(q.limit, 20);

	ck_assert_int_eq(parse("{\"zip\": \"78704\"}"), 0);
	ck_assert(!q.has_point);
	ck_assert_str_eq(q.zip, "78704");
}
END_TEST

START_TEST(limits_at_the_boundary)
{
	ck_assert_int_eq(parse("{\"zip\": \"78704\", \"limit\": 1000}"), 0);
	ck_assert_int_eq(q.limit, 1000);
	ck_assert_int_eq(parse("{\"zip\": \"78704\", \"limit\": 1}"), 0);
	bad("{\"zip\": \"78704\", \"limit\": 1001}",
	    "limit: expected a whole number 1-1000");
	bad("{\"zip\": \"78704\", \"limit\": 0}",
	    "limit: expected a whole number 1-1000");
	bad("{\"zip\": \"78704\", \"limit\": \"ten\"}",
	    "limit: expected a whole number 1-1000");
	ck_assert_int_eq(parse("{\"lat\": 1, \"lon\": 2, \"radius_mi\": 10}"),
	                 0);
	bad("{\"lat\": 1, \"lon\": 2, \"radius_mi\": 10.01}",
	    "radius_mi: expected a number above 0, at most 10");
	bad("{\"lat\": 1, \"lon\": 2, \"radius_mi\": 0}",
	    "radius_mi: expected a number above 0, at most 10");
	bad("{\"lat\": 1, \"lon\": 2, \"radius_mi\": \"1 mi\"}",
	    "radius_mi: expected a number above 0, at most 10");
	ck_assert_int_eq(parse("{\"zip\": \"78704\", \"months\": 120}"), 0);
	bad("{\"zip\": \"78704\", \"months\": 121}",
	    "months: expected a whole number 1-120");
	bad("{\"zip\": \"78704\", \"months\": 1.5}",
	    "months: expected a whole number 1-120");
}
END_TEST

START_TEST(bad_arguments)
{
	bad("{}", "lat/lon or zip: required");
	bad("{\"lat\": 30}", "lon: required with lat");
	bad("{\"lon\": 30}", "lat: required with lon");
	bad("{\"lat\": 91, \"lon\": 0}",
	    "lat: expected a number -85.05112878 to 85.05112878");
	bad("{\"lat\": \" 30\", \"lon\": 0}",
	    "lat: expected a number -85.05112878 to 85.05112878");
	bad("{\"zip\": \"7870\"}", "zip: expected 5 digits");
	bad("{\"zip\": 78704}", "zip: expected a string");
	bad("{\"zip\": \"78704\", \"as_of\": \"2026-02-30\"}",
	    "as_of: expected a date YYYY-MM-DD");
	bad("{\"zip\": \"78704\", \"beds_min\": 4, \"beds_max\": 3}",
	    "beds_min: greater than beds_max");
	bad("{\"zip\": \"78704\", \"sqft_max\": 20001}",
	    "sqft_max: expected a number 0-20000");
	json_t *arr = json_array();
	ck_assert_int_eq(comp_query_parse(arr, TODAY, &q, err, sizeof err), -1);
	ck_assert_str_eq(err, "args: expected an object");
	json_decref(arr);
}
END_TEST

static bool match(const char *comp)
{
	json_t *c = json_loads(comp, 0, NULL);
	bool m = comp_query_match(&q, c);

	json_decref(c);
	return m;
}

START_TEST(filter_dates_zip_beds_sqft)
{
	ck_assert_int_eq(parse("{\"lat\": 30, \"lon\": -97, \"zip\": \"78704\","
	                       " \"beds_min\": 3, \"sqft_max\": 2000, "
	                       "\"as_of\": \"2026-11-01\", \"months\": 12}"),
	                 0);
	ck_assert(match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 2000, "
	                "\"sold_date\": \"2025-11-01\"}")); /* window start */
	ck_assert(match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 2000, "
	                "\"sold_date\": \"2026-11-01\"}")); /* as_of */
	ck_assert(!match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 2000, "
	                 "\"sold_date\": \"2025-10-31\"}"));
	ck_assert(!match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 2000, "
	                 "\"sold_date\": \"2026-11-02\"}"));
	ck_assert(!match("{\"zip\": \"78745\", \"beds\": 3, \"sqft\": 2000, "
	                 "\"sold_date\": \"2026-06-01\"}"));
	ck_assert(!match("{\"zip\": \"78704\", \"beds\": 2, \"sqft\": 2000, "
	                 "\"sold_date\": \"2026-06-01\"}"));
	ck_assert(!match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 2001, "
	                 "\"sold_date\": \"2026-06-01\"}"));
	ck_assert(!match("{\"zip\": \"78704\", \"beds\": 3, \"sqft\": 1000}"));
	ck_assert(!match("[]"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("comp_query");
	TCase *tc = tcase_create("query");
	tcase_add_test(tc, defaults_and_strings);
	tcase_add_test(tc, limits_at_the_boundary);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, filter_dates_zip_beds_sqft);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
