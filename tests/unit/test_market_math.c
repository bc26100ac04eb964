/*
 * test_market_math.c: per-ZIP medians and the 90-day trend, on exact
 * numbers.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "../../services/market-stats/market_math.h"

#define TODAY 20758 /* 2026-11-01 */

START_TEST(median_odd_even_empty)
{
	double none[1] = {0};
	ck_assert(isnan(market_median(none, 0)));
	double one[] = {5};
	ck_assert_double_eq(market_median(one, 1), 5);
	double odd[] = {300, 100, 200};
	ck_assert_double_eq(market_median(odd, 3), 200);
	ck_assert_double_eq(odd[0], 100); /* sorted in place */
	double even[] = {4, 1, 3, 2};
	ck_assert_double_eq(market_median(even, 4), 2.5);
	double dup[] = {7, 7, 1, 9, 7, 1};
	ck_assert_double_eq(market_median(dup, 6), 7);
	double two[] = {250000, 310000};
	ck_assert_double_eq(market_median(two, 2), 280000);
}
END_TEST

/* $/sqft p on 1000 sqft, sold `age` days before TODAY. */
static market_sale sale(double ppsf, int age)
{
	return (market_sale){
	    .price = ppsf * 1000, .sqft = 1000, .sold_day = TODAY - age};
}

/* Recent window (ages 0..89): 200 210 190 205 195 -> median 200.
 * Prior window (ages 90..179): 180 190 185 175 195 -> median 185. */
static size_t trend_sales(market_sale *s)
{
	size_t n = 0;
	s[n++] = sale(200, 0);
	s[n++] = sale(210, 10);
	s[n++] = sale(190, 45);
	s[n++] = sale(205, 60);
	s[n++] = sale(195, 89); /* last day of the recent window */
	s[n++] = sale(180, 90); /* first day of the prior window */
	s[n++] = sale(190, 100);
	s[n++] = sale(185, 120);
	s[n++] = sale(175, 150);
	s[n++] = sale(195, 179);
	s[n++] = sale(100, 180); /* in neither window */
	s[n++] = sale(400, -1);  /* dated tomorrow: in neither window */
	return n;
}

START_TEST(stats_exact_numbers)
{
	market_sale s[16];
	size_t n = trend_sales(s);
	/* A sale without sqft counts for price only; a bad price not at all. */
	s[n++] = (market_sale){.price = 150000, .sqft = 0, .sold_day = TODAY};
	s[n++] = (market_sale){.price = -1, .sqft = 1000, .sold_day = TODAY};
	s[n++] = (market_sale){.price = NAN, .sqft = 1000, .sold_day = TODAY};
	double scratch[16];
	market_stats st;
	ck_assert_int_eq(market_stats_compute(s, n, TODAY,
	                                      MARKET_TREND_MIN_SALES, scratch,
	                                      16, &st),
	                 0);
	ck_assert_uint_eq(st.count, 13);
	ck_assert_uint_eq(st.skipped, 2);
	/* Prices (thousands): 100 150 175 180 185 190 190 195 195 200 205
	 * 210 400 -> the 7th: 190. */
	ck_assert_double_eq(st.median_price, 190000);
	/* $/sqft: the 12 with sqft -> mean of the 6th and 7th: 190, 195. */
	ck_assert_uint_eq(st.ppsf_count, 12);
	ck_assert_double_eq(st.median_ppsf, 192.5);
	ck_assert_uint_eq(st.recent_count, 5);
	ck_assert_uint_eq(st.prior_count, 5);
	ck_assert_double_eq(st.recent_ppsf, 200);
	ck_assert_double_eq(st.prior_ppsf, 185);
	ck_assert(st.has_trend);
	ck_assert_double_eq_tol(st.trend_pct, 8.108108108, 1e-9);
}
END_TEST

START_TEST(stats_trend_needs_min_sales)
{
	market_sale s[16];
	size_t n = trend_sales(s);
	double scratch[16];
	market_stats st;
	/* Five sales per window: enough for 5, not for 6. */
	ck_assert_int_eq(market_stats_compute(s, n, TODAY, 5, scratch, 16, &st),
	                 0);
	ck_assert(st.has_trend);
	ck_assert_int_eq(market_stats_compute(s, n, TODAY, 6, scratch, 16, &st),
	                 0);
	ck_assert(!st.has_trend);
	ck_assert(isnan(st.trend_pct));
	/* The window medians are still reported. */
	ck_assert_double_eq(st.recent_ppsf, 200);
	ck_assert_double_eq(st.prior_ppsf, 185);

	/* Falling market: a prior window of 250 gives (200/250 - 1) = -20 %. */
	for (size_t i = 5; i < 10; i++)
		s[i].price = 250000;
	ck_assert_int_eq(market_stats_compute(s, n, TODAY, 5, scratch, 16, &st),
	                 0);
	ck_assert_double_eq_tol(st.trend_pct, -20.0, 1e-9);

	/* An empty prior window: no trend, NAN median. */
	ck_assert_int_eq(market_stats_compute(s, 5, TODAY, 1, scratch, 16, &st),
	                 0);
	ck_assert_uint_eq(st.prior_count, 0);
	ck_assert(isnan(st.prior_ppsf));
	ck_assert(!st.has_trend);
}
END_TEST

START_TEST(stats_empty_and_errors)
{
	market_stats st;
	ck_assert_int_eq(market_stats_compute(NULL, 0, TODAY, 5, NULL, 0, &st),
	                 0);
	ck_assert_uint_eq(st.count, 0);
	ck_assert(isnan(st.median_price));
	ck_assert(isnan(st.median_ppsf));
	ck_assert(!st.has_trend);

	market_sale s[2] = {sale(100, 1), sale(200, 2)};
	double scratch[2];
	ck_assert_int_eq(market_stats_compute(s, 2, TODAY, 5, scratch, 1, &st),
	                 -1);
	ck_assert(isnan(st.median_price));
	ck_assert_int_eq(market_stats_compute(s, 2, TODAY, 5, NULL, 2, &st),
	                 -1);
	ck_assert_int_eq(
	    market_stats_compute(NULL, 2, TODAY, 5, scratch, 2, &st), -1);
	ck_assert_int_eq(market_stats_compute(s, 2, TODAY, 0, scratch, 2, &st),
	                 -1);
	ck_assert_int_eq(market_stats_compute(s, 2, TODAY, 5, scratch, 2, &st),
	                 0);
	ck_assert_double_eq(st.median_price, 150000);
	ck_assert_double_eq(st.median_ppsf, 150);
}
END_TEST

START_TEST(trend_to_monthly)
{
	ck_assert_double_eq(market_trend_monthly(0), 0);
	/* 1.03^(30.436875 / 90) - 1 */
	ck_assert_double_eq_tol(market_trend_monthly(3.0), 0.0100465485, 1e-10);
	ck_assert(market_trend_monthly(-3.0) < 0);
	ck_assert(isnan(market_trend_monthly(-100)));
	ck_assert(isnan(market_trend_monthly(NAN)));
}
END_TEST

static Suite *market_suite(void)
{
	Suite *s = suite_create("market_math");
	TCase *tc = tcase_create("stats");
	tcase_add_test(tc, median_odd_even_empty);
	tcase_add_test(tc, stats_exact_numbers);
	tcase_add_test(tc, stats_trend_needs_min_sales);
	tcase_add_test(tc, stats_empty_and_errors);
	tcase_add_test(tc, trend_to_monthly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(market_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
