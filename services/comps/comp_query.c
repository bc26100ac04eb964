/* comp_query.c: comps.search arguments and filter (see comp_query.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp_date.h"
#include "comp_query.h"
#include "comp_record.h"
#include "mesh.h"

/* An argument as a number: JSON number or numeric string. 1 ok, 0 absent
 * (missing, null, ""), -1 not a number. */
/* A bounded number argument; fills err on a bad one. */
static int arg_range(json_t *args, const char *name, double lo, double hi,
                     bool whole, double *out, char *err, size_t err_len)
{
	double x;
	int r = mesh_arg_number(args, name, &x);

	if (r == 0)
		return 0;
	if (r < 0 || x < lo || x > hi || (whole && x != floor(x))) {
		snprintf(err, err_len, "%s: expected %s%.15g%s%.15g", name,
		         whole ? "a whole number " : "a number ", lo,
		         lo < 0 ? " to " : "-", hi);
		return -1;
	}
	*out = x;
	return 1;
}

static int arg_string(json_t *args, const char *name, const char **out,
                      char *err, size_t err_len)
{
	json_t *v = json_object_get(args, name);

	if (!v || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, err_len, "%s: expected a string", name);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

static int bounds(json_t *args, const char *min_name, const char *max_name,
                  double hi, double *min, double *max, char *err,
                  size_t err_len)
{
	*min = NAN;
	*max = NAN;
	if (arg_range(args, min_name, 0, hi, false, min, err, err_len) < 0 ||
	    arg_range(args, max_name, 0, hi, false, max, err, err_len) < 0)
		return -1;
	if (*min > *max) {
		snprintf(err, err_len, "%s: greater than %s", min_name,
		         max_name);
		return -1;
	}
	return 0;
}

int comp_query_parse(json_t *args, int32_t today, comp_query *q, char *err,
                     size_t err_len)
{
	double lat = NAN, lon = NAN, radius = COMP_RADIUS_DEFAULT_MI,
	       months = COMP_MONTHS_DEFAULT, limit = COMP_LIMIT_DEFAULT;
	const char *zip = NULL, *as_of = NULL;
	int has_lat, has_lon, r;

	memset(q, 0, sizeof *q);
	if (!json_is_object(args)) {
		snprintf(err, err_len, "args: expected an object");
		return -1;
	}
	if ((has_lat = arg_range(args, "lat", -COMP_LAT_MAX, COMP_LAT_MAX,
	                         false, &lat, err, err_len)) < 0 ||
	    (has_lon = arg_range(args, "lon", -COMP_LON_MAX, COMP_LON_MAX,
	                         false, &lon, err, err_len)) < 0)
		return -1;
	if (has_lat != has_lon) {
		snprintf(err, err_len, "%s: required with %s",
		         has_lat ? "lon" : "lat", has_lat ? "lat" : "lon");
		return -1;
	}
	if ((r = arg_string(args, "zip", &zip, err, err_len)) < 0)
		return -1;
	if (r) {
		size_t n = strlen(zip);
		bool ok = n == 5;
		for (size_t i = 0; ok && i < n; i++)
			ok = isdigit((unsigned char)zip[i]);
		if (!ok) {
			snprintf(err, err_len, "zip: expected 5 digits");
			return -1;
		}
		memcpy(q->zip, zip, 6);
	}
	if (!has_lat && !q->zip[0]) {
		snprintf(err, err_len, "lat/lon or zip: required");
		return -1;
	}
	if (mesh_arg_number(args, "radius_mi", &radius) < 0 || radius <= 0 ||
	    radius > COMP_RADIUS_MAX_MI) {
		snprintf(err, err_len,
		         "radius_mi: expected a number above 0, "
		         "at most %g",
		         COMP_RADIUS_MAX_MI);
		return -1;
	}
	if (arg_range(args, "months", 1, COMP_MONTHS_MAX, true, &months, err,
	              err_len) < 0 ||
	    arg_range(args, "limit", 1, COMP_LIMIT_MAX, true, &limit, err,
	              err_len) < 0)
		return -1;
	if ((r = arg_string(args, "as_of", &as_of, err, err_len)) < 0)
		return -1;
	q->as_of = today;
	if (r && !comp_date_parse(as_of, &q->as_of)) {
		snprintf(err, err_len, "as_of: expected a date YYYY-MM-DD");
		return -1;
	}
	if (bounds(args, "beds_min", "beds_max", COMP_BEDS_MAX, &q->beds_min,
	           &q->beds_max, err, err_len) < 0 ||
	    bounds(args, "sqft_min", "sqft_max", COMP_SQFT_MAX, &q->sqft_min,
	           &q->sqft_max, err, err_len) < 0)
		return -1;
	q->has_point = has_lat;
	q->lat = lat;
	q->lon = lon;
	q->radius_mi = radius;
	q->months = (int)months;
	q->since = comp_date_months_before(q->as_of, q->months);
	q->limit = (int)limit;
	return 0;
}

static bool within(double v, double min, double max)
{
	return !(v < min) && !(v > max); /* a NAN bound never excludes */
}

bool comp_query_match(const comp_query *q, json_t *comp)
{
	int32_t sold;
	const char *zip = json_string_value(json_object_get(comp, "zip"));

	if (!json_is_object(comp) ||
	    !comp_date_parse(
	        json_string_value(json_object_get(comp, "sold_date")), &sold) ||
	    sold < q->since || sold > q->as_of)
		return false;
	if (q->zip[0] && (!zip || strcmp(zip, q->zip) != 0))
		return false;
	return within(json_number_value(json_object_get(comp, "beds")),
	              q->beds_min, q->beds_max) &&
	       within(json_number_value(json_object_get(comp, "sqft")),
	              q->sqft_min, q->sqft_max);
}
