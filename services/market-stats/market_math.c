/*
 * market_math.c: medians and the 90-day $/sqft trend of one ZIP's sales.
 */
#include "market_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A month of the Gregorian calendar on average, in days. */
#define DAYS_PER_MONTH 30.436875

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double market_median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof v[0], cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static bool price_ok(const market_sale *s)
{
	return isfinite(s->price) && s->price > 0;
}

static bool ppsf_ok(const market_sale *s)
{
	return price_ok(s) && isfinite(s->sqft) && s->sqft > 0;
}

/* Median $/sqft of the sales whose age in days lies in [lo, hi). */
static double window_median(const market_sale *sales, size_t n, int32_t today,
                            int64_t lo, int64_t hi, double *scratch,
                            size_t *count)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t age = (int64_t)today - sales[i].sold_day;
		if (age >= lo && age < hi && ppsf_ok(&sales[i]))
			scratch[k++] = sales[i].price / sales[i].sqft;
	}
	*count = k;
	return market_median(scratch, k);
}

int market_stats_compute(const market_sale *sales, size_t n, int32_t today,
                         size_t min_window_sales, double *scratch,
                         size_t scratch_len, market_stats *out)
{
	memset(out, 0, sizeof *out);
	out->median_price = out->median_ppsf = NAN;
	out->recent_ppsf = out->prior_ppsf = out->trend_pct = NAN;
	if (n > 0 && (sales == NULL || scratch == NULL))
		return -1;
	if (scratch_len < n || min_window_sales == 0)
		return -1;

	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (price_ok(&sales[i]))
			scratch[k++] = sales[i].price;
	out->count = k;
	out->skipped = n - k;
	out->median_price = market_median(scratch, k);

	k = 0;
	for (size_t i = 0; i < n; i++)
		if (ppsf_ok(&sales[i]))
			scratch[k++] = sales[i].price / sales[i].sqft;
	out->ppsf_count = k;
	out->median_ppsf = market_median(scratch, k);

	const int64_t w = MARKET_TREND_WINDOW_DAYS;
	out->recent_ppsf =
	    window_median(sales, n, today, 0, w, scratch, &out->recent_count);
	out->prior_ppsf = window_median(sales, n, today, w, 2 * w, scratch,
	                                &out->prior_count);
	out->has_trend = out->recent_count >= min_window_sales &&
	                 out->prior_count >= min_window_sales;
	if (out->has_trend)
		out->trend_pct =
		    (out->recent_ppsf / out->prior_ppsf - 1.0) * 100.0;
	return 0;
}

double market_trend_monthly(double trend_pct_90d)
{
	double growth = 1.0 + trend_pct_90d / 100.0;
	if (!(growth > 0))
		return NAN;
	return pow(growth, DAYS_PER_MONTH / MARKET_TREND_WINDOW_DAYS) - 1.0;
}
