#include "status.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "runtime.h"
#include "supervise.h"

typedef struct status_req {
	mesh_req *req;
	json_t *reply;
	int pending;
} status_req;

typedef struct status_slot {
	status_req *st;
	json_t *obj; /* borrowed from st->reply */
} status_slot;

void status_merge_metrics(json_t *obj, json_t *methods)
{
	metrics_method all;
	const char *name;
	json_t *m;

	memset(&all, 0, sizeof all);
	json_object_foreach(methods, name, m)
	{
		json_t *counts =
		    json_object_get(json_object_get(m, "latency_us"), "counts");
		if (name[0] == '_')
			continue;
		all.count +=
		    (uint64_t)json_integer_value(json_object_get(m, "count"));
		all.errors +=
		    (uint64_t)json_integer_value(json_object_get(m, "errors"));
		for (size_t b = 0; b <= METRICS_BUCKETS; b++)
			all.buckets[b] += (uint64_t)json_integer_value(
			    json_array_get(counts, b));
	}
	json_object_set_new(obj, "requests",
	                    json_integer((json_int_t)all.count));
	json_object_set_new(obj, "errors",
	                    json_integer((json_int_t)all.errors));
	json_object_set_new(obj, "p50_us",
	                    json_real(metrics_quantile(&all, 0.5)));
	json_object_set_new(obj, "p99_us",
	                    json_real(metrics_quantile(&all, 0.99)));
}

static void status_done(status_req *st)
{
	mesh_reply(st->req, st->reply);
	free(st);
}

static void status_got_metrics(void *arg, mesh_err err, const char *msg,
                               json_t *result)
{
	status_slot *slot = arg;
	status_req *st = slot->st;

	if (err == MESH_OK)
		status_merge_metrics(slot->obj,
		                     json_object_get(result, "methods"));
	else
		json_object_set_new(slot->obj, "metrics_error",
		                    json_string(msg));
	free(slot);
	if (--st->pending == 0)
		status_done(st);
}

void status_reply(mesh_req *req, json_t *redis)
{
	status_req *st = calloc(1, sizeof *st);
	json_t *services = json_array();
	int64_t now = runtime_now_ms();

	if (!st) {
		json_decref(redis);
		json_decref(services);
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	st->req = req;
	st->reply =
	    json_pack("{s:o, s:o}", "services", services, "redis", redis);
	/* One reference for the loop below, so that replies that come fast
	 * cannot end the request half-way through it. */
	st->pending = 1;
	for (size_t i = 0; i < supervise_count(); i++) {
		const child *c = supervise_at(i);
		json_t *obj = json_pack(
		    "{s:s, s:i, s:s, s:I, s:i, s:s, s:b}", "name", c->name,
		    "pid", (int)c->pid, "state", child_state_name(c->state),
		    "uptime_ms",
		    (json_int_t)(c->state == CHILD_UP ? now - c->up_ms : 0),
		    "restarts", c->restarts, "binary", c->binary, "has_binary",
		    c->has_binary);
		json_array_append_new(services, obj);
		if (c->state != CHILD_UP)
			continue;
		status_slot *slot = malloc(sizeof *slot);
		if (!slot)
			continue;
		mesh_call_opts opts = {.timeout_ms = STATUS_METRICS_TIMEOUT_MS};
		slot->st = st;
		slot->obj = obj;
		st->pending++;
		mesh_call_with(&opts, c->name, "_metrics", NULL,
		               status_got_metrics, slot);
	}
	if (--st->pending == 0)
		status_done(st);
}
