/*
 * lead_query.h: the arguments of list, checked. Query parameters come from
 * the gateway as strings, so numbers are accepted as strings or integers.
 * Pure.
 */
#ifndef LEAD_QUERY_H
#define LEAD_QUERY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lead_id.h"

/* Page size when none is asked for, and the most one page may hold. */
#define LEAD_LIST_LIMIT_DEFAULT 50
#define LEAD_LIST_LIMIT_MAX     200

typedef struct lead_query {
	char status[16];             /* "" for any */
	char zip[6];                 /* "" for any; five digits */
	int64_t since_ms;            /* -1 for no bound */
	char after_id[LEAD_ID_SIZE]; /* from the cursor; "" for page one */
	int limit;
} lead_query;

/* Fills q from args (borrowed). 0, or -1 with why naming the parameter:
 *   limit: expected an integer 1-200, got "500"
 * Unknown parameters are refused, so a typo never widens a filter. */
int lead_query_parse(json_t *args, lead_query *q, char *why, size_t why_size);

#endif
