/* test_comp_batch.c: an import's comp.added events, one per ZIP. */
#include <check.h>
#include <stdlib.h>

#include "../../services/comps/comp_batch.h"

START_TEST(distance_on_redis_sphere)
{
	/* One degree of latitude on a 6372797.56 m sphere. */
	ck_assert_double_eq_tol(comp_distance_mi(30, -97, 31, -97), 69.1128,
	                        1e-3);
	ck_assert_double_eq(comp_distance_mi(30, -97, 30, -97), 0);
	ck_assert_double_eq_tol(comp_distance_mi(0, 0, 0, 180),
	                        comp_distance_mi(90, 0, -90, 0), 1e-9);
}
END_TEST

START_TEST(groups_by_zip_in_order)
{
	json_t *comps =
	    json_loads("[{\"zip\": \"78704\", \"lat\": 30.0, \"lon\": -97.0},"
	               " {\"zip\": \"43214\", \"lat\": 40.0, \"lon\": -83.0},"
	               " {\"zip\": \"78704\", \"lat\": 30.02, \"lon\": -97.0},"
	               " {\"lat\": 1, \"lon\": 1}]",
	               0, NULL);
	json_t *g = comp_batch_by_zip(comps), *a, *b;

	ck_assert_int_eq(json_array_size(g), 2);
	a = json_array_get(g, 0);
	b = json_array_get(g, 1);
	ck_assert_str_eq(json_string_value(json_object_get(a, "zip")), "78704");
	ck_assert_int_eq(json_integer_value(json_object_get(a, "count")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(a, "lat")),
	                        30.01, 1e-9);
	/* Half of 0.02 degree of latitude, rounded up to 0.001 mile. */
	ck_assert_double_eq_tol(
	    json_real_value(json_object_get(a, "radius_mi")), 0.692, 1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(b, "zip")), "43214");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "count")), 1);
	ck_assert_double_eq(json_real_value(json_object_get(b, "radius_mi")),
	                    0);
	json_decref(g);
	json_decref(comps);

	g = comp_batch_by_zip(NULL);
	ck_assert_int_eq(json_array_size(g), 0);
	json_decref(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("comp_batch");
	TCase *tc = tcase_create("batch");
	tcase_add_test(tc, distance_on_redis_sphere);
	tcase_add_test(tc, groups_by_zip_in_order);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
