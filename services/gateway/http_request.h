/*
 * http_request.h: one HTTP/1.x request taken from a byte stream by the
 * nodejs http-parser, with the edge's limits enforced while the bytes
 * arrive (before a body is read, a too-long line or header block is
 * stored, or an ambiguous length is believed). Pure: no I/O, no clock, so
 * the server feeds it from sockets and the fuzzer from bytes.
 */
#ifndef GATEWAY_HTTP_REQUEST_H
#define GATEWAY_HTTP_REQUEST_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>

/* "METHOD target HTTP/1.1", at most (414 past it). */
#define HTTP_MAX_REQUEST_LINE 8192
/* Header fields, counted as name + ": " + value + CRLF each, at most
 * (431 past it). */
#define HTTP_MAX_HEADER_BYTES 16384
/* Header fields, at most (431 past it). */
#define HTTP_MAX_HEADER_FIELDS 100
/* A request body, at most (413 past it, before reading it when
 * Content-Length says so). */
#define HTTP_MAX_BODY (1024 * 1024)
/* Raw bytes up to the end of the headers, at most: the counts above do
 * not see the whitespace the parser skips, this bound does. */
#define HTTP_MAX_HEAD_RAW (HTTP_MAX_REQUEST_LINE + HTTP_MAX_HEADER_BYTES + 1024)
/* Buffers larger than this are freed between requests, so that an idle
 * keep-alive connection holds little memory. */
#define HTTP_KEEP_BYTES 16384

typedef enum http_req_state {
	HTTP_REQ_IDLE,     /* no byte of a request yet */
	HTTP_REQ_HEADERS,  /* in the request line or headers */
	HTTP_REQ_BODY,     /* headers complete, body arriving */
	HTTP_REQ_COMPLETE, /* a whole request: read it, then reset */
	HTTP_REQ_FAILED    /* refused: answer error_status and close */
} http_req_state;

typedef struct http_field {
	const char *name, *value; /* NUL-terminated, value trimmed */
} http_field;

typedef struct http_request {
	http_parser parser;
	http_req_state state;
	/* The target and header fields as they arrive, NUL-separated. */
	char *arena;
	size_t arena_len, arena_cap;
	uint32_t field_off[HTTP_MAX_HEADER_FIELDS][2];
	size_t url_len, header_bytes;
	int last_cb;
	/* Set when the headers are complete: */
	const char *method; /* "GET" */
	const char *target; /* as sent */
	const char *path;   /* the target's path ("/" when absent) */
	const char *query;  /* after '?', or NULL */
	http_field fields[HTTP_MAX_HEADER_FIELDS];
	size_t n_fields;
	int http_minor;    /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	int keep_alive;    /* the client wants the connection kept */
	int upgrade;       /* an Upgrade or CONNECT (we close after it) */
	int want_continue; /* Expect: 100-continue and a body to come */
	char *body;
	size_t body_len, body_cap;
	/* On HTTP_REQ_FAILED: */
	int error_status;       /* 400, 408, 413, 414, 417, 431 */
	const char *error_code; /* "bad_request", ... */
	char error_msg[160];
} http_request;

/* An empty request with no buffers yet. */
void http_request_init(http_request *r);
/* Ready for the next request on the connection; keeps small buffers. */
void http_request_reset(http_request *r);
void http_request_free(http_request *r);

/* Feeds up to len bytes; *used says how many were taken. Returns the
 * state after them: HTTP_REQ_COMPLETE stops at the end of the request
 * (the rest is the next request's: reset, then feed it), and
 * HTTP_REQ_FAILED sets the error fields. Feeding a complete or failed
 * request takes nothing. */
http_req_state http_request_feed(http_request *r, const char *data, size_t len,
                                 size_t *used);

/* Marks the request failed (for deadlines the caller keeps). */
void http_request_fail(http_request *r, int status, const char *code,
                       const char *msg);

/* A header's value (name case-insensitive), or NULL; the first of
 * repeated ones. Only once the headers are complete. */
const char *http_request_header(const http_request *r, const char *name);

#endif
