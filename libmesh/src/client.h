/*
 * client.h: calls to other services. One multiplexed connection per peer
 * (many requests in flight, replies in any order), opened on first use,
 * reconnected with backoff; calls made while a peer is unreachable wait
 * for it within their deadline, so a restarting service looks like
 * latency, not failure. GOAWAY moves new calls to a fresh connection while
 * the old one finishes what it carries.
 */
#ifndef MESH_CLIENT_H
#define MESH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"
#include "mesh.h"

struct event_base;

/* Reconnect delays: first, then doubled up to the cap. */
#define CLIENT_BACKOFF_MIN_MS 5
#define CLIENT_BACKOFF_MAX_MS 500

/* Binds the client to a loop; m (borrowed, may be NULL: no binding
 * checks, as for tools) gives the bindings of the running service. */
void client_init(struct event_base *base, const manifest *m);
/* Fails every call still waiting (MESH_EUNAVAILABLE) and frees every
 * connection. */
void client_shutdown(void);

/* A call with everything explicit: deadline_ms is absolute (monotonic);
 * cb NULL makes it one-way. args stolen. */
void client_call(const char *service, const char *method, json_t *args,
                 const char *request_id, const char *traceparent,
                 int64_t deadline_ms, mesh_call_fn cb, void *arg);

/* Whether service can be reached at all: a TCP endpoint, or a Unix socket
 * file that exists (a stopped service leaves its socket; one never started
 * here has none). */
int client_endpoint_exists(const char *service);
/* The process is draining: one-way sends to peers that refuse are dropped
 * instead of retried. */
void client_exiting(void);
/* One-way sends not yet written to a socket, plus bytes not yet flushed:
 * zero means a clean exit loses nothing. */
size_t client_unflushed(void);

#endif
