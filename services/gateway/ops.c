#include "ops.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "gateway/edge.h"
#include "gateway/http_response.h"
#include "gateway/prom.h"
#include "metrics.h"
#include "service.h"

/* One fan-out of a builtin to many services, answered when all replied. */
typedef struct probe {
	http_conn *req;
	char request_id[129];
	json_t *replies; /* service -> reply or null */
	size_t waiting;
	int metrics; /* 1: /metrics, 0: /readyz */
} probe;

typedef struct probe_one {
	probe *p;
	char service[64];
} probe_one;

static void probe_answer(probe *p)
{
	if (p->metrics) {
		struct evbuffer *buf = evbuffer_new();
		json_t *routes = metrics_json();
		prom_render(buf, p->replies, routes);
		json_decref(routes);
		size_t len = evbuffer_get_length(buf);
		http_res_send(p->req, 200, "text/plain; version=0.0.4",
		              (const char *)evbuffer_pullup(buf, -1), len);
		evbuffer_free(buf);
	} else {
		kv *k = service_kv();
		int redis_up = k && kv_is_connected(k), ready = redis_up;
		json_t *services = json_object();
		const char *name;
		json_t *reply;
		json_object_foreach(p->replies, name, reply)
		{
			const char *status =
			    json_string_value(json_object_get(reply, "status"));
			int up = status && strcmp(status, "ok") == 0;
			/* A service never deployed here cannot be waited
			 * for: readiness is about what runs. */
			int absent = !up && !client_endpoint_exists(name);
			if (!absent)
				ready &= up;
			json_object_set_new(services, name,
			                    json_string(up       ? "up"
			                                : absent ? "absent"
			                                         : "down"));
		}
		http_res_send_json(p->req, ready ? 200 : 503,
		                   json_pack("{s:s, s:s, s:o, s:s}", "status",
		                             ready ? "ready" : "not_ready",
		                             "redis", redis_up ? "up" : "down",
		                             "services", services, "request_id",
		                             p->request_id));
	}
	json_decref(p->replies);
	free(p);
	mesh_drain_release();
}

static void probe_reply(void *arg, mesh_err err, const char *msg,
                        json_t *result)
{
	probe_one *one = arg;
	probe *p = one->p;

	(void)msg;
	json_object_set(p->replies, one->service,
	                err == MESH_OK ? result : json_null());
	free(one);
	if (--p->waiting == 0)
		probe_answer(p);
}

/* /readyz asks every routed service; /metrics every service in the mesh. */
static void probe_start(http_conn *req, const char *request_id, int metrics)
{
	const manifest *m = service_manifest();
	probe *p = calloc(1, sizeof *p);

	if (!p) {
		edge_send_error(req, request_id, MESH_EUNAVAILABLE,
		                "out of memory");
		return;
	}
	p->req = req;
	p->metrics = metrics;
	p->replies = json_object();
	snprintf(p->request_id, sizeof p->request_id, "%s", request_id);
	for (size_t i = 0; i < m->n_services; i++) {
		const char *name = m->services[i].name;
		int wanted = metrics;
		for (size_t r = 0; !wanted && r < m->n_routes; r++)
			wanted = strcmp(m->routes[r].service, name) == 0;
		if (!wanted || strcmp(name, mesh_service_name()) == 0 ||
		    json_object_get(p->replies, name))
			continue;
		json_object_set_new(p->replies, name, json_null());
	}
	mesh_drain_hold();
	p->waiting = json_object_size(p->replies) + 1;
	const char *name;
	json_t *unused;
	json_object_foreach(p->replies, name, unused)
	{
		probe_one *one = calloc(1, sizeof *one);
		mesh_call_opts opts = {.request_id = request_id,
		                       .timeout_ms = OPS_PROBE_TIMEOUT_MS};
		if (!one)
			abort();
		one->p = p;
		snprintf(one->service, sizeof one->service, "%s", name);
		mesh_call_with(&opts, name, metrics ? "_metrics" : "_health",
		               json_object(), probe_reply, one);
	}
	/* The extra count keeps the probe alive while the calls start. */
	if (--p->waiting == 0)
		probe_answer(p);
}

int ops_handle(http_conn *req, const char *path, const char *request_id)
{
	if (strcmp(path, "/healthz") == 0) {
		http_res_send_json(req, 200,
		                   json_pack("{s:s, s:s}", "status", "ok",
		                             "service", mesh_service_name()));
		return 1;
	}
	if (strcmp(path, "/readyz") == 0) {
		probe_start(req, request_id, 0);
		return 1;
	}
	if (strcmp(path, "/metrics") == 0) {
		probe_start(req, request_id, 1);
		return 1;
	}
	return 0;
}
