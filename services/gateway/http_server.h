/*
 * http_server.h: the gateway's HTTP/1.1 server on libevent bufferevents:
 * connections, keep-alive and pipelining (one request at a time per
 * connection, so responses leave in order), the deadlines a slow client
 * cannot stretch, the connection and per-connection caps, output
 * backpressure, and a graceful drain. Requests are parsed by
 * http_request.c; responses are written by http_response.c.
 */
#ifndef GATEWAY_HTTP_SERVER_H
#define GATEWAY_HTTP_SERVER_H

#include <stddef.h>

#include "gateway/http_request.h"

struct event_base;

/* From the first byte of a request to the end of its headers, at most
 * (GATEWAY_HEADER_TIMEOUT_S): 408 past it, however steadily bytes come. */
#define HTTP_HEADER_TIMEOUT_S 10
/* From the end of the headers to the end of the body, at most
 * (GATEWAY_BODY_TIMEOUT_S): 408 past it. */
#define HTTP_BODY_TIMEOUT_S 30
/* A keep-alive connection with no request, at most
 * (GATEWAY_IDLE_TIMEOUT_S, or its old name GATEWAY_CLIENT_TIMEOUT_S). */
#define HTTP_IDLE_TIMEOUT_S 10
/* A client that does not read its responses: once its output is over
 * HTTP_OUTPUT_CAP, or once we close, it has this long to take them
 * (GATEWAY_WRITE_TIMEOUT_S). */
#define HTTP_WRITE_TIMEOUT_S 10
/* Requests on one keep-alive connection, at most
 * (GATEWAY_MAX_REQUESTS_PER_CONN): the last answer says Connection: close. */
#define HTTP_MAX_REQUESTS_PER_CONN 1000
/* Open client connections, at most (GATEWAY_MAX_CONNECTIONS): past it a
 * new connection gets 503 and is closed. */
#define HTTP_MAX_CONNECTIONS 4096
/* Connections past the cap that are still told 503; past these, a new
 * connection is closed at once. */
#define HTTP_REJECT_SLOTS 64
/* Responses buffered for one connection, at most: past it the connection
 * reads no further request until the client has taken them. */
#define HTTP_OUTPUT_CAP (256 * 1024)
/* Unparsed bytes read ahead on one connection (pipelined requests waiting
 * their turn), at most: past it the socket is not read. */
#define HTTP_INPUT_CAP (64 * 1024)
/* After our last response on a connection we close our side and discard
 * what the client still sends for this long, so that its unread bytes do
 * not turn our close into a reset that destroys the response. */
#define HTTP_LINGER_MS 2000

typedef struct http_server_opts {
	int header_timeout_s, body_timeout_s, idle_timeout_s, write_timeout_s;
	int max_connections;
	int max_requests_per_conn;
} http_server_opts;

typedef struct http_server http_server;
/* One client connection; to a handler, the request it is answering. */
typedef struct http_conn http_conn;

/* Called with each complete request; the handler answers it exactly once,
 * now or later, with http_res_send*() (http_response.h). */
typedef void (*http_handler_fn)(http_conn *c, void *arg);

/* The defaults above, overridden by the environment. 0, or -1 with err. */
int http_server_opts_load(http_server_opts *o, char *err, size_t err_len);

/* Listens on bind:port. NULL with err on failure. */
http_server *http_server_new(struct event_base *base, const char *bind,
                             int port, const http_server_opts *o,
                             http_handler_fn fn, void *arg, char *err,
                             size_t err_len);
/* Stops accepting (closes the listener), closes idle connections, and has
 * every request still in progress answered with Connection: close. */
void http_server_drain(http_server *s);
/* Closes everything (after the loop has stopped). */
void http_server_free(http_server *s);
/* Open connections (rejected ones excluded). */
size_t http_server_connections(const http_server *s);

/* The request being answered. */
const http_request *http_conn_request(const http_conn *c);
/* The client's address ("127.0.0.1"). */
const char *http_conn_peer(const http_conn *c);

#endif
