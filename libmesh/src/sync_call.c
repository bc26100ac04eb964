#include "sync_call.h"

#include <event2/event.h>
#include <stdio.h>

#include "client.h"
#include "config.h"
#include "runtime.h"

static struct event_base *base;

int sync_init(const char *name, char *err, size_t err_len)
{
	base = event_base_new();
	if (!base) {
		snprintf(err, err_len, "cannot create an event loop");
		return -1;
	}
	runtime_init(base, name);
	if (config_load(config_get(), name, err, err_len) != 0)
		return -1;
	/* No manifest: a tool is bound to nothing and may call anything. */
	client_init(base, NULL);
	return 0;
}

void sync_shutdown(void)
{
	if (!base)
		return;
	client_shutdown();
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	base = NULL;
}

struct event_base *sync_base(void)
{
	return base;
}

typedef struct outcome {
	int done;
	mesh_err err;
	char msg[1024];
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

json_t *sync_call(const char *service, const char *method, json_t *args,
                  const mesh_call_opts *opts, mesh_err *err, char *msg,
                  size_t msg_len)
{
	outcome o = {0};

	mesh_call_with(opts, service, method, args, sync_done, &o);
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

void sync_run(int ms)
{
	int over = 0;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct event *t = evtimer_new(base, run_over, &over);

	evtimer_add(t, &tv);
	while (!over)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
}
