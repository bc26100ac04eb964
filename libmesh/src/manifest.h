/*
 * manifest.h: proto/mesh.json, the single source of truth for services,
 * methods, bindings, events, cron, routes and instances. The loader
 * validates everything and names the place of the first problem
 * ("services.valuation.calls[1]: unknown service \"comp\"").
 */
#ifndef MESH_MANIFEST_H
#define MESH_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "cron.h"

/* Limits the loader enforces; each is tested at its boundary. */
#define MANIFEST_VERSION                1
#define MANIFEST_GATEWAY                "gateway" /* the service routes belong to */
#define MANIFEST_SCHEDULER              "scheduler" /* must call every service with cron */
#define MANIFEST_MAX_SERVICES           256
#define MANIFEST_MAX_ROUTES             1024
#define MANIFEST_MAX_LIST               256 /* methods, calls, publishes, subscribes */
#define MANIFEST_MAX_CRON               64 /* cron entries per service */
#define MANIFEST_MAX_SCOPES             32
#define MANIFEST_SERVICE_NAME_MAX       63 /* [a-z][a-z0-9-]{0,62} */
#define MANIFEST_METHOD_NAME_MAX        64 /* [a-z][a-z0-9_]* */
#define MANIFEST_TOPIC_MAX              64 /* [a-z0-9._-]{1,64} */
#define MANIFEST_SCOPE_MAX              64 /* [a-z][a-z0-9_.:-]* */
#define MANIFEST_DESCRIPTION_MAX        200
#define MANIFEST_PATH_MAX               256
#define MANIFEST_PATH_SEGMENTS_MAX      16
#define MANIFEST_INSTANCES_MAX          64
#define MANIFEST_TIMEOUT_MS_MAX         600000
#define MANIFEST_EVENT_ATTEMPTS_MAX     100
#define MANIFEST_DEFAULT_TIMEOUT_MS     5000
#define MANIFEST_DEFAULT_EVENT_ATTEMPTS 5

typedef struct manifest_cron {
	char *schedule;
	cron_expr expr;
	char *method; /* a method of the owning service, fired one-way */
} manifest_cron;

typedef struct manifest_service {
	char *name;
	char *description;
	char **methods; /* declared methods (builtins not listed) */
	size_t n_methods;
	char **calls; /* services it may call */
	size_t n_calls;
	char **publishes; /* topics */
	size_t n_publishes;
	char **subscribes; /* topics */
	size_t n_subscribes;
	manifest_cron *cron;
	size_t n_cron;
	int instances;      /* >= 1 */
	int64_t timeout_ms; /* default call deadline for its methods */
} manifest_service;

typedef enum manifest_auth {
	MANIFEST_AUTH_PUBLIC,
	MANIFEST_AUTH_KEY,
	MANIFEST_AUTH_ADMIN
} manifest_auth;

typedef struct manifest_route {
	char *http_method; /* GET POST PUT PATCH DELETE */
	char *path;        /* "/api/leads/:id" */
	char **segments;   /* "api", "leads", ":id" */
	size_t n_segments;
	char *service;
	char *method;
	manifest_auth auth;
	char **scopes;
	size_t n_scopes;
	int raw_body; /* pass the body through unparsed */
	int cors;     /* answer CORS for browsers on customer sites */
	/* Counted against the caller's rate limit (default). Off for routes
	 * whose callers are limited elsewhere or must never be refused for
	 * volume, e.g. a load balancer's probe. */
	int rate_limit;
} manifest_route;

typedef struct manifest {
	int version;
	int64_t default_timeout_ms;
	int event_attempts;
	manifest_service *services;
	size_t n_services;
	manifest_route *routes;
	size_t n_routes;
} manifest;

/* NULL with err filled ("<path>:<line>:<column>: ..." for JSON syntax,
 * "<string>:..." from manifest_load_string, the dotted place for schema
 * problems). The caller frees the result with manifest_free. */
manifest *manifest_load_file(const char *path, char *err, size_t err_len);
manifest *manifest_load_string(const char *text, char *err, size_t err_len);
void manifest_free(manifest *m);

const manifest_service *manifest_service_find(const manifest *m,
                                              const char *name);
int manifest_service_has_method(const manifest_service *s, const char *method);
/* Whether from may call to.method: builtins (leading '_') of an existing
 * service always, whoever asks (meshctl, meshd); the
 * gateway may call every method a route names; otherwise to must be in
 * from's calls and method declared by to. */
int manifest_may_call(const manifest *m, const char *from, const char *to,
                      const char *method);
/* Whether from binds the service named to (its calls list). */
int manifest_binds(const manifest *m, const char *from, const char *to);
/* Services in start order: each after the services it calls (the gateway
 * also after every service a route names), cycles broken
 * in manifest order. Fills order (n_services entries) with indexes. */
void manifest_start_order(const manifest *m, size_t *order);

#endif
