/* service_events.c: durable events for the running service: mesh_publish
 * and the delivery of subscribed topics to handlers as requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "req.h"
#include "runtime.h"
#include "service.h"

typedef struct publish_fail {
	mesh_done_fn cb;
	void *arg;
	mesh_err err;
	char msg[200];
} publish_fail;

static void publish_fail_run(void *p)
{
	publish_fail *f = p;

	f->cb(f->arg, f->err, f->msg);
	free(f);
}

static int topic_declared(const char *topic)
{
	const manifest_service *s =
	    manifest_service_find(service_manifest(), mesh_service_name());

	if (!service_manifest())
		return 1;
	for (size_t i = 0; s && i < s->n_publishes; i++)
		if (strcmp(s->publishes[i], topic) == 0)
			return 1;
	return 0;
}

void mesh_publish(mesh_req *parent, const char *topic, json_t *event,
                  mesh_done_fn cb, void *arg)
{
	kv *k = service_kv();
	mesh_err err = MESH_OK;
	const char *why = "";

	if (!topic || !topic_declared(topic)) {
		err = MESH_EFORBIDDEN;
		why = "topic is not in this service's publishes";
	} else if (!k) {
		err = MESH_EUNAVAILABLE;
		why = "redis: not configured";
	}
	if (err != MESH_OK) {
		json_decref(event);
		if (!cb)
			return;
		publish_fail *f = malloc(sizeof *f);
		if (!f)
			abort();
		f->cb = cb;
		f->arg = arg;
		f->err = err;
		snprintf(f->msg, sizeof f->msg, "publish %s: %s",
		         topic ? topic : "(null)", why);
		runtime_defer(publish_fail_run, f);
		return;
	}
	events_publish(k, topic, event, parent ? parent->request_id : NULL,
	               parent ? parent->traceparent : NULL,
	               CONFIG_STREAM_MAXLEN, cb, arg);
}

static void delivery_finish(mesh_req *req, mesh_err err, const char *msg,
                            json_t *result)
{
	(void)result;
	if (err != MESH_OK)
		mesh_log(req, MESH_LOG_WARN, NULL, "event %s failed: %s: %s",
		         req->method, mesh_strerror(err), msg);
	events_delivery_done(req->owner, err, msg);
}

static void delivery_start(void *arg, events_delivery *d, const char *topic,
                           json_t *payload, const char *request_id,
                           const char *traceparent, int attempt)
{
	const mesh_subscription *sub = arg;
	events_opts opts;

	(void)attempt;
	events_opts_default(&opts);
	mesh_req *r =
	    req_new(REQ_EVENT, topic, strlen(topic), "", 0, request_id,
	            request_id ? strlen(request_id) : 0, traceparent,
	            traceparent ? strlen(traceparent) : 0,
	            opts.handler_timeout_ms, delivery_finish, d);
	if (!r) {
		events_delivery_done(d, MESH_EUNAVAILABLE, "out of memory");
		return;
	}
	req_run(r, sub->fn, json_incref(payload));
}

int service_events_subscribe(events *e, const mesh_service_def *def, char *err,
                             size_t err_len)
{
	for (const mesh_subscription *s = def->subscriptions; s && s->topic;
	     s++)
		if (events_subscribe(e, s->topic, delivery_start, (void *)s) !=
		    0) {
			snprintf(err, err_len, "cannot subscribe to \"%s\"",
			         s->topic);
			return -1;
		}
	return 0;
}
