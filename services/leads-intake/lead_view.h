/*
 * lead_view.h: a lead as readers see it, put together from what Redis
 * holds. The hash keeps the lead as created (one JSON text, never
 * rewritten) beside the fields that change (status, updated_at, valuation),
 * so a status move never rewrites the lead and a late valuation never
 * races a status move. Pure.
 */
#ifndef LEAD_VIEW_H
#define LEAD_VIEW_H

#include <jansson.h>

/*
 * fields is [lead_json, status, updated_at, valuation_json_or_null] as the
 * read scripts return it (borrowed); history is an array of JSON texts, or
 * NULL to leave "history" out (list pages). Returns a new object: the lead
 * with "status", "updated_at", "valuation" (null until valued) and
 * "history", or NULL when the stored text is not a JSON object.
 */
json_t *lead_view(json_t *fields, json_t *history);

#endif
