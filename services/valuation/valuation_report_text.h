/*
 * valuation_report_text.h: the report of a value, written straight as JSON
 * text, without building it as a jansson tree first: what valuation stores
 * for every lead (the cache entry and the lead's record), where building,
 * dumping and freeing the tree cost most of a lead's valuation.
 *
 * The text is byte for byte json_dumps(val_report_json(...), JSON_COMPACT |
 * JSON_REAL_PRECISION(12)) (the unit test holds the two together), so a
 * reader cannot tell which wrote it.
 *
 * Pure: no I/O, no globals.
 */
#ifndef VALUATION_REPORT_TEXT_H
#define VALUATION_REPORT_TEXT_H

#include "valuation_report.h"

/* Significant digits of reals, as JSON_REAL_PRECISION(12). */
#define VAL_TEXT_REAL_DIGITS 12

/* The report of r, which must have status VAL_OK (NULL otherwise, or when
 * out of memory); area as for val_report_json(). Caller frees. */
char *val_report_text(const val_args *a, const val_subject *s,
                      const val_result *r, const val_area *area);

#endif
