#include "edge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/edge_map.h"
#include "gateway/http_response.h"
#include "gateway/key_cache.h"
#include "gateway/ops.h"
#include "gateway/route_match.h"
#include "gateway/scopes.h"
#include "metrics.h"
#include "runtime.h"
#include "service.h"
#include "trace.h"

/* One HTTP request on its way through the edge: authenticate, rate-limit,
 * call, answer. Each step is a callback; the request ends exactly once. */
typedef struct edge {
	http_conn *http;
	const manifest_route *route;
	json_t *args;
	json_t *identity; /* what auth.verify said about the key, or NULL */
	char request_id[129];
	char traceparent[56];
	char route_key[300];
	char client_ip[64];
	metrics_method *stats;
	int64_t start_us;
	int cors;
	int limited;
	long rl_limit, rl_remaining, rl_reset;
} edge;

static long rate_per_key = EDGE_RATE_PER_KEY;
static long rate_per_ip = EDGE_RATE_PER_IP;

int edge_configure(char *err, size_t err_len)
{
	const char *names[] = {"RATE_LIMIT_PER_KEY", "RATE_LIMIT_PER_IP"};
	long *values[] = {&rate_per_key, &rate_per_ip};

	for (int i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);
		char *end;
		if (!v || !*v)
			continue;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 1000000) {
			snprintf(
			    err, err_len,
			    "%s: expected requests per minute 1-1000000, got "
			    "\"%s\"",
			    names[i], v);
			return -1;
		}
		*values[i] = n;
	}
	return 0;
}

void edge_send_error(http_conn *c, const char *request_id, mesh_err err,
                     const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	http_res_error(c, mesh_err_http_status(err), mesh_strerror(err), msg,
	               request_id);
}

/* The access log line: shipped to the logger like every other line, under
 * the request's id. */
static void edge_finish(edge *e, int status, mesh_err err)
{
	int64_t us = runtime_now_ms() * 1000 - e->start_us;

	metrics_record(e->stats, err, us);
	json_t *fields =
	    json_pack("{s:s, s:i, s:I}", "request_id", e->request_id, "status",
	              status, "duration_ms", (json_int_t)(us / 1000));
	mesh_log(NULL, status >= 500 ? MESH_LOG_WARN : MESH_LOG_INFO, fields,
	         "%s -> %d", e->route_key, status);
	json_decref(fields);
	json_decref(e->args);
	json_decref(e->identity);
	free(e);
	mesh_drain_release();
}

/* CORS for lead forms on customers' sites: any origin may post, nobody's
 * cookies are involved (no credentials), so "*" is exact. */
static void add_cors(http_conn *c)
{
	http_res_header(c, "Access-Control-Allow-Origin", "*");
	http_res_header(c, "Access-Control-Expose-Headers",
	                "X-Request-Id, Retry-After");
}

/* Headers every answer of a routed request carries. */
static void edge_decorate(edge *e)
{
	char n[32];

	if (e->cors)
		add_cors(e->http);
	if (!e->limited)
		return;
	snprintf(n, sizeof n, "%ld", e->rl_limit);
	http_res_header(e->http, "X-RateLimit-Limit", n);
	snprintf(n, sizeof n, "%ld", e->rl_remaining);
	http_res_header(e->http, "X-RateLimit-Remaining", n);
	snprintf(n, sizeof n, "%ld", e->rl_reset);
	http_res_header(e->http, "X-RateLimit-Reset", n);
}

/* Ends a routed request with an error of the edge's own. */
static void edge_refuse(edge *e, mesh_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void edge_refuse(edge *e, mesh_err err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	edge_decorate(e);
	edge_send_error(e->http, e->request_id, err, "%s", msg);
	edge_finish(e, mesh_err_http_status(err), err);
}

static void call_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	edge *e = arg;
	http_conn *req = e->http;
	int status = 200;

	edge_decorate(e);
	if (err != MESH_OK) {
		edge_send_error(req, e->request_id, err, "%s", msg);
		edge_finish(e, mesh_err_http_status(err), err);
		return;
	}
	/* A service may set the status and headers through "_http"; the
	 * rest of its reply is the body. */
	json_t *http = json_object_get(result, "_http");
	/* Only a reply with "_http" needs its own (shallow) copy. */
	json_t *body =
	    json_is_object(http) ? json_copy(result) : json_incref(result);
	if (json_is_object(http)) {
		json_int_t s =
		    json_integer_value(json_object_get(http, "status"));
		const char *k;
		json_t *v;
		if (s >= 200 && s <= 599)
			status = (int)s;
		json_object_foreach(json_object_get(http, "headers"), k, v)
		{
			if (json_is_string(v))
				http_res_header(req, k, json_string_value(v));
		}
		json_object_del(body, "_http");
	}
	if (status == 204) {
		json_decref(body);
		body = NULL;
	}
	http_res_send_json(req, status, body);
	edge_finish(e, status, MESH_OK);
}

static void preflight(http_conn *c, const char *allow)
{
	char methods[96];

	snprintf(methods, sizeof methods, "%s, OPTIONS", allow);
	add_cors(c);
	http_res_header(c, "Access-Control-Allow-Methods", methods);
	http_res_header(c, "Access-Control-Allow-Headers",
	                "Content-Type, Idempotency-Key, X-Request-Id, "
	                "Authorization, traceparent");
	http_res_header(c, "Access-Control-Max-Age", "600");
	http_res_header(c, "Allow", methods);
	http_res_send(c, 204, "application/json", NULL, 0);
}

static void edge_dispatch(edge *e)
{
	const manifest *m = service_manifest();
	const manifest_service *svc =
	    manifest_service_find(m, e->route->service);
	mesh_call_opts opts = {
	    .request_id = e->request_id,
	    .traceparent = e->traceparent,
	    .timeout_ms = svc && svc->timeout_ms > 0 ? svc->timeout_ms : 0,
	};
	json_t *meta = json_object_get(e->args, "_meta");

	/* The service learns who is calling from the edge, never from the
	 * body (the edge refuses bodies that carry "_meta"). */
	if (e->identity) {
		json_t *v;
		if ((v = json_object_get(e->identity, "key_id")))
			json_object_set(meta, "key_id", v);
		if ((v = json_object_get(e->identity, "customer_id")))
			json_object_set(meta, "customer_id", v);
		if ((v = json_object_get(e->identity, "scopes")))
			json_object_set(meta, "scopes", v);
	}
	json_t *args = e->args;
	e->args = NULL;
	mesh_call_with(&opts, e->route->service, e->route->method, args,
	               call_done, e);
}

static void rate_limited(void *arg, mesh_err err, const char *msg,
                         json_t *result)
{
	edge *e = arg;

	if (err != MESH_OK) {
		/* Rate limiting protects capacity, not secrets: without the
		 * rate-limit service the edge serves rather than refuses. */
		json_t *fields =
		    json_pack("{s:s}", "request_id", e->request_id);
		mesh_log(NULL, MESH_LOG_WARN, fields,
		         "rate-limit unavailable, not limiting: %s", msg);
		json_decref(fields);
		edge_dispatch(e);
		return;
	}
	e->limited = 1;
	e->rl_limit =
	    (long)json_integer_value(json_object_get(result, "limit"));
	e->rl_remaining =
	    (long)json_integer_value(json_object_get(result, "remaining"));
	e->rl_reset =
	    (long)json_integer_value(json_object_get(result, "reset_s"));
	if (!json_is_true(json_object_get(result, "allowed"))) {
		char retry[32];
		json_int_t after = json_integer_value(
		    json_object_get(result, "retry_after_s"));
		snprintf(retry, sizeof retry, "%lld",
		         (long long)(after > 0 ? after : 1));
		http_res_header(e->http, "Retry-After", retry);
		edge_refuse(e, MESH_ERATELIMITED,
		            "rate limit of %ld per minute "
		            "reached; retry in %s s",
		            e->rl_limit, retry);
		return;
	}
	edge_dispatch(e);
}

static void edge_rate_limit(edge *e)
{
	char bucket[200];

	if (!e->route->rate_limit) {
		edge_dispatch(e);
		return;
	}
	mesh_call_opts opts = {.request_id = e->request_id,
	                       .traceparent = e->traceparent,
	                       .timeout_ms = EDGE_POLICY_TIMEOUT_MS};
	const char *key_id =
	    json_string_value(json_object_get(e->identity, "key_id"));
	long limit = key_id ? rate_per_key : rate_per_ip;

	if (key_id)
		snprintf(bucket, sizeof bucket, "key:%s", key_id);
	else
		snprintf(bucket, sizeof bucket, "ip:%s", e->client_ip);
	mesh_call_with(&opts, "rate-limit", "hit",
	               json_pack("{s:s, s:i, s:i}", "key", bucket, "limit",
	                         (int)limit, "window_s", 60),
	               rate_limited, e);
}

static void edge_authorize(edge *e)
{
	const char *missing;

	if (!scopes_allow(e->route, json_object_get(e->identity, "scopes"),
	                  &missing)) {
		edge_refuse(e, MESH_EFORBIDDEN,
		            "this key lacks the scope \"%s\"", missing);
		return;
	}
	edge_rate_limit(e);
}

typedef struct verify_ctx {
	edge *e;
	uint8_t digest[32];
} verify_ctx;

static void verified(void *arg, mesh_err err, const char *msg, json_t *result)
{
	verify_ctx *v = arg;
	edge *e = v->e;

	if (err == MESH_EUNAUTHORIZED) {
		free(v);
		edge_refuse(e, MESH_EUNAUTHORIZED,
		            "invalid or revoked API key");
		return;
	}
	if (err != MESH_OK) {
		free(v);
		/* Without auth no key can be trusted: refuse, never guess. */
		edge_refuse(e, MESH_EUNAVAILABLE,
		            "cannot verify the API key: %s", msg);
		return;
	}
	key_cache_put(v->digest, result, runtime_now_ms());
	e->identity = json_incref(result);
	free(v);
	edge_authorize(e);
}

/* The key from "Authorization: Bearer <key>" or "X-API-Key: <key>";
 * NULL with *why when absent or ambiguous. */
static const char *request_key(http_conn *c, const char **why)
{
	const http_request *r = http_conn_request(c);
	const char *auth = http_request_header(r, "Authorization");
	const char *x = http_request_header(r, "X-API-Key");
	const char *bearer = NULL;

	if (auth) {
		if (strncasecmp(auth, "Bearer ", 7) != 0) {
			*why = "Authorization: expected \"Bearer <key>\"";
			return NULL;
		}
		bearer = auth + 7;
		while (*bearer == ' ')
			bearer++;
	}
	if (bearer && x && strcmp(bearer, x) != 0) {
		*why = "Authorization and X-API-Key name different keys";
		return NULL;
	}
	if (!bearer && !x) {
		*why = "this route needs an API key (Authorization: Bearer "
		       "<key>)";
		return NULL;
	}
	return bearer ? bearer : x;
}

static void edge_authenticate(edge *e)
{
	const char *why = NULL, *key;

	if (e->route->auth == MANIFEST_AUTH_PUBLIC) {
		edge_rate_limit(e);
		return;
	}
	key = request_key(e->http, &why);
	if (!key) {
		edge_refuse(e, MESH_EUNAUTHORIZED, "%s", why);
		return;
	}
	verify_ctx *v = calloc(1, sizeof *v);
	if (!v) {
		edge_refuse(e, MESH_EUNAVAILABLE, "out of memory");
		return;
	}
	v->e = e;
	key_cache_digest(key, v->digest);
	json_t *cached = key_cache_get(v->digest, runtime_now_ms());
	if (cached) {
		e->identity = json_incref(cached);
		free(v);
		edge_authorize(e);
		return;
	}
	mesh_call_opts opts = {.request_id = e->request_id,
	                       .traceparent = e->traceparent,
	                       .timeout_ms = EDGE_POLICY_TIMEOUT_MS};
	mesh_call_with(&opts, "auth", "verify", json_pack("{s:s}", "key", key),
	               verified, v);
}

void edge_request(http_conn *c, void *arg)
{
	const manifest *m = service_manifest();
	const http_request *r = http_conn_request(c);
	const char *rid = http_request_header(r, "X-Request-Id");
	const char *tp = http_request_header(r, "traceparent");
	char request_id[129], traceparent[56];
	edge_plan plan;

	(void)arg;
	if (rid && trace_request_id_valid(rid, strlen(rid)))
		snprintf(request_id, sizeof request_id, "%s", rid);
	else
		trace_new_request_id(request_id);
	trace_child(tp, tp ? strlen(tp) : 0, traceparent);
	http_res_header(c, "X-Request-Id", request_id);
	http_res_header(c, "traceparent", traceparent);

	edge_map(m, r, http_conn_peer(c), &plan);
	switch (plan.kind) {
	case EDGE_OPS:
		ops_handle(c, r->path, request_id);
		return;
	case EDGE_PREFLIGHT:
		preflight(c, plan.allow);
		return;
	case EDGE_REFUSE:
		if (plan.cors)
			add_cors(c);
		if (plan.status == 405)
			http_res_header(c, "Allow", plan.allow);
		http_res_error(c, plan.status, plan.code, plan.message,
		               request_id);
		return;
	case EDGE_CALL:
		break;
	}
	edge *e = calloc(1, sizeof *e);
	if (!e) {
		edge_plan_clear(&plan);
		edge_send_error(c, request_id, MESH_EUNAVAILABLE,
		                "out of memory");
		return;
	}
	e->http = c;
	e->route = plan.route;
	e->args = plan.args;
	snprintf(e->route_key, sizeof e->route_key, "%s %s",
	         plan.route->http_method, plan.route->path);
	e->stats = metrics_for(e->route_key);
	e->start_us = runtime_now_ms() * 1000;
	e->cors = plan.route->cors;
	snprintf(e->request_id, sizeof e->request_id, "%s", request_id);
	snprintf(e->traceparent, sizeof e->traceparent, "%s", traceparent);
	snprintf(e->client_ip, sizeof e->client_ip, "%s", http_conn_peer(c));
	mesh_drain_hold();
	edge_authenticate(e);
}
