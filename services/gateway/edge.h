/*
 * edge.h: HTTP requests at the edge: route, limits, request ids and trace,
 * CORS, the HTTP-to-call mapping, and uniform JSON errors.
 */
#ifndef GATEWAY_EDGE_H
#define GATEWAY_EDGE_H

#include "mesh.h"

struct evhttp_request;

/* A request body the routes accept, at most (413 past it). */
#define EDGE_MAX_BODY (1024 * 1024)
/* The request line and headers together, at most (431 past it). */
#define EDGE_MAX_HEADER_BYTES (16 * 1024)
/* Query parameters, at most. */
#define EDGE_MAX_QUERY_PARAMS 32

/* Requests per minute per API key, and per client address on public
 * routes (RATE_LIMIT_PER_KEY, RATE_LIMIT_PER_IP override). */
#define EDGE_RATE_PER_KEY 1200
#define EDGE_RATE_PER_IP  120
/* auth.verify and rate-limit.hit each get this long. */
#define EDGE_POLICY_TIMEOUT_MS 1000

/* Reads the edge's environment. 0, or -1 with err. */
int edge_configure(char *err, size_t err_len);

/* The evhttp callback for every request. */
void edge_request(struct evhttp_request *req, void *arg);

/* Sends {"error":{"code","message","request_id"}} with err's status. */
void edge_send_error(struct evhttp_request *req, const char *request_id,
                     mesh_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends a JSON value (stolen) with a status. */
void edge_send_json(struct evhttp_request *req, int status, json_t *body);

#endif
