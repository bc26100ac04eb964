/*
 * valuation_model.h: what a home is worth, from comparable sales.
 *
 * Pure domain logic: no I/O, no globals, no allocation. The caller (the
 * valuation daemon) fetches every candidate comp within the widest radius
 * (VAL_RADIUS_MAX_MI) with one GEO query, then calls val_estimate(), which:
 *
 *   1. picks the radius: the smallest of 0.5, 1 and 2 miles holding at least
 *      min_comps usable comps sold within the recency window;
 *   2. adjusts every comp inside that radius to the subject (market time,
 *      size, beds, baths, age), itemized;
 *   3. weights each by distance, recency and similarity;
 *   4. returns the weighted mean of all their adjusted prices, a low/high
 *      band, a confidence and the heaviest comps itemized, or the reason no
 *      value can be given.
 *
 * Every comp in the radius goes into the value, not only the heaviest few:
 * with a top-N cut, a small change to the subject (50 sqft more) swaps comps
 * in and out and the value jumps by thousands; with weights alone it moves
 * smoothly.
 *
 * Dates are civil days since 1970-01-01 (day 0 = 1970-01-01); a sale dated
 * after `today` is never used. Distances are in statute miles.
 *
 * Missing numbers: a property field the caller does not know is VAL_UNKNOWN
 * (NAN), or 0 for year_built. Unknown beds, baths or year on either side
 * skips that adjustment; lat, lon and sqft are required.
 *
 * Every pointer argument is borrowed for the duration of the call only,
 * except val_result.comps[].id, which points into the caller's candidates and
 * is valid as long as they are.
 */
#ifndef VALUATION_MODEL_H
#define VALUATION_MODEL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A property field the caller does not know. */
#define VAL_UNKNOWN NAN

/* The radii tried in order, in miles. The caller's GEO query must cover the
 * last one. */
#define VAL_RADIUS_COUNT  3
#define VAL_RADIUS_MAX_MI 2.0

/* Fewer comps than this and no value is given (default min_comps). */
#define VAL_MIN_COMPS 3
/* Most comps a result can itemize: the size of val_result.comps. */
#define VAL_MAX_LISTED 25
/* Upper bound of params.min_comps. */
#define VAL_MAX_MIN_COMPS 100
/* Room for a reason or an error message, terminating NUL included. */
#define VAL_REASON_MAX 160

/* Input sanity limits: anything outside is a typo or a commercial building,
 * not a home this model can value. */
#define VAL_MAX_SQFT  100000.0
#define VAL_MAX_ROOMS 50.0
#define VAL_MAX_PRICE 1.0e9
#define VAL_YEAR_MIN  1700
#define VAL_YEAR_MAX  2100

/* Mean Gregorian month in days, used to turn days since a sale into months
 * of market time. */
#define VAL_DAYS_PER_MONTH 30.436875

/* A home: the subject, or the physical part of a comp. */
typedef struct val_property {
	double lat;      /* degrees, -90..90; required */
	double lon;      /* degrees, -180..180; required */
	double sqft;     /* living area, > 0; required */
	double beds;     /* or VAL_UNKNOWN */
	double baths;    /* full baths, + 0.5 per half bath; or VAL_UNKNOWN */
	int year_built;  /* 0 if unknown */
	double lot_sqft; /* or VAL_UNKNOWN; carried for the caller, not adjusted
	                    for: within one neighbourhood the size adjustment
	                    already carries most of the lot's value */
} val_property;

/* A sold comparable. */
typedef struct val_comp {
	const char *id; /* borrowed; may be NULL */
	val_property home;
	double price;     /* sale price in dollars, > 0 */
	int32_t sold_day; /* days since 1970-01-01 */
} val_comp;

/*
 * Tunables. val_params_default() fills the defaults shown; val_estimate()
 * rejects values outside the ranges given.
 */
typedef struct val_params {
	int min_comps;        /* 3; 1..VAL_MAX_MIN_COMPS */
	int max_listed;       /* 10; 1..VAL_MAX_LISTED: comps itemized in the
	                         result (all comps in the radius count) */
	int recency_months;   /* 12; 1..120: a comp counts only if sold on or
	                         after the same day that many calendar months
	                         before today */
	double monthly_trend; /* 0.003 (+0.3 %/month, ~3.7 %/year); -0.05..0.05.
	                         The daemon may pass market-stats' 90-day trend
	                         through market_trend_monthly() instead. */
	double size_dampening;   /* 0.6; 0..1: share of the comp's own $/sqft
	                            paid per sqft of difference (the marginal
	                            sqft is worth less than the average one) */
	double size_cap_pct;     /* 0.40; 0..1: |size adjustment| at most this
	                            share of the comp's time-adjusted price
	                            (with 0.6 dampening: binds past a 67 % size
	                            difference; a tighter cap flattens the
	                            value's response to the subject's size) */
	double bed_pct;          /* 0.02; 0..0.2: per bedroom, as a share of the
	                            comp's time-adjusted price, which stands
	                            for the local price level (a bedroom is
	                            worth more in 78704 than in 43211) */
	double bath_pct;         /* 0.03; 0..0.2: per full bath (half: half) */
	double age_pct_per_year; /* 0.002; 0..0.02: per year newer */
	double age_cap_pct;      /* 0.10; 0..1: |age adjustment| cap */
	double dist_scale_mi;    /* 0.5; > 0: weight halves at this distance */
	double recency_scale_days; /* 180; > 0: weight halves at this age */
	double gross_scale;        /* 0.15; > 0: weight halves at this gross
	                              adjustment share */
	double round_to;           /* 1000; >= 1: value, low, high rounded to
	                              the nearest multiple */
	double min_band_pct;       /* 0.05; 0..0.5: low/high at least this far
	                              from the value */
} val_params;

/* Fills p with the defaults documented in val_params. */
void val_params_default(val_params *p);

/* Each adjustment in dollars, added to the sale price to make the comp look
 * like the subject: positive when the subject is better. */
typedef struct val_adjustments {
	double time; /* price * ((1 + monthly_trend)^months_since_sale - 1) */
	double size; /* (subject - comp sqft) * comp $/sqft (time-adjusted)
	              * size_dampening, capped at size_cap_pct */
	double beds; /* (subject - comp beds) * bed_pct * time-adjusted price */
	double baths; /* (subject - comp baths) * bath_pct * time-adj. price */
	double age;   /* (subject - comp year) * age_pct_per_year * time-adj.
	                 price, capped at age_cap_pct */
	double total; /* sum of the five */
	double gross_pct; /* (|size| + |beds| + |baths| + |age|) / sale price,
	                     with size and age before their caps: how unlike
	                     the subject the comp is (market time is left
	                     out: recency weighs that) */
} val_adjustments;

typedef enum val_status {
	VAL_OK = 0,
	VAL_EBADSUBJECT, /* the subject is invalid; reason names the field */
	VAL_EBADPARAMS,  /* params or arguments invalid; reason says which */
	VAL_ENOTENOUGH,  /* too few comps: no value; reason says how many */
} val_status;

typedef enum val_confidence {
	VAL_CONF_LOW = 0,
	VAL_CONF_MEDIUM,
	VAL_CONF_HIGH,
} val_confidence;

/* Confidence labels: at or above these thresholds. */
#define VAL_CONF_HIGH_MIN   0.65
#define VAL_CONF_MEDIUM_MIN 0.40

/* A comp that went into the value. */
typedef struct val_comp_used {
	size_t index;   /* into the caller's candidates */
	const char *id; /* candidates[index].id: borrowed from the caller */
	double distance_mi;
	int32_t days_since_sale;
	double sale_price;
	val_adjustments adj;
	double adjusted_price; /* sale_price + adj.total */
	double weight;         /* normalized: the weights of all n_comps comps
	                          sum to 1 */
} val_comp_used;

/* The answer. Caller-owned storage (about 4 KB); nothing inside needs
 * freeing. */
typedef struct val_result {
	val_status status;
	char reason[VAL_REASON_MAX]; /* "" when status is VAL_OK */
	/* Usable comps sold within the window, within each radius in turn (0.5,
	 * 1, 2 miles); filled whenever the subject and params were valid. */
	size_t found[VAL_RADIUS_COUNT];
	double radius_mi; /* the radius used; 0 when none qualified */
	/* The rest only when status is VAL_OK. */
	double value; /* weighted mean of adjusted prices, rounded */
	double low;
	double high;
	double spread;     /* weighted standard deviation of adjusted prices */
	double confidence; /* 0..1, see val_estimate() */
	val_confidence label;
	size_t n_comps;  /* comps that went into the value */
	size_t n_listed; /* min(n_comps, max_listed) */
	val_comp_used comps[VAL_MAX_LISTED]; /* the heaviest, heaviest first;
	                                        ties: lower index first */
} val_result;

/* The radii tried, in miles, in order; i < VAL_RADIUS_COUNT. */
double val_radius_mi(int i);

/* Great-circle distance in miles (haversine) on the sphere Redis GEO uses
 * (radius 6372797.560856 m), so that this filter and the caller's GEOSEARCH
 * agree on what lies within a radius. */
double val_distance_mi(double lat1, double lon1, double lat2, double lon2);

/* Days since 1970-01-01 of a proleptic Gregorian date; false when the date
 * does not exist (2025-02-29) or the year is outside 1..9999. */
bool val_day_from_civil(int year, int month, int day, int32_t *out);
/* Parses exactly "YYYY-MM-DD"; false (out untouched) for anything else. */
bool val_day_parse(const char *iso, int32_t *out);
/* Writes "YYYY-MM-DD" for a day of the years 1..9999 into buf. */
void val_day_format(int32_t day, char buf[static 11]);
/* The first day of the recency window: the same day of the month `months`
 * calendar months before `today`, clamped to the month's end (a window of 1
 * month before 2026-03-31 starts 2026-02-28). */
int32_t val_months_before(int32_t today, int months);

/* Checks the subject. VAL_OK, or VAL_EBADSUBJECT with a message naming the
 * field written into msg (msg_len bytes, may be 0). */
val_status val_subject_check(const val_property *subject, char *msg,
                             size_t msg_len);

/* True when a comp can be used at all: valid location, sqft, price and
 * rooms. Unusable comps are skipped silently (bad rows in a bulk import must
 * not sink a valuation). */
bool val_comp_usable(const val_comp *comp);

/* Market time, size, beds, baths and age adjustments of comp to subject as
 * of today (see val_adjustments). The arguments are assumed valid
 * (val_subject_check, val_comp_usable, a checked params). */
void val_adjust(const val_property *subject, const val_comp *comp,
                const val_params *p, int32_t today, val_adjustments *out);

/*
 * The unnormalized weight of a comp:
 *   1 / (1 + distance_mi / dist_scale_mi)
 * * 1 / (1 + days_since_sale / recency_scale_days)
 * * 1 / (1 + gross_pct / gross_scale)
 * Each factor is 1 for a comp next door, sold today, identical, and halves
 * at its scale; so a comp weighs less the farther, older and less similar
 * it is, but never drops to zero. Negative inputs count as 0.
 */
double val_weight(double distance_mi, double days_since_sale, double gross_pct,
                  const val_params *p);

/*
 * The radius policy. Counts into found[] the usable comps sold within the
 * recency window (val_months_before(today, recency_months) .. today) lying
 * within each radius, and returns the index of the smallest radius holding
 * at least p->min_comps of them, or -1 when even the widest does not. The
 * candidates may include comps beyond the widest radius; they are ignored.
 */
int val_radius_choose(const val_property *subject, const val_comp *cands,
                      size_t n, const val_params *p, int32_t today,
                      size_t found[VAL_RADIUS_COUNT]);

/*
 * Values subject from n candidate comps (cands may be NULL when n is 0) as
 * of today. p may be NULL for the defaults. Fills *out and returns its
 * status:
 *  - VAL_EBADPARAMS / VAL_EBADSUBJECT: reason names the bad argument;
 *  - VAL_ENOTENOUGH: reason like "not enough comparable sales within 2
 *    miles: found 1, need 3 sold in the last 12 months";
 *  - VAL_OK: every comp within the chosen radius and window is adjusted and
 *    weighted (w), and
 *    value = sum(w * adjusted) / sum(w), rounded to round_to.
 *    spread s = sqrt(sum(w * (adjusted - mean)^2) / sum(w)).
 *    low/high = mean -/+ max(s, min_band_pct * mean), rounded.
 *    confidence = count * spread * distance factors, each in 0..1:
 *      count    = min(1, 0.4 + 0.1 * n_comps)       (3 comps: 0.7; 6+: 1)
 *      spread   = max(0, 1 - (s / mean) / 0.30)     (30 % spread: 0)
 *      distance = max(0.5, 1 - 0.15 * mean_miles)   (weighted mean distance)
 *    label high at VAL_CONF_HIGH_MIN, medium at VAL_CONF_MEDIUM_MIN.
 * Deterministic: the same input gives the same output, bit for bit.
 */
val_status val_estimate(const val_property *subject, const val_comp *cands,
                        size_t n, const val_params *p, int32_t today,
                        val_result *out);

/* "high", "medium", "low". */
const char *val_confidence_name(val_confidence c);
/* "ok", "bad_subject", "bad_params", "not_enough_comps". */
const char *val_status_name(val_status s);

#endif
