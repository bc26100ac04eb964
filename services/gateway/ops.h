/*
 * ops.h: the operator endpoints of the gateway: /healthz, /readyz and
 * /metrics for the whole mesh.
 */
#ifndef GATEWAY_OPS_H
#define GATEWAY_OPS_H

#include "gateway/http_server.h"

/* How long /readyz and /metrics wait for each service. */
#define OPS_PROBE_TIMEOUT_MS 1000

/* 1 when path is an operator endpoint (and it was answered). */
int ops_handle(http_conn *c, const char *path, const char *request_id);

#endif
