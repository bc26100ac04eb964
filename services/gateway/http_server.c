#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "gateway/http_conn.h"
#include "gateway/http_response.h"
#include "mesh.h"
#include "trace.h"

/* File descriptors kept free of client connections (the mesh's own
 * sockets, Redis, logs). */
#define HTTP_RESERVED_FDS 64
/* How long accepting pauses when the process is out of descriptors. */
#define HTTP_ACCEPT_PAUSE_MS 100

struct http_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *resume;
	http_server_opts o;
	http_handler_fn fn;
	void *arg;
	http_conn *conns;
	size_t n_conns, n_rejecting;
	int draining;
	/* libevent's common timeouts: O(1) re-arming of the same duration,
	 * which every connection does on every request. */
	const struct timeval *tv[HTTP_PHASE_LINGERING + 1];
	struct timeval tv_plain[HTTP_PHASE_LINGERING + 1];
};

typedef struct env_limit {
	const char *name;
	int *value;
	int lo, hi;
} env_limit;

int http_server_opts_load(http_server_opts *o, char *err, size_t err_len)
{
	const char *idle = getenv("GATEWAY_IDLE_TIMEOUT_S");
	env_limit limits[] = {
	    {"GATEWAY_HEADER_TIMEOUT_S", &o->header_timeout_s, 1, 3600},
	    {"GATEWAY_BODY_TIMEOUT_S", &o->body_timeout_s, 1, 3600},
	    {idle && *idle ? "GATEWAY_IDLE_TIMEOUT_S"
	                   : "GATEWAY_CLIENT_TIMEOUT_S",
	     &o->idle_timeout_s, 1, 3600},
	    {"GATEWAY_WRITE_TIMEOUT_S", &o->write_timeout_s, 1, 3600},
	    {"GATEWAY_MAX_CONNECTIONS", &o->max_connections, 1, 1000000},
	    {"GATEWAY_MAX_REQUESTS_PER_CONN", &o->max_requests_per_conn, 1,
	     100000000},
	};

	o->header_timeout_s = HTTP_HEADER_TIMEOUT_S;
	o->body_timeout_s = HTTP_BODY_TIMEOUT_S;
	o->idle_timeout_s = HTTP_IDLE_TIMEOUT_S;
	o->write_timeout_s = HTTP_WRITE_TIMEOUT_S;
	o->max_connections = HTTP_MAX_CONNECTIONS;
	o->max_requests_per_conn = HTTP_MAX_REQUESTS_PER_CONN;
	for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
		const char *v = getenv(limits[i].name);
		char *end;
		long n;
		if (!v || !*v)
			continue;
		n = strtol(v, &end, 10);
		if (*end || n < limits[i].lo || n > limits[i].hi) {
			snprintf(err, err_len, "%s: expected %d-%d, got \"%s\"",
			         limits[i].name, limits[i].lo, limits[i].hi, v);
			return -1;
		}
		*limits[i].value = (int)n;
	}
	return 0;
}

const http_request *http_conn_request(const http_conn *c)
{
	return &c->req;
}

const char *http_conn_peer(const http_conn *c)
{
	return c->peer;
}

size_t http_server_connections(const http_server *s)
{
	return s->n_conns;
}

static void conn_hold(http_conn *c)
{
	if (!c->held)
		mesh_drain_hold();
	c->held = 1;
}

static void conn_unhold(http_conn *c)
{
	if (c->held)
		mesh_drain_release();
	c->held = 0;
}

/* Off the server's list (and out of its counts). */
static void conn_unlink(http_conn *c)
{
	http_server *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->rejected)
		s->n_rejecting--;
	else
		s->n_conns--;
	c->prev = c->next = NULL;
}

static void conn_free(http_conn *c)
{
	if (c->srv)
		conn_unlink(c);
	conn_unhold(c);
	event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev);
	http_request_free(&c->req);
	free(c->out);
	free(c);
}

static void conn_phase(http_conn *c, http_phase phase)
{
	c->phase = phase;
	if (phase == HTTP_PHASE_HANDLER)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, c->srv->tv[phase]);
}

static void timeouts_init(http_server *s)
{
	const http_server_opts *o = &s->o;
	struct timeval tv[HTTP_PHASE_LINGERING + 1] = {
	    [HTTP_PHASE_IDLE] = {o->idle_timeout_s, 0},
	    [HTTP_PHASE_HEADERS] = {o->header_timeout_s, 0},
	    [HTTP_PHASE_BODY] = {o->body_timeout_s, 0},
	    [HTTP_PHASE_STALLED] = {o->write_timeout_s, 0},
	    [HTTP_PHASE_FLUSHING] = {o->write_timeout_s, 0},
	    [HTTP_PHASE_LINGERING] = {HTTP_LINGER_MS / 1000,
	                              (HTTP_LINGER_MS % 1000) * 1000},
	};

	for (int i = 0; i <= HTTP_PHASE_LINGERING; i++) {
		if (i == HTTP_PHASE_HANDLER)
			continue;
		s->tv[i] = event_base_init_common_timeout(s->base, &tv[i]);
		if (!s->tv[i]) /* not fatal: a plain timeout then */
			s->tv_plain[i] = tv[i], s->tv[i] = &s->tv_plain[i];
	}
}

/* Closes once what is buffered has gone out (or the write deadline). */
static void conn_close(http_conn *c)
{
	if (!c->bev ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_free(c);
		return;
	}
	c->must_close = 1;
	conn_phase(c, HTTP_PHASE_FLUSHING);
}

/* A request the parser or a deadline refused: the error, then close. */
static void conn_refuse(http_conn *c)
{
	char rid[37];

	trace_new_request_id(rid);
	c->must_close = 1;
	conn_phase(c, HTTP_PHASE_HANDLER);
	conn_hold(c);
	http_res_header(c, "X-Request-Id", rid);
	http_res_error(c, c->req.error_status, c->req.error_code,
	               c->req.error_msg, rid);
}

static void conn_dispatch(http_conn *c)
{
	c->n_requests++;
	conn_phase(c, HTTP_PHASE_HANDLER);
	conn_hold(c);
	c->srv->fn(c, c->srv->arg);
}

/* Parses what has arrived, one request at a time: the next request is
 * read only once the previous one is answered, so answers keep order. */
static void conn_process(http_conn *c)
{
	if (c->in_process)
		return;
	c->in_process = 1;
	while (c->bev && c->phase <= HTTP_PHASE_BODY) {
		struct evbuffer *in = bufferevent_get_input(c->bev);
		struct evbuffer *out = bufferevent_get_output(c->bev);
		struct evbuffer_iovec v;
		size_t used;

		if (c->phase == HTTP_PHASE_IDLE &&
		    evbuffer_get_length(out) > HTTP_OUTPUT_CAP) {
			bufferevent_disable(c->bev, EV_READ);
			conn_phase(c, HTTP_PHASE_STALLED);
			break;
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		http_req_state before = c->req.state;
		http_req_state after =
		    http_request_feed(&c->req, v.iov_base, v.iov_len, &used);
		evbuffer_drain(in, used);
		if (before == HTTP_REQ_IDLE && after == HTTP_REQ_HEADERS)
			conn_phase(c, HTTP_PHASE_HEADERS);
		if (before != HTTP_REQ_BODY && after == HTTP_REQ_BODY) {
			conn_phase(c, HTTP_PHASE_BODY);
			if (c->req.want_continue && c->req.body_len == 0)
				evbuffer_add(
				    out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		}
		if (after == HTTP_REQ_FAILED)
			conn_refuse(c);
		else if (after == HTTP_REQ_COMPLETE)
			conn_dispatch(c);
	}
	c->in_process = 0;
	/* The client has sent all it will and all of it is answered. */
	if (c->eof && c->bev && c->phase <= HTTP_PHASE_BODY)
		conn_close(c);
}

static void write_cb(struct bufferevent *bev, void *arg);

/* With nothing queued the response is sent at once: queueing it would arm
 * the write event and disarm it after (two epoll_ctl per request). Returns
 * the bytes the socket took; an error is left for the bufferevent to meet
 * on its own write of the rest. */
static size_t conn_send_now(http_conn *c, const char *data, size_t len)
{
	ssize_t n;

	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		return 0;
	do
		n = send(bufferevent_getfd(c->bev), data, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (size_t)n : 0;
}

void http_conn_write(http_conn *c, const char *data, size_t len)
{
	size_t sent;

	if (!c->bev) { /* the client left while we worked */
		conn_free(c);
		return;
	}
	sent = conn_send_now(c, data, len);
	if (sent < len)
		evbuffer_add(bufferevent_get_output(c->bev), data + sent,
		             len - sent);
	http_request_reset(&c->req);
	if (c->must_close) {
		if (!c->eof) /* what the client still sends is discarded */
			bufferevent_enable(c->bev, EV_READ);
		conn_phase(c, HTTP_PHASE_FLUSHING);
		if (sent == len) /* as when a queued answer drains */
			write_cb(c->bev, c);
		return;
	}
	conn_phase(c, HTTP_PHASE_IDLE);
	if (sent == len)
		conn_unhold(c); /* everything answered has gone out */
	conn_process(c);
}

int http_conn_last_response(http_conn *c)
{
	const http_request *r = &c->req;

	if (!c->srv || c->rejected || c->srv->draining ||
	    r->state != HTTP_REQ_COMPLETE || !r->keep_alive || r->upgrade ||
	    c->n_requests >= c->srv->o.max_requests_per_conn)
		c->must_close = 1;
	return c->must_close;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	http_conn *c = arg;

	if (c->phase >= HTTP_PHASE_FLUSHING) {
		struct evbuffer *in = bufferevent_get_input(bev);
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	conn_process(c);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	http_conn *c = arg;

	if (c->phase == HTTP_PHASE_HANDLER)
		return;
	conn_unhold(c); /* everything answered has gone out */
	if (c->phase == HTTP_PHASE_STALLED) {
		conn_phase(c, HTTP_PHASE_IDLE);
		if (!c->eof)
			bufferevent_enable(bev, EV_READ);
		conn_process(c);
	} else if (c->phase == HTTP_PHASE_FLUSHING) {
		if (c->eof || shutdown(bufferevent_getfd(bev), SHUT_WR) != 0) {
			conn_free(c);
			return;
		}
		conn_phase(c, HTTP_PHASE_LINGERING);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	http_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    c->phase != HTTP_PHASE_LINGERING) {
		/* The client sent all it will: answer what it asked. */
		c->eof = 1;
		if (c->phase <= HTTP_PHASE_BODY)
			conn_close(c);
		return;
	}
	if (c->phase == HTTP_PHASE_HANDLER) {
		/* The handler still answers into c: keep it until then. */
		bufferevent_free(bev);
		c->bev = NULL;
		return;
	}
	conn_free(c);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	http_conn *c = arg;
	char msg[96];

	(void)fd;
	(void)what;
	if (c->phase == HTTP_PHASE_HEADERS || c->phase == HTTP_PHASE_BODY) {
		int headers = c->phase == HTTP_PHASE_HEADERS;
		snprintf(msg, sizeof msg, "%s not complete within %d s",
		         headers ? "request headers" : "request body",
		         headers ? c->srv->o.header_timeout_s
		                 : c->srv->o.body_timeout_s);
		http_request_fail(&c->req, 408, "request_timeout", msg);
		conn_refuse(c);
		return;
	}
	conn_free(c);
}

static void peer_name(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr = NULL;

	if (sa->sa_family == AF_INET)
		addr =
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!addr || !inet_ntop(sa->sa_family, addr, out, (socklen_t)len))
		snprintf(out, len, "unknown");
}

static http_conn *conn_new(http_server *s, evutil_socket_t fd,
                           const struct sockaddr *sa, int rejected)
{
	http_conn *c = calloc(1, sizeof *c);
	int one = 1;

	if (!c)
		return NULL;
	c->srv = s;
	c->rejected = rejected;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(s->base, timer_cb, c);
	if (!c->bev || !c->timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->timer)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	/* Responses go out whole in one write: no reason to wait for more. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	peer_name(sa, c->peer, sizeof c->peer);
	http_request_init(&c->req);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_INPUT_CAP);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (rejected)
		s->n_rejecting++;
	else
		s->n_conns++;
	return c;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int socklen, void *arg)
{
	http_server *s = arg;
	http_conn *c;

	(void)l;
	(void)socklen;
	if (s->n_conns < (size_t)s->o.max_connections) {
		c = conn_new(s, fd, sa, 0);
		if (c)
			conn_phase(c, HTTP_PHASE_IDLE);
		return;
	}
	if (s->n_rejecting >= HTTP_REJECT_SLOTS ||
	    !(c = conn_new(s, fd, sa, 1))) {
		evutil_closesocket(fd);
		return;
	}
	char rid[37], msg[96];
	trace_new_request_id(rid);
	snprintf(msg, sizeof msg, "over %d open connections; retry later",
	         s->o.max_connections);
	conn_phase(c, HTTP_PHASE_HANDLER);
	http_res_header(c, "X-Request-Id", rid);
	http_res_error(c, 503, "unavailable", msg, rid);
}

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
	http_server *s = arg;

	(void)fd;
	(void)what;
	if (s->listener)
		evconnlistener_enable(s->listener);
}

static void accept_error(struct evconnlistener *l, void *arg)
{
	http_server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, HTTP_ACCEPT_PAUSE_MS * 1000};

	/* Out of descriptors: the listener would fire again at once. */
	mesh_log(NULL, MESH_LOG_WARN, NULL, "accept: %s; pausing %d ms",
	         strerror(err), HTTP_ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	evtimer_add(s->resume, &tv);
}

/* Room for every connection the cap allows, or a smaller cap. */
static void fit_descriptors(http_server_opts *o)
{
	struct rlimit rl;
	rlim_t need =
	    (rlim_t)o->max_connections + HTTP_REJECT_SLOTS + HTTP_RESERVED_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need
	                  ? need
	                  : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		long fit =
		    (long)rl.rlim_cur - HTTP_REJECT_SLOTS - HTTP_RESERVED_FDS;
		o->max_connections = fit > 1 ? (int)fit : 1;
		mesh_log(NULL, MESH_LOG_WARN, NULL,
		         "only %ld file descriptors: at most %d connections",
		         (long)rl.rlim_cur, o->max_connections);
	}
}

http_server *http_server_new(struct event_base *base, const char *bind,
                             int port, const http_server_opts *o,
                             http_handler_fn fn, void *arg, char *err,
                             size_t err_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char port_s[16];
	http_server *s;
	int rc;

	snprintf(port_s, sizeof port_s, "%d", port);
	rc = getaddrinfo(bind, port_s, &hints, &ai);
	if (rc != 0) {
		snprintf(err, err_len, "BIND_ADDR \"%s\": %s", bind,
		         gai_strerror(rc));
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		freeaddrinfo(ai);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->base = base;
	s->o = *o;
	s->fn = fn;
	s->arg = arg;
	fit_descriptors(&s->o);
	timeouts_init(s);
	s->resume = evtimer_new(base, accept_resume, s);
	s->listener = evconnlistener_new_bind(
	    base, accept_cb, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!s->listener || !s->resume) {
		snprintf(err, err_len, "cannot listen on %s:%d: %s", bind, port,
		         strerror(errno));
		http_server_free(s);
		return NULL;
	}
	evconnlistener_set_error_cb(s->listener, accept_error);
	return s;
}

void http_server_drain(http_server *s)
{
	http_conn *c, *next;

	s->draining = 1;
	if (s->listener)
		evconnlistener_free(s->listener);
	s->listener = NULL;
	for (c = s->conns; c; c = next) {
		next = c->next;
		switch (c->phase) {
		case HTTP_PHASE_IDLE:
		case HTTP_PHASE_STALLED:
			conn_close(c);
			break;
		case HTTP_PHASE_HEADERS:
		case HTTP_PHASE_BODY:
			/* Started: it is answered, with Connection: close. */
			conn_hold(c);
			break;
		default:
			break;
		}
	}
}

void http_server_free(http_server *s)
{
	if (!s)
		return;
	while (s->conns) {
		http_conn *c = s->conns;
		if (c->phase != HTTP_PHASE_HANDLER) {
			conn_free(c);
			continue;
		}
		/* A handler still holds it, and libmesh completes the calls
		 * it waits for after this (as unavailable): it is freed when
		 * answered. */
		conn_unlink(c);
		c->srv = NULL;
		evtimer_del(c->timer);
		if (c->bev)
			bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->resume)
		event_free(s->resume);
	free(s);
}
