/*
 * http_conn.h: what http_server.c and http_response.c share about a
 * connection. Not for handlers: they use http_server.h and
 * http_response.h.
 */
#ifndef GATEWAY_HTTP_CONN_H
#define GATEWAY_HTTP_CONN_H

#include "gateway/http_server.h"

struct bufferevent;
struct event;

typedef enum http_phase {
	HTTP_PHASE_IDLE,     /* waiting for a request: idle deadline */
	HTTP_PHASE_HEADERS,  /* reading headers: header deadline */
	HTTP_PHASE_BODY,     /* reading a body: body deadline */
	HTTP_PHASE_HANDLER,  /* the handler has the request */
	HTTP_PHASE_STALLED,  /* output over the cap: write deadline */
	HTTP_PHASE_FLUSHING, /* last response going out: write deadline */
	HTTP_PHASE_LINGERING /* our side shut: discarding, linger deadline */
} http_phase;

struct http_conn {
	http_server *srv;        /* NULL once the server is gone (see free) */
	struct bufferevent *bev; /* NULL once the client is gone */
	struct event *timer;
	http_conn *prev, *next;
	http_request req;
	http_phase phase;
	int n_requests;
	int must_close; /* the current response is the last */
	int rejected;   /* over the connection cap: 503 only */
	int held;       /* holds the process's drain */
	int in_process; /* inside conn_process: no re-entry */
	int eof;        /* the client has closed its side */
	/* Headers of the coming response, "Name: value\r\n" each. */
	char *out;
	size_t out_len, out_cap;
	char peer[64];
};

/* Whether the response being written must be the connection's last. */
int http_conn_last_response(http_conn *c);
/* Hands a whole response to the socket and moves the connection on. */
void http_conn_write(http_conn *c, const char *data, size_t len);

#endif
