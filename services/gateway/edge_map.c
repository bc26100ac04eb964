#include "edge_map.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway/route_match.h"
#include "mesh.h"

static void refuse(edge_plan *p, int status, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void refuse(edge_plan *p, int status, const char *code, const char *fmt,
                   ...)
{
	va_list ap;

	p->kind = EDGE_REFUSE;
	p->status = status;
	p->code = code;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
}

static void refuse_bad(edge_plan *p, const char *msg)
{
	refuse(p, 400, mesh_strerror(MESH_EINVAL), "%s", msg);
}

/* Whether arrays and objects nest deeper than max: a linear scan that
 * skips strings, before jansson recurses into them. */
static int json_too_deep(const char *s, size_t n, int max)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return 1;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 0;
}

static json_t *json_body(const http_request *r, edge_plan *p)
{
	json_error_t e;
	json_t *args;

	if (r->body_len == 0)
		return json_object();
	if (json_too_deep(r->body, r->body_len, EDGE_MAX_JSON_DEPTH)) {
		refuse(p, 400, mesh_strerror(MESH_EINVAL),
		       "body: JSON nested deeper than %d levels",
		       EDGE_MAX_JSON_DEPTH);
		return NULL;
	}
	args = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!args) {
		switch (json_error_code(&e)) {
		case json_error_invalid_utf8:
			refuse(p, 400, mesh_strerror(MESH_EINVAL),
			       "body: not valid UTF-8 (byte %d)", e.position);
			break;
		case json_error_numeric_overflow:
			refuse(p, 400, mesh_strerror(MESH_EINVAL),
			       "body: the number at line %d column %d is too "
			       "large",
			       e.line, e.column);
			break;
		case json_error_duplicate_key:
			refuse(p, 400, mesh_strerror(MESH_EINVAL),
			       "body: a key is repeated at line %d column %d",
			       e.line, e.column);
			break;
		default:
			refuse(p, 400, mesh_strerror(MESH_EINVAL),
			       "body: invalid JSON at line %d column %d: %s",
			       e.line, e.column, e.text);
		}
		return NULL;
	}
	if (!json_is_object(args)) {
		json_decref(args);
		refuse_bad(p, "body: expected a JSON object");
		return NULL;
	}
	if (json_object_get(args, "_meta")) {
		json_decref(args);
		refuse_bad(p, "body: \"_meta\" is reserved");
		return NULL;
	}
	return args;
}

/* {"body": "<raw text>", "headers": {lower-case name: value}} for routes
 * that verify their own signatures. */
static json_t *raw_body(const http_request *r, edge_plan *p)
{
	json_t *raw = json_stringn(r->body ? r->body : "", r->body_len);
	json_t *headers;

	if (!raw) {
		refuse_bad(p, "body: not valid UTF-8");
		return NULL;
	}
	headers = json_object();
	for (size_t i = 0; i < r->n_fields; i++) {
		char name[128];
		size_t j;
		const char *k = r->fields[i].name;
		for (j = 0; k[j] && j + 1 < sizeof name; j++)
			name[j] = (char)(k[j] >= 'A' && k[j] <= 'Z' ? k[j] + 32
			                                            : k[j]);
		name[j] = '\0';
		json_t *v = json_string(r->fields[i].value);
		if (v)
			json_object_set_new(headers, name, v);
	}
	return json_pack("{s:o, s:o}", "body", raw, "headers", headers);
}

static int add_query(json_t *args, const char *query, edge_plan *p)
{
	struct evkeyvalq q;
	int n = 0, rc = 0;

	if (!query || !*query)
		return 0;
	if (evhttp_parse_query_str(query, &q) != 0) {
		refuse_bad(p, "query: cannot be parsed");
		return -1;
	}
	for (struct evkeyval *kv = q.tqh_first; kv; kv = kv->next.tqe_next) {
		json_t *v = json_string(kv->value);
		if (++n > EDGE_MAX_QUERY_PARAMS) {
			refuse_bad(p, "query: too many parameters");
			rc = -1;
		} else if (!v || kv->key[0] == '_' ||
		           json_object_get(args, kv->key)) {
			refuse_bad(p, "query: a parameter is repeated, "
			              "reserved or not UTF-8");
			rc = -1;
		} else {
			json_object_set(args, kv->key, v);
		}
		json_decref(v);
		if (rc)
			break;
	}
	evhttp_clear_headers(&q);
	return rc;
}

static json_t *build_args(const http_request *r, const manifest_route *route,
                          json_t *params, const char *client_ip, edge_plan *p)
{
	json_t *args = route->raw_body ? raw_body(r, p) : json_body(r, p);
	const char *k, *idem;
	json_t *v, *meta;

	if (!args)
		return NULL;
	json_object_foreach(params, k, v)
	{
		json_t *have = json_object_get(args, k);
		if (have && !json_equal(have, v)) {
			json_decref(args);
			refuse_bad(p, "a path parameter and the body disagree");
			return NULL;
		}
		json_object_set(args, k, v);
	}
	if (add_query(args, r->query, p) != 0) {
		json_decref(args);
		return NULL;
	}
	meta = json_object();
	json_object_set_new(meta, "client_ip", json_string(client_ip));
	idem = http_request_header(r, "Idempotency-Key");
	if (idem && (v = json_string(idem)))
		json_object_set_new(meta, "idempotency_key", v);
	json_object_set_new(args, "_meta", meta);
	return args;
}

/* Whether a route on this path takes CORS, so that OPTIONS is a
 * preflight rather than a 405. */
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

void edge_map(const manifest *m, const http_request *r, const char *client_ip,
              edge_plan *out)
{
	/* HEAD is GET without the body (the response writer drops it). */
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	const char *path = r->path;
	route_match rm;

	memset(out, 0, sizeof *out);
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
	    strcmp(path, "/metrics") == 0) {
		out->kind = EDGE_OPS;
		return;
	}
	switch (route_find(m, method, path, &rm)) {
	case ROUTE_BAD_PATH:
		refuse_bad(out, "path: cannot be decoded");
		return;
	case ROUTE_NOT_FOUND:
		refuse(out, 404, mesh_strerror(MESH_ENOTFOUND),
		       "no route for %s %s", r->method, path);
		return;
	case ROUTE_WRONG_METHOD:
		snprintf(out->allow, sizeof out->allow, "%s", rm.allow);
		if (strcmp(method, "OPTIONS") == 0 &&
		    path_has_cors(m, path, rm.allow)) {
			out->kind = EDGE_PREFLIGHT;
			out->cors = 1;
			return;
		}
		refuse(out, 405, "method_not_allowed",
		       "this path does not take that method");
		return;
	case ROUTE_FOUND:
		break;
	}
	out->route = rm.route;
	out->cors = rm.route->cors;
	out->args = build_args(r, rm.route, rm.params, client_ip, out);
	json_decref(rm.params);
	if (out->args)
		out->kind = EDGE_CALL;
}

void edge_plan_clear(edge_plan *p)
{
	json_decref(p->args);
	p->args = NULL;
}
