/*
 * relay: a small test daemon that calls echo through its binding:
 * forwarding, fan-out of many calls on one connection, one-way sends,
 * event publishing, and a call the manifest does not bind.
 */
#include <stdlib.h>
#include <string.h>

#include "mesh.h"

static void forwarded(void *arg, mesh_err err, const char *msg, json_t *result)
{
	mesh_req *req = arg;

	if (err != MESH_OK)
		mesh_fail(req, err, "%s", msg);
	else
		mesh_reply(req, json_incref(result));
}

/* {"service": "echo", "method": m, "args": a}: calls and relays the
 * outcome, error code included. */
static void forward(mesh_req *req, json_t *args)
{
	const char *service =
	    json_string_value(json_object_get(args, "service"));
	const char *method = json_string_value(json_object_get(args, "method"));
	json_t *inner = json_object_get(args, "args");

	if (!method) {
		mesh_fail(req, MESH_EINVAL, "method: expected a string");
		return;
	}
	mesh_log(req, MESH_LOG_INFO, NULL, "forwarding to %s.%s",
	         service ? service : "echo", method);
	mesh_call(req, service ? service : "echo", method,
	          inner ? json_incref(inner) : json_object(), forwarded, req);
}

typedef struct fanout {
	mesh_req *req;
	json_t *results;
	int left;
	int failed;
} fanout;

static void fanout_one(void *arg, mesh_err err, const char *msg, json_t *result)
{
	fanout *f = arg;

	(void)msg;
	if (err != MESH_OK)
		f->failed++;
	else if (json_object_get(result, "slept"))
		json_array_append(f->results, json_object_get(result, "slept"));
	else
		json_array_append(f->results, json_object_get(result, "i"));
	if (--f->left > 0)
		return;
	mesh_reply(f->req, json_pack("{s:o, s:i}", "order", f->results,
	                             "failed", f->failed));
	free(f);
}

/* {"n": N, "sleep_ms": [..]}: N calls at once on one connection; echo
 * sleeps as told, so replies come back out of order. */
static void fan_out(mesh_req *req, json_t *args)
{
	json_int_t n = json_integer_value(json_object_get(args, "n"));
	json_t *sleeps = json_object_get(args, "sleep_ms");
	fanout *f;

	if (n < 1 || n > 10000 || !(f = calloc(1, sizeof *f))) {
		mesh_fail(req, MESH_EINVAL, "n: expected 1-10000");
		return;
	}
	f->req = req;
	f->results = json_array();
	f->left = (int)n;
	for (json_int_t i = 0; i < n; i++) {
		json_t *ms = json_array_get(sleeps, (size_t)i);
		if (ms)
			mesh_call(req, "echo", "sleep",
			          json_pack("{s:O}", "ms", ms), fanout_one, f);
		else
			mesh_call(req, "echo", "echo",
			          json_pack("{s:I}", "i", i), fanout_one, f);
	}
}

/* Sends args.count one-way notes to echo and replies at once. */
static void notify(mesh_req *req, json_t *args)
{
	json_int_t count = json_integer_value(json_object_get(args, "count"));
	const char *key = json_string_value(json_object_get(args, "key"));

	for (json_int_t i = 0; i < (count > 0 ? count : 1); i++)
		mesh_send(req, "echo", "note",
		          json_pack("{s:s}", "key", key ? key : "default"));
	mesh_reply(req, json_pack("{s:b}", "sent", 1));
}

static void published(void *arg, mesh_err err, const char *msg)
{
	mesh_req *req = arg;

	if (err != MESH_OK)
		mesh_fail(req, err, "%s", msg);
	else
		mesh_reply(req, json_pack("{s:b}", "published", 1));
}

/* Publishes args.event on args.topic (default test.ping). */
static void publish(mesh_req *req, json_t *args)
{
	const char *topic = json_string_value(json_object_get(args, "topic"));
	json_t *event = json_object_get(args, "event");

	mesh_publish(req, topic ? topic : "test.ping",
	             event ? json_incref(event) : json_object(), published,
	             req);
}

static const mesh_method methods[] = {
    {"forward", forward}, {"fan_out", fan_out}, {"notify", notify},
    {"publish", publish}, {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "relay",
    .methods = methods,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
