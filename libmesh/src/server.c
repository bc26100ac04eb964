#include "server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "frame.h"
#include "req.h"

typedef struct server_conn {
	server *srv;
	conn *c;
	mesh_req *reqs; /* in flight on this connection */
	size_t in_flight;
	struct server_conn *prev, *next;
} server_conn;

struct server {
	struct event_base *base;
	server_lookup_fn lookup;
	struct evconnlistener *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	server_conn *conns;
	size_t n_conns;
	size_t in_flight; /* includes requests whose connection has gone */
	int draining;
	int grace_over; /* clients had their time to act on GOAWAY */
	struct event *grace_timer;
	struct event *drain_timer;
	/* The first drained check, from the loop: our own event, not a
	 * shared deferral, so that server_free can cancel it (a SIGTERM just
	 * after start could stop the loop before it ran). */
	struct event *drain_check;
	void (*drain_done)(void *);
	void *drain_arg;
};

static void server_check_drained(server *s);

static void send_error(conn *c, uint64_t id, mesh_err err, const char *msg)
{
	json_t *body =
	    json_pack("{s:s, s:s}", "code", mesh_strerror(err), "message", msg);
	char *text = json_dumps(body, JSON_COMPACT);
	frame f = {.type = FRAME_ERROR, .id = id};

	json_decref(body);
	if (!text)
		return;
	f.payload = text;
	f.payload_len = strlen(text);
	conn_send(c, &f);
	free(text);
}

static void send_reply(conn *c, uint64_t id, json_t *result)
{
	char *text = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY |
	                                    JSON_REAL_PRECISION(12));
	frame f = {.type = FRAME_REPLY, .id = id};

	if (!text) {
		send_error(c, id, MESH_EINTERNAL, "reply is not serialisable");
		return;
	}
	f.payload = text;
	f.payload_len = strlen(text);
	if (conn_send(c, &f) == -2)
		send_error(c, id, MESH_ETOOLARGE,
		           "reply is over the frame "
		           "size limit");
	free(text);
}

static void conn_unlink_req(server_conn *sc, mesh_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		sc->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	sc->in_flight--;
}

/* The outcome of a request that came over a connection. */
static void server_finish(mesh_req *r, mesh_err err, const char *msg,
                          json_t *result)
{
	server_conn *sc = r->owner;
	server *s = sc->srv;

	conn_unlink_req(sc, r);
	r->owner = NULL;
	if (r->kind == REQ_CALL) {
		if (err == MESH_OK)
			send_reply(sc->c, r->wire_id, result);
		else
			send_error(sc->c, r->wire_id, err, msg);
	} else if (err != MESH_OK) {
		mesh_log(r, MESH_LOG_WARN, NULL, "one-way %s failed: %s: %s",
		         r->method, mesh_strerror(err), msg);
	}
	s->in_flight--;
	if (s->grace_over && sc->in_flight == 0)
		conn_close_flushed(sc->c, "drained");
	if (s->draining)
		server_check_drained(s);
}

/* The request outlived its connection; its outcome still ends the
 * in-flight count the drain waits for. */
static void server_finish_orphan(mesh_req *r, mesh_err err, const char *msg,
                                 json_t *result)
{
	server *s = r->owner;

	(void)err;
	(void)msg;
	(void)result;
	s->in_flight--;
	if (s->draining)
		server_check_drained(s);
}

static void server_request(server_conn *sc, const frame *f)
{
	server *s = sc->srv;
	int oneway = f->type == FRAME_ONEWAY;
	char method[256];
	json_error_t jerr;

	if (sc->in_flight >= config_get()->max_in_flight) {
		if (!oneway)
			send_error(sc->c, f->id, MESH_EUNAVAILABLE,
			           "too many requests in flight");
		return;
	}
	memcpy(method, f->method, f->method_len);
	method[f->method_len] = '\0';
	mesh_handler_fn fn = s->lookup(method);
	if (!fn) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s has no method \"%s\"",
		         mesh_service_name(), method);
		if (!oneway)
			send_error(sc->c, f->id, MESH_ENOTFOUND, msg);
		return;
	}
	json_t *args =
	    json_loadb(f->payload, f->payload_len,
	               JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!args) {
		char msg[300];
		snprintf(msg, sizeof msg,
		         "invalid JSON at line %d column %d: "
		         "%s",
		         jerr.line, jerr.column, jerr.text);
		if (!oneway)
			send_error(sc->c, f->id, MESH_EINVAL, msg);
		return;
	}
	mesh_req *r = req_new(
	    oneway ? REQ_ONEWAY : REQ_CALL, f->method, f->method_len, f->caller,
	    f->caller_len, f->request_id, f->request_id_len, f->traceparent,
	    f->traceparent_len, f->deadline_ms, server_finish, sc);
	if (!r) {
		json_decref(args);
		if (!oneway)
			send_error(sc->c, f->id, MESH_EUNAVAILABLE,
			           "out of memory");
		return;
	}
	r->wire_id = f->id;
	r->next = sc->reqs;
	if (sc->reqs)
		sc->reqs->prev = r;
	sc->reqs = r;
	sc->in_flight++;
	s->in_flight++;
	req_run(r, fn, args);
}

static void server_on_frame(conn *c, const frame *f, void *arg)
{
	server_conn *sc = arg;

	switch (f->type) {
	case FRAME_REQUEST:
	case FRAME_ONEWAY:
		server_request(sc, f);
		break;
	case FRAME_PING: {
		frame pong = {.type = FRAME_PONG, .id = f->id};
		conn_send(c, &pong);
		break;
	}
	default:
		/* Replies, pongs and goaways only travel to clients: a peer
		 * that sends one here does not speak the protocol. */
		conn_close(c, "unexpected frame type from client");
		break;
	}
}

static void server_on_close(conn *c, const char *why, void *arg)
{
	server_conn *sc = arg;
	server *s = sc->srv;

	(void)c;
	(void)why;
	/* Handlers still running keep their request; its outcome now only
	 * settles the in-flight count. */
	while (sc->reqs) {
		mesh_req *r = sc->reqs;
		conn_unlink_req(sc, r);
		r->finish = server_finish_orphan;
		r->owner = s;
	}
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		s->conns = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	s->n_conns--;
	free(sc);
	if (s->draining)
		server_check_drained(s);
}

static const conn_handlers server_conn_handlers = {
    .on_frame = server_on_frame,
    .on_close = server_on_close,
};

static void server_accept(struct evconnlistener *l, evutil_socket_t fd,
                          struct sockaddr *sa, int salen, void *arg)
{
	server *s = arg;
	server_conn *sc;

	(void)l;
	(void)sa;
	(void)salen;
	if (s->draining || s->n_conns >= SERVER_MAX_CONNECTIONS ||
	    !(sc = calloc(1, sizeof *sc))) {
		evutil_closesocket(fd);
		return;
	}
	sc->srv = s;
	sc->c = conn_accept(s->base, fd, config_get()->max_frame,
	                    &server_conn_handlers, sc);
	if (!sc->c) {
		free(sc);
		return;
	}
	sc->next = s->conns;
	if (s->conns)
		s->conns->prev = sc;
	s->conns = sc;
	s->n_conns++;
}

server *server_new(struct event_base *base, server_lookup_fn lookup)
{
	server *s = calloc(1, sizeof *s);

	if (s) {
		s->base = base;
		s->lookup = lookup;
	}
	return s;
}

/* systemd's socket-activation contract, which meshd follows on deploy. */
static int inherited_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int listen_unix(server *s, const char *service, char *err,
                       size_t err_len)
{
	const config *cfg = config_get();
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char tmp[sizeof sun.sun_path];
	int fd;

	if (mkdir(cfg->run_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "%s: %s", cfg->run_dir, strerror(errno));
		return -1;
	}
	if (mkdir(cfg->sock_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "%s: %s", cfg->sock_dir,
		         strerror(errno));
		return -1;
	}
	int n = snprintf(s->path, sizeof s->path, "%s/%s.sock", cfg->sock_dir,
	                 service);
	int m = snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", cfg->sock_dir,
	                 service, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof s->path || m < 0 ||
	    (size_t)m >= sizeof tmp) {
		snprintf(err, err_len,
		         "socket path under %s is longer than %zu bytes: "
		         "choose a shorter MESH_RUN_DIR",
		         cfg->sock_dir, sizeof tmp - 1);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sun.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	/* Bind a private name, then rename it over the public one: clients
	 * always find a socket there, the old instance's or ours. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    chmod(tmp, 0660) != 0 || listen(fd, 1024) != 0 ||
	    rename(tmp, s->path) != 0) {
		snprintf(err, err_len, "%s: %s", s->path, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

static int listen_tcp(const char *addr, char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	int sslen = sizeof ss, one = 1;
	int fd;

	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen)) {
		snprintf(
		    err, err_len,
		    "MESH_LISTEN: expected tcp://ip:port, got \"tcp://%s\"",
		    addr);
		return -1;
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 ||
	    listen(fd, 1024) != 0) {
		snprintf(err, err_len, "MESH_LISTEN %s: %s", addr,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int server_listen(server *s, const char *service, char *err, size_t err_len)
{
	const char *listen_on = config_get()->listen;
	int fd = inherited_fd();

	if (fd < 0 && strncmp(listen_on, "tcp://", 6) == 0)
		fd = listen_tcp(listen_on + 6, err, err_len);
	else if (fd < 0 && *listen_on) {
		snprintf(err, err_len,
		         "MESH_LISTEN: expected tcp://ip:port, got \"%s\"",
		         listen_on);
		return -1;
	} else if (fd < 0)
		fd = listen_unix(s, service, err, err_len);
	if (fd < 0)
		return -1;
	evutil_make_socket_nonblocking(fd);
	s->listener = evconnlistener_new(s->base, server_accept, s,
	                                 LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (!s->listener) {
		snprintf(err, err_len, "cannot listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

const char *server_path(const server *s)
{
	return s->path;
}

static void server_drain_finish(server *s)
{
	void (*done)(void *) = s->drain_done;

	s->drain_done = NULL;
	if (s->drain_timer)
		event_del(s->drain_timer);
	if (done)
		done(s->drain_arg);
}

static void server_check_drained(server *s)
{
	if (s->drain_done && s->in_flight == 0 && s->n_conns == 0)
		server_drain_finish(s);
}

static void server_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_drain_finish(arg);
}

/* A client that is busy elsewhere may not read the GOAWAY for a while;
 * once it has had time to, idle connections are closed from here, busy
 * ones as their last reply leaves. */
static void server_grace_over(evutil_socket_t fd, short what, void *arg)
{
	server *s = arg;

	(void)fd;
	(void)what;
	s->grace_over = 1;
	for (server_conn *sc = s->conns; sc; sc = sc->next)
		if (sc->in_flight == 0)
			conn_close_flushed(sc->c, "drained");
}

static void server_drain_check_run(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	server_check_drained(arg);
}

void server_drain(server *s, int64_t drain_ms, void (*done)(void *), void *arg)
{
	frame goaway = {.type = FRAME_GOAWAY};
	struct timeval tv = {drain_ms / 1000, (drain_ms % 1000) * 1000};

	if (s->draining)
		return;
	s->draining = 1;
	s->drain_done = done;
	s->drain_arg = arg;
	if (s->listener) {
		evconnlistener_free(s->listener);
		s->listener = NULL;
	}
	/* The socket file stays: while no one listens, connects are refused
	 * and clients retry within their deadline, so a restart looks like
	 * latency. A deploy's new instance has renamed its own over it. */
	/* Clients finish what they sent and then close; requests that crossed
	 * the GOAWAY on the wire are still answered. */
	for (server_conn *sc = s->conns; sc; sc = sc->next)
		conn_send(sc->c, &goaway);
	s->drain_timer = evtimer_new(s->base, server_drain_timeout, s);
	if (s->drain_timer)
		evtimer_add(s->drain_timer, &tv);
	s->grace_timer = evtimer_new(s->base, server_grace_over, s);
	if (s->grace_timer) {
		struct timeval grace = {0, SERVER_GOAWAY_GRACE_MS * 1000};
		evtimer_add(s->grace_timer, &grace);
	}
	s->drain_check = evtimer_new(s->base, server_drain_check_run, s);
	/* As runtime_defer: out of memory is not recoverable here. */
	if (!s->drain_check)
		abort();
	struct timeval now = {0, 0};
	evtimer_add(s->drain_check, &now);
}

void server_free(server *s)
{
	if (!s)
		return;
	/* Connections left after a drain timed out: their handlers keep
	 * running to no one. */
	while (s->conns) {
		server_conn *sc = s->conns;
		s->conns = sc->next;
		while (sc->reqs) {
			mesh_req *r = sc->reqs;
			conn_unlink_req(sc, r);
			req_orphan(r);
		}
		conn_destroy(sc->c);
		free(sc);
	}
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->drain_timer)
		event_free(s->drain_timer);
	if (s->grace_timer)
		event_free(s->grace_timer);
	if (s->drain_check)
		event_free(s->drain_check);
	free(s);
}

size_t server_connections(const server *s)
{
	return s->n_conns;
}

size_t server_in_flight(const server *s)
{
	return s->in_flight;
}
