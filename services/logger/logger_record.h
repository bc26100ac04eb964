/*
 * logger_record.h: what a shipped log record must look like to be kept,
 * and the order of log levels.
 *
 * A record is what libmesh's log shipper sends (libmesh/src/log.c): an
 * object with string ts, level, service and msg, optional string
 * request_id and trace_id, and any extra fields the line carried.
 *
 * Pure: no I/O.
 */
#ifndef LOGGER_RECORD_H
#define LOGGER_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A record larger than this, serialized, is skipped: one runaway line must
 * not crowd out thousands of others in the capped stream. */
#define LOGGER_RECORD_MAX_BYTES 16384
/* Longest service name and request id kept (the wire's own limits). */
#define LOGGER_SERVICE_MAX    64
#define LOGGER_REQUEST_ID_MAX 128

/* debug 0, info 1, warn 2, error 3; -1 for anything else (NULL too). */
int logger_level_rank(const char *name);

/* 0 when rec can be stored; -1 with why ("level: expected debug, info,
 * warn or error") otherwise. rec is borrowed. */
int logger_record_check(const json_t *rec, char *why, size_t why_len);

/* Milliseconds since the epoch of an ISO-8601 UTC time as log lines carry
 * it ("2025-07-01T08:00:00.123Z"; the fraction is optional); -1 when s
 * has another shape. */
int64_t logger_parse_ts(const char *s);

#endif
