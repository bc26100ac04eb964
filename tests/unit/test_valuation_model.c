/*
 * test_valuation_model.c: the valuation model on hand-computed cases, its
 * properties, and real-looking subjects valued from examples/comps.json.
 * Run from the repository root (the seed data is found by relative path).
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/valuation/valuation_model.h"

/* Miles per degree of latitude on the Redis GEO sphere. */
#define MI_PER_DEG_LAT 69.11281863914793

#define SUBJ_LAT 30.2430
#define SUBJ_LON -97.7650

static int32_t today(void)
{
	int32_t d;
	ck_assert(val_day_from_civil(2026, 11, 1, &d));
	return d;
}

static val_property subject(void)
{
	return (val_property){.lat = SUBJ_LAT,
	                      .lon = SUBJ_LON,
	                      .sqft = 1800,
	                      .beds = 3,
	                      .baths = 2,
	                      .year_built = 1990,
	                      .lot_sqft = 6000};
}

/* A copy of the subject sold for price `days_ago` days before today, `mi`
 * miles due north of it. */
static val_comp comp_at(double mi, int days_ago, double price)
{
	val_comp c = {.id = "c", .home = subject(), .price = price};
	c.home.lat += mi / MI_PER_DEG_LAT;
	c.sold_day = today() - days_ago;
	return c;
}

static val_params params(void)
{
	val_params p;
	val_params_default(&p);
	return p;
}

/* ---- Geometry and dates ------------------------------------------------ */

START_TEST(distance_haversine)
{
	ck_assert_double_eq(val_distance_mi(30, -97, 30, -97), 0.0);
	ck_assert_double_eq_tol(val_distance_mi(0, 0, 1, 0), 69.1128, 1e-4);
	/* Austin to Phoenix and Columbus city halls. */
	ck_assert_double_eq_tol(
	    val_distance_mi(30.2672, -97.7431, 33.4484, -112.0740), 868.685,
	    1e-3);
	ck_assert_double_eq_tol(
	    val_distance_mi(30.2672, -97.7431, 39.9612, -82.9988), 1066.914,
	    1e-3);
	/* Symmetric, and antipodes do not produce NaN. */
	ck_assert_double_eq(val_distance_mi(1, 2, 3, 4),
	                    val_distance_mi(3, 4, 1, 2));
	ck_assert_double_eq_tol(val_distance_mi(0, 0, 0, 180), M_PI * 3959.8728,
	                        1e-3);
	ck_assert_double_eq(val_radius_mi(0), 0.5);
	ck_assert_double_eq(val_radius_mi(2), 2.0);
	ck_assert_double_eq(val_radius_mi(3), 0.0);
	ck_assert_double_eq(val_radius_mi(-1), 0.0);
}
END_TEST

START_TEST(dates_parse_and_format)
{
	int32_t d = -1;
	char buf[11];
	ck_assert(val_day_parse("1970-01-01", &d));
	ck_assert_int_eq(d, 0);
	ck_assert(val_day_parse("2026-11-01", &d));
	ck_assert_int_eq(d, 20758);
	ck_assert(val_day_parse("2024-02-29", &d));
	val_day_format(d, buf);
	ck_assert_str_eq(buf, "2024-02-29");
	ck_assert(val_day_parse("1969-12-31", &d));
	ck_assert_int_eq(d, -1);

	d = 7;
	ck_assert(!val_day_parse("2025-02-29", &d));
	ck_assert(!val_day_parse("2026-13-01", &d));
	ck_assert(!val_day_parse("2026-00-10", &d));
	ck_assert(!val_day_parse("2026-04-31", &d));
	ck_assert(!val_day_parse("2026-1-01", &d));
	ck_assert(!val_day_parse("2026-11-01T00", &d));
	ck_assert(!val_day_parse("2026/11/01", &d));
	ck_assert(!val_day_parse("0000-01-01", &d));
	ck_assert(!val_day_parse("", &d));
	ck_assert(!val_day_parse(NULL, &d));
	ck_assert_int_eq(d, 7);
}
END_TEST

START_TEST(dates_months_before_clamps_to_month_end)
{
	int32_t d, want;
	ck_assert(val_day_parse("2026-03-31", &d));
	ck_assert(val_day_parse("2026-02-28", &want));
	ck_assert_int_eq(val_months_before(d, 1), want);
	ck_assert(val_day_parse("2024-03-31", &d));
	ck_assert(val_day_parse("2024-02-29", &want));
	ck_assert_int_eq(val_months_before(d, 1), want);
	ck_assert(val_day_parse("2026-01-15", &d));
	ck_assert(val_day_parse("2025-12-15", &want));
	ck_assert_int_eq(val_months_before(d, 1), want);
	ck_assert(val_day_parse("2025-11-01", &want));
	ck_assert_int_eq(val_months_before(today(), 12), want);
}
END_TEST

/* ---- Adjustments ------------------------------------------------------- */

START_TEST(adjust_identical_comp_only_time)
{
	val_params p = params();
	val_property s = subject();
	val_comp c = comp_at(0, 100, 500000);
	val_adjustments a;
	val_adjust(&s, &c, &p, today(), &a);
	/* 100 days = 3.28549 months at +0.3 %/month: 1.003^3.28549 - 1. */
	ck_assert_double_eq_tol(a.time, 4945.149, 1e-3);
	ck_assert_double_eq(a.size, 0);
	ck_assert_double_eq(a.beds, 0);
	ck_assert_double_eq(a.baths, 0);
	ck_assert_double_eq(a.age, 0);
	ck_assert_double_eq_tol(a.total, 4945.149, 1e-3);
	ck_assert_double_eq(a.gross_pct, 0);
}
END_TEST

START_TEST(adjust_bigger_comp_down)
{
	val_params p = params();
	val_property s = subject();
	s.sqft = 2000;
	s.year_built = 1990;
	val_comp c = comp_at(0, 0, 480000); /* sold today: no market time */
	c.home.sqft = 2400;                 /* $200/sqft */
	c.home.beds = 4;
	c.home.baths = 2.5;
	c.home.year_built = 2000;
	val_adjustments a;
	val_adjust(&s, &c, &p, today(), &a);
	ck_assert_double_eq(a.time, 0);
	ck_assert_double_eq_tol(a.size, -48000, 1e-6); /* -400 * 200 * 0.6 */
	ck_assert_double_eq_tol(a.beds, -9600, 1e-6);  /* -1 * 2 % */
	ck_assert_double_eq_tol(a.baths, -7200, 1e-6); /* -0.5 * 3 % */
	ck_assert_double_eq_tol(a.age, -9600, 1e-6);   /* -10 y * 0.2 % */
	ck_assert_double_eq_tol(a.total, -74400, 1e-6);
	ck_assert_double_eq_tol(a.gross_pct, 0.155, 1e-12);
}
END_TEST

START_TEST(adjust_caps_and_unknowns)
{
	val_params p = params();
	val_property s = subject();
	s.sqft = 2000;
	s.year_built = 2020;
	val_comp c = comp_at(0, 0, 1600000);
	c.home.sqft = 8000; /* -6000 * 200 * 0.6 = -720000, capped at 40 % */
	c.home.year_built = 1940; /* +80 y * 0.2 % = 16 %, capped at 10 % */
	val_adjustments a;
	val_adjust(&s, &c, &p, today(), &a);
	ck_assert_double_eq_tol(a.size, -640000, 1e-6);
	ck_assert_double_eq_tol(a.age, 160000, 1e-6);
	/* Similarity counts what the comp would need, before the caps. */
	ck_assert_double_eq_tol(a.gross_pct, (720000 + 256000) / 1600000.0,
	                        1e-12);
	/* At the cap exactly: 6000 sqft, -4000 * 200 * 0.6 = 40 % of 1.2M. */
	c.price = 1200000;
	c.home.sqft = 6000;
	val_adjust(&s, &c, &p, today(), &a);
	ck_assert_double_eq_tol(a.size, -480000, 1e-6);

	/* Unknown beds, baths or year on either side: no adjustment. */
	s.beds = VAL_UNKNOWN;
	c.home.baths = VAL_UNKNOWN;
	s.baths = 3;
	c.home.year_built = 0;
	c.home.beds = 5;
	val_adjust(&s, &c, &p, today(), &a);
	ck_assert_double_eq(a.beds, 0);
	ck_assert_double_eq(a.baths, 0);
	ck_assert_double_eq(a.age, 0);

	/* Adjustments are in today's dollars: a comp sold a year ago at
	 * +1 %/month pays 1.01^(365/30.436875) per bedroom. */
	p.monthly_trend = 0.01;
	s = subject();
	c = comp_at(0, 365, 100000);
	c.home.beds = 2;
	val_adjust(&s, &c, &p, today(), &a);
	ck_assert_double_eq_tol(
	    a.time, 100000 * (pow(1.01, 365 / 30.436875) - 1), 1e-6);
	ck_assert_double_eq_tol(a.beds, 0.02 * (100000 + a.time), 1e-6);
}
END_TEST

/* ---- Weights ----------------------------------------------------------- */

START_TEST(weight_formula_and_ordering)
{
	val_params p = params();
	ck_assert_double_eq_tol(val_weight(0, 0, 0, &p), 1.0, 1e-15);
	ck_assert_double_eq_tol(val_weight(0.5, 0, 0, &p), 0.5, 1e-15);
	ck_assert_double_eq_tol(val_weight(0, 180, 0, &p), 0.5, 1e-15);
	ck_assert_double_eq_tol(val_weight(0, 0, 0.15, &p), 0.5, 1e-15);
	ck_assert_double_eq_tol(val_weight(0.5, 180, 0.15, &p), 0.125, 1e-15);
	ck_assert_double_eq_tol(val_weight(-1, -5, -0.1, &p), 1.0, 1e-15);
	/* Strictly decreasing in distance, age and gross adjustment. */
	for (int i = 0; i < 40; i++) {
		double x = i * 0.05;
		ck_assert(val_weight(x + 0.05, 30, 0.1, &p) <
		          val_weight(x, 30, 0.1, &p));
		ck_assert(val_weight(0.3, i * 10 + 10, 0.1, &p) <
		          val_weight(0.3, i * 10, 0.1, &p));
		ck_assert(val_weight(0.3, 30, x + 0.05, &p) <
		          val_weight(0.3, 30, x, &p));
	}
}
END_TEST

/* ---- Estimates --------------------------------------------------------- */

START_TEST(estimate_identical_comps_time_adjusted)
{
	val_property s = subject();
	val_comp c[3] = {comp_at(0, 100, 500000), comp_at(0, 100, 500000),
	                 comp_at(0, 100, 500000)};
	c[0].id = "a";
	c[1].id = "b";
	c[2].id = "c";
	val_result r;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r), VAL_OK);
	ck_assert_str_eq(r.reason, "");
	ck_assert_double_eq(r.radius_mi, 0.5);
	ck_assert_double_eq(r.value, 505000); /* 504945.15 rounded */
	ck_assert_double_eq(r.low, 480000);   /* -5 % floor: 479697.9 */
	ck_assert_double_eq(r.high, 530000);  /* +5 %: 530192.4 */
	ck_assert_double_eq_tol(r.spread, 0, 1e-6);
	/* 3 comps: 0.7; no spread: 1; next door: 1. */
	ck_assert_double_eq_tol(r.confidence, 0.7, 1e-12);
	ck_assert_int_eq(r.label, VAL_CONF_HIGH);
	ck_assert_str_eq(val_confidence_name(r.label), "high");
	ck_assert_uint_eq(r.n_comps, 3);
	ck_assert_uint_eq(r.n_listed, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(r.comps[i].index, i); /* ties: input order */
		ck_assert_ptr_eq(r.comps[i].id, c[i].id);
		ck_assert_int_eq(r.comps[i].days_since_sale, 100);
		ck_assert_double_eq_tol(r.comps[i].adjusted_price, 504945.149,
		                        1e-3);
		ck_assert_double_eq_tol(r.comps[i].weight, 1.0 / 3, 1e-12);
	}
}
END_TEST

START_TEST(estimate_hand_computed_weights)
{
	val_property s = subject();
	/* Same homes, sold today, at 0, 0.25 and 1.5 miles. */
	val_comp c[3] = {comp_at(0, 0, 400000), comp_at(0.25, 0, 500000),
	                 comp_at(1.5, 0, 600000)};
	val_result r;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r), VAL_OK);
	ck_assert_uint_eq(r.found[0], 2);
	ck_assert_uint_eq(r.found[1], 2);
	ck_assert_uint_eq(r.found[2], 3);
	ck_assert_double_eq(r.radius_mi, 2.0);
	/* Raw weights 1, 2/3, 1/4. */
	ck_assert_uint_eq(r.comps[0].index, 0);
	ck_assert_uint_eq(r.comps[1].index, 1);
	ck_assert_uint_eq(r.comps[2].index, 2);
	ck_assert_double_eq_tol(r.comps[0].weight, 0.5217391304, 1e-9);
	ck_assert_double_eq_tol(r.comps[1].weight, 0.3478260870, 1e-9);
	ck_assert_double_eq_tol(r.comps[2].weight, 0.1304347826, 1e-9);
	ck_assert_double_eq_tol(r.comps[1].distance_mi, 0.25, 1e-9);
	ck_assert_double_eq(r.value, 461000);              /* 460869.57 */
	ck_assert_double_eq_tol(r.spread, 70643.81, 0.01); /* > 5 % */
	ck_assert_double_eq(r.low, 390000);                /* 390225.75 */
	ck_assert_double_eq(r.high, 532000);               /* 531513.38 */
	ck_assert_double_eq_tol(r.confidence, 0.327826, 1e-6);
	ck_assert_int_eq(r.label, VAL_CONF_LOW);
}
END_TEST

START_TEST(estimate_radius_widens_then_fails)
{
	val_property s = subject();
	val_result r;
	val_comp c[5] = {comp_at(0.3, 10, 500000), comp_at(0.4, 10, 500000),
	                 comp_at(0.45, 10, 500000), comp_at(0.8, 10, 500000),
	                 comp_at(1.5, 10, 500000)};

	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r), VAL_OK);
	ck_assert_double_eq(r.radius_mi, 0.5);
	ck_assert_uint_eq(r.n_comps, 3);

	/* Two within 0.5 mi, the third at 0.8: 1 mile. */
	val_comp c1[3] = {c[0], c[1], c[3]};
	ck_assert_int_eq(val_estimate(&s, c1, 3, NULL, today(), &r), VAL_OK);
	ck_assert_double_eq(r.radius_mi, 1.0);
	ck_assert_uint_eq(r.found[0], 2);
	ck_assert_uint_eq(r.found[1], 3);

	/* One each within 0.5, 1 and 2 miles: 2 miles, all used. */
	val_comp c2[4] = {c[0], c[3], c[4], comp_at(2.5, 10, 500000)};
	ck_assert_int_eq(val_estimate(&s, c2, 4, NULL, today(), &r), VAL_OK);
	ck_assert_double_eq(r.radius_mi, 2.0);
	ck_assert_uint_eq(r.n_comps, 3);
	ck_assert_uint_eq(r.found[2], 3);

	/* The radius chosen leaves out the comps beyond it: with 0.5 mi
	 * enough, the 0.8 mi comp does not count. */
	val_comp c3[4] = {c[3], c[0], c[1], c[2]};
	ck_assert_int_eq(val_estimate(&s, c3, 4, NULL, today(), &r), VAL_OK);
	ck_assert_uint_eq(r.n_comps, 3);
	ck_assert_uint_eq(r.n_listed, 3);
	for (size_t i = 0; i < r.n_listed; i++)
		ck_assert_uint_ne(r.comps[i].index, 0);

	/* One recent comp within 2 miles, one too far, one too old, one in
	 * the future: no value. */
	val_comp c4[4] = {c[0], comp_at(2.5, 10, 500000),
	                  comp_at(0.1, 400, 500000), comp_at(0.1, -1, 500000)};
	ck_assert_int_eq(val_estimate(&s, c4, 4, NULL, today(), &r),
	                 VAL_ENOTENOUGH);
	ck_assert_str_eq(r.reason, "not enough comparable sales within 2 "
	                           "miles: found 1, need 3 sold in the last 12 "
	                           "months");
	ck_assert_uint_eq(r.found[2], 1);
	ck_assert_double_eq(r.radius_mi, 0);
	ck_assert_uint_eq(r.n_comps, 0);
	ck_assert_uint_eq(r.n_listed, 0);

	ck_assert_int_eq(val_estimate(&s, NULL, 0, NULL, today(), &r),
	                 VAL_ENOTENOUGH);
	ck_assert_str_eq(r.reason, "not enough comparable sales within 2 "
	                           "miles: found 0, need 3 sold in the last 12 "
	                           "months");
	ck_assert_str_eq(val_status_name(r.status), "not_enough_comps");
}
END_TEST

START_TEST(estimate_recency_window_boundary)
{
	val_property s = subject();
	val_params p = params();
	int32_t from = val_months_before(today(), 12);
	val_comp c[3] = {comp_at(0.1, 0, 500000), comp_at(0.1, 0, 500000),
	                 comp_at(0.1, 0, 500000)};
	val_result r;
	c[2].sold_day = from; /* first day of the window: counts */
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r), VAL_OK);
	c[2].sold_day = from - 1; /* the day before: does not */
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_ENOTENOUGH);
	p.recency_months = 13;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r), VAL_OK);
	ck_assert_str_eq(r.reason, "");
	p.recency_months = 12;
	p.min_comps = 2;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r), VAL_OK);
	ck_assert_uint_eq(r.n_comps, 2);
}
END_TEST

START_TEST(estimate_skips_unusable_comps)
{
	val_property s = subject();
	val_comp c[6] = {comp_at(0.1, 5, 500000), comp_at(0.1, 5, 500000),
	                 comp_at(0.1, 5, 500000), comp_at(0.1, 5, 0),
	                 comp_at(0.1, 5, 500000), comp_at(0.1, 5, NAN)};
	c[4].home.sqft = 0;
	val_result r;
	ck_assert_int_eq(val_estimate(&s, c, 6, NULL, today(), &r), VAL_OK);
	ck_assert_uint_eq(r.found[0], 3);
	ck_assert_uint_eq(r.n_comps, 3);
	ck_assert(!val_comp_usable(&c[3]));
	ck_assert(!val_comp_usable(&c[4]));
	ck_assert(!val_comp_usable(&c[5]));
	c[0].home.baths = 1.3;
	ck_assert(!val_comp_usable(&c[0]));
	c[0].home.baths = 1.5;
	c[0].home.year_built = 1200;
	ck_assert(!val_comp_usable(&c[0]));
	c[0].home.year_built = 0;
	ck_assert(val_comp_usable(&c[0]));
}
END_TEST

START_TEST(estimate_lists_heaviest_values_all)
{
	val_property s = subject();
	enum { N = VAL_MAX_LISTED + 5 };
	val_comp c[N];
	/* Farther comps at lower indexes: weights rise with the index. */
	for (int i = 0; i < N; i++)
		c[i] = comp_at(0.01 * (N - i), 10, 400000 + 1000 * i);
	val_result r;
	ck_assert_int_eq(val_estimate(&s, c, N, NULL, today(), &r), VAL_OK);
	ck_assert_uint_eq(r.n_comps, N);
	ck_assert_uint_eq(r.n_listed, 10);
	double listed = 0;
	for (size_t i = 0; i < r.n_listed; i++) {
		ck_assert_uint_eq(r.comps[i].index, N - 1 - i);
		listed += r.comps[i].weight;
		if (i > 0)
			ck_assert(r.comps[i].weight < r.comps[i - 1].weight);
	}
	/* The weights are shares of all 30 comps. */
	ck_assert(listed > 0.33 && listed < 0.5);

	val_params p = params();
	p.max_listed = VAL_MAX_LISTED;
	val_result r2;
	ck_assert_int_eq(val_estimate(&s, c, N, &p, today(), &r2), VAL_OK);
	ck_assert_uint_eq(r2.n_listed, VAL_MAX_LISTED);
	ck_assert_uint_eq(r2.comps[VAL_MAX_LISTED - 1].index, 5);
	/* How many are listed changes nothing else. */
	ck_assert_double_eq(r2.value, r.value);
	ck_assert_double_eq(r2.confidence, r.confidence);
	ck_assert_double_eq(r2.comps[0].weight, r.comps[0].weight);

	p.max_listed = 1;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r2), VAL_OK);
	ck_assert_uint_eq(r2.n_comps, 3);
	ck_assert_uint_eq(r2.n_listed, 1);
	ck_assert_uint_eq(r2.comps[0].index, 2);
}
END_TEST

START_TEST(estimate_confidence_falls_with_spread)
{
	val_property s = subject();
	val_comp tight[5], wide[5];
	for (int i = 0; i < 5; i++) {
		tight[i] = comp_at(0.2, 30, 500000);
		wide[i] = comp_at(0.2, 30, 400000 + 50000 * i);
	}
	val_result rt, rw;
	ck_assert_int_eq(val_estimate(&s, tight, 5, NULL, today(), &rt),
	                 VAL_OK);
	ck_assert_int_eq(val_estimate(&s, wide, 5, NULL, today(), &rw), VAL_OK);
	ck_assert_double_eq(rt.value, rw.value);
	ck_assert(rw.confidence < rt.confidence);
	ck_assert(rw.high - rw.low > rt.high - rt.low);
	/* Equal weights: sd of 400..600k (70710.68), times the 30-day market
	 * time factor 1.003^(30/30.436875). */
	ck_assert_double_eq_tol(rw.spread, 70919.77, 0.01);
	ck_assert_double_eq_tol(rt.spread, 0, 1e-6);
	/* 5 comps (0.9) at 0.2 mi (0.97); spread factor 1 vs 1 - 0.1414/0.3. */
	ck_assert_double_eq_tol(rt.confidence, 0.873, 1e-9);
	ck_assert_double_eq_tol(rw.confidence, 0.461464, 1e-6);
	ck_assert_int_eq(rt.label, VAL_CONF_HIGH);
	ck_assert_int_eq(rw.label, VAL_CONF_MEDIUM);
}
END_TEST

START_TEST(estimate_bad_subject)
{
	val_result r;
	val_comp c[3] = {comp_at(0, 1, 1), comp_at(0, 1, 1), comp_at(0, 1, 1)};
	val_property s = subject();
	s.sqft = VAL_UNKNOWN;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason,
	                 "subject.sqft: missing (living area is required)");
	ck_assert_str_eq(val_status_name(r.status), "bad_subject");
	s.sqft = 0;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.sqft: 0 is outside 1..100000");
	s.sqft = VAL_MAX_SQFT;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_OK);
	s.sqft = VAL_MAX_SQFT + 1;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_EBADSUBJECT);

	s = subject();
	s.lat = 91;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.lat: 91 is outside -90..90");
	s.lat = 90;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_OK);
	s.lat = VAL_UNKNOWN;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.lat: missing");
	s = subject();
	s.lon = -180.5;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.lon: -180.5 is outside -180..180");
	s.lon = INFINITY;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_EBADSUBJECT);

	s = subject();
	s.baths = 2.25;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.baths: 2.25 is not a count of "
	                           "0..50 (a half bath counts .5)");
	s.baths = VAL_MAX_ROOMS;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_OK);
	s.beds = -1;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.beds: -1 is not a count of 0..50");
	s = subject();
	s.year_built = VAL_YEAR_MIN - 1;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason,
	                 "subject.year_built: 1699 is outside 1700..2100");
	s.year_built = VAL_YEAR_MIN;
	ck_assert_int_eq(val_subject_check(&s, NULL, 0), VAL_OK);
	s.lot_sqft = -5;
	ck_assert_int_eq(val_subject_check(&s, r.reason, sizeof r.reason),
	                 VAL_EBADSUBJECT);
	ck_assert_str_eq(r.reason, "subject.lot_sqft: -5 must be >= 0");

	/* Optional fields may be unknown. */
	s = subject();
	s.beds = s.baths = s.lot_sqft = VAL_UNKNOWN;
	s.year_built = 0;
	ck_assert_int_eq(val_estimate(&s, c, 3, NULL, today(), &r), VAL_OK);
	ck_assert_int_eq(val_estimate(NULL, c, 3, NULL, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason, "subject: missing");
}
END_TEST

START_TEST(estimate_bad_params)
{
	val_property s = subject();
	val_comp c[3] = {comp_at(0, 1, 1e5), comp_at(0, 1, 1e5),
	                 comp_at(0, 1, 1e5)};
	val_result r;
	val_params p = params();
	p.max_listed = VAL_MAX_LISTED + 1;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason, "params.max_listed: 26 is outside 1..25");
	p.max_listed = 0;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	p = params();
	p.min_comps = 0;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason, "params.min_comps: 0 is outside 1..100");
	p.min_comps = VAL_MAX_MIN_COMPS + 1;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	p.min_comps = VAL_MAX_MIN_COMPS;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_ENOTENOUGH);
	ck_assert_str_eq(r.reason, "not enough comparable sales within 2 "
	                           "miles: found 3, need 100 sold in the last "
	                           "12 months");
	p = params();
	p.recency_months = 121;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason,
	                 "params.recency_months: 121 is outside 1..120");
	p.recency_months = 120;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r), VAL_OK);
	p = params();
	p.monthly_trend = 0.06;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason,
	                 "params.monthly_trend: 0.06 is outside -0.05..0.05");
	p = params();
	p.round_to = NAN;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	p = params();
	p.dist_scale_mi = 0;
	ck_assert_int_eq(val_estimate(&s, c, 3, &p, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_int_eq(val_estimate(&s, NULL, 3, NULL, today(), &r),
	                 VAL_EBADPARAMS);
	ck_assert_str_eq(r.reason, "candidates: NULL with 3 comps");
	ck_assert_str_eq(val_status_name(r.status), "bad_params");
}
END_TEST

START_TEST(estimate_value_within_adjusted_range)
{
	val_property s = subject();
	val_params p = params();
	p.round_to = 1;
	val_comp c[7];
	for (int i = 0; i < 7; i++) {
		c[i] = comp_at(0.05 * i, 20 * i, 350000 + 37000 * i);
		c[i].home.sqft = 1400 + 150 * i;
		c[i].home.beds = 2 + i % 3;
		c[i].home.year_built = 1950 + 9 * i;
	}
	val_result r;
	ck_assert_int_eq(val_estimate(&s, c, 7, &p, today(), &r), VAL_OK);
	double lo = INFINITY, hi = -INFINITY;
	ck_assert_uint_eq(r.n_listed, r.n_comps); /* all 7 listed */
	for (size_t i = 0; i < r.n_listed; i++) {
		lo = fmin(lo, r.comps[i].adjusted_price);
		hi = fmax(hi, r.comps[i].adjusted_price);
		ck_assert_double_eq_tol(
		    r.comps[i].adjusted_price,
		    r.comps[i].sale_price + r.comps[i].adj.total, 1e-9);
	}
	ck_assert(r.value >= lo - 0.5 && r.value <= hi + 0.5);
	ck_assert(r.low <= r.value && r.value <= r.high);
	ck_assert(r.high - r.value >= 0.05 * r.value - 1);
}
END_TEST

START_TEST(estimate_monotonic_in_sqft)
{
	val_params p = params();
	p.round_to = 1;
	val_comp c[6];
	for (int i = 0; i < 6; i++) {
		c[i] = comp_at(0.1 * i, 30 * i, 300000 + 45000 * i);
		c[i].home.sqft = 1200 + 250 * i;
	}
	double prev = 0;
	for (double sqft = 800; sqft <= 3500; sqft += 50) {
		val_property s = subject();
		s.sqft = sqft;
		val_result r;
		ck_assert_int_eq(val_estimate(&s, c, 6, &p, today(), &r),
		                 VAL_OK);
		ck_assert_msg(r.value >= prev, "value fell at %g sqft: %g < %g",
		              sqft, r.value, prev);
		prev = r.value;
	}
}
END_TEST

START_TEST(estimate_is_deterministic)
{
	val_property s = subject();
	val_comp c[4] = {comp_at(0.1, 3, 410000), comp_at(0.2, 50, 420000),
	                 comp_at(0.3, 90, 430000), comp_at(0.4, 200, 440000)};
	val_result a, b;
	val_estimate(&s, c, 4, NULL, today(), &a);
	val_estimate(&s, c, 4, NULL, today(), &b);
	ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
}
END_TEST

/* ---- The seed data set --------------------------------------------------- */

#define SEED_PATH "examples/comps.json"

static json_t *seed_root;
static val_comp *seed;
static size_t n_seed;
static int32_t seed_today;

static double num_or_unknown(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : VAL_UNKNOWN;
}

static void seed_load(void)
{
	json_error_t err;
	seed_root = json_load_file(SEED_PATH, 0, &err);
	ck_assert_msg(seed_root != NULL, "%s:%d: %s (run from the repo root)",
	              SEED_PATH, err.line, err.text);
	ck_assert(val_day_parse(
	    json_string_value(json_object_get(seed_root, "reference_date")),
	    &seed_today));
	json_t *arr = json_object_get(seed_root, "comps");
	n_seed = json_array_size(arr);
	ck_assert(n_seed >= 500 && n_seed <= 1500);
	seed = calloc(n_seed, sizeof *seed);
	ck_assert_ptr_nonnull(seed);
	for (size_t i = 0; i < n_seed; i++) {
		json_t *o = json_array_get(arr, i);
		val_comp *c = &seed[i];
		c->id = json_string_value(json_object_get(o, "id"));
		c->home.lat = num_or_unknown(json_object_get(o, "lat"));
		c->home.lon = num_or_unknown(json_object_get(o, "lon"));
		c->home.sqft = num_or_unknown(json_object_get(o, "sqft"));
		c->home.beds = num_or_unknown(json_object_get(o, "beds"));
		c->home.baths = num_or_unknown(json_object_get(o, "baths"));
		c->home.year_built =
		    (int)json_integer_value(json_object_get(o, "year_built"));
		c->home.lot_sqft =
		    num_or_unknown(json_object_get(o, "lot_sqft"));
		c->price = num_or_unknown(json_object_get(o, "price"));
		ck_assert(val_day_parse(
		    json_string_value(json_object_get(o, "sold_date")),
		    &c->sold_day));
		ck_assert_msg(val_comp_usable(c), "unusable seed comp %s",
		              c->id);
		ck_assert(c->sold_day <= seed_today);
	}
}

static void seed_free(void)
{
	free(seed);
	seed = NULL;
	json_decref(seed_root);
	seed_root = NULL;
}

struct seed_case {
	const char *zip;
	val_property home;
	double min, max; /* a plausible band for such a home there */
};

static const struct seed_case seed_cases[] = {
    /* South Austin: a 1960s 3/2 bungalow near Bouldin Creek. */
    {"78704", {30.2445, -97.7631, 1800, 3, 2, 1965, 7000}, 650000, 1000000},
    /* Phoenix, Biltmore area: a 1970s ranch house. */
    {"85016", {33.5065, -112.0290, 1600, 3, 2, 1978, 8000}, 450000, 700000},
    /* Columbus, Clintonville: a 1950s cape cod. */
    {"43214", {40.0541, -83.0190, 1500, 3, 1.5, 1952, 6500}, 250000, 420000},
};

START_TEST(seed_values_realistic_subjects)
{
	const struct seed_case *sc = &seed_cases[_i];
	val_result r;
	ck_assert_int_eq(
	    val_estimate(&sc->home, seed, n_seed, NULL, seed_today, &r),
	    VAL_OK);
	ck_assert_msg(r.value >= sc->min && r.value <= sc->max,
	              "%s: %g outside %g..%g", sc->zip, r.value, sc->min,
	              sc->max);
	ck_assert(r.low < r.value && r.value < r.high);
	ck_assert_double_eq(r.radius_mi, 0.5);
	ck_assert_uint_eq(r.n_listed, 10);
	ck_assert_uint_ge(r.n_comps, 10);
	ck_assert(r.label != VAL_CONF_LOW);
	/* Every comp listed comes from the subject's own neighbourhood. */
	for (size_t i = 0; i < r.n_listed; i++) {
		const val_comp_used *u = &r.comps[i];
		ck_assert(u->distance_mi <= 0.5);
		ck_assert(u->days_since_sale <= 366);
		ck_assert_ptr_nonnull(u->id);
	}
	/* Listing them all: the value lies within their adjusted prices. */
	val_params p;
	val_params_default(&p);
	p.max_listed = VAL_MAX_LISTED;
	ck_assert_int_eq(
	    val_estimate(&sc->home, seed, n_seed, &p, seed_today, &r), VAL_OK);
	ck_assert_uint_eq(r.n_listed, r.n_comps);
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < r.n_listed; i++) {
		lo = fmin(lo, r.comps[i].adjusted_price);
		hi = fmax(hi, r.comps[i].adjusted_price);
	}
	ck_assert(r.value >= lo - 500 && r.value <= hi + 500);
}
END_TEST

START_TEST(seed_monotonic_in_sqft)
{
	const struct seed_case *sc = &seed_cases[_i];
	val_params p;
	val_params_default(&p);
	p.round_to = 1;
	double prev = 0;
	for (double sqft = 800; sqft <= 3500; sqft += 50) {
		val_property s = sc->home;
		s.sqft = sqft;
		val_result r;
		ck_assert_int_eq(
		    val_estimate(&s, seed, n_seed, &p, seed_today, &r), VAL_OK);
		ck_assert_msg(r.value >= prev, "%s: value fell at %g sqft",
		              sc->zip, sqft);
		prev = r.value;
	}
}
END_TEST

START_TEST(seed_no_comps_gives_reason)
{
	/* Cedar Park, TX (78613): north of every seeded ZIP. */
	val_property s = {30.5052, -97.8203, 2000, 3, 2, 2005, 8000};
	val_result r;
	ck_assert_int_eq(val_estimate(&s, seed, n_seed, NULL, seed_today, &r),
	                 VAL_ENOTENOUGH);
	ck_assert_str_eq(r.reason, "not enough comparable sales within 2 "
	                           "miles: found 0, need 3 sold in the last 12 "
	                           "months");
	ck_assert_uint_eq(r.n_comps, 0);
}
END_TEST

static Suite *valuation_suite(void)
{
	Suite *s = suite_create("valuation_model");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, distance_haversine);
	tcase_add_test(tc, dates_parse_and_format);
	tcase_add_test(tc, dates_months_before_clamps_to_month_end);
	tcase_add_test(tc, adjust_identical_comp_only_time);
	tcase_add_test(tc, adjust_bigger_comp_down);
	tcase_add_test(tc, adjust_caps_and_unknowns);
	tcase_add_test(tc, weight_formula_and_ordering);
	tcase_add_test(tc, estimate_identical_comps_time_adjusted);
	tcase_add_test(tc, estimate_hand_computed_weights);
	tcase_add_test(tc, estimate_radius_widens_then_fails);
	tcase_add_test(tc, estimate_recency_window_boundary);
	tcase_add_test(tc, estimate_skips_unusable_comps);
	tcase_add_test(tc, estimate_lists_heaviest_values_all);
	tcase_add_test(tc, estimate_confidence_falls_with_spread);
	tcase_add_test(tc, estimate_bad_subject);
	tcase_add_test(tc, estimate_bad_params);
	tcase_add_test(tc, estimate_value_within_adjusted_range);
	tcase_add_test(tc, estimate_monotonic_in_sqft);
	tcase_add_test(tc, estimate_is_deterministic);
	suite_add_tcase(s, tc);

	TCase *ts = tcase_create("seed");
	tcase_add_checked_fixture(ts, seed_load, seed_free);
	tcase_set_timeout(ts, 30);
	tcase_add_loop_test(ts, seed_values_realistic_subjects, 0,
	                    sizeof seed_cases / sizeof seed_cases[0]);
	tcase_add_loop_test(ts, seed_monotonic_in_sqft, 0,
	                    sizeof seed_cases / sizeof seed_cases[0]);
	tcase_add_test(ts, seed_no_comps_gives_reason);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(valuation_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
