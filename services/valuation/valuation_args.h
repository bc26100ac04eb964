/*
 * valuation_args.h: what valuation.estimate is asked to value, from the
 * call's arguments or from a lead.created event, and the cache key of that
 * question.
 *
 * Pure: no I/O, no globals. Numbers may be JSON numbers or numeric strings
 * (an empty string counts as absent).
 *
 *   lat, lon     the subject's location (both or neither), taken to the
 *                nearest VAL_ARGS_LATLON_STEP degree: one cached estimate
 *                serves every point of that ~100 m cell, and the model sees
 *                the same point whoever asked first
 *   zip          "NNNNN" or "NNNNN-NNNN"; required without lat/lon: the
 *                subject is then placed at the centroid of the ZIP's sales
 *   sqft         living area, VAL_ARGS_SQFT_MIN..VAL_MAX_SQFT, rounded to
 *                a whole number; unknown: the ZIP's (or area's) median
 *   beds, baths  0..VAL_MAX_ROOMS, whole (baths: in steps of .5)
 *   year_built   VAL_YEAR_MIN..VAL_YEAR_MAX
 *   as_of        "YYYY-MM-DD"; default today (UTC)
 */
#ifndef VALUATION_ARGS_H
#define VALUATION_ARGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Degrees the subject location is rounded to (3 decimals, ~110 m). */
#define VAL_ARGS_LATLON_STEP 0.001
/* Smallest living area taken for a home. */
#define VAL_ARGS_SQFT_MIN 100.0
/* Room for a cache key built by val_args_cache_key(). */
#define VAL_ARGS_KEY_MAX 128

typedef struct val_args {
	bool has_point;
	double lat, lon; /* rounded; valid when has_point */
	char zip[6];     /* "" when unknown */
	double sqft;     /* VAL_UNKNOWN when unknown */
	double beds;     /* VAL_UNKNOWN when unknown */
	double baths;    /* VAL_UNKNOWN when unknown */
	int year_built;  /* 0 when unknown */
	int32_t as_of;   /* days since 1970-01-01 */
} val_args;

/* Reads estimate arguments (borrowed) as of today (days since 1970). 0, or
 * -1 with a message naming the argument in err. */
int val_args_parse(json_t *args, int32_t today, val_args *out, char *err,
                   size_t err_len);

/* Reads the subject of a lead.created event: the ZIP of "address" (or a
 * top-level "zip"), and "sqft", "beds", "baths", "year_built" when the lead
 * has them. A field the lead got wrong counts as unknown: a seller's typo
 * must not keep the lead from being valued. The ZIP is "" when the lead has
 * none. as_of is today. */
void val_args_from_lead(json_t *lead, int32_t today, val_args *out);

/* The cache key of a question: the rounded location or the ZIP, every
 * feature ("-" when unknown) and the day, e.g.
 * "p:30.245,-97.763:78704:1800:3:2:1965:2026-11-01" or
 * "z:78704:-:3:2:-:2026-11-01". false when it does not fit
 * or neither location nor ZIP is known. */
bool val_args_cache_key(const val_args *a, char *buf, size_t len);

#endif
