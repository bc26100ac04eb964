#include "edge.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	struct evhttp_request *http;
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

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "OTHER";
	}
}

void edge_send_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY |
	                                         JSON_REAL_PRECISION(12))
	                  : NULL;

	json_decref(body);
	if (text) {
		evbuffer_add(buf, text, strlen(text));
		evbuffer_add(buf, "\n", 1);
		free(text);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json");
	if (mesh_draining())
		evhttp_add_header(evhttp_request_get_output_headers(req),
		                  "Connection", "close");
	evhttp_send_reply(req, status, NULL, buf);
	evbuffer_free(buf);
}

void edge_send_error(struct evhttp_request *req, const char *request_id,
                     mesh_err err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *m = json_string(msg);
	edge_send_json(req, mesh_err_http_status(err),
	               json_pack("{s:{s:s, s:o, s:s}}", "error", "code",
	                         mesh_strerror(err), "message",
	                         m ? m : json_string("(message not UTF-8)"),
	                         "request_id", request_id));
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
static void add_cors(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	evhttp_add_header(h, "Access-Control-Expose-Headers",
	                  "X-Request-Id, Retry-After");
}

static size_t header_bytes(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *uri = evhttp_request_get_uri(req);
	size_t n = uri ? strlen(uri) + 16 : 16;

	for (struct evkeyval *e_kv = h->tqh_first; e_kv;
	     e_kv = e_kv->next.tqe_next)
		n += strlen(e_kv->key) + strlen(e_kv->value) + 4;
	return n;
}

/* Headers every answer of a routed request carries. */
static void edge_decorate(edge *e)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(e->http);
	char n[32];

	if (e->cors)
		add_cors(e->http);
	if (!e->limited)
		return;
	snprintf(n, sizeof n, "%ld", e->rl_limit);
	evhttp_add_header(h, "X-RateLimit-Limit", n);
	snprintf(n, sizeof n, "%ld", e->rl_remaining);
	evhttp_add_header(h, "X-RateLimit-Remaining", n);
	snprintf(n, sizeof n, "%ld", e->rl_reset);
	evhttp_add_header(h, "X-RateLimit-Reset", n);
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
	struct evhttp_request *req = e->http;
	int status = 200;

	edge_decorate(e);
	if (err != MESH_OK) {
		edge_send_error(req, e->request_id, err, "%s", msg);
		edge_finish(e, mesh_err_http_status(err), err);
		return;
	}
	/* A service may set the status and headers through "_http"; the
	 * rest of its reply is the body. */
	json_t *body = json_deep_copy(result);
	json_t *http = json_object_get(body, "_http");
	if (json_is_object(http)) {
		json_int_t s =
		    json_integer_value(json_object_get(http, "status"));
		const char *k;
		json_t *v;
		if (s >= 200 && s <= 599)
			status = (int)s;
		json_object_foreach(json_object_get(http, "headers"), k, v)
		{
			if (json_is_string(v) &&
			    !strchr(json_string_value(v), '\n'))
				evhttp_add_header(
				    evhttp_request_get_output_headers(req), k,
				    json_string_value(v));
		}
		json_object_del(body, "_http");
	}
	if (status == 204) {
		json_decref(body);
		body = NULL;
	}
	edge_send_json(req, status, body);
	edge_finish(e, status, MESH_OK);
}

static int add_query(json_t *args, const char *query, const char **why)
{
	struct evkeyvalq q;
	int n = 0, rc = 0;

	if (!query || !*query)
		return 0;
	if (evhttp_parse_query_str(query, &q) != 0) {
		*why = "query: cannot be parsed";
		return -1;
	}
	for (struct evkeyval *e_kv = q.tqh_first; e_kv;
	     e_kv = e_kv->next.tqe_next) {
		json_t *v = json_string(e_kv->value);
		if (++n > EDGE_MAX_QUERY_PARAMS) {
			*why = "query: too many parameters";
			rc = -1;
		} else if (!v || e_kv->key[0] == '_' ||
		           json_object_get(args, e_kv->key)) {
			*why = "query: a parameter is repeated, reserved or "
			       "not UTF-8";
			rc = -1;
		} else {
			json_object_set(args, e_kv->key, v);
		}
		json_decref(v);
		if (rc)
			break;
	}
	evhttp_clear_headers(&q);
	return rc;
}

/* The call's arguments: the JSON body (or the raw body for routes that
 * verify signatures), the path parameters, the query, and "_meta" with
 * what only the edge knows. NULL with *why set on bad input. */
static json_t *build_args(struct evhttp_request *req,
                          const manifest_route *route, json_t *params,
                          const char *query, const char **why, char *jmsg,
                          size_t jmsg_len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
	json_t *args;
	json_error_t jerr;

	if (route->raw_body) {
		json_t *raw = json_stringn(body, len);
		json_t *headers = json_object();
		struct evkeyvalq *h = evhttp_request_get_input_headers(req);
		if (!raw) {
			json_decref(headers);
			*why = "body: not valid UTF-8";
			return NULL;
		}
		for (struct evkeyval *e_kv = h->tqh_first; e_kv;
		     e_kv = e_kv->next.tqe_next) {
			char name[128];
			size_t i;
			for (i = 0; e_kv->key[i] && i + 1 < sizeof name; i++)
				name[i] = (char)(e_kv->key[i] >= 'A' &&
				                         e_kv->key[i] <= 'Z'
				                     ? e_kv->key[i] + 32
				                     : e_kv->key[i]);
			name[i] = '\0';
			json_t *v = json_string(e_kv->value);
			if (v)
				json_object_set_new(headers, name, v);
		}
		args = json_pack("{s:o, s:o}", "body", raw, "headers", headers);
	} else if (len == 0) {
		args = json_object();
	} else {
		args = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!args) {
			snprintf(jmsg, jmsg_len,
			         "body: invalid JSON at line %d column %d: %s",
			         jerr.line, jerr.column, jerr.text);
			*why = jmsg;
			return NULL;
		}
		if (!json_is_object(args)) {
			json_decref(args);
			*why = "body: expected a JSON object";
			return NULL;
		}
		if (json_object_get(args, "_meta")) {
			json_decref(args);
			*why = "body: \"_meta\" is reserved";
			return NULL;
		}
	}
	const char *k;
	json_t *v;
	json_object_foreach(params, k, v)
	{
		json_t *have = json_object_get(args, k);
		if (have && !json_equal(have, v)) {
			json_decref(args);
			*why = "a path parameter and the body disagree";
			return NULL;
		}
		json_object_set(args, k, v);
	}
	if (add_query(args, query, why) != 0) {
		json_decref(args);
		return NULL;
	}
	json_t *meta = json_object();
	char *peer = NULL;
	ev_uint16_t port = 0;
	evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer,
	                           &port);
	if (peer)
		json_object_set_new(meta, "client_ip", json_string(peer));
	const char *idem = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Idempotency-Key");
	json_t *iv = idem ? json_string(idem) : NULL;
	if (iv)
		json_object_set_new(meta, "idempotency_key", iv);
	json_object_set_new(args, "_meta", meta);
	return args;
}

static int path_has_cors(const manifest *m, const char *path, const char *allow)
{
	static const char *methods[] = {"GET", "POST", "PUT", "PATCH",
	                                "DELETE"};
	int cors = 0;

	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
		route_match rm;
		if (!strstr(allow, methods[i]))
			continue;
		if (route_find(m, methods[i], path, &rm) == ROUTE_FOUND) {
			cors |= rm.route->cors;
			json_decref(rm.params);
		}
	}
	return cors;
}

static void preflight(struct evhttp_request *req, const char *allow)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char methods[96];

	snprintf(methods, sizeof methods, "%s, OPTIONS", allow);
	add_cors(req);
	evhttp_add_header(h, "Access-Control-Allow-Methods", methods);
	evhttp_add_header(h, "Access-Control-Allow-Headers",
	                  "Content-Type, Idempotency-Key, X-Request-Id, "
	                  "Authorization, traceparent");
	evhttp_add_header(h, "Access-Control-Max-Age", "600");
	evhttp_add_header(h, "Allow", methods);
	evhttp_send_reply(req, 204, NULL, NULL);
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
		evhttp_add_header(evhttp_request_get_output_headers(e->http),
		                  "Retry-After", retry);
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
static const char *request_key(struct evhttp_request *req, const char **why)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(h, "Authorization");
	const char *x = evhttp_find_header(h, "X-API-Key");
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

void edge_request(struct evhttp_request *req, void *arg)
{
	const manifest *m = service_manifest();
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *method = method_name(evhttp_request_get_command(req));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *rid = evhttp_find_header(in, "X-Request-Id");
	const char *tp = evhttp_find_header(in, "traceparent");
	char request_id[129], traceparent[56], jmsg[300];
	const char *why = NULL;
	route_match rm;

	(void)arg;
	if (rid && trace_request_id_valid(rid, strlen(rid)))
		snprintf(request_id, sizeof request_id, "%s", rid);
	else
		trace_new_request_id(request_id);
	trace_child(tp, tp ? strlen(tp) : 0, traceparent);
	evhttp_add_header(out, "X-Request-Id", request_id);
	evhttp_add_header(out, "traceparent", traceparent);

	if (header_bytes(req) > EDGE_MAX_HEADER_BYTES) {
		edge_send_json(req, 431,
		               json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
		                         "headers_too_large", "message",
		                         "request line and headers over 16384 "
		                         "bytes",
		                         "request_id", request_id));
		return;
	}
	if (!path || !*path)
		path = "/";
	if (ops_handle(req, path, request_id))
		return;
	route_result rr = route_find(m, method, path, &rm);
	if (rr == ROUTE_BAD_PATH) {
		edge_send_error(req, request_id, MESH_EINVAL,
		                "path: cannot be decoded");
		return;
	}
	if (rr == ROUTE_NOT_FOUND) {
		edge_send_error(req, request_id, MESH_ENOTFOUND,
		                "no route for %s %s", method, path);
		return;
	}
	if (rr == ROUTE_WRONG_METHOD) {
		if (strcmp(method, "OPTIONS") == 0 &&
		    path_has_cors(m, path, rm.allow)) {
			preflight(req, rm.allow);
			return;
		}
		evhttp_add_header(out, "Allow", rm.allow);
		edge_send_json(req, 405,
		               json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
		                         "method_not_allowed", "message",
		                         "this path does not take that method",
		                         "request_id", request_id));
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    EDGE_MAX_BODY) {
		json_decref(rm.params);
		edge_send_error(req, request_id, MESH_ETOOLARGE,
		                "body over %d bytes", EDGE_MAX_BODY);
		return;
	}
	json_t *args = build_args(req, rm.route, rm.params,
	                          uri ? evhttp_uri_get_query(uri) : NULL, &why,
	                          jmsg, sizeof jmsg);
	json_decref(rm.params);
	if (!args) {
		if (rm.route->cors)
			add_cors(req);
		edge_send_error(req, request_id, MESH_EINVAL, "%s", why);
		return;
	}
	edge *e = calloc(1, sizeof *e);
	if (!e) {
		json_decref(args);
		edge_send_error(req, request_id, MESH_EUNAVAILABLE,
		                "out of memory");
		return;
	}
	e->http = req;
	e->route = rm.route;
	e->args = args;
	snprintf(e->route_key, sizeof e->route_key, "%s %s",
	         rm.route->http_method, rm.route->path);
	e->stats = metrics_for(e->route_key);
	e->start_us = runtime_now_ms() * 1000;
	e->cors = rm.route->cors;
	snprintf(e->request_id, sizeof e->request_id, "%s", request_id);
	snprintf(e->traceparent, sizeof e->traceparent, "%s", traceparent);
	const char *ip = json_string_value(
	    json_object_get(json_object_get(args, "_meta"), "client_ip"));
	snprintf(e->client_ip, sizeof e->client_ip, "%s", ip ? ip : "unknown");
	mesh_drain_hold();
	edge_authenticate(e);
}
