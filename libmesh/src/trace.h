/*
 * trace.h: request ids and W3C trace context (traceparent), so one request
 * can be followed across every hop and every log line.
 */
#ifndef MESH_TRACE_H
#define MESH_TRACE_H

#include <stddef.h>

#define TRACE_REQUEST_ID_MAX 128
#define TRACE_PARENT_LEN     55

/* A fresh request id (a random UUID, 36 characters). */
void trace_new_request_id(char out[37]);
/* Whether s (len bytes) is a valid version-00 traceparent. */
int trace_parent_valid(const char *s, size_t len);
/* The traceparent of a new span: the trace of parent when parent is valid,
 * else a new trace; a new random span id. out gets 55 chars and a NUL. */
void trace_child(const char *parent, size_t parent_len, char out[56]);
/* Whether s is usable as a request id: 1-128 printable ASCII, no spaces. */
int trace_request_id_valid(const char *s, size_t len);

#endif
