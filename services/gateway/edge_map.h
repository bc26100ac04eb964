/*
 * edge_map.h: the HTTP-to-call mapping. A parsed request becomes one of:
 * a refusal (status, code, message), an operator endpoint, a CORS
 * preflight, or a call of a route's service method with its arguments
 * (the JSON body, or the raw body and headers, plus path parameters,
 * query parameters and "_meta"). Pure: no I/O, so it is unit-tested and
 * fuzzed behind the parser.
 */
#ifndef GATEWAY_EDGE_MAP_H
#define GATEWAY_EDGE_MAP_H

#include <jansson.h>

#include "gateway/http_request.h"
#include "manifest.h"

/* Query parameters, at most. */
#define EDGE_MAX_QUERY_PARAMS 32
/* Nesting of arrays and objects in a JSON body, at most (jansson's own
 * limit, 2048, is far more than any form needs and costs stack). */
#define EDGE_MAX_JSON_DEPTH 64

typedef enum edge_kind {
	EDGE_REFUSE,    /* answer status, code and message */
	EDGE_OPS,       /* /healthz, /readyz or /metrics */
	EDGE_PREFLIGHT, /* a CORS preflight: 204 naming allow */
	EDGE_CALL       /* call route's service.method with args */
} edge_kind;

typedef struct edge_plan {
	edge_kind kind;
	int status;       /* EDGE_REFUSE */
	const char *code; /* EDGE_REFUSE: "not_found", ... */
	char message[400];
	char allow[64]; /* 405 and preflight: "POST, GET" */
	int cors;       /* the answer carries CORS headers */
	const manifest_route *route;
	json_t *args; /* EDGE_CALL: owned by the plan until taken */
} edge_plan;

/* Maps a complete request from client_ip against m's routes. */
void edge_map(const manifest *m, const http_request *r, const char *client_ip,
              edge_plan *out);
/* Frees what the plan still owns. */
void edge_plan_clear(edge_plan *p);

#endif
