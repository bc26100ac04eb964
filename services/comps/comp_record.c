/* comp_record.c: checking and normalizing one sale (see comp_record.h). */
#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "comp_date.h"
#include "comp_record.h"
#include "mesh.h"

/* Largest integer a double holds exactly: beyond it "whole" means nothing. */
#define EXACT_INT_MAX 9007199254740992.0

/* A number as JSON: an integer when it is whole, so that 3 stays 3. */
static json_t *number_json(double v)
{
	if (v == floor(v) && fabs(v) < EXACT_INT_MAX)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* Reads field `name` as a number in [lo, hi]. 1 ok, 0 absent or null, -1
 * bad (err filled). */
static int get_number(json_t *in, const char *name, double lo, double hi,
                      bool whole, double *out, char *err, size_t err_len)
{
	json_t *v = json_object_get(in, name);
	double x;

	if (!v || json_is_null(v))
		return 0;
	x = json_is_number(v) ? json_number_value(v) : NAN;
	if (!isfinite(x) || x < lo || x > hi || (whole && x != floor(x))) {
		/* "-90 to 90" reads better than "-90-90". */
		snprintf(err, err_len, "%s: expected %s%.15g%s%.15g", name,
		         whole ? "a whole number " : "", lo,
		         lo < 0 ? " to " : "-", hi);
		return -1;
	}
	*out = x;
	return 1;
}

static bool require_number(json_t *in, const char *name, double lo, double hi,
                           bool whole, double *out, char *err, size_t err_len)
{
	int r = get_number(in, name, lo, hi, whole, out, err, err_len);

	if (r == 0)
		snprintf(err, err_len, "%s: required", name);
	return r == 1;
}

/* Reads field `name` as a string of 1..max bytes without control
 * characters, surrounding blanks trimmed into buf. 1 ok, 0 absent, -1 bad. */
static int get_text(json_t *in, const char *name, size_t max, char *buf,
                    size_t buf_len, char *err, size_t err_len)
{
	json_t *v = json_object_get(in, name);
	const char *s, *end;
	size_t n;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, err_len, "%s: expected a string", name);
		return -1;
	}
	s = json_string_value(v);
	end = s + json_string_length(v);
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	n = (size_t)(end - s);
	if (n == 0 || n > max || n >= buf_len) {
		snprintf(err, err_len, "%s: expected 1-%zu characters", name,
		         max);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, err_len,
			         "%s: control characters are not allowed",
			         name);
			return -1;
		}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 1;
}

/* The valuation model counts a half bath as .5 and skips a comp with any
 * other fraction: refuse it here rather than store a sale no valuation
 * would use. */
static bool baths_steps(double baths, char *err, size_t err_len)
{
	if (baths * 2 == floor(baths * 2))
		return true;
	snprintf(err, err_len, "baths: expected whole or half baths (2.5)");
	return false;
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > COMP_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '.' &&
		    id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

/* 64-bit FNV-1a: a stable, well-spread hash for ids, not for secrets. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)toupper((unsigned char)*s);
		h *= 1099511628211ULL;
	}
	h ^= '|';
	return h * 1099511628211ULL;
}

void comp_record_id(const char *zip, const char *address, const char *sold_date,
                    double price, char out[COMP_ID_MAX + 1])
{
	char p[32];
	uint64_t h = 14695981039346656037ULL;

	snprintf(p, sizeof p, "%.0f", price);
	h = fnv1a(h, zip);
	h = fnv1a(h, address);
	h = fnv1a(h, sold_date);
	h = fnv1a(h, p);
	snprintf(out, COMP_ID_MAX + 1, "c%016llx", (unsigned long long)h);
}

json_t *comp_record_parse(json_t *in, int32_t today, char *err, size_t err_len)
{
	char id[COMP_ID_MAX + 1], address[COMP_ADDRESS_MAX + 1],
	    city[COMP_CITY_MAX + 1], state[8], zip_text[16], zip[6],
	    date_text[16], date[11];
	double lat, lon, beds, baths, sqft, year = 0, lot = 0, price;
	int32_t sold;
	int r, has_id, has_city, has_state, has_year, has_lot;

	if (!json_is_object(in)) {
		snprintf(err, err_len, "comp: expected an object");
		return NULL;
	}
	has_id = get_text(in, "id", COMP_ID_MAX, id, sizeof id, err, err_len);
	if (has_id < 0)
		return NULL;
	if (has_id && !id_valid(id)) {
		snprintf(err, err_len, "id: expected [A-Za-z0-9._-]{1,%d}",
		         COMP_ID_MAX);
		return NULL;
	}
	if ((r = get_text(in, "address", COMP_ADDRESS_MAX, address,
	                  sizeof address, err, err_len)) <= 0) {
		if (r == 0)
			snprintf(err, err_len, "address: required");
		return NULL;
	}
	if ((has_city = get_text(in, "city", COMP_CITY_MAX, city, sizeof city,
	                         err, err_len)) < 0)
		return NULL;
	if ((has_state = get_text(in, "state", 2, state, sizeof state, err,
	                          err_len)) < 0 ||
	    (has_state && (!isalpha((unsigned char)state[0]) ||
	                   !isalpha((unsigned char)state[1])))) {
		snprintf(err, err_len, "state: expected two letters");
		return NULL;
	}
	if (has_state) {
		state[0] = (char)toupper((unsigned char)state[0]);
		state[1] = (char)toupper((unsigned char)state[1]);
	}
	if ((r = get_text(in, "zip", 10, zip_text, sizeof zip_text, err,
	                  err_len)) <= 0 ||
	    !mesh_zip5(zip_text, zip)) {
		if (r >= 0 || json_is_string(json_object_get(in, "zip")))
			snprintf(err, err_len,
			         r == 0 ? "zip: required"
			                : "zip: expected \"NNNNN\" or "
			                  "\"NNNNN-NNNN\"");
		return NULL;
	}
	if (!require_number(in, "lat", -COMP_LAT_MAX, COMP_LAT_MAX, false, &lat,
	                    err, err_len) ||
	    !require_number(in, "lon", -COMP_LON_MAX, COMP_LON_MAX, false, &lon,
	                    err, err_len) ||
	    !require_number(in, "beds", 0, COMP_BEDS_MAX, true, &beds, err,
	                    err_len) ||
	    !require_number(in, "baths", 0, COMP_BATHS_MAX, false, &baths, err,
	                    err_len) ||
	    !baths_steps(baths, err, err_len) ||
	    !require_number(in, "sqft", COMP_SQFT_MIN, COMP_SQFT_MAX, false,
	                    &sqft, err, err_len) ||
	    !require_number(in, "price", COMP_PRICE_MIN, COMP_PRICE_MAX, false,
	                    &price, err, err_len))
		return NULL;
	if ((r = get_text(in, "sold_date", 10, date_text, sizeof date_text, err,
	                  err_len)) <= 0 ||
	    !comp_date_parse(date_text, &sold)) {
		if (r < 0 && !json_is_string(json_object_get(in, "sold_date")))
			return NULL;
		snprintf(err, err_len,
		         r == 0 ? "sold_date: required"
		                : "sold_date: expected a date YYYY-MM-DD");
		return NULL;
	}
	int32_t latest = today;
	for (int i = 0; i < COMP_SOLD_DAYS_AHEAD; i++)
		latest = comp_date_next_day(latest);
	if (sold > latest) {
		snprintf(err, err_len, "sold_date: %s is in the future",
		         date_text);
		return NULL;
	}
	comp_date_format(sold, date);
	if ((has_year = get_number(in, "year_built", COMP_YEAR_MIN,
	                           sold / 10000 + COMP_YEAR_AFTER_SALE, true,
	                           &year, err, err_len)) < 0 ||
	    (has_lot = get_number(in, "lot_sqft", 0, COMP_LOT_MAX, false, &lot,
	                          err, err_len)) < 0)
		return NULL;
	if (!has_id)
		comp_record_id(zip, address, date, price, id);

	return json_pack(
	    "{s:s, s:s, s:o, s:o, s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:s}",
	    "id", id, "address", address, "city",
	    has_city ? json_string(city) : json_null(), "state",
	    has_state ? json_string(state) : json_null(), "zip", zip, "lat",
	    lat, "lon", lon, "beds", number_json(beds), "baths",
	    number_json(baths), "sqft", number_json(sqft), "year_built",
	    has_year ? number_json(year) : json_null(), "lot_sqft",
	    has_lot ? number_json(lot) : json_null(), "price",
	    number_json(price), "sold_date", date);
}
