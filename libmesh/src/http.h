/*
 * http.h: outbound HTTP on libcurl's multi interface, driven by the libevent
 * loop (curl's socket and timer callbacks map to events; no call blocks).
 */
#ifndef MESH_HTTP_H
#define MESH_HTTP_H

#include <stddef.h>

#include "mesh.h"

struct event_base;

typedef struct http_client http_client;

/* Limits that keep a hostile or broken peer from exhausting the process. */
#define HTTP_MAX_RESPONSE_BODY    (8u * 1024u * 1024u)
#define HTTP_MAX_RESPONSE_HEADERS 100
#define HTTP_MAX_IN_FLIGHT        1024
/* Connections kept open for reuse once their transfer ended. curl's
 * default follows the transfers running (four per transfer), so a burst
 * of deliveries followed by a lull closed connections the next burst
 * opened again: a TCP (and TLS) handshake per message. */
#define HTTP_MAX_IDLE_CONNECTIONS 64

/* A client bound to base. NULL only when curl cannot initialise. */
http_client *http_client_new(struct event_base *base);
/* Frees the client; requests still in flight are reported once with
 * MESH_EUNAVAILABLE ("client closed") before it returns. */
void http_client_free(http_client *c);
/* Starts a request (opts and everything it points to are copied). cb runs
 * exactly once, never from inside this call. Over HTTP_MAX_IN_FLIGHT the
 * request fails with MESH_EUNAVAILABLE. */
void http_client_request(http_client *c, const mesh_http_opts *opts,
                         mesh_http_fn cb, void *arg);
/* Requests started and not yet reported. */
size_t http_client_in_flight(const http_client *c);
/* Lower the limits of one client (tests use them to reach a limit cheaply).
 * They start at HTTP_MAX_IN_FLIGHT and HTTP_MAX_RESPONSE_BODY; a new limit
 * applies to requests started afterwards. */
void http_client_set_max_in_flight(http_client *c, size_t n);
void http_client_set_max_body(http_client *c, size_t bytes);

#endif
