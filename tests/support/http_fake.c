/*
 * http_fake.c: see http_fake.h.
 *
 * Threading: the server thread owns the event_base and everything libevent;
 * the test thread never calls libevent while the server runs (libevent is
 * not built thread-aware here). The two share only the script and the
 * records, under one mutex, and the write end of a pipe that tells the loop
 * to stop.
 */
#include "http_fake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct fake_reply {
	struct fake_reply *next;
	char *path; /* NULL: any path */
	int status;
	char *headers;
	char *body;
	int delay_ms;
};

struct fake_hang {
	struct fake_hang *next;
	char *path; /* NULL: every path */
};

/* A request answered later (delay) or never (hang). Server thread only. */
struct fake_pending {
	struct fake_pending *prev, *next;
	http_fake *fake;
	struct evhttp_request *req;
	struct event *timer;      /* NULL for a hang */
	struct fake_reply *reply; /* NULL for a hang */
};

struct fake_record {
	http_fake_req pub; /* points into the fields below */
	char *method;
	char *path;
	char **names;
	char **values;
	char *body;
};

struct http_fake {
	struct event_base *base;
	struct evhttp *http;
	struct event *wake;
	int wake_fd[2];
	pthread_t thread;
	int port;
	struct fake_pending *pending;

	pthread_mutex_t mu;
	pthread_cond_t arrived;
	struct fake_reply *replies, *replies_tail;
	struct fake_hang *hangs;
	struct fake_record **records;
	size_t n_records;
	size_t records_cap;
};

static int64_t fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *fake_strdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		abort(); /* test support: no memory is not a test result */
	return d;
}

static void *fake_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static const char *fake_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	}
	return "?";
}

static struct fake_record *fake_record_new(struct evhttp_request *req)
{
	struct fake_record *r = fake_calloc(1, sizeof *r);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	struct evkeyval *kv;
	size_t n = 0, len = evbuffer_get_length(body);

	r->method =
	    fake_strdup(fake_method_name(evhttp_request_get_command(req)));
	r->path = fake_strdup(evhttp_request_get_uri(req));
	for (kv = in->tqh_first; kv; kv = kv->next.tqe_next)
		n++;
	r->names = fake_calloc(n, sizeof *r->names);
	r->values = fake_calloc(n, sizeof *r->values);
	n = 0;
	for (kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		r->names[n] = fake_strdup(kv->key);
		r->values[n] = fake_strdup(kv->value);
		n++;
	}
	r->body = fake_calloc(len + 1, 1);
	evbuffer_copyout(body, r->body, len);

	r->pub.method = r->method;
	r->pub.path = r->path;
	r->pub.n_headers = n;
	r->pub.header_names = (const char *const *)r->names;
	r->pub.header_values = (const char *const *)r->values;
	r->pub.body = r->body;
	r->pub.body_len = len;
	r->pub.at_ms = fake_now_ms();
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (conn) {
		char *addr = NULL;
		ev_uint16_t port = 0;
		evhttp_connection_get_peer(conn, &addr, &port);
		r->pub.peer_port = port;
	}
	return r;
}

static void fake_record_free(struct fake_record *r)
{
	for (size_t i = 0; i < r->pub.n_headers; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
	free(r->method);
	free(r->path);
	free(r->body);
	free(r);
}

static void fake_reply_free(struct fake_reply *r)
{
	if (!r)
		return;
	free(r->path);
	free(r->headers);
	free(r->body);
	free(r);
}

static int fake_path_matches(const char *want, const char *path)
{
	return !want || strcmp(want, path) == 0;
}

/* Under f->mu. Returns 1 when the request must hang, else 0 with the reply
 * taken off the queue in *out (NULL: the default reply). */
static int fake_choose(http_fake *f, const char *path, struct fake_reply **out)
{
	struct fake_reply **pp, **any = NULL;

	*out = NULL;
	for (struct fake_hang *h = f->hangs; h; h = h->next)
		if (fake_path_matches(h->path, path))
			return 1;
	for (pp = &f->replies; *pp; pp = &(*pp)->next) {
		if ((*pp)->path && strcmp((*pp)->path, path) == 0)
			break;
		if (!(*pp)->path && !any)
			any = pp;
	}
	if (!*pp)
		pp = any;
	if (pp && *pp) {
		struct fake_reply *r = *pp;

		*pp = r->next;
		r->next = NULL;
		/* Find the new tail: a script is a handful of replies. */
		f->replies_tail = NULL;
		for (struct fake_reply *t = f->replies; t; t = t->next)
			f->replies_tail = t;
		*out = r;
	}
	return 0;
}

/* Sends r (NULL: 200 "ok"). A request whose client went away has no
 * connection left; evhttp_send_reply then only frees it, which is what we
 * want. */
static void fake_send(struct evhttp_request *req, const struct fake_reply *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	if (!buf)
		abort();
	if (!r) {
		evhttp_add_header(out, "Content-Type", "text/plain");
		evbuffer_add(buf, "ok", 2);
		evhttp_send_reply(req, 200, NULL, buf);
		evbuffer_free(buf);
		return;
	}
	for (const char *line = r->headers; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		if (colon) {
			char *name = strndup(line, (size_t)(colon - line));
			const char *v = colon + 1;
			size_t vlen = len - (size_t)(v - line);
			char *value;

			while (vlen && (*v == ' ' || *v == '\t')) {
				v++;
				vlen--;
			}
			while (vlen &&
			       (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
				vlen--;
			value = strndup(v, vlen);
			if (!name || !value)
				abort();
			evhttp_add_header(out, name, value);
			free(name);
			free(value);
		}
		line = end ? end + 1 : line + len;
	}
	if (r->body)
		evbuffer_add(buf, r->body, strlen(r->body));
	evhttp_send_reply(req, r->status, NULL, buf);
	evbuffer_free(buf);
}

static void fake_pending_unlink(struct fake_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		p->fake->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
}

static void fake_pending_free(struct fake_pending *p)
{
	if (p->timer)
		event_free(p->timer);
	fake_reply_free(p->reply);
	free(p);
}

static void fake_on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct fake_pending *p = arg;

	(void)fd;
	(void)what;
	fake_pending_unlink(p);
	fake_send(p->req, p->reply);
	fake_pending_free(p);
}

static void fake_hold(http_fake *f, struct evhttp_request *req,
                      struct fake_reply *reply)
{
	struct fake_pending *p = fake_calloc(1, sizeof *p);

	p->fake = f;
	p->req = req;
	p->reply = reply;
	if (reply) {
		struct timeval tv = {reply->delay_ms / 1000,
		                     (reply->delay_ms % 1000) * 1000};

		p->timer = evtimer_new(f->base, fake_on_delay, p);
		if (!p->timer || evtimer_add(p->timer, &tv) != 0)
			abort();
	}
	p->next = f->pending;
	if (f->pending)
		f->pending->prev = p;
	f->pending = p;
}

static void fake_on_request(struct evhttp_request *req, void *arg)
{
	http_fake *f = arg;
	struct fake_record *rec = fake_record_new(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct fake_reply *reply;
	int hang;

	if (!path || !*path)
		path = "/";
	pthread_mutex_lock(&f->mu);
	if (f->n_records == f->records_cap) {
		size_t cap = f->records_cap ? f->records_cap * 2 : 64;
		struct fake_record **r =
		    realloc(f->records, cap * sizeof *f->records);

		if (!r)
			abort();
		f->records = r;
		f->records_cap = cap;
	}
	f->records[f->n_records++] = rec;
	pthread_cond_broadcast(&f->arrived);
	hang = fake_choose(f, path, &reply);
	pthread_mutex_unlock(&f->mu);

	if (hang || (reply && reply->delay_ms > 0)) {
		fake_hold(f, req, reply);
		return;
	}
	fake_send(req, reply);
	fake_reply_free(reply);
}

static void fake_on_wake(evutil_socket_t fd, short what, void *arg)
{
	http_fake *f = arg;
	char c;

	(void)what;
	while (read(fd, &c, 1) > 0)
		;
	event_base_loopbreak(f->base);
}

static void *fake_run(void *arg)
{
	http_fake *f = arg;

	event_base_loop(f->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Frees what start and the loop built; the thread is gone (or never ran). */
static void fake_free(http_fake *f)
{
	/* Unanswered requests get an answer, or are freed when their client
	 * already left; evhttp_free then frees the connections. */
	while (f->pending) {
		struct fake_pending *p = f->pending;
		struct fake_reply stopped = {.status = 503,
		                             .body = (char *)"fake stopped"};

		fake_pending_unlink(p);
		fake_send(p->req, &stopped);
		fake_pending_free(p);
	}
	if (f->http)
		evhttp_free(f->http);
	if (f->wake)
		event_free(f->wake);
	if (f->base)
		event_base_free(f->base);
	for (int i = 0; i < 2; i++)
		if (f->wake_fd[i] >= 0)
			close(f->wake_fd[i]);
	while (f->replies) {
		struct fake_reply *r = f->replies;

		f->replies = r->next;
		fake_reply_free(r);
	}
	while (f->hangs) {
		struct fake_hang *h = f->hangs;

		f->hangs = h->next;
		free(h->path);
		free(h);
	}
	for (size_t i = 0; i < f->n_records; i++)
		fake_record_free(f->records[i]);
	free(f->records);
	pthread_cond_destroy(&f->arrived);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

http_fake *http_fake_start(void)
{
	http_fake *f = fake_calloc(1, sizeof *f);
	pthread_condattr_t ca;
	struct evhttp_bound_socket *sock;
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;

	f->wake_fd[0] = f->wake_fd[1] = -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->arrived, &ca);
	pthread_condattr_destroy(&ca);

	f->base = event_base_new();
	f->http = f->base ? evhttp_new(f->base) : NULL;
	if (!f->http || pipe2(f->wake_fd, O_NONBLOCK | O_CLOEXEC) != 0) {
		fprintf(stderr, "http_fake: setup failed: %s\n",
		        strerror(errno));
		goto fail;
	}
	f->wake = event_new(f->base, f->wake_fd[0], EV_READ | EV_PERSIST,
	                    fake_on_wake, f);
	if (!f->wake || event_add(f->wake, NULL) != 0)
		goto fail;
	evhttp_set_allowed_methods(
	    f->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* Scripted replies carry exactly their scripted headers. */
	evhttp_set_default_content_type(f->http, NULL);
	evhttp_set_gencb(f->http, fake_on_request, f);
	sock = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
	if (!sock || getsockname(evhttp_bound_socket_get_fd(sock),
	                         (struct sockaddr *)&sin, &slen) != 0) {
		fprintf(stderr, "http_fake: cannot listen on 127.0.0.1: %s\n",
		        strerror(errno));
		goto fail;
	}
	f->port = ntohs(sin.sin_port);
	if (pthread_create(&f->thread, NULL, fake_run, f) != 0) {
		fprintf(stderr, "http_fake: cannot start its thread\n");
		goto fail;
	}
	return f;
fail:
	fake_free(f);
	return NULL;
}

void http_fake_stop(http_fake *f)
{
	if (!f)
		return;
	while (write(f->wake_fd[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(f->thread, NULL);
	fake_free(f);
}

int http_fake_port(const http_fake *f)
{
	return f->port;
}

char *http_fake_url(const http_fake *f, const char *path)
{
	char *url;

	if (asprintf(&url, "http://127.0.0.1:%d%s", f->port,
	             path ? path : "/") < 0)
		abort();
	return url;
}

int http_fake_push(http_fake *f, const char *path, int status,
                   const char *headers, const char *body, int delay_ms)
{
	struct fake_reply *r;

	for (const char *line = headers; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		if (len > 0 && !(len == 1 && line[0] == '\r') &&
		    (!colon || colon == line)) {
			fprintf(stderr,
			        "http_fake_push: bad header line %.*s\n",
			        (int)len, line);
			return -1;
		}
		line = end ? end + 1 : line + len;
	}
	r = fake_calloc(1, sizeof *r);
	r->path = fake_strdup(path);
	r->status = status;
	r->headers = fake_strdup(headers);
	r->body = fake_strdup(body);
	r->delay_ms = delay_ms;
	pthread_mutex_lock(&f->mu);
	if (f->replies_tail)
		f->replies_tail->next = r;
	else
		f->replies = r;
	f->replies_tail = r;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

void http_fake_hang(http_fake *f, const char *path)
{
	struct fake_hang *h = fake_calloc(1, sizeof *h);

	h->path = fake_strdup(path);
	pthread_mutex_lock(&f->mu);
	h->next = f->hangs;
	f->hangs = h;
	pthread_mutex_unlock(&f->mu);
}

size_t http_fake_count(http_fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->n_records;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int http_fake_wait(http_fake *f, size_t n, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->mu);
	while (f->n_records < n && rc == 0)
		rc = pthread_cond_timedwait(&f->arrived, &f->mu, &deadline);
	rc = f->n_records >= n ? 0 : -1;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

const http_fake_req *http_fake_get(http_fake *f, size_t i)
{
	const http_fake_req *r = NULL;

	pthread_mutex_lock(&f->mu);
	if (i < f->n_records)
		r = &f->records[i]->pub;
	pthread_mutex_unlock(&f->mu);
	return r;
}

const char *http_fake_req_header(const http_fake_req *r, const char *name)
{
	for (size_t i = 0; r && name && i < r->n_headers; i++)
		if (strcasecmp(r->header_names[i], name) == 0)
			return r->header_values[i];
	return NULL;
}

int http_fake_refused_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int port = -1;

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}
