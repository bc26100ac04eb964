/*
 * market_math.h: per-ZIP market statistics from a list of sales.
 *
 * Pure: no I/O, no globals, no allocation. The caller (the market-stats
 * daemon) gathers one ZIP's sales, hands them over with a scratch array, and
 * caches the answer. Every pointer is borrowed for the duration of the call.
 *
 * Dates are civil days since 1970-01-01, like valuation_model.h.
 */
#ifndef MARKET_MATH_H
#define MARKET_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each trend window is this many days: the recent one is the 90 days ending
 * today, the prior one the 90 days before it. */
#define MARKET_TREND_WINDOW_DAYS 90
/* Default least number of sales with a known sqft in each window for a
 * trend: below it one odd sale would swing the figure. */
#define MARKET_TREND_MIN_SALES 5

/* One sale. sqft may be 0 or NAN when unknown: the sale then counts for the
 * price median but not for $/sqft nor the trend. */
typedef struct market_sale {
	double price;     /* dollars; a sale with price <= 0 or not finite is
	                     skipped */
	double sqft;      /* living area */
	int32_t sold_day; /* days since 1970-01-01 */
} market_sale;

typedef struct market_stats {
	size_t count;        /* sales with a usable price */
	size_t skipped;      /* sales without one */
	double median_price; /* NAN when count is 0 */
	size_t ppsf_count;   /* of count, sales with a usable sqft too */
	double median_ppsf;  /* median price / sqft; NAN when ppsf_count is 0 */
	/* Trend: recent window 0 <= today - sold_day < 90, prior window
	 * 90 <= today - sold_day < 180 (sales with $/sqft only). */
	size_t recent_count;
	size_t prior_count;
	double recent_ppsf; /* median $/sqft per window; NAN when empty */
	double prior_ppsf;
	bool has_trend;   /* both windows hold at least min_window_sales */
	double trend_pct; /* (recent / prior - 1) * 100; NAN unless has_trend */
} market_stats;

/* The median of n values, sorting them in place (ascending); the mean of the
 * two middle ones when n is even; NAN when n is 0. */
double market_median(double *values, size_t n);

/*
 * Computes *out from n sales as of today. scratch is caller-provided room
 * for at least n doubles (clobbered); sales and scratch may be NULL when n
 * is 0. min_window_sales is the least count per trend window (use
 * MARKET_TREND_MIN_SALES). Returns 0, or -1 (out zeroed, medians NAN) when
 * scratch is too small, an array is NULL with n > 0, or min_window_sales is
 * 0.
 */
int market_stats_compute(const market_sale *sales, size_t n, int32_t today,
                         size_t min_window_sales, double *scratch,
                         size_t scratch_len, market_stats *out);

/* A 90-day trend in percent as the compound monthly rate that produces it
 * over the 90 days between the two windows' midpoints (a month being
 * 30.436875 days), e.g. for val_params.monthly_trend: +3 % -> ~0.00988.
 * NAN for a trend of -100 % or less. */
double market_trend_monthly(double trend_pct_90d);

#endif
