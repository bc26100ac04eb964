/* test_valuation_report_text.c: the report written as text is, byte for
 * byte, the report built as a tree and dumped, for many homes valued on
 * the seed and for addresses that need escaping. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/valuation/valuation_report_text.h"

#define SEED_PATH "examples/comps.json"
#define TODAY     20758 /* 2026-11-01 */
#define FLAGS     (JSON_COMPACT | JSON_REAL_PRECISION(12))

static val_area *seed_area(void)
{
	json_error_t e;
	json_t *root = json_load_file(SEED_PATH, 0, &e);
	val_area *area;

	ck_assert_msg(root != NULL, "%s: %s (run from the repository root)",
	              SEED_PATH, e.text);
	area = val_area_from_json(root); /* {"comps": [...]} */
	json_decref(root);
	ck_assert_ptr_nonnull(area);
	return area;
}

/* Values a on area both ways; returns how many agreed (0 or 1), and
 * whether the model gave a value in *valued. */
static int agree(const val_args *a, val_source loc, val_source sqft,
                 const val_area *area, int *valued)
{
	val_subject s;
	val_result r;
	char why[200];
	json_t *tree;
	char *dumped, *written;
	int same;

	ck_assert(val_subject_resolve(a, a->lat, a->lon, a->sqft, sqft, 40, &s,
	                              why, sizeof why));
	s.location = loc;
	val_estimate(&s.home, area->cands, area->n, NULL, a->as_of, &r);
	*valued = r.status == VAL_OK;
	written = val_report_text(a, &s, &r, area);
	if (r.status != VAL_OK) {
		ck_assert_ptr_null(written);
		return 1;
	}
	tree = val_report_json(a, &s, &r, area);
	dumped = json_dumps(tree, FLAGS);
	same = written && strcmp(dumped, written) == 0;
	if (!same)
		fprintf(stderr, "tree: %s\ntext: %s\n", dumped,
		        written ? written : "(null)");
	free(dumped);
	free(written);
	json_decref(tree);
	return same;
}

START_TEST(text_is_the_dumped_tree)
{
	val_area *area = seed_area();
	size_t checked = 0, valued_n = 0;

	/* Every seed sale's place, with features that vary as leads do. */
	for (size_t i = 0; i < area->n; i += 3) {
		val_args a = {0};
		int valued;

		a.has_point = true;
		a.lat = round(area->cands[i].home.lat * 1000) / 1000;
		a.lon = round(area->cands[i].home.lon * 1000) / 1000;
		memcpy(a.zip, area->text[i].zip, 6);
		a.sqft = 900 + (double)((i * 37) % 2609);
		a.beds = i % 3 ? (double)(2 + i % 4) : NAN;
		a.baths = i % 5 ? 1 + (double)(i % 5) * 0.5 : NAN;
		a.year_built = i % 7 ? 1940 + (int)((i * 7) % 83) : 0;
		a.as_of = TODAY;
		ck_assert(agree(&a, i % 2 ? VAL_SRC_ZIP : VAL_SRC_GIVEN,
		                i % 4 == 1   ? VAL_SRC_ZIP
		                : i % 4 == 3 ? VAL_SRC_AREA
		                             : VAL_SRC_GIVEN,
		                area, &valued));
		checked++;
		valued_n += (size_t)valued;
	}
	ck_assert_uint_gt(checked, 300);
	ck_assert_uint_gt(valued_n, 300);
	val_area_free(area);
}
END_TEST

START_TEST(strings_escaped_as_jansson_does)
{
	json_t *reply = json_pack(
	    "{s:[{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:f, s:i, s:s}, "
	    "{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:i, s:i, s:s}, "
	    "{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:i, s:i, s:s}]}",
	    "comps", "id", "q\"1", "address", "1 \"Q\" St\\\n\t\x01/é", "zip",
	    "78704", "lat", 30.2446, "lon", -97.7632, "sqft", 1800, "beds", 3,
	    "baths", 2.5, "price", 700000, "sold_date", "2026-10-15", "id", "b",
	    "address", "2 B St\r\b\f", "zip", "78704", "lat", 30.2447, "lon",
	    -97.7633, "sqft", 1750, "beds", 3, "baths", 2, "price", 690000,
	    "sold_date", "2026-09-15", "id", "c", "address", "3 C St", "zip",
	    "78704", "lat", 30.2448, "lon", -97.7634, "sqft", 1900, "beds", 4,
	    "baths", 2, "price", 720000, "sold_date", "2026-08-15");
	val_area *area = val_area_from_json(reply);
	val_args a = {.has_point = true,
	              .lat = 30.245,
	              .lon = -97.763,
	              .zip = "78704",
	              .sqft = 1800,
	              .beds = NAN,
	              .baths = NAN,
	              .as_of = TODAY};
	int valued;

	ck_assert_ptr_nonnull(reply);
	json_decref(reply);
	ck_assert(agree(&a, VAL_SRC_GIVEN, VAL_SRC_GIVEN, area, &valued));
	ck_assert(valued);
	val_area_free(area);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("valuation_report_text");
	TCase *tc = tcase_create("text");
	tcase_add_test(tc, text_is_the_dumped_tree);
	tcase_add_test(tc, strings_escaped_as_jansson_does);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
