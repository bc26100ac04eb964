/* test_valuation_args.c: the question valuation answers, from estimate
 * arguments and from lead.created events, and its cache key. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "../../services/valuation/valuation_args.h"
#include "../../services/valuation/valuation_model.h"

#define TODAY 20758 /* 2026-11-01 */

static char err[256];
static val_args a;

static int parse(const char *json)
{
	json_t *args = json_loads(json, 0, NULL);
	int r;

	ck_assert_msg(args != NULL, "bad test JSON %s", json);
	err[0] = '\0';
	r = val_args_parse(args, TODAY, &a, err, sizeof err);
	json_decref(args);
	return r;
}

static void bad(const char *json, const char *msg)
{
	ck_assert_msg(parse(json) == -1, "accepted %s", json);
	ck_assert_str_eq(err, msg);
}

static const char *key(void)
{
	static char buf[VAL_ARGS_KEY_MAX];

	ck_assert(val_args_cache_key(&a, buf, sizeof buf));
	return buf;
}

START_TEST(point_and_features)
{
	ck_assert_int_eq(parse("{\"lat\": 30.24449, \"lon\": -97.76312, "
	                       "\"sqft\": 1800.4, \"beds\": 3, \"baths\": "
	                       "2.5, \"year_built\": 1965, \"as_of\": "
	                       "\"2026-11-01\", \"_meta\": {}}"),
	                 0);
	ck_assert(a.has_point);
	ck_assert_double_eq_tol(a.lat, 30.244, 1e-9);
	ck_assert_double_eq_tol(a.lon, -97.763, 1e-9);
	ck_assert_double_eq(a.sqft, 1800);
	ck_assert_double_eq(a.baths, 2.5);
	ck_assert_int_eq(a.year_built, 1965);
	ck_assert_int_eq(a.as_of, TODAY);
	ck_assert_str_eq(key(),
	                 "p:30.244,-97.763:-:1800:3:2.5:1965:2026-11-01");

	/* Numbers as strings, ZIP+4, as_of defaulted. */
	ck_assert_int_eq(parse("{\"lat\": \"30.2447\", \"lon\": \"-97.7631\", "
	                       "\"zip\": \"78704-1234\", \"sqft\": \"\"}"),
	                 0);
	ck_assert_str_eq(a.zip, "78704");
	ck_assert(isnan(a.sqft) && isnan(a.beds) && isnan(a.baths));
	ck_assert_int_eq(a.year_built, 0);
	ck_assert_str_eq(key(), "p:30.245,-97.763:78704:-:-:-:-:2026-11-01");

	/* A point near 0 keys as 0.000, not -0.000. */
	ck_assert_int_eq(parse("{\"lat\": -0.0001, \"lon\": 0.0002}"), 0);
	ck_assert_str_eq(key(), "p:0.000,0.000:-:-:-:-:-:2026-11-01");
}
END_TEST

START_TEST(zip_only)
{
	ck_assert_int_eq(parse("{\"zip\": \"43214\", \"beds\": 3, \"as_of\": "
	                       "\"2026-10-31\"}"),
	                 0);
	ck_assert(!a.has_point);
	ck_assert_str_eq(key(), "z:43214:-:3:-:-:2026-10-31");
}
END_TEST

START_TEST(bad_arguments)
{
	bad("{}", "lat/lon or zip: required");
	bad("{\"lat\": 30}", "lon: required with lat");
	bad("{\"lat\": 90.5, \"lon\": 0}", "lat: expected -90 to 90");
	bad("{\"lat\": 30, \"lon\": \"west\"}", "lon: expected -180 to 180");
	bad("{\"zip\": \"7870\"}", "zip: expected \"NNNNN\" or \"NNNNN-NNNN\"");
	bad("{\"zip\": 78704}", "zip: expected \"NNNNN\" or \"NNNNN-NNNN\"");
	bad("{\"zip\": \"78704\", \"as_of\": \"11/01/2026\"}",
	    "as_of: expected a date YYYY-MM-DD");
	bad("{\"zip\": \"78704\", \"sqft\": 99}", "sqft: expected 100-100000");
	ck_assert_int_eq(parse("{\"zip\": \"78704\", \"sqft\": 100}"), 0);
	ck_assert_int_eq(parse("{\"zip\": \"78704\", \"sqft\": 100000}"), 0);
	bad("{\"zip\": \"78704\", \"sqft\": 100001}",
	    "sqft: expected 100-100000");
	bad("{\"zip\": \"78704\", \"beds\": 2.5}",
	    "beds: expected a whole number 0-50");
	bad("{\"zip\": \"78704\", \"beds\": 51}",
	    "beds: expected a whole number 0-50");
	bad("{\"zip\": \"78704\", \"baths\": 1.25}",
	    "baths: expected 0-50 in steps of .5");
	bad("{\"zip\": \"78704\", \"year_built\": 1699}",
	    "year_built: expected a whole number 1700-2100");
	bad("{\"zip\": \"78704\", \"year_built\": 2101}",
	    "year_built: expected a whole number 1700-2100");
	json_t *arr = json_array();
	ck_assert_int_eq(val_args_parse(arr, TODAY, &a, err, sizeof err), -1);
	json_decref(arr);
}
END_TEST

static void lead(const char *json)
{
	json_t *l = json_loads(json, 0, NULL);

	val_args_from_lead(l, TODAY, &a);
	json_decref(l);
}

START_TEST(from_lead_events)
{
	lead("{\"id\": \"L1\", \"address\": {\"zip\": \"85016-2201\", "
	     "\"line1\": "
	     "\"1 A St\"}, \"sqft\": 1600, \"beds\": \"3\", \"baths\": 2, "
	     "\"year_built\": 1978}");
	ck_assert_str_eq(a.zip, "85016");
	ck_assert(!a.has_point);
	ck_assert_double_eq(a.sqft, 1600);
	ck_assert_double_eq(a.beds, 3);
	ck_assert_int_eq(a.year_built, 1978);
	ck_assert_int_eq(a.as_of, TODAY);

	/* A seller's typo leaves the field unknown rather than failing. */
	lead("{\"id\": \"L2\", \"address\": {\"zip\": \"85016\"}, \"sqft\": "
	     "\"big\", \"beds\": 99, \"baths\": 1.3, \"year_built\": 19}");
	ck_assert_str_eq(a.zip, "85016");
	ck_assert(isnan(a.sqft) && isnan(a.beds) && isnan(a.baths));
	ck_assert_int_eq(a.year_built, 0);

	lead("{\"id\": \"L3\", \"zip\": \"43214\"}");
	ck_assert_str_eq(a.zip, "43214");
	lead("{\"id\": \"L4\", \"address\": {\"line1\": \"1 A St\"}}");
	ck_assert_str_eq(a.zip, "");
	char buf[VAL_ARGS_KEY_MAX];
	ck_assert(!val_args_cache_key(&a, buf, sizeof buf));
	lead("[]");
	ck_assert_str_eq(a.zip, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("valuation_args");
	TCase *tc = tcase_create("args");
	tcase_add_test(tc, point_and_features);
	tcase_add_test(tc, zip_only);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, from_lead_events);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
