/*
 * valuation_area.h: one comps.search answer held in C, the form the model
 * and the report read, so that it is parsed once and can be kept in memory
 * (valuation_area_cache.h) rather than fetched and parsed per estimate.
 *
 * Pure: no I/O, no globals.
 */
#ifndef VALUATION_AREA_H
#define VALUATION_AREA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "valuation_model.h"

/* The text of a sale that the report itemizes; NULL when the record had
 * none. cands[i].id is the same string as text[i].id. */
typedef struct val_sale_text {
	const char *address;
	const char *zip;
	const char *sold_date;
} val_sale_text;

/* Sales as comps.search returned them, in its order (the model's result
 * depends on the order only through ties, but an estimate from memory must
 * be the estimate from a fresh search, bit for bit). */
typedef struct val_area {
	size_t n;
	val_comp *cands;     /* n; the model's input */
	val_sale_text *text; /* n */
	bool truncated;      /* comps had more than it returned */
	char *strings;       /* every string above, one block */
} val_area;

/* From a comps.search reply (borrowed): {"comps": [...], "truncated"}.
 * A record missing a field gets NAN there (see val_cands_from_json).
 * NULL only when out of memory. Caller frees with val_area_free(). */
val_area *val_area_from_json(json_t *reply);

/* Frees an area; NULL is fine. */
void val_area_free(val_area *area);

#endif
