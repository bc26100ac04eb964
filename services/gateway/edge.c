#include "edge.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ops.h"
#include "gateway/route_match.h"
#include "metrics.h"
#include "runtime.h"
#include "service.h"
#include "trace.h"

typedef struct edge {
	struct evhttp_request *http;
	char request_id[129];
	char route[300];
	metrics_method *stats;
	int64_t start_us;
	int cors;
} edge;

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
	char *text =
	    body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

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
	json_t *fields = json_pack("{s:s, s:i, s:I}", "request_id", e->request_id,
	                           "status", status, "duration_ms",
	                           (json_int_t)(us / 1000));
	mesh_log(NULL, status >= 500 ? MESH_LOG_WARN : MESH_LOG_INFO, fields,
	         "%s -> %d", e->route, status);
	json_decref(fields);
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

static void call_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	edge *e = arg;
	struct evhttp_request *req = e->http;
	int status = 200;

	if (e->cors)
		add_cors(req);
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
	char key[300];
	snprintf(key, sizeof key, "%s %s", rm.route->http_method,
	         rm.route->path);
	e->http = req;
	e->stats = metrics_for(key);
	snprintf(e->route, sizeof e->route, "%s", key);
	e->start_us = runtime_now_ms() * 1000;
	e->cors = rm.route->cors;
	snprintf(e->request_id, sizeof e->request_id, "%s", request_id);
	const manifest_service *svc =
	    manifest_service_find(m, rm.route->service);
	mesh_call_opts opts = {
	    .request_id = request_id,
	    .traceparent = traceparent,
	    .timeout_ms = svc && svc->timeout_ms > 0 ? svc->timeout_ms : 0,
	};
	mesh_drain_hold();
	mesh_call_with(&opts, rm.route->service, rm.route->method, args,
	               call_done, e);
}
