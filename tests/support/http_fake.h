/*
 * http_fake.h: a real HTTP server on 127.0.0.1 for tests, standing in for
 * Slack, a CRM, an SMS provider. It runs its own libevent loop (evhttp) in a
 * background thread, so the test thread may block on anything else; every
 * function here is called from the test thread and is safe while the server
 * runs.
 *
 * Scripted replies: http_fake_push() queues one reply, consumed by the next
 * request to its path. A request finds, in order: a hang for its path (or
 * for every path), the oldest reply pushed for its path, the oldest reply
 * pushed for any path, and otherwise 200 "ok" (Content-Type: text/plain).
 * Paths match without the query string. A scripted reply carries exactly
 * its scripted headers plus the Date and Content-Length evhttp adds when
 * they are missing.
 *
 * Recording: every request is kept, in arrival order, until http_fake_stop.
 */
#ifndef HTTP_FAKE_H
#define HTTP_FAKE_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_fake http_fake;

typedef struct http_fake_req {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* as on the request line, query included */
	size_t n_headers;
	const char *const *header_names; /* as received, in order */
	const char *const *header_values;
	const char *body; /* NUL-terminated for convenience */
	size_t body_len;
	int64_t at_ms; /* arrival, CLOCK_MONOTONIC (runtime_now_ms's clock) */
	/* The client's port: requests with the same one came on the same
	 * connection (loopback ports are not reused while it is open). */
	int peer_port;
} http_fake_req;

/* Starts a server on an ephemeral loopback port; NULL (and why on stderr)
 * when it cannot. */
http_fake *http_fake_start(void);
/* Stops the loop, joins the thread and frees everything, the recorded
 * requests included. Requests still waiting get 503 if their client is
 * still there. NULL is a no-op. */
void http_fake_stop(http_fake *f);

int http_fake_port(const http_fake *f);
/* "http://127.0.0.1:<port><path>"; caller frees. */
char *http_fake_url(const http_fake *f, const char *path);

/* Queues one reply for the next request to path (NULL: any path).
 * headers: "Name: value" lines separated by '\n' (NULL: none). body:
 * NUL-terminated (NULL: empty). delay_ms > 0 answers that much later, on
 * a timer: a slow server. Returns 0, or -1 for a malformed header line. */
int http_fake_push(http_fake *f, const char *path, int status,
                   const char *headers, const char *body, int delay_ms);
/* From now on requests to path (NULL: every path) are read and recorded
 * but never answered, until http_fake_stop. */
void http_fake_hang(http_fake *f, const char *path);

/* Requests received so far. */
size_t http_fake_count(http_fake *f);
/* Waits until at least n requests have arrived: 0, or -1 after
 * timeout_ms. */
int http_fake_wait(http_fake *f, size_t n, int timeout_ms);
/* The i-th request (0-based), NULL when there is none yet. Valid until
 * http_fake_stop; never changes once returned. */
const http_fake_req *http_fake_get(http_fake *f, size_t i);
/* A recorded request header's value (case-insensitive), NULL when absent. */
const char *http_fake_req_header(const http_fake_req *r, const char *name);

/* A loopback TCP port with nothing listening (bound, read, closed), for
 * "connection refused". Another process could take it meanwhile; on a test
 * machine that is vanishingly rare. -1 on failure. */
int http_fake_refused_port(void);

#endif
