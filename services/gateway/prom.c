#include "prom.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

/* Label values may hold any text; Prometheus wants \, " and newline
 * escaped. */
static void label(struct evbuffer *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			evbuffer_add_printf(out, "\\%c", *p);
		else if (*p == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, p, 1);
	}
}

static void labels(struct evbuffer *out, const char *k1, const char *v1,
                   const char *k2, const char *v2)
{
	evbuffer_add_printf(out, "{%s=\"", k1);
	label(out, v1);
	evbuffer_add_printf(out, "\",%s=\"", k2);
	label(out, v2);
	evbuffer_add(out, "\"", 1);
}

typedef void (*sample_fn)(struct evbuffer *out, const char *family,
                          const char *k1, const char *v1, const char *k2,
                          const char *v2, json_t *m);

static void sample_count(struct evbuffer *out, const char *family,
                         const char *k1, const char *v1, const char *k2,
                         const char *v2, json_t *m)
{
	evbuffer_add_printf(out, "%s", family);
	labels(out, k1, v1, k2, v2);
	evbuffer_add_printf(
	    out, "} %lld\n",
	    (long long)json_integer_value(json_object_get(m, "count")));
}

static void sample_errors(struct evbuffer *out, const char *family,
                          const char *k1, const char *v1, const char *k2,
                          const char *v2, json_t *m)
{
	const char *code;
	json_t *n;

	json_object_foreach(json_object_get(m, "errors_by_code"), code, n)
	{
		evbuffer_add_printf(out, "%s", family);
		labels(out, k1, v1, k2, v2);
		evbuffer_add(out, ",code=\"", 7);
		label(out, code);
		evbuffer_add_printf(out, "\"} %lld\n",
		                    (long long)json_integer_value(n));
	}
}

static void sample_histogram(struct evbuffer *out, const char *family,
                             const char *k1, const char *v1, const char *k2,
                             const char *v2, json_t *m)
{
	json_t *lat = json_object_get(m, "latency_us");
	json_t *le = json_object_get(lat, "le"),
	       *counts = json_object_get(lat, "counts");
	long long cumulative = 0;
	size_t i;

	for (i = 0; i < json_array_size(le); i++) {
		cumulative +=
		    (long long)json_integer_value(json_array_get(counts, i));
		evbuffer_add_printf(out, "%s_bucket", family);
		labels(out, k1, v1, k2, v2);
		evbuffer_add_printf(
		    out, ",le=\"%g\"} %lld\n",
		    (double)json_integer_value(json_array_get(le, i)) / 1e6,
		    cumulative);
	}
	cumulative += (long long)json_integer_value(json_array_get(counts, i));
	evbuffer_add_printf(out, "%s_bucket", family);
	labels(out, k1, v1, k2, v2);
	evbuffer_add_printf(out, ",le=\"+Inf\"} %lld\n", cumulative);
	evbuffer_add_printf(out, "%s_sum", family);
	labels(out, k1, v1, k2, v2);
	evbuffer_add_printf(
	    out, "} %.6f\n",
	    (double)json_integer_value(json_object_get(lat, "sum")) / 1e6);
	evbuffer_add_printf(out, "%s_count", family);
	labels(out, k1, v1, k2, v2);
	evbuffer_add_printf(out, "} %lld\n", cumulative);
}

/* One family over every service's methods: Prometheus wants a family's
 * samples together under one TYPE line. */
static void family(struct evbuffer *out, const char *name, const char *type,
                   const char *help, json_t *services, sample_fn fn)
{
	const char *svc, *method;
	json_t *reply, *m;

	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	                    name, type);
	json_object_foreach(services, svc, reply)
	{
		json_object_foreach(json_object_get(reply, "methods"), method,
		                    m)
		    fn(out, name, "service", svc, "method", method, m);
	}
}

static void route_family(struct evbuffer *out, const char *name,
                         const char *type, const char *help, json_t *routes,
                         sample_fn fn)
{
	const char *route;
	json_t *m;

	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	                    name, type);
	json_object_foreach(routes, route, m)
	{
		char method[16] = "";
		const char *space = strchr(route, ' ');
		size_t n = space ? (size_t)(space - route) : 0;
		if (n >= sizeof method)
			n = 0;
		memcpy(method, route, n);
		method[n] = '\0';
		fn(out, name, "method", method, "route",
		   space ? space + 1 : route, m);
	}
}

void prom_render(struct evbuffer *out, json_t *services, json_t *routes)
{
	const char *svc;
	json_t *reply;

	evbuffer_add_printf(out, "# HELP mesh_up Whether the service answered "
	                         "_metrics.\n# TYPE mesh_up gauge\n");
	json_object_foreach(services, svc, reply)
	{
		evbuffer_add(out, "mesh_up{service=\"", 17);
		label(out, svc);
		evbuffer_add_printf(out, "\"} %d\n",
		                    json_is_object(reply) ? 1 : 0);
	}
	evbuffer_add_printf(out, "# HELP mesh_in_flight Requests in flight.\n"
	                         "# TYPE mesh_in_flight gauge\n");
	json_object_foreach(services, svc, reply)
	{
		if (!json_is_object(reply))
			continue;
		evbuffer_add(out, "mesh_in_flight{service=\"", 24);
		label(out, svc);
		evbuffer_add_printf(out, "\"} %lld\n",
		                    (long long)json_integer_value(
		                        json_object_get(reply, "in_flight")));
	}
	family(out, "mesh_requests_total", "counter",
	       "Requests handled, per service and method.", services,
	       sample_count);
	family(out, "mesh_errors_total", "counter",
	       "Requests that ended in an error, per code.", services,
	       sample_errors);
	family(out, "mesh_request_duration_seconds", "histogram",
	       "Time from arrival to reply inside the service.", services,
	       sample_histogram);
	route_family(out, "gateway_http_requests_total", "counter",
	             "HTTP requests per route.", routes, sample_count);
	route_family(out, "gateway_http_errors_total", "counter",
	             "HTTP requests per route that ended in an error.", routes,
	             sample_errors);
	route_family(out, "gateway_http_request_duration_seconds", "histogram",
	             "Time from request to response at the edge.", routes,
	             sample_histogram);
}
