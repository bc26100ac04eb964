/*
 * route_match.h: which manifest route an HTTP request is for. Pure: no
 * I/O, so the matcher is unit-tested and fuzzed on its own.
 */
#ifndef GATEWAY_ROUTE_MATCH_H
#define GATEWAY_ROUTE_MATCH_H

#include <jansson.h>
#include <stddef.h>

#include "manifest.h"

/* Path segments considered, at most; a longer path matches nothing. */
#define ROUTE_MAX_SEGMENTS 32
/* A path parameter's decoded value, at most. */
#define ROUTE_MAX_PARAM 256

typedef enum route_result {
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,    /* no route has this path */
	ROUTE_WRONG_METHOD, /* the path exists for other methods: 405 */
	ROUTE_BAD_PATH      /* undecodable escape, NUL, too long: 400 */
} route_result;

typedef struct route_match {
	const manifest_route *route;
	json_t *params; /* {"id": "..."} (caller owns) on ROUTE_FOUND */
	char allow[64]; /* "GET, PATCH" on ROUTE_WRONG_METHOD */
} route_match;

/* Matches method and path (no query string) against m's routes. Literal
 * segments beat parameters, so "/api/leads/export" wins over
 * "/api/leads/:id". Path parameters are percent-decoded and must be valid
 * UTF-8 without control characters. */
route_result route_find(const manifest *m, const char *method, const char *path,
                        route_match *out);

#endif
