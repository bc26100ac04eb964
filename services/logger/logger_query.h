/*
 * logger_query.h: the filter of a log query or tail, read from the
 * method's arguments (which, from the gateway, are all strings), and the
 * test of one record against it.
 *
 * Pure: no I/O.
 */
#ifndef LOGGER_QUERY_H
#define LOGGER_QUERY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "logger_record.h"

/* Records returned by one query or tail, by default and at most. */
#define LOGGER_LIMIT_DEFAULT 100
#define LOGGER_LIMIT_MAX     1000
/* A stream cursor "<ms>-<seq>", at most this long. */
#define LOGGER_CURSOR_MAX 48

typedef struct logger_filter {
	char service[LOGGER_SERVICE_MAX + 1];       /* "" = every service */
	int min_level;                              /* 0 = every level */
	char request_id[LOGGER_REQUEST_ID_MAX + 1]; /* "" = every request */
	int64_t since_ms;                           /* 0 = no bound */
	int limit;
	char cursor[LOGGER_CURSOR_MAX + 1]; /* tail only; "" = none */
} logger_filter;

/* Fills f from args: service, level (the minimum), request_id, since_ms
 * (ms since the epoch) or since (the same, or ISO-8601 UTC), limit
 * (1..LOGGER_LIMIT_MAX), cursor. Numbers may be given as strings. 0, or -1
 * with err naming the argument. */
int logger_filter_parse(const json_t *args, logger_filter *f, char *err,
                        size_t err_len);

/* 1 when rec passes every part of f but the limit and cursor. since
 * compares the record's own ts; a record whose ts cannot be read fails a
 * since bound. */
int logger_filter_match(const logger_filter *f, const json_t *rec);

/* 1 when s is a stream id "<ms>-<seq>" (or "<ms>"). */
int logger_cursor_valid(const char *s);

#endif
