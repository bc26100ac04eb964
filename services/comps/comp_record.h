/*
 * comp_record.h: one comparable sale, checked and put in canonical form
 * before it is stored.
 *
 * Pure: no I/O, no globals. A record is a JSON object with exactly these
 * fields (others are dropped):
 *   id          [A-Za-z0-9._-]{1,64}; optional: derived when absent
 *   address     street address, 1-200 characters; required
 *   city        up to 100 characters; optional
 *   state       two letters, stored upper-case; optional
 *   zip         "NNNNN" or "NNNNN-NNNN", stored as the 5 digits; required
 *   lat, lon    degrees within Redis GEO's limits; required
 *   beds        whole number 0-20; required
 *   baths       0-20 in steps of .5 (a half bath counts .5); required
 *   sqft        200-20000 living area; required
 *   year_built  whole number 1700 .. sale year + 3; optional (null)
 *   lot_sqft    0-50000000; optional (null)
 *   price       1000-1000000000 dollars; required
 *   sold_date   "YYYY-MM-DD", not after the day after today; required
 */
#ifndef COMP_RECORD_H
#define COMP_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define COMP_ID_MAX      64
#define COMP_ADDRESS_MAX 200
#define COMP_CITY_MAX    100
/* Redis GEO refuses latitudes past the Web Mercator limit (EPSG:3857). */
#define COMP_LAT_MAX   85.05112878
#define COMP_LON_MAX   180.0
#define COMP_BEDS_MAX  20
#define COMP_BATHS_MAX 20
#define COMP_SQFT_MIN  200
#define COMP_SQFT_MAX  20000
#define COMP_YEAR_MIN  1700
/* A home may sell before it is finished: year_built up to this many years
 * after the sale. */
#define COMP_YEAR_AFTER_SALE 3
#define COMP_LOT_MAX         50000000
#define COMP_PRICE_MIN       1000
#define COMP_PRICE_MAX       1000000000
/* A sale dated the day after today is accepted: the seller's clock may be
 * ahead of UTC. Anything later is a typo. */
#define COMP_SOLD_DAYS_AHEAD 1

/* Checks one sale (borrowed) as of today (YYYYMMDD) and returns its
 * canonical form (caller owns), or NULL with a message naming the field,
 * e.g. "sqft: expected 200-20000", written into err. */
json_t *comp_record_parse(json_t *in, int32_t today, char *err, size_t err_len);

/* The id given to a sale that came without one: "c" and 16 hex digits of a
 * hash of its ZIP, address, date and price, so that adding the same sale
 * twice updates it rather than duplicating it. */
void comp_record_id(const char *zip, const char *address, const char *sold_date,
                    double price, char out[COMP_ID_MAX + 1]);

#endif
