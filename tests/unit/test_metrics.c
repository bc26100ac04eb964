#include <check.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

START_TEST(counts_errors_and_buckets)
{
	metrics_reset();
	metrics_method *m = metrics_for("create");

	ck_assert_ptr_eq(m, metrics_for("create"));
	metrics_record(m, MESH_OK, 40); /* <= 50 us */
	metrics_record(m, MESH_OK, 50); /* boundary: still <= 50 */
	metrics_record(m, MESH_OK, 51); /* next bucket */
	metrics_record(m, MESH_ENOTFOUND, 2000);
	metrics_record(m, MESH_ETIMEOUT, 99999999); /* +Inf */
	ck_assert_int_eq(m->count, 5);
	ck_assert_int_eq(m->errors, 2);
	ck_assert_int_eq(m->by_error[MESH_ENOTFOUND], 1);
	ck_assert_int_eq(m->buckets[0], 2);
	ck_assert_int_eq(m->buckets[1], 1);
	ck_assert_int_eq(m->buckets[METRICS_BUCKETS], 1);

	json_t *j = metrics_json();
	json_t *c = json_object_get(j, "create");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "count")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(c, "errors_by_code"), "timeout")),
	                 1);
	ck_assert_int_eq(json_array_size(json_object_get(
	                     json_object_get(c, "latency_us"), "counts")),
	                 METRICS_BUCKETS + 1);
	json_decref(j);
}
END_TEST

START_TEST(quantiles_fall_in_the_right_bucket)
{
	metrics_reset();
	metrics_method *m = metrics_for("q");

	for (int i = 0; i < 99; i++)
		metrics_record(m, MESH_OK, 300); /* (250, 500] */
	metrics_record(m, MESH_OK, 40000);       /* (25000, 50000] */
	double p50 = metrics_quantile(m, 0.5), p99 = metrics_quantile(m, 0.99),
	       p100 = metrics_quantile(m, 1.0);
	ck_assert(p50 > 250 && p50 <= 500);
	ck_assert(p99 > 250 && p99 <= 500);
	ck_assert(p100 > 25000 && p100 <= 50000);
	ck_assert(metrics_quantile(metrics_for("empty"), 0.5) == 0);
}
END_TEST

START_TEST(method_table_is_bounded)
{
	char name[32];

	metrics_reset();
	for (int i = 0; i < METRICS_MAX_METHODS + 50; i++) {
		snprintf(name, sizeof name, "m%d", i);
		metrics_record(metrics_for(name), MESH_OK, 1);
	}
	metrics_method *other = metrics_for("yet-another");
	ck_assert_str_eq(other->name, "_other");
	ck_assert_int_eq(other->count, 51);
	json_t *j = metrics_json();
	ck_assert_int_eq(json_object_size(j), METRICS_MAX_METHODS);
	json_decref(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, counts_errors_and_buckets);
	tcase_add_test(tc, quantiles_fall_in_the_right_bucket);
	tcase_add_test(tc, method_table_is_bounded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
