/*
 * valuation_report.h: from comps.search's answer to the model's input, and
 * from the model's result to valuation.estimate's reply.
 *
 * Pure: no I/O, no globals. The reply, when a value could be given:
 *   {"value", "low", "high", "confidence" (0..1), "label",
 *    "radius_mi", "found": {"0.5", "1", "2"}, "comps_count",
 *    "comps": [{"id", "address", "zip", "distance_mi", "sold_date",
 *               "days_since_sale", "price", "sqft", "beds", "baths",
 *               "year_built", "adjustments": {"time", "size", "beds",
 *               "baths", "age", "total"}, "adjusted_price", "weight"}],
 *    "subject": {"lat", "lon", "zip", "sqft", "beds", "baths",
 *                "year_built", "location": "given" | "zip_centroid",
 *                "sqft_source": "given" | "zip_median" | "area_median"},
 *    "notes": ["..."], "as_of"}
 * and when not: {"value": null, "reason", "subject", "found", "as_of"}.
 * The daemon adds "cached".
 */
#ifndef VALUATION_REPORT_H
#define VALUATION_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "valuation_area.h"
#include "valuation_args.h"
#include "valuation_model.h"

/* Confidence is multiplied by these when the subject was partly guessed:
 * with the ZIP's median living area the value is that of a typical home
 * there, not of this one; at the ZIP's centroid the subject may lie a mile
 * from the comps that weigh most. */
#define VAL_CONF_FACTOR_SQFT_MEDIAN  0.7
#define VAL_CONF_FACTOR_ZIP_CENTROID 0.85

/* Where the subject's location and living area came from. */
typedef enum val_source {
	VAL_SRC_GIVEN = 0,
	VAL_SRC_ZIP,  /* the ZIP's sales: centroid, median sqft */
	VAL_SRC_AREA, /* the sales within the widest radius: median sqft */
} val_source;

/* The subject as valued. */
typedef struct val_subject {
	val_property home;
	char zip[6];
	val_source location;
	val_source sqft;
	size_t basis_count; /* sales the guessed parts were drawn from */
} val_subject;

/* Fills out[i] from comps[i] (records as comps.search returns them) for
 * every i; a record missing a field it needs gets NAN there, which the
 * model skips as unusable. ids point into comps (borrowed). Returns the
 * number filled: json_array_size(comps), or 0 when it is not an array. */
size_t val_cands_from_json(json_t *comps, val_comp *out);

/* The centroid and the median living area of comps (usable ones only).
 * false when none is usable. */
bool val_cands_summary(const val_comp *c, size_t n, double *lat, double *lon,
                       double *median_sqft, size_t *count);

/* The subject: a's known parts, the rest from the summary given (NAN when
 * none). false, with a reason in why, when the location or the living area
 * stays unknown. */
bool val_subject_resolve(const val_args *a, double centroid_lat,
                         double centroid_lon, double median_sqft,
                         val_source median_source, size_t basis_count,
                         val_subject *out, char *why, size_t why_len);

/* The reply for a result of val_estimate() with status VAL_OK or
 * VAL_ENOTENOUGH; area holds the candidates the model was given, for the
 * itemized comps. New reference. */
json_t *val_report_json(const val_args *a, const val_subject *s,
                        const val_result *r, const val_area *area);

/* The reply when no value can be given before the model runs (no sales
 * in the ZIP at all). s may be NULL. New reference. */
json_t *val_report_no_value(const val_args *a, const val_subject *s,
                            const char *reason);

/* The notes a report carries about guessed parts of the subject: at most
 * VAL_NOTES_MAX, each shorter than VAL_NOTE_LEN. Returns how many. */
#define VAL_NOTES_MAX 2
#define VAL_NOTE_LEN  200
size_t val_report_notes(const val_subject *s,
                        char notes[VAL_NOTES_MAX][VAL_NOTE_LEN]);
/* The confidence a report gives (the model's, lowered for guessed parts,
 * to 0.01) and its label. */
double val_report_confidence(const val_subject *s, const val_result *r);
const char *val_report_label(const val_subject *s, const val_result *r);
/* "given", "zip_centroid", "zip_median" or "area_median". */
const char *val_source_name(val_source s, bool location);

/* What a lead keeps of its valuation: the report of val_report_json()
 * with each comp named, not itemized: {"id", "distance_mi",
 * "adjusted_price", "weight"} (the sale's record is comps'; the estimate
 * method itemizes it again on request). A fifth of the full report's
 * numbers, for a record written once per lead and read back only when
 * lead.created is redelivered. New reference. */
json_t *val_report_lead(const val_args *a, const val_subject *s,
                        const val_result *r, const val_area *area);

/* What lead.valued carries and a lead keeps of a report (borrowed): its
 * "lead_id" and, when the report has them, "value", "low", "high",
 * "confidence", "label", "comps_count", "radius_mi", "reason", "as_of",
 * and the subject's "location" and "sqft_source". The full report stays
 * with valuation. New reference. */
json_t *val_report_summary(json_t *report, const char *lead_id);

#endif
