/*
 * edge.h: HTTP requests at the edge: request ids and trace, the route
 * policy (API keys through auth.verify, rate limits), the call, CORS, and
 * uniform JSON errors. The mapping of a request to a call is edge_map.h;
 * the HTTP server under it is http_server.h.
 */
#ifndef GATEWAY_EDGE_H
#define GATEWAY_EDGE_H

#include "gateway/http_server.h"
#include "mesh.h"

/* Requests per minute per API key, and per client address on public
 * routes (RATE_LIMIT_PER_KEY, RATE_LIMIT_PER_IP override). */
#define EDGE_RATE_PER_KEY 1200
#define EDGE_RATE_PER_IP  120
/* auth.verify and rate-limit.hit each get this long. */
#define EDGE_POLICY_TIMEOUT_MS 1000

/* Reads the edge's environment. 0, or -1 with err. */
int edge_configure(char *err, size_t err_len);

/* The server's handler for every complete request. */
void edge_request(http_conn *c, void *arg);

/* Sends {"error":{"code","message","request_id"}} with err's status. */
void edge_send_error(http_conn *c, const char *request_id, mesh_err err,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
