/*
 * server.h: the listening side of a service. Accepts connections on its
 * Unix socket (bound to a temporary path and renamed over the old one, so
 * a deploy never leaves a moment without a socket), on an inherited
 * listening socket (LISTEN_FDS), or on TCP; turns request and one-way
 * frames into requests; drains gracefully.
 */
#ifndef MESH_SERVER_H
#define MESH_SERVER_H

#include <stddef.h>

#include "mesh.h"

struct event_base;

typedef struct server server;

/* Connections at once, at most; past it a new one is closed at accept. */
#define SERVER_MAX_CONNECTIONS 4096
/* After GOAWAY, clients have this long to stop using a connection before
 * the server closes it once idle. */
#define SERVER_GOAWAY_GRACE_MS 500

/* The handler for a method, NULL when the service has none by that name. */
typedef mesh_handler_fn (*server_lookup_fn)(const char *method);

server *server_new(struct event_base *base, server_lookup_fn lookup);
/* Listens as configured (config.h): LISTEN_FDS, MESH_LISTEN, or
 * <sock_dir>/<service>.sock. 0, or -1 with err. */
int server_listen(server *s, const char *service, char *err, size_t err_len);
/* The Unix socket path, "" when listening otherwise. */
const char *server_path(const server *s);
/* Stops accepting, sends GOAWAY on every connection, and calls done(arg)
 * once no request is in flight and every client has closed, or after
 * drain_ms. */
void server_drain(server *s, int64_t drain_ms, void (*done)(void *), void *arg);
void server_free(server *s);
size_t server_connections(const server *s);
size_t server_in_flight(const server *s);

#endif
