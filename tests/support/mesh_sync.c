#include "mesh_sync.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "config.h"
#include "runtime.h"

static struct event_base *base;

void mesh_sync_init(void)
{
	char err[256];

	base = event_base_new();
	runtime_init(base, "test");
	if (config_load(config_get(), "test", err, sizeof err) != 0)
		fprintf(stderr, "mesh_sync: %s\n", err);
	client_init(base, NULL);
}

void mesh_sync_shutdown(void)
{
	client_shutdown();
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	base = NULL;
}

typedef struct outcome {
	int done;
	mesh_err err;
	char msg[512];
	json_t *result;
} outcome;

static void sync_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	outcome *o = arg;

	o->done = 1;
	o->err = err;
	snprintf(o->msg, sizeof o->msg, "%s", msg);
	o->result = json_incref(result);
	event_base_loopbreak(base);
}

json_t *mesh_sync_call(const char *service, const char *method, json_t *args,
                       const mesh_sync_opts *opts, mesh_err *err, char *msg,
                       size_t msg_len)
{
	outcome o = {0};
	mesh_call_opts co = {0};

	if (opts) {
		co.request_id = opts->request_id;
		co.traceparent = opts->traceparent;
		co.timeout_ms = opts->timeout_ms;
	}
	mesh_call_with(&co, service, method, args, sync_done, &o);
	while (!o.done)
		event_base_loop(base, EVLOOP_ONCE);
	if (err)
		*err = o.err;
	if (msg)
		snprintf(msg, msg_len, "%s", o.msg);
	return o.result;
}

static void run_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
	event_base_loopbreak(base);
}

void mesh_sync_run(int ms)
{
	int over = 0;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *t = evtimer_new(base, run_over, &over);

	evtimer_add(t, &tv);
	while (!over)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}
