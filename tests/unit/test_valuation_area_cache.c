/* test_valuation_area_cache.c: the sales valuation keeps in memory: hits
 * are exact, the bounds hold at their limits, old and touched entries go,
 * and a new generation drops what another instance was told about. */
#include <check.h>
#include <stdlib.h>

#include "../../services/valuation/valuation_area_cache.h"

#define DAY 20758 /* 2026-11-01 */

/* An area of n sales around (30, -97). */
static val_area *area_of(size_t n)
{
	json_t *list = json_array(), *reply;
	val_area *a;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    list, json_pack("{s:s, s:f, s:f, s:i, s:i, s:s}", "id", "x",
		                    "lat", 30.0 + (double)i * 1e-4, "lon",
		                    -97.0, "sqft", 1500, "price", 300000,
		                    "sold_date", "2026-06-01"));
	reply = json_pack("{s:o}", "comps", list);
	a = val_area_from_json(reply);
	json_decref(reply);
	ck_assert_ptr_nonnull(a);
	return a;
}

static val_area_cache *cache(size_t entries, size_t sales, int64_t age)
{
	val_area_cache *c = val_area_cache_new(entries, sales, age);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(val_area_cache_gen(c), -1);
	val_area_cache_sync(c, 7);
	return c;
}

static bool put(val_area_cache *c, double lat, size_t n, int64_t now)
{
	return val_area_cache_put_area(c, val_area_cache_epoch(c), lat, -97.0,
	                               DAY, area_of(n), now);
}

static bool has(val_area_cache *c, double lat, int64_t now)
{
	return val_area_cache_get_area(c, lat, -97.0, DAY, now) != NULL;
}

START_TEST(hit_is_the_area_put)
{
	val_area_cache *c = cache(8, 100, 1000);
	val_area *a = area_of(3);
	const val_area *got;

	ck_assert(val_area_cache_put_area(c, val_area_cache_epoch(c), 30.25,
	                                  -97.75, DAY, a, 0));
	got = val_area_cache_get_area(c, 30.25, -97.75, DAY, 10);
	ck_assert_ptr_eq(got, a);
	/* Exact keys: another point or another day is another search. */
	ck_assert_ptr_null(
	    val_area_cache_get_area(c, 30.250001, -97.75, DAY, 10));
	ck_assert_ptr_null(
	    val_area_cache_get_area(c, 30.25, -97.75, DAY + 1, 10));
	ck_assert_uint_eq(val_area_cache_entries(c), 1);
	ck_assert_uint_eq(val_area_cache_sales(c), 3);
	/* Put again: replaced, not doubled. */
	ck_assert(put(c, 30.5, 2, 20));
	ck_assert(val_area_cache_put_area(c, val_area_cache_epoch(c), 30.25,
	                                  -97.75, DAY, area_of(5), 20));
	ck_assert_uint_eq(val_area_cache_entries(c), 2);
	ck_assert_uint_eq(val_area_cache_sales(c), 7);
	ck_assert_uint_eq(val_area_cache_get_area(c, 30.25, -97.75, DAY, 30)->n,
	                  5);
	val_area_cache_free(c);
}
END_TEST

START_TEST(unknown_generation_keeps_nothing)
{
	val_area_cache *c = val_area_cache_new(8, 100, 1000);
	val_zip_summary z = {30, -97, 1500, 4};

	ck_assert(!val_area_cache_put_area(c, val_area_cache_epoch(c), 30, -97,
	                                   DAY, area_of(1), 0));
	ck_assert(!val_area_cache_put_zip(c, val_area_cache_epoch(c), "78704",
	                                  DAY, &z, 0));
	ck_assert_uint_eq(val_area_cache_entries(c), 0);
	val_area_cache_free(c);
}
END_TEST

START_TEST(entries_bound_evicts_least_recent)
{
	val_area_cache *c = cache(3, 100, 1000);

	ck_assert(put(c, 1, 1, 0));
	ck_assert(put(c, 2, 1, 0));
	ck_assert(put(c, 3, 1, 0));
	ck_assert_uint_eq(val_area_cache_entries(c), 3);
	ck_assert(has(c, 1, 1)); /* 2 is now the least recently used */
	ck_assert(put(c, 4, 1, 2));
	ck_assert_uint_eq(val_area_cache_entries(c), 3);
	ck_assert(!has(c, 2, 3));
	ck_assert(has(c, 1, 3) && has(c, 3, 3) && has(c, 4, 3));
	val_area_cache_free(c);

	/* No room at all: nothing kept, nothing broken. */
	c = cache(0, 100, 1000);
	ck_assert(!put(c, 1, 1, 0));
	ck_assert_uint_eq(val_area_cache_entries(c), 0);
	val_area_cache_free(c);
}
END_TEST

START_TEST(sales_bound_holds)
{
	val_area_cache *c = cache(8, 10, 1000);

	/* One area of exactly the bound fits; one more sale does not. */
	ck_assert(put(c, 1, 10, 0));
	ck_assert_uint_eq(val_area_cache_sales(c), 10);
	ck_assert(!put(c, 2, 11, 0));
	ck_assert(has(c, 1, 0));
	/* Room is made by dropping the least recent. */
	ck_assert(put(c, 2, 4, 1));
	ck_assert(!has(c, 1, 2));
	ck_assert(put(c, 3, 4, 3));
	ck_assert_uint_eq(val_area_cache_sales(c), 8);
	ck_assert(put(c, 4, 4, 4)); /* 12 > 10: 2 goes */
	ck_assert_uint_eq(val_area_cache_sales(c), 8);
	ck_assert(!has(c, 2, 5) && has(c, 3, 5) && has(c, 4, 5));
	/* An empty area is kept (a search that found nothing). */
	ck_assert(put(c, 5, 0, 6));
	ck_assert(has(c, 5, 6));
	val_area_cache_free(c);
}
END_TEST

START_TEST(entries_expire_at_age_max)
{
	val_area_cache *c = cache(8, 100, 1000);
	val_zip_summary z = {30, -97, 1500, 4}, out;

	ck_assert(put(c, 1, 2, 5000));
	ck_assert(val_area_cache_put_zip(c, val_area_cache_epoch(c), "78704",
	                                 DAY, &z, 5000));
	ck_assert(has(c, 1, 5999));
	ck_assert(val_area_cache_get_zip(c, "78704", DAY, 5999, &out));
	ck_assert_double_eq(out.median_sqft, 1500);
	ck_assert_uint_eq(out.count, 4);
	ck_assert(!has(c, 1, 6000));
	ck_assert(!val_area_cache_get_zip(c, "78704", DAY, 6000, &out));
	ck_assert_uint_eq(val_area_cache_entries(c), 0);
	ck_assert_uint_eq(val_area_cache_sales(c), 0);
	val_area_cache_free(c);
}
END_TEST

START_TEST(drops_what_a_sale_touches)
{
	val_area_cache *c = cache(8, 100, 100000);
	val_zip_summary z = {30, -97, 1500, 4}, out;
	double mi = val_distance_mi(1, -97, 1.01, -97);

	ck_assert(put(c, 1, 1, 0));
	ck_assert(put(c, 1.01, 1, 0));
	ck_assert(put(c, 1.03, 1, 0));
	ck_assert(val_area_cache_put_zip(c, val_area_cache_epoch(c), "78704",
	                                 DAY, &z, 0));
	ck_assert(val_area_cache_put_zip(c, val_area_cache_epoch(c), "78702",
	                                 DAY, &z, 0));
	/* Within the radius, boundary included: 1 and 1.01 go. */
	ck_assert_uint_eq(val_area_cache_drop_near(c, 1, -97, mi), 2);
	ck_assert(!has(c, 1, 1) && !has(c, 1.01, 1) && has(c, 1.03, 1));
	ck_assert_uint_eq(val_area_cache_drop_zip(c, "78704"), 1);
	ck_assert(!val_area_cache_get_zip(c, "78704", DAY, 1, &out));
	ck_assert(val_area_cache_get_zip(c, "78702", DAY, 1, &out));
	ck_assert_uint_eq(val_area_cache_drop_areas(c), 1);
	ck_assert(val_area_cache_get_zip(c, "78702", DAY, 1, &out));
	ck_assert_uint_eq(val_area_cache_entries(c), 1);
	val_area_cache_free(c);
}
END_TEST

START_TEST(fetch_across_a_drop_is_not_kept)
{
	val_area_cache *c = cache(8, 100, 100000);
	val_zip_summary z = {30, -97, 1500, 4};
	uint64_t before = val_area_cache_epoch(c);

	/* A sale arrives while a search is in flight: what the search
	 * brings back may predate it. */
	val_area_cache_drop_near(c, 50, 50, 1);
	ck_assert(
	    !val_area_cache_put_area(c, before, 1, -97, DAY, area_of(1), 0));
	ck_assert(!val_area_cache_put_zip(c, before, "78704", DAY, &z, 0));
	ck_assert(val_area_cache_put_area(c, val_area_cache_epoch(c), 1, -97,
	                                  DAY, area_of(1), 0));
	val_area_cache_free(c);
}
END_TEST

START_TEST(generations)
{
	val_area_cache *c = cache(8, 100, 100000);

	ck_assert(put(c, 1, 1, 0));
	val_area_cache_sync(c, 7); /* the same: kept */
	ck_assert(has(c, 1, 0));
	/* Our own bump, right after ours: the rest is kept. */
	val_area_cache_advance(c, 8);
	ck_assert_int_eq(val_area_cache_gen(c), 8);
	ck_assert(has(c, 1, 0));
	/* Someone else bumped it too: everything goes. */
	val_area_cache_advance(c, 10);
	ck_assert_int_eq(val_area_cache_gen(c), 10);
	ck_assert(!has(c, 1, 0));
	ck_assert(put(c, 1, 1, 0));
	/* A lookup saw a newer generation (another instance's sale). */
	val_area_cache_sync(c, 11);
	ck_assert(!has(c, 1, 0));
	ck_assert_uint_eq(val_area_cache_entries(c), 0);
	val_area_cache_free(c);
	val_area_cache_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("valuation_area_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_test(tc, hit_is_the_area_put);
	tcase_add_test(tc, unknown_generation_keeps_nothing);
	tcase_add_test(tc, entries_bound_evicts_least_recent);
	tcase_add_test(tc, sales_bound_holds);
	tcase_add_test(tc, entries_expire_at_age_max);
	tcase_add_test(tc, drops_what_a_sale_touches);
	tcase_add_test(tc, fetch_across_a_drop_is_not_kept);
	tcase_add_test(tc, generations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
