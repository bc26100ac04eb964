#include "probe.h"

#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conn.h"
#include "frame.h"
#include "trace.h"

struct probe {
	conn *c;
	struct event *timer;
	probe_fn cb;
	void *arg;
	probe *next;
};

static probe *probes;

static void probe_unlink(probe *p)
{
	for (probe **pp = &probes; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

static void probe_free(probe *p)
{
	probe_unlink(p);
	if (p->timer)
		event_free(p->timer);
	free(p);
}

static void probe_report(probe *p, int ok, pid_t pid, const char *why)
{
	probe_fn cb = p->cb;

	p->cb = NULL;
	if (cb)
		cb(p->arg, ok, pid, why);
}

static void probe_on_connect(conn *c, void *arg)
{
	char request_id[37], tp[56];
	frame f = {.type = FRAME_REQUEST, .id = 1};

	(void)arg;
	trace_new_request_id(request_id);
	trace_child(NULL, 0, tp);
	f.deadline_ms = 1000;
	f.method = "_health";
	f.method_len = strlen(f.method);
	f.caller = "meshd";
	f.caller_len = strlen(f.caller);
	f.request_id = request_id;
	f.request_id_len = strlen(request_id);
	f.traceparent = tp;
	f.traceparent_len = strlen(tp);
	f.payload = "{}";
	f.payload_len = 2;
	if (conn_send(c, &f) != 0)
		conn_close(c, "cannot send _health");
}

static void probe_on_frame(conn *c, const frame *f, void *arg)
{
	probe *p = arg;
	json_t *body;
	const char *status;

	if (f->type != FRAME_REPLY && f->type != FRAME_ERROR)
		return; /* a GOAWAY: the reply may still come */
	body = json_loadb(f->payload, f->payload_len, 0, NULL);
	status = json_string_value(json_object_get(body, "status"));
	if (f->type == FRAME_REPLY && status && strcmp(status, "ok") == 0)
		probe_report(
		    p, 1,
		    (pid_t)json_integer_value(json_object_get(body, "pid")),
		    "");
	else
		probe_report(
		    p, 0,
		    (pid_t)json_integer_value(json_object_get(body, "pid")),
		    status ? status : "_health failed");
	json_decref(body);
	conn_close(c, "probe done");
}

static void probe_on_close(conn *c, const char *why, void *arg)
{
	probe *p = arg;
	char msg[200];
	int e = conn_connect_errno(c);

	if (e)
		snprintf(msg, sizeof msg, "%s",
		         e == ENOENT ? "no socket yet" : strerror(e));
	else
		snprintf(msg, sizeof msg, "%s", why);
	p->c = NULL;
	probe_report(p, 0, 0, msg);
	probe_free(p);
}

static const conn_handlers probe_handlers = {
    .on_frame = probe_on_frame,
    .on_connect = probe_on_connect,
    .on_close = probe_on_close,
};

/* The deadline, or (with no connection) the deferred report of a probe
 * that could not even start. */
static void probe_timer(evutil_socket_t fd, short what, void *arg)
{
	probe *p = arg;

	(void)fd;
	(void)what;
	if (p->c) {
		conn_close(p->c, "no answer in time");
		return;
	}
	probe_report(p, 0, 0, "cannot connect");
	probe_free(p);
}

probe *probe_health(struct event_base *base, const char *sock_path,
                    int64_t timeout_ms, probe_fn cb, void *arg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {(time_t)(timeout_ms / 1000),
	                     (suseconds_t)(timeout_ms % 1000) * 1000};
	probe *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->cb = cb;
	p->arg = arg;
	p->timer = evtimer_new(base, probe_timer, p);
	if (!p->timer) {
		free(p);
		return NULL;
	}
	p->next = probes;
	probes = p;
	/* A path that does not fit fails like a missing socket. */
	if (strlen(sock_path) < sizeof sun.sun_path)
		memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	p->c = conn_connect(base, (struct sockaddr *)&sun, sizeof sun,
	                    FRAME_MAX_DEFAULT, &probe_handlers, p);
	if (!p->c)
		tv = (struct timeval){0, 0};
	evtimer_add(p->timer, &tv);
	return p;
}

void probe_cancel(probe *p)
{
	if (!p)
		return;
	p->cb = NULL;
	if (p->c)
		conn_close(p->c, "cancelled");
	else
		probe_free(p);
}

void probe_free_all(void)
{
	while (probes) {
		probe *p = probes;
		if (p->c)
			conn_destroy(p->c);
		probe_free(p);
	}
}
