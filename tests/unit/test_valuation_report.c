/* test_valuation_report.c: candidates from comps.search's records, the
 * subject's guessed parts, and the reply, on the seed data. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/valuation/valuation_report.h"

#define SEED_PATH "examples/comps.json"
#define TODAY     20758 /* 2026-11-01 */

static json_t *seed_comps(void)
{
	json_error_t e;
	json_t *root = json_load_file(SEED_PATH, 0, &e);
	json_t *comps;

	ck_assert_msg(root != NULL, "%s: %s (run from the repository root)",
	              SEED_PATH, e.text);
	comps = json_incref(json_object_get(root, "comps"));
	json_decref(root);
	return comps;
}

START_TEST(candidates_from_records)
{
	json_t *recs = json_loads(
	    "[{\"id\": \"a\", \"lat\": 30.1, \"lon\": -97.1, \"sqft\": 1000,"
	    "  \"beds\": 3, \"baths\": 2, \"year_built\": 1990, \"price\": "
	    "  300000, \"sold_date\": \"2026-06-01\", \"lot_sqft\": null},"
	    " {\"id\": \"b\", \"lat\": 30.3, \"lon\": -97.3, \"sqft\": 3000,"
	    "  \"beds\": 4, \"baths\": 3, \"price\": 600000, \"sold_date\": "
	    "  \"2026-07-01\"},"
	    " {\"id\": \"c\", \"lat\": 30.3, \"sqft\": 2000, \"price\": 1}]",
	    0, NULL);
	val_comp c[3];
	double lat, lon, median;
	size_t count;

	ck_assert_uint_eq(val_cands_from_json(recs, c), 3);
	ck_assert_str_eq(c[0].id, "a");
	ck_assert_int_eq(c[0].home.year_built, 1990);
	ck_assert(isnan(c[0].home.lot_sqft));
	ck_assert_int_eq(c[1].home.year_built, 0);
	ck_assert(val_comp_usable(&c[0]) && val_comp_usable(&c[1]));
	ck_assert(!val_comp_usable(&c[2])); /* no lon: skipped */
	ck_assert_int_eq(c[2].sold_day, INT32_MAX);

	ck_assert(val_cands_summary(c, 3, &lat, &lon, &median, &count));
	ck_assert_uint_eq(count, 2);
	ck_assert_double_eq_tol(lat, 30.2, 1e-9);
	ck_assert_double_eq_tol(lon, -97.2, 1e-9);
	ck_assert_double_eq(median, 2000); /* even: mean of the middle two */
	ck_assert(val_cands_summary(c, 1, &lat, &lon, &median, &count));
	ck_assert_double_eq(median, 1000);
	ck_assert(!val_cands_summary(c + 2, 1, &lat, &lon, &median, &count));
	ck_assert_uint_eq(count, 0);
	ck_assert_uint_eq(val_cands_from_json(NULL, c), 0);
	json_decref(recs);
}
END_TEST

START_TEST(subject_resolution)
{
	val_args a;
	val_subject s;
	char why[200];
	json_t *args = json_pack("{s:s}", "zip", "43214");

	ck_assert_int_eq(val_args_parse(args, TODAY, &a, why, sizeof why), 0);
	json_decref(args);
	ck_assert(!val_subject_resolve(&a, NAN, NAN, NAN, VAL_SRC_ZIP, 0, &s,
	                               why, sizeof why));
	ck_assert_str_eq(why, "no comparable sales in ZIP 43214 to place the "
	                      "subject: give lat and lon");
	ck_assert(!val_subject_resolve(&a, 40, -83, NAN, VAL_SRC_ZIP, 5, &s,
	                               why, sizeof why));
	ck_assert(strstr(why, "give sqft") != NULL);
	ck_assert(val_subject_resolve(&a, 40, -83, 1499.6, VAL_SRC_ZIP, 5, &s,
	                              why, sizeof why));
	ck_assert_double_eq(s.home.lat, 40);
	ck_assert_double_eq(s.home.sqft, 1500);
	ck_assert_int_eq(s.location, VAL_SRC_ZIP);
	ck_assert_int_eq(s.sqft, VAL_SRC_ZIP);
}
END_TEST

/* Values subject args as the daemon does, with the seed as candidates:
 * the estimate's report, or a lead's record. */
static json_t *value_as(const char *args_json, json_t *comps, bool lead)
{
	size_t n = json_array_size(comps);
	json_t *reply = json_pack("{s:O}", "comps", comps);
	val_area *area = val_area_from_json(reply);
	val_comp *c = area->cands;
	json_t *args = json_loads(args_json, 0, NULL), *out;
	val_args a;
	val_subject s;
	val_result r;
	char why[200];
	double lat = NAN, lon = NAN, median = NAN;
	size_t count = 0;

	ck_assert_int_eq(val_args_parse(args, TODAY, &a, why, sizeof why), 0);
	ck_assert_uint_eq(area->n, n);
	json_decref(reply); /* the area needs none of it */
	if (a.zip[0]) {
		/* The ZIP's own sales, as a ZIP search returns them. */
		val_comp *z = calloc(n, sizeof *z);
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(json_string_value(json_object_get(
			               json_array_get(comps, i), "zip")),
			           a.zip) == 0)
				z[k++] = c[i];
		val_cands_summary(z, k, &lat, &lon, &median, &count);
		free(z);
	}
	ck_assert(val_subject_resolve(&a, lat, lon, median, VAL_SRC_ZIP, count,
	                              &s, why, sizeof why));
	val_estimate(&s.home, c, n, NULL, a.as_of, &r);
	out = lead ? val_report_lead(&a, &s, &r, area)
	           : val_report_json(&a, &s, &r, area);
	val_area_free(area);
	json_decref(args);
	return out;
}

static json_t *value(const char *args_json, json_t *comps)
{
	return value_as(args_json, comps, false);
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

START_TEST(reply_for_a_known_home)
{
	json_t *comps = seed_comps();
	json_t *r = value("{\"lat\": 30.2445, \"lon\": -97.7631, \"sqft\": "
	                  "1800, \"beds\": 3, \"baths\": 2, \"year_built\": "
	                  "1965, \"as_of\": \"2026-11-01\"}",
	                  comps);
	json_t *first, *adj;

	ck_assert(num(r, "value") >= 650000 && num(r, "value") <= 1000000);
	ck_assert(num(r, "low") < num(r, "value"));
	ck_assert(num(r, "high") > num(r, "value"));
	ck_assert(num(r, "confidence") > 0 && num(r, "confidence") <= 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "as_of")),
	                 "2026-11-01");
	ck_assert_double_eq(num(r, "radius_mi"), 0.5);
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), 10);
	ck_assert(num(r, "comps_count") >= 10);
	ck_assert(num(json_object_get(r, "found"), "0.5") >= 3);
	first = json_array_get(json_object_get(r, "comps"), 0);
	ck_assert(strncmp(json_string_value(json_object_get(first, "id")),
	                  "cmp-78704-", 10) == 0);
	ck_assert(json_string_value(json_object_get(first, "address")));
	ck_assert(num(first, "distance_mi") <= 0.5);
	/* Itemized as the record was stored: whole numbers as integers. */
	json_t *seed = comps, *rec = NULL, *c;
	size_t i;
	json_array_foreach(
	    seed, i,
	    c) if (strcmp(json_string_value(json_object_get(c, "id")),
	                  json_string_value(json_object_get(first, "id"))) == 0)
	    rec = c;
	ck_assert_ptr_nonnull(rec);
	const char *same[] = {"address", "zip",   "sold_date", "sqft",
	                      "beds",    "baths", "year_built"};
	for (i = 0; i < sizeof same / sizeof *same; i++)
		ck_assert_msg(json_equal(json_object_get(first, same[i]),
		                         json_object_get(rec, same[i])),
		              "%s differs from the record", same[i]);
	adj = json_object_get(first, "adjustments");
	ck_assert_double_eq_tol(num(first, "adjusted_price"),
	                        num(first, "price") + num(adj, "total"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r, "subject"), "location")),
	                 "given");
	ck_assert_int_eq(json_array_size(json_object_get(r, "notes")), 0);
	json_decref(r);
	json_decref(comps);
}
END_TEST

/* A lead's record: the report, each comp named by the figures that made
 * the value, not itemized. */
START_TEST(lead_record_names_the_comps)
{
	json_t *comps = seed_comps();
	const char *args = "{\"zip\": \"78704\", \"sqft\": 1800, \"beds\": "
	                   "3, \"baths\": 2, \"year_built\": 1965, "
	                   "\"as_of\": \"2026-11-01\"}";
	json_t *full = value(args, comps), *lead = value_as(args, comps, true);
	json_t *fc = json_object_get(full, "comps");
	json_t *lc = json_object_get(lead, "comps");
	const char *same[] = {"value",       "low",   "high",
	                      "confidence",  "label", "radius_mi",
	                      "comps_count", "found", "subject",
	                      "notes",       "as_of"};
	const char *named[] = {"id", "distance_mi", "adjusted_price", "weight"};

	ck_assert(json_is_number(json_object_get(lead, "value")));
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		ck_assert_msg(json_equal(json_object_get(full, same[i]),
		                         json_object_get(lead, same[i])),
		              "%s differs from the full report", same[i]);
	ck_assert_uint_eq(json_array_size(lc), json_array_size(fc));
	ck_assert_uint_eq(json_array_size(lc), 10);
	for (size_t i = 0; i < json_array_size(lc); i++) {
		json_t *l = json_array_get(lc, i), *f = json_array_get(fc, i);
		ck_assert_uint_eq(json_object_size(l),
		                  sizeof named / sizeof *named);
		for (size_t k = 0; k < sizeof named / sizeof *named; k++)
			ck_assert(json_equal(json_object_get(l, named[k]),
			                     json_object_get(f, named[k])));
	}
	/* What travels with the lead is the same from either. */
	json_t *s1 = val_report_summary(full, "ld_1");
	json_t *s2 = val_report_summary(lead, "ld_1");
	ck_assert(json_equal(s1, s2));
	json_decref(s1);
	json_decref(s2);
	json_decref(full);
	json_decref(lead);
	json_decref(comps);
}
END_TEST

START_TEST(guessed_parts_lower_confidence)
{
	json_t *comps = seed_comps();
	json_t *known = value("{\"zip\": \"85016\", \"sqft\": 1600, \"beds\": "
	                      "3, \"baths\": 2, \"as_of\": \"2026-11-01\"}",
	                      comps);
	json_t *guess = value("{\"zip\": \"85016\", \"beds\": 3, \"baths\": 2, "
	                      "\"as_of\": \"2026-11-01\"}",
	                      comps);
	json_t *s = json_object_get(guess, "subject");

	ck_assert(json_is_number(json_object_get(guess, "value")));
	ck_assert_str_eq(json_string_value(json_object_get(s, "location")),
	                 "zip_centroid");
	ck_assert_str_eq(json_string_value(json_object_get(s, "sqft_source")),
	                 "zip_median");
	ck_assert_int_eq(json_array_size(json_object_get(guess, "notes")), 2);
	ck_assert(strstr(json_string_value(json_array_get(
	                     json_object_get(guess, "notes"), 1)),
	                 "living area unknown") != NULL);
	/* Centroid alone: * 0.85; with the median sqft too: * 0.7 more. */
	ck_assert(num(guess, "confidence") < num(known, "confidence"));
	ck_assert_int_eq(json_array_size(json_object_get(known, "notes")), 1);
	json_decref(known);
	json_decref(guess);
	json_decref(comps);
}
END_TEST

START_TEST(no_value_reply)
{
	val_args a;
	char why[100];
	json_t *args =
	    json_pack("{s:s, s:s}", "zip", "10001", "as_of", "2026-11-01");
	json_t *r;

	ck_assert_int_eq(val_args_parse(args, TODAY, &a, why, sizeof why), 0);
	r = val_report_no_value(&a, NULL, "no sales");
	ck_assert(json_is_null(json_object_get(r, "value")));
	ck_assert(json_object_get(r, "value") != NULL);
	ck_assert_str_eq(json_string_value(json_object_get(r, "reason")),
	                 "no sales");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r, "subject"), "zip")),
	                 "10001");
	json_decref(r);
	json_decref(args);

	/* Too few comps in the model: the reason is the model's. */
	json_t *comps = seed_comps();
	r = value("{\"lat\": 35.0, \"lon\": -100.0, \"sqft\": 1500, \"as_of\": "
	          "\"2026-11-01\"}",
	          comps);
	ck_assert(json_is_null(json_object_get(r, "value")));
	ck_assert(strstr(json_string_value(json_object_get(r, "reason")),
	                 "not enough comparable sales") != NULL);
	ck_assert_int_eq(num(json_object_get(r, "found"), "2"), 0);
	json_decref(r);
	json_decref(comps);
}
END_TEST

START_TEST(area_from_a_search_reply)
{
	json_t *reply = json_loads(
	    "{\"comps\": [{\"id\": \"a\", \"address\": \"1 \\\"Q\\\" St\", "
	    "\"zip\": \"78704\", \"lat\": 30.1, \"lon\": -97.1, \"sqft\": "
	    "1000, \"price\": 300000, \"sold_date\": \"2026-06-01\"}, "
	    "{\"lat\": 30.2}], \"truncated\": true}",
	    0, NULL);
	val_area *area = val_area_from_json(reply);

	ck_assert_ptr_nonnull(area);
	json_decref(reply); /* nothing borrowed from the reply */
	ck_assert_uint_eq(area->n, 2);
	ck_assert(area->truncated);
	ck_assert_str_eq(area->cands[0].id, "a");
	ck_assert_str_eq(area->text[0].address, "1 \"Q\" St");
	ck_assert_str_eq(area->text[0].zip, "78704");
	ck_assert_str_eq(area->text[0].sold_date, "2026-06-01");
	ck_assert(val_comp_usable(&area->cands[0]));
	/* A record without its fields: NULL texts, unusable. */
	ck_assert_ptr_null(area->cands[1].id);
	ck_assert_ptr_null(area->text[1].address);
	ck_assert(!val_comp_usable(&area->cands[1]));
	val_area_free(area);

	area = val_area_from_json(NULL);
	ck_assert_ptr_nonnull(area);
	ck_assert_uint_eq(area->n, 0);
	ck_assert(!area->truncated);
	val_area_free(area);
	val_area_free(NULL);
}
END_TEST

START_TEST(summary_of_a_report)
{
	json_t *comps = seed_comps();
	json_t *r = value("{\"zip\": \"85016\", \"sqft\": 1600, \"beds\": "
	                  "3, \"as_of\": \"2026-11-01\"}",
	                  comps);
	json_t *sum = val_report_summary(r, "ld_1");
	const char *same[] = {"value", "low",         "high",      "confidence",
	                      "label", "comps_count", "radius_mi", "as_of"};

	ck_assert_str_eq(json_string_value(json_object_get(sum, "lead_id")),
	                 "ld_1");
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		ck_assert_msg(json_equal(json_object_get(sum, same[i]),
		                         json_object_get(r, same[i])),
		              "%s differs", same[i]);
	ck_assert_str_eq(json_string_value(json_object_get(sum, "location")),
	                 "zip_centroid");
	ck_assert_str_eq(json_string_value(json_object_get(sum, "sqft_source")),
	                 "given");
	ck_assert_ptr_null(json_object_get(sum, "comps"));
	ck_assert_ptr_null(json_object_get(sum, "reason"));
	ck_assert_uint_eq(json_object_size(sum), 11);
	json_decref(sum);
	json_decref(r);

	/* No value: the reason travels. */
	r = json_pack("{s:n, s:s, s:s}", "value", "reason", "no sales", "as_of",
	              "2026-11-01");
	sum = val_report_summary(r, "ld_2");
	ck_assert(json_is_null(json_object_get(sum, "value")));
	ck_assert_str_eq(json_string_value(json_object_get(sum, "reason")),
	                 "no sales");
	ck_assert_uint_eq(json_object_size(sum), 4);
	json_decref(sum);
	json_decref(r);
	json_decref(comps);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("valuation_report");
	TCase *tc = tcase_create("report");
	tcase_add_test(tc, candidates_from_records);
	tcase_add_test(tc, subject_resolution);
	tcase_add_test(tc, reply_for_a_known_home);
	tcase_add_test(tc, guessed_parts_lower_confidence);
	tcase_add_test(tc, no_value_reply);
	tcase_add_test(tc, area_from_a_search_reply);
	tcase_add_test(tc, summary_of_a_report);
	tcase_add_test(tc, lead_record_names_the_comps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
