/*
 * comp_query.h: the arguments of comps.search and the filter applied to
 * each candidate sale.
 *
 * Pure: no I/O, no globals. Arguments may be JSON numbers or, as query
 * parameters from the gateway arrive, numeric strings; an empty string
 * counts as absent (an HTML form sends its empty fields).
 *
 *   lat, lon     search around this point (both or neither)
 *   radius_mi    0 < r <= COMP_RADIUS_MAX_MI; default COMP_RADIUS_DEFAULT_MI
 *   zip          "NNNNN": only this ZIP (alone: the ZIP's index, newest
 *                first; with lat/lon: a filter on the radius search)
 *   months       sold within this many months before as_of; 1-120, 12
 *   as_of        "YYYY-MM-DD"; default today (UTC); later sales never match
 *   beds_min, beds_max, sqft_min, sqft_max   inclusive bounds
 *   limit        1-COMP_LIMIT_MAX; default COMP_LIMIT_DEFAULT
 */
#ifndef COMP_QUERY_H
#define COMP_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMP_RADIUS_DEFAULT_MI 1.0
#define COMP_RADIUS_MAX_MI     10.0
#define COMP_MONTHS_DEFAULT    12
#define COMP_MONTHS_MAX        120
#define COMP_LIMIT_DEFAULT     100
/* Most comps one reply carries: 1000 full records are about 300 KB, well
 * inside the 1 MiB frame. */
#define COMP_LIMIT_MAX 1000
/* Most candidates one search reads from an index before filtering: bounds
 * the work and the size of the detail fetch. A radius search reads the
 * nearest ones, a ZIP search the most recent ones. */
#define COMP_SCAN_MAX 5000

typedef struct comp_query {
	bool has_point;
	double lat, lon;
	double radius_mi;
	char zip[6]; /* "" when not given */
	int months;
	int32_t as_of; /* YYYYMMDD */
	int32_t since; /* YYYYMMDD: first day of the window */
	double beds_min, beds_max, sqft_min, sqft_max; /* NAN: no bound */
	int limit;
} comp_query;

/* Reads args (borrowed) into q as of today (YYYYMMDD). 0, or -1 with a
 * message naming the argument in err. */
int comp_query_parse(json_t *args, int32_t today, comp_query *q, char *err,
                     size_t err_len);

/* Whether a stored record (as comp_record_parse made it) passes q's date,
 * ZIP, beds and sqft filters. The radius is the index's business. */
bool comp_query_match(const comp_query *q, json_t *comp);

#endif
