/* valuation_args.c: the question valuation answers (see valuation_args.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"
#include "valuation_args.h"
#include "valuation_model.h"

/* 1 ok, 0 absent (missing, null, ""), -1 not a finite number. */
/* step: 0 any, 1 whole, 0.5 halves. */
static int arg_range(json_t *args, const char *name, double lo, double hi,
                     double step, double *out, char *err, size_t err_len)
{
	double x;
	int r = mesh_arg_number(args, name, &x);

	if (r == 0)
		return 0;
	if (r < 0 || x < lo || x > hi ||
	    (step > 0 && x / step != floor(x / step))) {
		snprintf(err, err_len, "%s: expected %s%g%s%g%s", name,
		         step == 1 ? "a whole number " : "", lo,
		         lo < 0 ? " to " : "-", hi,
		         step == 0.5 ? " in steps of .5" : "");
		return -1;
	}
	*out = x;
	return 1;
}

static double round_step(double v, double step)
{
	return round(v / step) * step;
}

static void args_clear(val_args *a, int32_t today)
{
	memset(a, 0, sizeof *a);
	a->lat = a->lon = VAL_UNKNOWN;
	a->sqft = a->beds = a->baths = VAL_UNKNOWN;
	a->as_of = today;
}

/* The features both entry points share; strict fills err and returns -1
 * on a bad one, lenient leaves it unknown. */
static int features(json_t *o, val_args *a, bool strict, char *err,
                    size_t err_len)
{
	double year = 0;
	int r;

	if ((r = arg_range(o, "sqft", VAL_ARGS_SQFT_MIN, VAL_MAX_SQFT, 0,
	                   &a->sqft, err, err_len)) < 0 &&
	    strict)
		return -1;
	if (r == 1)
		a->sqft = round(a->sqft);
	else
		a->sqft = VAL_UNKNOWN;
	if (arg_range(o, "beds", 0, VAL_MAX_ROOMS, 1, &a->beds, err, err_len) <
	    0) {
		if (strict)
			return -1;
		a->beds = VAL_UNKNOWN;
	}
	if (arg_range(o, "baths", 0, VAL_MAX_ROOMS, 0.5, &a->baths, err,
	              err_len) < 0) {
		if (strict)
			return -1;
		a->baths = VAL_UNKNOWN;
	}
	if ((r = arg_range(o, "year_built", VAL_YEAR_MIN, VAL_YEAR_MAX, 1,
	                   &year, err, err_len)) < 0 &&
	    strict)
		return -1;
	a->year_built = r == 1 ? (int)year : 0;
	return 0;
}

int val_args_parse(json_t *args, int32_t today, val_args *out, char *err,
                   size_t err_len)
{
	json_t *zip = json_object_get(args, "zip"),
	       *as_of = json_object_get(args, "as_of");
	int has_lat, has_lon;

	args_clear(out, today);
	if (!json_is_object(args)) {
		snprintf(err, err_len, "args: expected an object");
		return -1;
	}
	if ((has_lat = arg_range(args, "lat", -90, 90, 0, &out->lat, err,
	                         err_len)) < 0 ||
	    (has_lon = arg_range(args, "lon", -180, 180, 0, &out->lon, err,
	                         err_len)) < 0)
		return -1;
	if (has_lat != has_lon) {
		snprintf(err, err_len, "%s: required with %s",
		         has_lat ? "lon" : "lat", has_lat ? "lat" : "lon");
		return -1;
	}
	if (has_lat) {
		out->has_point = true;
		out->lat = round_step(out->lat, VAL_ARGS_LATLON_STEP);
		out->lon = round_step(out->lon, VAL_ARGS_LATLON_STEP);
	}
	if (zip && !json_is_null(zip) &&
	    !(json_is_string(zip) && json_string_length(zip) == 0) &&
	    !mesh_zip5(json_string_value(zip), out->zip)) {
		snprintf(err, err_len,
		         "zip: expected \"NNNNN\" or \"NNNNN-NNNN\"");
		return -1;
	}
	if (!out->has_point && !out->zip[0]) {
		snprintf(err, err_len, "lat/lon or zip: required");
		return -1;
	}
	if (as_of && !json_is_null(as_of) &&
	    !val_day_parse(json_string_value(as_of), &out->as_of)) {
		snprintf(err, err_len, "as_of: expected a date YYYY-MM-DD");
		return -1;
	}
	return features(args, out, true, err, err_len);
}

void val_args_from_lead(json_t *lead, int32_t today, val_args *out)
{
	json_t *address = json_object_get(lead, "address");
	const char *zip = json_string_value(json_object_get(address, "zip"));
	char ignored[8];

	args_clear(out, today);
	if (!zip)
		zip = json_string_value(json_object_get(lead, "zip"));
	if (!mesh_zip5(zip, out->zip))
		out->zip[0] = '\0';
	if (json_is_object(lead))
		features(lead, out, false, ignored, sizeof ignored);
}

static void feature(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%g", v);
}

bool val_args_cache_key(const val_args *a, char *buf, size_t len)
{
	char where[64], sqft[24], beds[24], baths[24], year[16], day[11];
	int n;

	if (!a->has_point && !a->zip[0])
		return false;
	/* The ZIP is in the key even with a location: an unknown sqft is
	 * taken from the ZIP's sales. "+ 0.0" turns -0.000 into 0.000: one
	 * cell, one key. */
	if (a->has_point)
		snprintf(where, sizeof where, "p:%.3f,%.3f:%s", a->lat + 0.0,
		         a->lon + 0.0, a->zip[0] ? a->zip : "-");
	else
		snprintf(where, sizeof where, "z:%s", a->zip);
	feature(sqft, sizeof sqft, a->sqft);
	feature(beds, sizeof beds, a->beds);
	feature(baths, sizeof baths, a->baths);
	if (a->year_built)
		snprintf(year, sizeof year, "%d", a->year_built);
	else
		snprintf(year, sizeof year, "-");
	val_day_format(a->as_of, day);
	n = snprintf(buf, len, "%s:%s:%s:%s:%s:%s", where, sqft, beds, baths,
	             year, day);
	return n > 0 && (size_t)n < len;
}
