/*
 * service.h: what the running service holds, for the modules that expose
 * it (builtins, the KV, event and HTTP entry points).
 */
#ifndef MESH_SERVICE_H
#define MESH_SERVICE_H

#include <stdint.h>

#include "events.h"
#include "http.h"
#include "kv.h"
#include "manifest.h"
#include "mesh.h"
#include "server.h"

const mesh_service_def *service_def(void);
const manifest *service_manifest(void);
server *service_server(void);
/* NULL before start or when no REDIS_URL applies. */
kv *service_kv(void);
/* Created on first use. */
http_client *service_http(void);
int64_t service_started_ms(void);
int service_draining(void);

/* The builtin handler for name ("_health", ...), NULL for others. */
mesh_handler_fn builtin_lookup(const char *name);

/* Subscribes every topic of def to the events consumer e. */
int service_events_subscribe(events *e, const mesh_service_def *def, char *err,
                             size_t err_len);

#endif
