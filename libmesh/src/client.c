#include "client.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/util.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "copy.h"
#include "frame.h"
#include "runtime.h"
#include "trace.h"

typedef struct peer peer;
typedef struct client_conn client_conn;

typedef struct call {
	peer *p;
	client_conn *cc;
	uint64_t id;
	char method[256];
	char request_id[129];
	char traceparent[56];
	char *payload;
	size_t payload_len;
	int64_t deadline_ms;
	struct event *timer;
	mesh_call_fn cb; /* NULL: one-way */
	void *arg;
	struct call *next; /* queue or hash chain */
} call;

struct client_conn {
	peer *p;
	conn *c;
	int connected;
	int goaway;
	uint64_t next_id;
	call **table; /* in flight, by id */
	size_t table_size;
	size_t pending;
	client_conn *next; /* the peer's retiring connections */
};

struct peer {
	char name[64];
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_err[200];
	client_conn *active;
	client_conn *retiring;
	call *queue, *queue_tail;
	size_t queued;
	size_t queued_oneway;
	struct event *retry;
	int64_t backoff_ms;
	peer *next;
};

static struct event_base *base;
static const manifest *bindings;
static peer *peers;
static int exiting;

static void peer_connect(peer *p);
static void peer_flush(peer *p);

void client_init(struct event_base *b, const manifest *m)
{
	base = b;
	bindings = m;
	/* A peer that hangs up mid-write must cost a connection, never the
	 * process: tools and tests get this as services do. */
	signal(SIGPIPE, SIG_IGN);
}

static void peer_resolve(peer *p)
{
	char var[96], *v;
	const char *spec;
	size_t i = 0;

	i = (size_t)snprintf(var, sizeof var, "MESH_ENDPOINT_");
	for (const char *s = p->name; *s && i + 1 < sizeof var; s++)
		var[i++] = *s == '-' ? '_' : (char)toupper((unsigned char)*s);
	var[i] = '\0';
	spec = (v = getenv(var)) ? v : "";
	if (strncmp(spec, "tcp://", 6) == 0) {
		int len = sizeof p->addr;
		if (evutil_parse_sockaddr_port(
		        spec + 6, (struct sockaddr *)&p->addr, &len) != 0)
			snprintf(p->addr_err, sizeof p->addr_err,
			         "%s: expected tcp://ip:port, got \"%s\"", var,
			         spec);
		p->addr_len = (socklen_t)len;
		return;
	}
	struct sockaddr_un *sun = (struct sockaddr_un *)&p->addr;
	int n;
	sun->sun_family = AF_UNIX;
	if (strncmp(spec, "unix://", 7) == 0)
		n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s",
		             spec + 7);
	else if (*spec) {
		snprintf(p->addr_err, sizeof p->addr_err,
		         "%s: expected unix:///path or tcp://ip:port", var);
		return;
	} else
		n = snprintf(sun->sun_path, sizeof sun->sun_path, "%s/%s.sock",
		             config_get()->sock_dir, p->name);
	if (n < 0 || (size_t)n >= sizeof sun->sun_path)
		snprintf(p->addr_err, sizeof p->addr_err,
		         "socket path of %s is too long", p->name);
	p->addr_len = sizeof *sun;
}

static peer *peer_get(const char *name)
{
	peer *p;

	for (p = peers; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	snprintf(p->name, sizeof p->name, "%s", name);
	peer_resolve(p);
	p->backoff_ms = CLIENT_BACKOFF_MIN_MS;
	p->next = peers;
	peers = p;
	return p;
}

/* ---- calls ---------------------------------------------------------- */

static void call_free(call *c)
{
	if (c->timer)
		event_free(c->timer);
	free(c->payload);
	free(c);
}

/* Ends a call: its callback exactly once, then it is gone. */
static void call_complete(call *c, mesh_err err, const char *msg,
                          json_t *result)
{
	mesh_call_fn cb = c->cb;
	void *arg = c->arg;

	call_free(c);
	if (cb)
		cb(arg, err, msg, result);
}

static void queue_remove(peer *p, call *c)
{
	call **pp = &p->queue;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = c->next;
	if (p->queue_tail == c) {
		p->queue_tail = NULL;
		for (call *q = p->queue; q; q = q->next)
			p->queue_tail = q;
	}
	c->next = NULL;
	p->queued--;
	if (!c->cb)
		p->queued_oneway--;
}

static void table_insert(client_conn *cc, call *c);
static call *table_take(client_conn *cc, uint64_t id);

static void call_timeout(evutil_socket_t fd, short what, void *arg)
{
	call *c = arg;
	char msg[400];

	(void)fd;
	(void)what;
	if (c->cc)
		table_take(c->cc, c->id);
	else
		queue_remove(c->p, c);
	snprintf(msg, sizeof msg, "%s.%s: no reply before the deadline",
	         c->p->name, c->method);
	call_complete(c, MESH_ETIMEOUT, msg, NULL);
}

/* ---- the in-flight table of one connection --------------------------- */

static void table_insert(client_conn *cc, call *c)
{
	if (cc->pending + 1 > cc->table_size * 2) {
		size_t n = cc->table_size ? cc->table_size * 4 : 64;
		call **t = calloc(n, sizeof *t);
		if (t) {
			for (size_t i = 0; i < cc->table_size; i++)
				while (cc->table[i]) {
					call *x = cc->table[i];
					cc->table[i] = x->next;
					x->next = t[x->id & (n - 1)];
					t[x->id & (n - 1)] = x;
				}
			free(cc->table);
			cc->table = t;
			cc->table_size = n;
		}
	}
	size_t b = c->id & (cc->table_size - 1);
	c->next = cc->table[b];
	cc->table[b] = c;
	c->cc = cc;
	cc->pending++;
}

static call *table_take(client_conn *cc, uint64_t id)
{
	if (!cc->table_size)
		return NULL;
	call **pp = &cc->table[id & (cc->table_size - 1)];
	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	call *c = *pp;
	if (c) {
		*pp = c->next;
		c->next = NULL;
		c->cc = NULL;
		cc->pending--;
	}
	return c;
}

/* ---- connections ------------------------------------------------------ */

static void retiring_remove(peer *p, client_conn *cc)
{
	for (client_conn **pp = &p->retiring; *pp; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			return;
		}
}

static void conn_retire_if_idle(client_conn *cc)
{
	if (cc->goaway && cc->pending == 0 && cc->c)
		conn_close(cc->c, "drained after goaway");
}

static int call_send(client_conn *cc, call *c)
{
	frame f = {.type = c->cb ? FRAME_REQUEST : FRAME_ONEWAY};
	int64_t left = c->deadline_ms - runtime_now_ms();

	f.id = c->cb ? ++cc->next_id : 0;
	f.deadline_ms = (uint32_t)(left > 0 ? left : 1);
	f.method = c->method;
	f.method_len = strlen(c->method);
	f.caller = mesh_service_name();
	f.caller_len = strlen(f.caller);
	f.request_id = c->request_id;
	f.request_id_len = strlen(c->request_id);
	f.traceparent = c->traceparent;
	f.traceparent_len = strlen(c->traceparent);
	f.payload = c->payload;
	f.payload_len = c->payload_len;
	if (frame_encoded_len(&f) > config_get()->max_frame)
		return MESH_ETOOLARGE;
	if (conn_send(cc->c, &f) != 0)
		return MESH_EUNAVAILABLE;
	c->id = f.id;
	/* A request keeps its payload until answered: if the server closes
	 * after GOAWAY without having read it, it is sent again elsewhere. */
	if (c->cb)
		table_insert(cc, c);
	else
		call_free(c);
	return MESH_OK;
}

static void call_send_or_fail(client_conn *cc, call *c)
{
	int err = call_send(cc, c);

	if (err == MESH_ETOOLARGE)
		call_complete(c, MESH_ETOOLARGE,
		              "request is over the frame size limit", NULL);
	else if (err != MESH_OK)
		call_complete(c, MESH_EUNAVAILABLE, "connection lost", NULL);
}

static void peer_flush(peer *p)
{
	client_conn *cc = p->active;
	size_t cap = config_get()->max_in_flight;

	while (cc && cc->connected && !cc->goaway && p->queue &&
	       cc->pending < cap) {
		call *c = p->queue;
		queue_remove(p, c);
		call_send_or_fail(cc, c);
	}
}

static void cc_on_connect(conn *c, void *arg)
{
	client_conn *cc = arg;

	(void)c;
	cc->connected = 1;
	cc->p->backoff_ms = CLIENT_BACKOFF_MIN_MS;
	peer_flush(cc->p);
}

static void cc_on_frame(conn *c, const frame *f, void *arg)
{
	client_conn *cc = arg;
	peer *p = cc->p;

	if (f->type == FRAME_GOAWAY) {
		cc->goaway = 1;
		if (p->active == cc) {
			p->active = NULL;
			cc->next = p->retiring;
			p->retiring = cc;
		}
		conn_retire_if_idle(cc);
		if (p->queue)
			peer_connect(p);
		return;
	}
	if (f->type == FRAME_PONG)
		return;
	if (f->type != FRAME_REPLY && f->type != FRAME_ERROR) {
		conn_close(c, "unexpected frame type from server");
		return;
	}
	call *done = table_take(cc, f->id);
	if (!done)
		return; /* it timed out here already */
	json_error_t jerr;
	json_t *body =
	    json_loadb(f->payload, f->payload_len, JSON_DECODE_ANY, &jerr);
	if (f->type == FRAME_REPLY) {
		if (body)
			call_complete(done, MESH_OK, "", body);
		else
			call_complete(done, MESH_EINTERNAL,
			              "reply is not valid JSON", NULL);
	} else {
		const char *code =
		    json_string_value(json_object_get(body, "code"));
		const char *msg =
		    json_string_value(json_object_get(body, "message"));
		call_complete(done, mesh_err_from_name(code),
		              msg ? msg : "error without a message", NULL);
	}
	json_decref(body);
	/* Replies free capacity: queued calls may go now. */
	if (p->active == cc)
		peer_flush(p);
	else
		conn_retire_if_idle(cc);
}

static void cc_on_close(conn *c, const char *why, void *arg)
{
	client_conn *cc = arg;
	peer *p = cc->p;
	char msg[300];
	int was_connected = cc->connected;

	int no_socket = !was_connected && conn_connect_errno(c) == ENOENT;

	if (p->active == cc)
		p->active = NULL;
	else
		retiring_remove(p, cc);
	snprintf(msg, sizeof msg, "connection to %s lost: %s", p->name, why);
	/* After GOAWAY a server closes only once nothing it has read is
	 * unanswered (proto/wire.md), so a call still waiting here never
	 * reached a handler: it goes again, on a new connection. Without a
	 * GOAWAY it may or may not have run: report it rather than risk
	 * running it twice. */
	for (size_t i = 0; i < cc->table_size; i++)
		while (cc->table[i]) {
			call *x = table_take(cc, cc->table[i]->id);
			if (cc->goaway) {
				x->next = p->queue;
				p->queue = x;
				if (!p->queue_tail)
					p->queue_tail = x;
				p->queued++;
			} else {
				call_complete(x, MESH_EUNAVAILABLE, msg, NULL);
			}
		}
	free(cc->table);
	free(cc);
	/* No socket file means the service was never started here (a stopped
	 * or restarting one leaves its socket, and connects are refused):
	 * waiting would only turn "not deployed" into a slow timeout. */
	if (no_socket) {
		snprintf(msg, sizeof msg, "%s is not running (no socket)",
		         p->name);
		while (p->queue) {
			call *x = p->queue;
			queue_remove(p, x);
			call_complete(x, MESH_EUNAVAILABLE, msg, NULL);
		}
		return;
	}
	/* On the way out, a one-way to a peer that refuses is not worth the
	 * exit waiting for its whole time to live. */
	if (!was_connected && exiting) {
		for (call *x = p->queue, *next; x; x = next) {
			next = x->next;
			if (!x->cb) {
				queue_remove(p, x);
				call_complete(x, MESH_EUNAVAILABLE, msg, NULL);
			}
		}
	}
	if (!was_connected)
		p->backoff_ms = p->backoff_ms * 2 > CLIENT_BACKOFF_MAX_MS
		                    ? CLIENT_BACKOFF_MAX_MS
		                    : p->backoff_ms * 2;
	if (p->queue && !p->active &&
	    !(p->retry && evtimer_pending(p->retry, NULL))) {
		struct timeval tv = {0, 0};
		if (!was_connected)
			tv.tv_usec = (suseconds_t)(p->backoff_ms * 1000);
		evtimer_add(p->retry, &tv);
	}
}

static const conn_handlers client_conn_handlers = {
    .on_frame = cc_on_frame,
    .on_connect = cc_on_connect,
    .on_close = cc_on_close,
};

static void peer_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	peer_connect(arg);
}

static void peer_connect(peer *p)
{
	client_conn *cc;

	if (p->active || !base)
		return;
	if (!p->retry)
		p->retry = evtimer_new(base, peer_retry, p);
	cc = calloc(1, sizeof *cc);
	if (!cc)
		return;
	cc->p = p;
	p->active = cc;
	cc->c =
	    conn_connect(base, (struct sockaddr *)&p->addr, p->addr_len,
	                 config_get()->max_frame, &client_conn_handlers, cc);
	if (!cc->c) {
		p->active = NULL;
		free(cc);
		if (p->retry) {
			struct timeval tv = {
			    0, (suseconds_t)(p->backoff_ms * 1000)};
			evtimer_add(p->retry, &tv);
		}
	}
}

/* ---- the entry points ------------------------------------------------- */

typedef struct early_fail {
	mesh_call_fn cb;
	void *arg;
	mesh_err err;
	char msg[400];
} early_fail;

static void early_fail_run(void *p)
{
	early_fail *e = p;

	e->cb(e->arg, e->err, e->msg, NULL);
	free(e);
}

/* A Unix peer with no connection and no socket file was never started
 * here: one access(2) answers what a connect would, without a connection
 * being made and torn down for every call to a service not deployed. */
static int peer_not_running(const peer *p)
{
	const struct sockaddr_un *sun = (const void *)&p->addr;

	return !p->active && !p->queue && !p->addr_err[0] &&
	       p->addr.ss_family == AF_UNIX &&
	       access(sun->sun_path, F_OK) != 0 && errno == ENOENT;
}

static void fail_later(mesh_call_fn cb, void *arg, mesh_err err,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_later(mesh_call_fn cb, void *arg, mesh_err err,
                       const char *fmt, ...)
{
	va_list ap;
	early_fail *e;

	if (!cb)
		return;
	e = malloc(sizeof *e);
	if (!e)
		abort();
	e->cb = cb;
	e->arg = arg;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	runtime_defer(early_fail_run, e);
}

void client_call(const char *service, const char *method, json_t *args,
                 const char *request_id, const char *traceparent,
                 int64_t deadline_ms, mesh_call_fn cb, void *arg)
{
	const char *self = mesh_service_name();
	peer *p;
	call *c;
	char *payload;

	if (!service || !method || !*method || strlen(method) > 255) {
		json_decref(args);
		fail_later(cb, arg, MESH_EINVAL,
		           "call: missing service or "
		           "method");
		return;
	}
	if (bindings && manifest_service_find(bindings, self) &&
	    !manifest_may_call(bindings, self, service, method)) {
		json_decref(args);
		fail_later(cb, arg, MESH_EFORBIDDEN,
		           "%s may not call %s.%s: not bound in the manifest",
		           self, service, method);
		return;
	}
	if (deadline_ms <= runtime_now_ms()) {
		json_decref(args);
		fail_later(cb, arg, MESH_ETIMEOUT,
		           "%s.%s: deadline already passed", service, method);
		return;
	}
	p = peer_get(service);
	if (p && peer_not_running(p)) {
		json_decref(args);
		fail_later(cb, arg, MESH_EUNAVAILABLE,
		           "%s is not running (no socket)", p->name);
		return;
	}
	payload = json_dumps(args ? args : json_null(),
	                     JSON_COMPACT | JSON_ENCODE_ANY |
	                         JSON_REAL_PRECISION(12));
	json_decref(args);
	c = calloc(1, sizeof *c);
	if (!payload || !p || !c) {
		free(payload);
		free(c);
		fail_later(cb, arg, MESH_EINTERNAL, "out of memory");
		return;
	}
	if (p->addr_err[0]) {
		free(payload);
		free(c);
		fail_later(cb, arg, MESH_EUNAVAILABLE, "%s", p->addr_err);
		return;
	}
	c->p = p;
	copy_bounded(c->method, sizeof c->method, method);
	size_t rid_len = copy_bounded(c->request_id, sizeof c->request_id,
	                              request_id ? request_id : "");
	if (!trace_request_id_valid(c->request_id, rid_len))
		trace_new_request_id(c->request_id);
	if (traceparent && trace_parent_valid(traceparent, strlen(traceparent)))
		copy_bounded(c->traceparent, sizeof c->traceparent,
		             traceparent);
	else
		trace_child(NULL, 0, c->traceparent);
	c->payload = payload;
	c->payload_len = strlen(payload);
	c->deadline_ms = deadline_ms;
	c->cb = cb;
	c->arg = arg;

	client_conn *cc = p->active;
	if (cc && cc->connected && !cc->goaway && !p->queue &&
	    cc->pending < config_get()->max_in_flight) {
		int err = call_send(cc, c);
		if (err != MESH_OK) {
			free(c->payload);
			free(c);
			fail_later(cb, arg, (mesh_err)err,
			           err == MESH_ETOOLARGE
			               ? "request is over the frame size limit"
			               : "connection lost");
			return;
		}
		if (!cb)
			return; /* a one-way on the wire: nothing to wait for */
	} else {
		if (p->queued >= CONFIG_MAX_QUEUED_CALLS) {
			free(c->payload);
			free(c);
			fail_later(
			    cb, arg, MESH_EUNAVAILABLE,
			    "%s: too many calls waiting for a connection",
			    service);
			return;
		}
		if (p->queue_tail)
			p->queue_tail->next = c;
		else
			p->queue = c;
		p->queue_tail = c;
		p->queued++;
		if (!cb)
			p->queued_oneway++;
		peer_connect(p);
	}
	int64_t left = deadline_ms - runtime_now_ms();
	struct timeval tv = {left / 1000, (left % 1000) * 1000};
	c->timer = evtimer_new(base, call_timeout, c);
	if (c->timer)
		evtimer_add(c->timer, &tv);
}

int client_endpoint_exists(const char *service)
{
	peer *p = peer_get(service);

	if (!p || p->addr_err[0])
		return 0;
	if (((struct sockaddr *)&p->addr)->sa_family != AF_UNIX)
		return 1;
	return access(((struct sockaddr_un *)&p->addr)->sun_path, F_OK) == 0;
}

void client_exiting(void)
{
	exiting = 1;
}

size_t client_unflushed(void)
{
	size_t n = 0;

	for (peer *p = peers; p; p = p->next) {
		n += p->queued_oneway;
		if (p->active && p->active->c)
			n += conn_pending_output(p->active->c);
		for (client_conn *cc = p->retiring; cc; cc = cc->next)
			n += conn_pending_output(cc->c);
	}
	return n;
}

static void conn_abandon(client_conn *cc, const char *why)
{
	for (size_t i = 0; i < cc->table_size; i++)
		while (cc->table[i]) {
			call *x = table_take(cc, cc->table[i]->id);
			call_complete(x, MESH_EUNAVAILABLE, why, NULL);
		}
	if (cc->c)
		conn_destroy(cc->c);
	free(cc->table);
	free(cc);
}

void client_shutdown(void)
{
	while (peers) {
		peer *p = peers;
		peers = p->next;
		while (p->queue) {
			call *c = p->queue;
			queue_remove(p, c);
			call_complete(c, MESH_EUNAVAILABLE,
			              "process is exiting", NULL);
		}
		if (p->active)
			conn_abandon(p->active, "process is exiting");
		while (p->retiring) {
			client_conn *cc = p->retiring;
			p->retiring = cc->next;
			conn_abandon(cc, "process is exiting");
		}
		if (p->retry)
			event_free(p->retry);
		free(p);
	}
}
