/*
 * scopes.h: whether an API key's scopes allow a route. Pure.
 * "admin" allows everything; "*" allows every route that needs a key but
 * not the admin routes; otherwise every scope the route names is needed.
 */
#ifndef GATEWAY_SCOPES_H
#define GATEWAY_SCOPES_H

#include <jansson.h>

#include "manifest.h"

/* 1 when allowed; else 0 and *missing names the first scope lacking
 * ("admin" for admin routes). have is a JSON array of strings. */
int scopes_allow(const manifest_route *route, json_t *have,
                 const char **missing);

#endif
