/*
 * valuation_model.c: the sales-comparison approach, as an appraiser would do
 * it by hand, made deterministic. See valuation_model.h for the contract.
 */
#include "valuation_model.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Redis GEO's Earth radius (geohash_helper.c), in miles. */
#define EARTH_RADIUS_MI (6372797.560856 / 1609.344)

static const double radii_mi[VAL_RADIUS_COUNT] = {0.5, 1.0, VAL_RADIUS_MAX_MI};

double val_radius_mi(int i)
{
	if (i < 0 || i >= VAL_RADIUS_COUNT)
		return 0.0;
	return radii_mi[i];
}

void val_params_default(val_params *p)
{
	p->min_comps = VAL_MIN_COMPS;
	p->max_listed = 10;
	p->recency_months = 12;
	p->monthly_trend = 0.003;
	p->size_dampening = 0.6;
	p->size_cap_pct = 0.40;
	p->bed_pct = 0.02;
	p->bath_pct = 0.03;
	p->age_pct_per_year = 0.002;
	p->age_cap_pct = 0.10;
	p->dist_scale_mi = 0.5;
	p->recency_scale_days = 180.0;
	p->gross_scale = 0.15;
	p->round_to = 1000.0;
	p->min_band_pct = 0.05;
}

static double deg2rad(double d)
{
	return d * (M_PI / 180.0);
}

double val_distance_mi(double lat1, double lon1, double lat2, double lon2)
{
	double dlat = deg2rad(lat2 - lat1);
	double dlon = deg2rad(lon2 - lon1);
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(deg2rad(lat1)) * cos(deg2rad(lat2)) * sin(dlon / 2) *
	               sin(dlon / 2);
	/* Rounding can push a a hair above 1 for antipodes. */
	if (a > 1.0)
		a = 1.0;
	return 2.0 * EARTH_RADIUS_MI * asin(sqrt(a));
}

/* ---- Dates ----------------------------------------------------------- */

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil, exact for the proleptic Gregorian
 * calendar without tables or loops. */
bool val_day_from_civil(int year, int month, int day, int32_t *out)
{
	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month))
		return false;
	int y = month <= 2 ? year - 1 : year;
	int era = y / 400;
	int yoe = y - era * 400;
	int mp = month > 2 ? month - 3 : month + 9;
	int doy = (153 * mp + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = (int32_t)(era * 146097 + doe - 719468);
	return true;
}

static void civil_from_day(int32_t z0, int *year, int *month, int *day)
{
	long z = (long)z0 + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(yoe + era * 400 + (m <= 2));
	*month = (int)m;
	*day = (int)d;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool val_day_parse(const char *iso, int32_t *out)
{
	int y, m, d;
	if (iso == NULL || strlen(iso) != 10 || iso[4] != '-' || iso[7] != '-')
		return false;
	if (!digits(iso, 4, &y) || !digits(iso + 5, 2, &m) ||
	    !digits(iso + 8, 2, &d))
		return false;
	return val_day_from_civil(y, m, d, out);
}

void val_day_format(int32_t day, char buf[static 11])
{
	int y, m, d;
	civil_from_day(day, &y, &m, &d);
	/* The modulos bound the output to 10 characters for the compiler; they
	 * change nothing for years 1..9999. */
	snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)y % 10000u,
	         (unsigned)m % 100u, (unsigned)d % 100u);
}

int32_t val_months_before(int32_t today, int months)
{
	int y, m, d;
	civil_from_day(today, &y, &m, &d);
	int idx = y * 12 + (m - 1) - months;
	y = idx / 12;
	m = idx % 12 + 1;
	if (d > days_in_month(y, m))
		d = days_in_month(y, m);
	int32_t out;
	if (!val_day_from_civil(y, m, d, &out))
		return INT32_MIN;
	return out;
}

/* ---- Validation ------------------------------------------------------- */

static val_status failf(char *msg, size_t len, val_status st, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static val_status failf(char *msg, size_t len, val_status st, const char *fmt,
                        ...)
{
	if (msg != NULL && len > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return st;
}

static bool in_range(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

/* Rooms: unknown, or a count in half units up to VAL_MAX_ROOMS. */
static bool rooms_ok(double v)
{
	return isnan(v) ||
	       (in_range(v, 0, VAL_MAX_ROOMS) && v * 2 == floor(v * 2));
}

val_status val_subject_check(const val_property *s, char *msg, size_t len)
{
	if (s == NULL)
		return failf(msg, len, VAL_EBADPARAMS, "subject: missing");
	if (isnan(s->lat))
		return failf(msg, len, VAL_EBADSUBJECT, "subject.lat: missing");
	if (!in_range(s->lat, -90, 90))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.lat: %g is outside -90..90", s->lat);
	if (isnan(s->lon))
		return failf(msg, len, VAL_EBADSUBJECT, "subject.lon: missing");
	if (!in_range(s->lon, -180, 180))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.lon: %g is outside -180..180", s->lon);
	if (isnan(s->sqft))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.sqft: missing (living area is required)");
	if (!in_range(s->sqft, 1, VAL_MAX_SQFT))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.sqft: %g is outside 1..%.0f", s->sqft,
		             VAL_MAX_SQFT);
	if (!rooms_ok(s->beds))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.beds: %g is not a count of 0..%.0f",
		             s->beds, VAL_MAX_ROOMS);
	if (!rooms_ok(s->baths))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.baths: %g is not a count of 0..%.0f "
		             "(a half bath counts .5)",
		             s->baths, VAL_MAX_ROOMS);
	if (s->year_built != 0 &&
	    (s->year_built < VAL_YEAR_MIN || s->year_built > VAL_YEAR_MAX))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.year_built: %d is outside %d..%d",
		             s->year_built, VAL_YEAR_MIN, VAL_YEAR_MAX);
	if (!isnan(s->lot_sqft) && !(s->lot_sqft >= 0 && isfinite(s->lot_sqft)))
		return failf(msg, len, VAL_EBADSUBJECT,
		             "subject.lot_sqft: %g must be >= 0", s->lot_sqft);
	return VAL_OK;
}

bool val_comp_usable(const val_comp *c)
{
	const val_property *h = &c->home;
	return in_range(h->lat, -90, 90) && in_range(h->lon, -180, 180) &&
	       in_range(h->sqft, 1, VAL_MAX_SQFT) &&
	       in_range(c->price, 1, VAL_MAX_PRICE) && rooms_ok(h->beds) &&
	       rooms_ok(h->baths) &&
	       (h->year_built == 0 || (h->year_built >= VAL_YEAR_MIN &&
	                               h->year_built <= VAL_YEAR_MAX));
}

static val_status params_check(const val_params *p, char *msg, size_t len)
{
	const struct {
		const char *name;
		double v, lo, hi;
	} r[] = {
	    {"monthly_trend", p->monthly_trend, -0.05, 0.05},
	    {"size_dampening", p->size_dampening, 0, 1},
	    {"size_cap_pct", p->size_cap_pct, 0, 1},
	    {"bed_pct", p->bed_pct, 0, 0.2},
	    {"bath_pct", p->bath_pct, 0, 0.2},
	    {"age_pct_per_year", p->age_pct_per_year, 0, 0.02},
	    {"age_cap_pct", p->age_cap_pct, 0, 1},
	    {"dist_scale_mi", p->dist_scale_mi, 1e-6, 1e6},
	    {"recency_scale_days", p->recency_scale_days, 1e-6, 1e6},
	    {"gross_scale", p->gross_scale, 1e-6, 1e6},
	    {"round_to", p->round_to, 1, 1e6},
	    {"min_band_pct", p->min_band_pct, 0, 0.5},
	};
	if (p->max_listed < 1 || p->max_listed > VAL_MAX_LISTED)
		return failf(msg, len, VAL_EBADPARAMS,
		             "params.max_listed: %d is outside 1..%d",
		             p->max_listed, VAL_MAX_LISTED);
	if (p->min_comps < 1 || p->min_comps > VAL_MAX_MIN_COMPS)
		return failf(msg, len, VAL_EBADPARAMS,
		             "params.min_comps: %d is outside 1..%d",
		             p->min_comps, VAL_MAX_MIN_COMPS);
	if (p->recency_months < 1 || p->recency_months > 120)
		return failf(msg, len, VAL_EBADPARAMS,
		             "params.recency_months: %d is outside 1..120",
		             p->recency_months);
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		if (!in_range(r[i].v, r[i].lo, r[i].hi))
			return failf(msg, len, VAL_EBADPARAMS,
			             "params.%s: %g is outside %g..%g",
			             r[i].name, r[i].v, r[i].lo, r[i].hi);
	return VAL_OK;
}

/* ---- Adjustments and weights ------------------------------------------ */

static double clamp_abs(double v, double cap)
{
	if (v > cap)
		return cap;
	if (v < -cap)
		return -cap;
	return v;
}

void val_adjust(const val_property *s, const val_comp *c, const val_params *p,
                int32_t today, val_adjustments *out)
{
	const val_property *h = &c->home;
	double months =
	    ((double)today - (double)c->sold_day) / VAL_DAYS_PER_MONTH;
	if (months < 0)
		months = 0;
	out->time = c->price * (pow(1.0 + p->monthly_trend, months) - 1.0);

	/* Every other adjustment is in today's dollars, so that a comp sold a
	 * year ago is not paid last year's price per bedroom. */
	double base = c->price + out->time;
	double size_raw =
	    (s->sqft - h->sqft) * (base / h->sqft) * p->size_dampening;
	double age_raw = s->year_built == 0 || h->year_built == 0
	                     ? 0.0
	                     : (double)(s->year_built - h->year_built) *
	                           p->age_pct_per_year * base;
	out->size = clamp_abs(size_raw, p->size_cap_pct * base);
	out->beds = isnan(s->beds) || isnan(h->beds)
	                ? 0.0
	                : (s->beds - h->beds) * p->bed_pct * base;
	out->baths = isnan(s->baths) || isnan(h->baths)
	                 ? 0.0
	                 : (s->baths - h->baths) * p->bath_pct * base;
	out->age = clamp_abs(age_raw, p->age_cap_pct * base);
	out->total = out->time + out->size + out->beds + out->baths + out->age;
	/* Uncapped: a capped comp is no less unlike the subject, and if its
	 * weight stopped falling at the cap, the value would drift towards
	 * the comps whose adjustment no longer tracks the subject. */
	out->gross_pct = (fabs(size_raw) + fabs(out->beds) + fabs(out->baths) +
	                  fabs(age_raw)) /
	                 c->price;
}

double val_weight(double distance_mi, double days_since_sale, double gross_pct,
                  const val_params *p)
{
	if (!(distance_mi > 0))
		distance_mi = 0;
	if (!(days_since_sale > 0))
		days_since_sale = 0;
	if (!(gross_pct > 0))
		gross_pct = 0;
	return 1.0 / (1.0 + distance_mi / p->dist_scale_mi) /
	       (1.0 + days_since_sale / p->recency_scale_days) /
	       (1.0 + gross_pct / p->gross_scale);
}

/* ---- Radius policy ---------------------------------------------------- */

/* Distance to a usable comp sold inside [from, today], or -1. */
static double eligible_distance(const val_property *s, const val_comp *c,
                                int32_t from, int32_t today)
{
	if (c->sold_day < from || c->sold_day > today || !val_comp_usable(c))
		return -1;
	return val_distance_mi(s->lat, s->lon, c->home.lat, c->home.lon);
}

int val_radius_choose(const val_property *s, const val_comp *cands, size_t n,
                      const val_params *p, int32_t today,
                      size_t found[VAL_RADIUS_COUNT])
{
	int32_t from = val_months_before(today, p->recency_months);
	for (int r = 0; r < VAL_RADIUS_COUNT; r++)
		found[r] = 0;
	for (size_t i = 0; i < n; i++) {
		double d = eligible_distance(s, &cands[i], from, today);
		if (d < 0)
			continue;
		for (int r = 0; r < VAL_RADIUS_COUNT; r++)
			if (d <= radii_mi[r])
				found[r]++;
	}
	for (int r = 0; r < VAL_RADIUS_COUNT; r++)
		if (found[r] >= (size_t)p->min_comps)
			return r;
	return -1;
}

/* ---- Estimate --------------------------------------------------------- */

/* Keeps comps[] sorted heaviest first, at most cap long. A tie keeps the
 * earlier candidate first, since candidates arrive in index order. */
static void keep_heaviest(val_result *out, size_t cap, const val_comp_used *u)
{
	size_t pos = out->n_listed;
	while (pos > 0 && out->comps[pos - 1].weight < u->weight)
		pos--;
	if (pos >= cap)
		return;
	size_t last = out->n_listed < cap ? out->n_listed : cap - 1;
	memmove(&out->comps[pos + 1], &out->comps[pos],
	        (last - pos) * sizeof out->comps[0]);
	out->comps[pos] = *u;
	if (out->n_listed < cap)
		out->n_listed++;
}

/* Adjusts and weighs candidate i when it lies within the chosen radius and
 * window; false otherwise. */
static bool comp_evaluate(const val_property *s, const val_comp *cands,
                          size_t i, const val_params *p, int32_t from,
                          int32_t today, double radius, val_comp_used *u)
{
	double d = eligible_distance(s, &cands[i], from, today);
	if (d < 0 || d > radius)
		return false;
	*u = (val_comp_used){.index = i,
	                     .id = cands[i].id,
	                     .distance_mi = d,
	                     .days_since_sale = today - cands[i].sold_day,
	                     .sale_price = cands[i].price};
	val_adjust(s, &cands[i], p, today, &u->adj);
	u->adjusted_price = u->sale_price + u->adj.total;
	u->weight = val_weight(d, u->days_since_sale, u->adj.gross_pct, p);
	return true;
}

static double round_to(double v, double step)
{
	return floor(v / step + 0.5) * step;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Two passes over the candidates, mean then spread, in index order: exact
 * enough without storing every comp, and the same sums in the same order
 * give the same bits every time. */
static void value_comps(const val_property *s, const val_comp *cands, size_t n,
                        const val_params *p, int32_t today, val_result *out)
{
	int32_t from = val_months_before(today, p->recency_months);
	double sw = 0, swa = 0, swd = 0, var = 0;
	val_comp_used u;

	for (size_t i = 0; i < n; i++) {
		if (!comp_evaluate(s, cands, i, p, from, today, out->radius_mi,
		                   &u))
			continue;
		out->n_comps++;
		sw += u.weight;
		swa += u.weight * u.adjusted_price;
		swd += u.weight * u.distance_mi;
		keep_heaviest(out, (size_t)p->max_listed, &u);
	}
	double mean = swa / sw;
	for (size_t i = 0; i < n; i++) {
		if (!comp_evaluate(s, cands, i, p, from, today, out->radius_mi,
		                   &u))
			continue;
		double dev = u.adjusted_price - mean;
		var += u.weight * dev * dev;
	}
	for (size_t i = 0; i < out->n_listed; i++)
		out->comps[i].weight /= sw;

	double spread = sqrt(var / sw);
	double half =
	    spread > p->min_band_pct * mean ? spread : p->min_band_pct * mean;
	out->spread = spread;
	out->value = round_to(mean, p->round_to);
	out->low = round_to(mean - half, p->round_to);
	if (out->low < 0)
		out->low = 0;
	out->high = round_to(mean + half, p->round_to);

	double c_count = 0.4 + 0.1 * (double)out->n_comps;
	double c_spread = 1.0 - (mean > 0 ? spread / mean : 1.0) / 0.30;
	double c_dist = 1.0 - 0.15 * (swd / sw);
	if (c_dist < 0.5)
		c_dist = 0.5;
	out->confidence = clamp01(c_count) * clamp01(c_spread) * c_dist;
	out->label = out->confidence >= VAL_CONF_HIGH_MIN     ? VAL_CONF_HIGH
	             : out->confidence >= VAL_CONF_MEDIUM_MIN ? VAL_CONF_MEDIUM
	                                                      : VAL_CONF_LOW;
}

val_status val_estimate(const val_property *subject, const val_comp *cands,
                        size_t n, const val_params *params, int32_t today,
                        val_result *out)
{
	val_params defaults;
	const val_params *p = params;

	memset(out, 0, sizeof *out);
	char *msg = out->reason;
	const size_t len = sizeof out->reason;
	if (p == NULL) {
		val_params_default(&defaults);
		p = &defaults;
	}
	out->status = params_check(p, msg, len);
	if (out->status == VAL_OK && cands == NULL && n > 0)
		out->status = failf(msg, len, VAL_EBADPARAMS,
		                    "candidates: NULL with %zu comps", n);
	if (out->status == VAL_OK)
		out->status = val_subject_check(subject, msg, len);
	if (out->status != VAL_OK)
		return out->status;

	int r = val_radius_choose(subject, cands, n, p, today, out->found);
	if (r < 0) {
		out->status = failf(
		    msg, len, VAL_ENOTENOUGH,
		    "not enough comparable sales within %g miles: found %zu, "
		    "need %d sold in the last %d months",
		    VAL_RADIUS_MAX_MI, out->found[VAL_RADIUS_COUNT - 1],
		    p->min_comps, p->recency_months);
		return out->status;
	}
	out->radius_mi = radii_mi[r];
	value_comps(subject, cands, n, p, today, out);
	return VAL_OK;
}

const char *val_confidence_name(val_confidence c)
{
	switch (c) {
	case VAL_CONF_HIGH:
		return "high";
	case VAL_CONF_MEDIUM:
		return "medium";
	case VAL_CONF_LOW:
		break;
	}
	return "low";
}

const char *val_status_name(val_status s)
{
	switch (s) {
	case VAL_OK:
		return "ok";
	case VAL_EBADSUBJECT:
		return "bad_subject";
	case VAL_EBADPARAMS:
		return "bad_params";
	case VAL_ENOTENOUGH:
		return "not_enough_comps";
	}
	return "unknown";
}
