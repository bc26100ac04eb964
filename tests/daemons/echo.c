/*
 * echo: a small test daemon. It answers, sleeps, fails on request, counts
 * one-way notes in Redis, and records the events it consumes, so that
 * integration tests can observe every libmesh behaviour from outside.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"

static void echo(mesh_req *req, json_t *args)
{
	mesh_log(req, MESH_LOG_INFO, NULL, "echoing");
	mesh_reply(req, json_incref(args));
}

static void info(mesh_req *req, json_t *args)
{
	(void)args;
	mesh_reply(req, json_pack("{s:s, s:s, s:s, s:I}", "request_id",
	                          mesh_req_id(req), "traceparent",
	                          mesh_req_traceparent(req), "caller",
	                          mesh_req_caller(req), "time_left_ms",
	                          (json_int_t)mesh_req_time_left(req)));
}

typedef struct sleeper {
	mesh_req *req;
	struct event *ev;
	json_int_t ms;
} sleeper;

static void sleep_done(evutil_socket_t fd, short what, void *arg)
{
	sleeper *s = arg;

	(void)fd;
	(void)what;
	event_free(s->ev);
	mesh_reply(s->req, json_pack("{s:I}", "slept", s->ms));
	free(s);
}

/* Replies after args.ms milliseconds, on a timer: the loop stays free. */
static void sleep_method(mesh_req *req, json_t *args)
{
	json_int_t ms = json_integer_value(json_object_get(args, "ms"));
	sleeper *s = malloc(sizeof *s);
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};

	if (!s || ms < 0 || ms > 60000) {
		free(s);
		mesh_fail(req, MESH_EINVAL, "ms: expected 0-60000");
		return;
	}
	s->req = req;
	s->ms = ms;
	s->ev = evtimer_new(mesh_loop(), sleep_done, s);
	evtimer_add(s->ev, &tv);
}

static void fail(mesh_req *req, json_t *args)
{
	const char *code = json_string_value(json_object_get(args, "code"));
	const char *msg = json_string_value(json_object_get(args, "message"));

	mesh_fail(req, mesh_err_from_name(code ? code : "internal"), "%s",
	          msg ? msg : "failed on request");
}

/* Replies with a string of args.bytes bytes (frame-limit tests). */
static void big(mesh_req *req, json_t *args)
{
	json_int_t n = json_integer_value(json_object_get(args, "bytes"));

	if (n < 0 || n > 64 * 1024 * 1024) {
		mesh_fail(req, MESH_EINVAL, "bytes: out of range");
		return;
	}
	char *s = malloc((size_t)n + 1);
	if (!s) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	memset(s, 'x', (size_t)n);
	s[n] = '\0';
	mesh_reply(req, json_pack("{s:s}", "data", s));
	free(s);
}

static void reply_kv(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	mesh_req *req = arg;

	if (err != MESH_OK)
		mesh_fail(req, err, "%s", msg);
	else
		mesh_reply(req, json_incref(reply));
}

/* The target of one-way sends: counts them under echo:notes:<key>. */
static void note(mesh_req *req, json_t *args)
{
	const char *key = json_string_value(json_object_get(args, "key"));

	mesh_kv_commandf(reply_kv, req, "INCR %s",
	                 mesh_kv_key("notes", key ? key : "default"));
}

static void notes(mesh_req *req, json_t *args)
{
	const char *key = json_string_value(json_object_get(args, "key"));

	mesh_kv_commandf(reply_kv, req, "GET %s",
	                 mesh_kv_key("notes", key ? key : "default"));
}

static void kv_put(mesh_req *req, json_t *args)
{
	const char *key = json_string_value(json_object_get(args, "key"));
	const char *value = json_string_value(json_object_get(args, "value"));

	if (!key || !value) {
		mesh_fail(req, MESH_EINVAL, "key and value: expected strings");
		return;
	}
	mesh_kv_set(key, value,
	            json_integer_value(json_object_get(args, "ttl")), reply_kv,
	            req);
}

static void kv_get(mesh_req *req, json_t *args)
{
	const char *key = json_string_value(json_object_get(args, "key"));

	if (!key) {
		mesh_fail(req, MESH_EINVAL, "key: expected a string");
		return;
	}
	mesh_kv_get(key, reply_kv, req);
}

static void event_recorded(void *arg, mesh_err err, const char *msg,
                           json_t *reply)
{
	(void)reply;
	if (err != MESH_OK)
		mesh_fail(arg, err, "%s", msg);
	else
		mesh_reply(arg, NULL);
}

static void event_marked(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	mesh_req *req = arg;
	const char *id =
	    json_string_value(json_object_get(mesh_req_data(req), "id"));

	if (err != MESH_OK) {
		mesh_fail(req, err, "%s", msg);
		return;
	}
	/* First delivery of a "hang" event: never end it, so the test can
	 * kill -9 this process mid-handler. */
	if (json_is_integer(reply) && json_integer_value(reply) == 1)
		return;
	mesh_kv_commandf(event_recorded, req, "RPUSH %s %s|%s",
	                 mesh_kv_key("seen"), id, mesh_req_id(req));
}

/* Records every test.ping event in echo:seen as "<id>|<request id>".
 * {"fail": true} fails every time (dead-letter path); {"hang": true}
 * hangs on its first delivery only. */
static void on_ping(mesh_req *req, json_t *event)
{
	const char *id = json_string_value(json_object_get(event, "id"));

	if (!id) {
		mesh_fail(req, MESH_EINVAL, "id: expected a string");
		return;
	}
	if (json_is_true(json_object_get(event, "fail"))) {
		mesh_fail(req, MESH_EINTERNAL, "failing on request");
		return;
	}
	mesh_req_set_data(req, event);
	if (json_is_true(json_object_get(event, "hang")))
		mesh_kv_commandf(event_marked, req, "SETNX %s 1",
		                 mesh_kv_key("hung", id));
	else
		event_marked(req, MESH_OK, "", NULL);
}

static const mesh_method methods[] = {
    {"echo", echo},   {"info", info},     {"sleep", sleep_method},
    {"fail", fail},   {"big", big},       {"note", note},
    {"notes", notes}, {"kv_put", kv_put}, {"kv_get", kv_get},
    {NULL, NULL},
};

static const mesh_subscription subscriptions[] = {
    {"test.ping", on_ping},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "echo",
    .methods = methods,
    .subscriptions = subscriptions,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
