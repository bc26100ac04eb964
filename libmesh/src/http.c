/*
 * http.c: outbound HTTP on libcurl's multi interface, driven by libevent.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); we map both to events on the loop and hand
 * readiness back with curl_multi_socket_action(). Finished transfers come out
 * of curl_multi_info_read(). Nothing here blocks: no curl_easy_perform().
 *
 * A callback runs after its transfer has been removed from the multi handle
 * and unlinked from the client, so it may start new requests on the same
 * client, or even free it.
 */
#include "http.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"

/* Used when opts->timeout_ms <= 0. */
#define HTTP_DEFAULT_TIMEOUT_MS 10000
/* Room for curl's error buffer plus our prefix. */
#define HTTP_MSG_SIZE (CURL_ERROR_SIZE + 64)

struct http_header {
	char *name; /* "name\0value\0" in one allocation */
	const char *value;
};

struct mesh_http_response {
	long status;
	char *body; /* always NUL-terminated once a byte arrived */
	size_t body_len;
	size_t body_cap;
	struct http_header *headers;
	size_t n_headers;
	size_t headers_cap;
};

struct http_transfer {
	http_client *client;
	CURL *easy;
	struct curl_slist *req_headers;
	mesh_http_fn cb;
	void *arg;
	long timeout_ms;
	size_t max_body;
	struct mesh_http_response resp;
	/* Set by our write/header callbacks when they abort the transfer,
	 * so the result names our limit rather than CURLE_WRITE_ERROR. */
	mesh_err abort_err;
	char abort_msg[128];
	char errbuf[CURL_ERROR_SIZE];
	struct http_transfer *prev, *next;
};

/* One per socket curl asks us to watch; its event is reassigned, never
 * recreated, when curl changes the direction it waits for. */
struct http_socket {
	http_client *client;
	curl_socket_t fd;
	struct event *ev;
	struct http_socket *prev, *next;
};

struct http_client {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct http_transfer *transfers; /* in the multi handle, unreported */
	struct http_socket *sockets;
	size_t in_flight;
	size_t max_in_flight;
	size_t max_body;
	int dispatching; /* inside http_dispatch_done's callback loop */
	int closing;     /* http_client_free has started */
};

/* An error reported on the next loop iteration; it holds no pointer to the
 * client, so it stays valid if the client is freed first. */
struct http_deferred {
	mesh_http_fn cb;
	void *arg;
	mesh_err err;
	char msg[HTTP_MSG_SIZE];
};

static void http_deferred_run(void *p)
{
	struct http_deferred *d = p;

	d->cb(d->arg, d->err, d->msg, NULL);
	free(d);
}

static void http_fail_later(mesh_http_fn cb, void *arg, mesh_err err,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void http_fail_later(mesh_http_fn cb, void *arg, mesh_err err,
                            const char *fmt, ...)
{
	struct http_deferred *d = malloc(sizeof *d);
	va_list ap;

	if (!d)
		abort(); /* no way left to report exactly once */
	d->cb = cb;
	d->arg = arg;
	d->err = err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	runtime_defer(http_deferred_run, d);
}

/* ---- Response ----------------------------------------------------------- */

long mesh_http_status(const mesh_http_response *resp)
{
	return resp ? resp->status : 0;
}

const char *mesh_http_body(const mesh_http_response *resp, size_t *len)
{
	if (len)
		*len = resp ? resp->body_len : 0;
	if (!resp)
		return NULL;
	return resp->body ? resp->body : "";
}

const char *mesh_http_header(const mesh_http_response *resp, const char *name)
{
	if (!resp || !name)
		return NULL;
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static void response_clear_headers(struct mesh_http_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++)
		free(r->headers[i].name);
	r->n_headers = 0;
}

static void response_free(struct mesh_http_response *r)
{
	response_clear_headers(r);
	free(r->headers);
	free(r->body);
}

/* ---- curl data callbacks ------------------------------------------------ */

static size_t http_on_body(char *data, size_t size, size_t n, void *p)
{
	struct http_transfer *t = p;
	struct mesh_http_response *r = &t->resp;
	size_t len = size * n;

	if (len > t->max_body - r->body_len) {
		t->abort_err = MESH_ETOOLARGE;
		snprintf(t->abort_msg, sizeof t->abort_msg,
		         "response body over %zu bytes", t->max_body);
		return 0;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 1024;
		char *body;

		while (cap < r->body_len + len + 1)
			cap *= 2;
		body = realloc(r->body, cap);
		if (!body) {
			t->abort_err = MESH_EINTERNAL;
			snprintf(t->abort_msg, sizeof t->abort_msg,
			         "out of memory for the response body");
			return 0;
		}
		r->body = body;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static int http_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* curl hands us one complete header line at a time, status lines included.
 * A new status line starts a new response (after a 100 Continue, say), and
 * only the final response's headers are kept. */
static size_t http_on_header(char *data, size_t size, size_t n, void *p)
{
	struct http_transfer *t = p;
	struct mesh_http_response *r = &t->resp;
	size_t len = size * n, name_len, value_len;
	const char *colon, *value;
	char *entry;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		response_clear_headers(r);
		return len;
	}
	colon = memchr(data, ':', len);
	/* The blank line that ends the headers, an obsolete folded line, or
	 * garbage: nothing a caller could look up. */
	if (!colon || colon == data || http_is_space(data[0]))
		return len;
	if (r->n_headers >= HTTP_MAX_RESPONSE_HEADERS) {
		t->abort_err = MESH_ETOOLARGE;
		snprintf(t->abort_msg, sizeof t->abort_msg,
		         "response has over %d headers",
		         HTTP_MAX_RESPONSE_HEADERS);
		return 0;
	}
	if (r->n_headers == r->headers_cap) {
		size_t cap = r->headers_cap ? r->headers_cap * 2 : 16;
		struct http_header *h = realloc(r->headers, cap * sizeof *h);

		if (!h)
			goto oom;
		r->headers = h;
		r->headers_cap = cap;
	}
	name_len = (size_t)(colon - data);
	while (name_len > 0 && http_is_space(data[name_len - 1]))
		name_len--;
	value = colon + 1;
	value_len = len - (size_t)(value - data);
	while (value_len > 0 && http_is_space(value[0])) {
		value++;
		value_len--;
	}
	while (value_len > 0 && http_is_space(value[value_len - 1]))
		value_len--;
	entry = malloc(name_len + value_len + 2);
	if (!entry)
		goto oom;
	memcpy(entry, data, name_len);
	entry[name_len] = '\0';
	memcpy(entry + name_len + 1, value, value_len);
	entry[name_len + 1 + value_len] = '\0';
	r->headers[r->n_headers].name = entry;
	r->headers[r->n_headers].value = entry + name_len + 1;
	r->n_headers++;
	return len;
oom:
	t->abort_err = MESH_EINTERNAL;
	snprintf(t->abort_msg, sizeof t->abort_msg,
	         "out of memory for the response headers");
	return 0;
}

/* ---- Completion --------------------------------------------------------- */

static void transfer_unlink(struct http_transfer *t)
{
	http_client *c = t->client;

	if (t->prev)
		t->prev->next = t->next;
	else
		c->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	c->in_flight--;
}

static void transfer_free(struct http_transfer *t)
{
	if (t->easy)
		curl_easy_cleanup(t->easy);
	curl_slist_free_all(t->req_headers);
	response_free(&t->resp);
	free(t);
}

static mesh_err http_map_result(struct http_transfer *t, CURLcode rc, char *msg,
                                size_t size)
{
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);

	if (t->abort_err != MESH_OK) {
		snprintf(msg, size, "%s", t->abort_msg);
		return t->abort_err;
	}
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(msg, size, "no response within %ld ms: %s",
		         t->timeout_ms, why);
		return MESH_ETIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(msg, size, "bad url: %s", why);
		return MESH_EINVAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		snprintf(msg, size, "could not connect: %s", why);
		return MESH_EUNAVAILABLE;
	default:
		snprintf(msg, size, "HTTP request failed: %s", why);
		return MESH_EUNAVAILABLE;
	}
}

static void transfer_complete(struct http_transfer *t, CURLcode rc)
{
	char msg[HTTP_MSG_SIZE];

	if (rc == CURLE_OK) {
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
		                  &t->resp.status);
		t->cb(t->arg, MESH_OK, "", &t->resp);
	} else {
		mesh_err err = http_map_result(t, rc, msg, sizeof msg);

		t->cb(t->arg, err, msg, NULL);
	}
	transfer_free(t);
}

static void client_destroy(http_client *c);

/* Reports every finished transfer. Each is out of the multi handle and off
 * our list before its callback runs, so the callback may start requests
 * (curl accepts new handles anywhere but inside its own callbacks, and we
 * are not in one) or free the client, which then goes once the loop ends. */
static void http_dispatch_done(http_client *c)
{
	CURLMsg *m;
	int left;

	c->dispatching = 1;
	while (!c->closing && (m = curl_multi_info_read(c->multi, &left))) {
		struct http_transfer *t;
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is invalid once the handle is removed: copied above. */
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		t = (void *)priv;
		curl_multi_remove_handle(c->multi, easy);
		transfer_unlink(t);
		transfer_complete(t, rc);
	}
	c->dispatching = 0;
	if (c->closing)
		client_destroy(c);
}

/* ---- curl <-> libevent -------------------------------------------------- */

static void http_on_socket_event(evutil_socket_t fd, short what, void *p)
{
	http_client *c = p;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, action, &running);
	http_dispatch_done(c);
}

static void http_on_timer(evutil_socket_t fd, short what, void *p)
{
	http_client *c = p;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_dispatch_done(c);
}

/* CURLMOPT_TIMERFUNCTION: curl must not be driven from inside its own
 * callback, so even a zero timeout goes through the loop. */
static int http_curl_timer(CURLM *multi, long timeout_ms, void *p)
{
	http_client *c = p;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(c->timer, &tv) == 0 ? 0 : -1;
}

static void http_socket_drop(struct http_socket *s)
{
	http_client *c = s->client;

	if (s->prev)
		s->prev->next = s->next;
	else
		c->sockets = s->next;
	if (s->next)
		s->next->prev = s->prev;
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what curl waits on. */
static int http_curl_socket(CURL *easy, curl_socket_t fd, int what, void *p,
                            void *sockp)
{
	http_client *c = p;
	struct http_socket *s = sockp;
	short kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s)
			http_socket_drop(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return -1;
		s->ev = event_new(c->base, fd, kind, http_on_socket_event, c);
		if (!s->ev) {
			free(s);
			return -1;
		}
		s->client = c;
		s->fd = fd;
		s->next = c->sockets;
		if (c->sockets)
			c->sockets->prev = s;
		c->sockets = s;
		curl_multi_assign(c->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, c->base, fd, kind, http_on_socket_event, c);
	}
	return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

/* ---- Client ------------------------------------------------------------- */

static int curl_ready;

http_client *http_client_new(struct event_base *base)
{
	http_client *c;

	/* Once per process: curl_global_init is not cheap (TLS setup) and is
	 * reference counted, so the matching cleanup runs at exit. */
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		atexit(curl_global_cleanup);
		curl_ready = 1;
	}
	if (!base)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->base = base;
	c->max_in_flight = HTTP_MAX_IN_FLIGHT;
	c->max_body = HTTP_MAX_RESPONSE_BODY;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, http_on_timer, c);
	if (!c->multi || !c->timer) {
		client_destroy(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, http_curl_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, http_curl_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	                  (long)HTTP_MAX_IDLE_CONNECTIONS);
	return c;
}

static void client_destroy(http_client *c)
{
	if (c->multi)
		curl_multi_cleanup(c->multi);
	/* curl normally says CURL_POLL_REMOVE for each socket as it closes
	 * its connections; whatever it did not is dropped here. */
	while (c->sockets)
		http_socket_drop(c->sockets);
	if (c->timer)
		event_free(c->timer);
	free(c);
}

void http_client_free(http_client *c)
{
	if (!c || c->closing)
		return;
	c->closing = 1;
	while (c->transfers) {
		struct http_transfer *t = c->transfers;

		curl_multi_remove_handle(c->multi, t->easy);
		transfer_unlink(t);
		t->cb(t->arg, MESH_EUNAVAILABLE, "client closed", NULL);
		transfer_free(t);
	}
	/* Freed from inside a callback: the dispatch loop that called it
	 * finishes the job once it unwinds. */
	if (c->dispatching)
		return;
	client_destroy(c);
}

size_t http_client_in_flight(const http_client *c)
{
	return c ? c->in_flight : 0;
}

void http_client_set_max_in_flight(http_client *c, size_t n)
{
	if (c)
		c->max_in_flight = n;
}

void http_client_set_max_body(http_client *c, size_t bytes)
{
	if (c)
		c->max_body = bytes;
}

/* ---- Request ------------------------------------------------------------ */

/* Methods and header names are HTTP tokens (RFC 9110 5.6.2): they go on
 * the wire verbatim, so a space or CR/LF in one would let a caller forge a
 * request. */
static int http_token_ok(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] >= 127 ||
		    strchr("()<>@,;:\\\"/[]?={}", s[i]))
			return 0;
	return 1;
}

/* Returns 0, or -1 with why in msg. */
static int http_check_url(const char *url, char *msg, size_t size)
{
	CURLU *u = curl_url();
	CURLUcode rc;
	char *scheme = NULL;
	int ok = -1;

	if (!u) {
		snprintf(msg, size, "url: out of memory");
		return -1;
	}
	rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc != CURLUE_OK)
		snprintf(msg, size, "url: %s", curl_url_strerror(rc));
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		snprintf(msg, size, "url: no scheme");
	else if (strcasecmp(scheme, "http") != 0 &&
	         strcasecmp(scheme, "https") != 0)
		snprintf(msg, size, "url: scheme %s not allowed (http, https)",
		         scheme);
	else
		ok = 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

/* Returns 0, or -1 with why in msg. */
static int http_check_opts(const mesh_http_opts *o, char *msg, size_t size)
{
	if (!o) {
		snprintf(msg, size, "no request options");
		return -1;
	}
	if (!o->url) {
		snprintf(msg, size, "url: missing");
		return -1;
	}
	if (http_check_url(o->url, msg, size) != 0)
		return -1;
	if (o->method && !http_token_ok(o->method, strlen(o->method))) {
		snprintf(msg, size, "method: not an HTTP token");
		return -1;
	}
	if (o->body_len > 0 && !o->body) {
		snprintf(msg, size, "body: NULL with body_len %zu",
		         o->body_len);
		return -1;
	}
	for (size_t i = 0; o->headers && o->headers[i]; i++) {
		const char *h = o->headers[i];
		const char *colon = strchr(h, ':');

		if (!colon || !http_token_ok(h, (size_t)(colon - h)) ||
		    strpbrk(h, "\r\n")) {
			snprintf(
			    msg, size,
			    "header %zu: expected one \"Name: value\" line", i);
			return -1;
		}
	}
	return 0;
}

static int http_has_header(const mesh_http_opts *o, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; o->headers && o->headers[i]; i++)
		if (strncasecmp(o->headers[i], name, len) == 0 &&
		    o->headers[i][len] == ':')
			return 1;
	return 0;
}

static CURLcode transfer_setup(struct http_transfer *t, const mesh_http_opts *o)
{
	CURL *e = t->easy;
	const char *method = o->method ? o->method : "GET";
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                          \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = curl_easy_setopt(e, opt, val);                    \
	} while (0)

	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TIMEOUT_MS, t->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, t->timeout_ms);
	SET(CURLOPT_USERAGENT, "leadmesh");
	SET(CURLOPT_WRITEFUNCTION, http_on_body);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, http_on_header);
	SET(CURLOPT_HEADERDATA, t);
	if (o->body || strcmp(method, "POST") == 0) {
		/* COPYPOSTFIELDS copies body_len bytes (binary safe) because
		 * the size is set first. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		SET(CURLOPT_COPYPOSTFIELDS, o->body ? o->body : "");
	}
	if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") != 0 &&
	         (strcmp(method, "GET") != 0 || o->body))
		SET(CURLOPT_CUSTOMREQUEST, method);
#undef SET
	if (rc != CURLE_OK)
		return rc;

	for (size_t i = 0; o->headers && o->headers[i]; i++) {
		struct curl_slist *l =
		    curl_slist_append(t->req_headers, o->headers[i]);

		if (!l)
			return CURLE_OUT_OF_MEMORY;
		t->req_headers = l;
	}
	/* curl would wait up to a second for "100 Continue" before sending a
	 * body over 1 KiB; APIs we call do not need the round trip. */
	if (!http_has_header(o, "Expect")) {
		struct curl_slist *l =
		    curl_slist_append(t->req_headers, "Expect:");

		if (!l)
			return CURLE_OUT_OF_MEMORY;
		t->req_headers = l;
	}
	return curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->req_headers);
}

void http_client_request(http_client *c, const mesh_http_opts *opts,
                         mesh_http_fn cb, void *arg)
{
	struct http_transfer *t;
	char msg[HTTP_MSG_SIZE];
	CURLcode rc;
	CURLMcode mrc;

	/* Without a callback nobody could learn the outcome: nothing to do. */
	if (!cb)
		return;
	if (!c) {
		http_fail_later(cb, arg, MESH_EINVAL, "no HTTP client");
		return;
	}
	if (c->closing) {
		http_fail_later(cb, arg, MESH_EUNAVAILABLE, "client closed");
		return;
	}
	if (http_check_opts(opts, msg, sizeof msg) != 0) {
		http_fail_later(cb, arg, MESH_EINVAL, "%s", msg);
		return;
	}
	if (c->in_flight >= c->max_in_flight) {
		http_fail_later(cb, arg, MESH_EUNAVAILABLE,
		                "too many HTTP requests in flight (max %zu)",
		                c->max_in_flight);
		return;
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		http_fail_later(cb, arg, MESH_EINTERNAL, "out of memory");
		return;
	}
	t->client = c;
	t->cb = cb;
	t->arg = arg;
	t->max_body = c->max_body;
	t->timeout_ms = opts->timeout_ms > 0 ? (long)opts->timeout_ms
	                                     : HTTP_DEFAULT_TIMEOUT_MS;
	t->easy = curl_easy_init();
	rc = t->easy ? transfer_setup(t, opts) : CURLE_FAILED_INIT;
	if (rc != CURLE_OK) {
		http_fail_later(cb, arg, MESH_EINTERNAL,
		                "could not set up the HTTP request: %s",
		                curl_easy_strerror(rc));
		transfer_free(t);
		return;
	}
	mrc = curl_multi_add_handle(c->multi, t->easy);
	if (mrc != CURLM_OK) {
		http_fail_later(cb, arg, MESH_EINTERNAL,
		                "could not start the HTTP request: %s",
		                curl_multi_strerror(mrc));
		transfer_free(t);
		return;
	}
	t->next = c->transfers;
	if (c->transfers)
		c->transfers->prev = t;
	c->transfers = t;
	c->in_flight++;
}
