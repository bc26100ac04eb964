/*
 * kv.c: one Redis connection on the libevent loop (hiredis async), with
 * reconnect, fail-fast while down, and replies as JSON.
 *
 * hiredis lifetime rules this file is built around:
 *  - a redisAsyncContext frees itself after its disconnect (or failed
 *    connect) callback returns: we only forget the pointer there;
 *  - redisAsyncFree() called from inside a reply callback is deferred by
 *    hiredis until the callback returns, so user code may call kv_free()
 *    from a reply callback as long as we touch nothing after it;
 *  - on a disconnect hiredis runs every pending reply callback with a NULL
 *    reply while it tears the context down. We never run user code there:
 *    those commands move to a "failing" list reported on the next loop
 *    iteration, like every other immediate error.
 */
#include "kv.h"

#include <adapters/libevent.h>
#include <async.h>
#include <event2/event.h>
#include <hiredis.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "runtime.h"

/* First reconnect delay, doubled after each failed attempt up to the max. */
#define KV_BACKOFF_MIN_MS 100
#define KV_BACKOFF_MAX_MS 2000
/* hiredis 0.14 has no connect timeout: a TCP connect to a silent host would
 * hang until the kernel gives up, with commands buffered behind it. */
#define KV_CONNECT_TIMEOUT_MS 2000
/* Longest "host" in redis://host:port. */
#define KV_HOST_MAX 256

struct kv_cmd {
	struct kv_cmd *prev, *next;
	kv *k; /* NULL once kv_free() has reported it: hiredis still holds it */
	mesh_kv_fn cb;
	void *arg;
	mesh_err err;    /* set while on the failing list */
	const char *msg; /* static text */
};

struct kv_list {
	struct kv_cmd *head, *tail;
	size_t n;
};

struct kv {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[KV_HOST_MAX];
	int port;

	redisAsyncContext *ac; /* NULL while waiting to reconnect */
	int connected;
	int64_t backoff_ms;
	struct event *retry_ev;
	struct event *connect_timeout_ev;

	struct kv_list in_flight; /* handed to hiredis, awaiting a reply */
	struct kv_list failing;   /* to report on the next loop iteration */
	struct event *notify_ev;  /* reports failing, then the connect news */
	int connect_news;

	void (*on_connect)(void *arg);
	void *on_connect_arg;

	int freeing;
	int in_notify;    /* user code runs from notify_ev right now */
	int free_pending; /* kv_free() was called from that user code */
};

static void *kv_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	/* Running out of memory here leaves no way to report anything. */
	if (!p)
		abort();
	return p;
}

static void list_push(struct kv_list *l, struct kv_cmd *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void list_remove(struct kv_list *l, struct kv_cmd *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

/* ---- URL ---------------------------------------------------------------- */

static int url_error(char *err, size_t err_len, const char *url,
                     const char *why)
{
	if (err && err_len)
		snprintf(err, err_len, "REDIS_URL: %s, got \"%s\"", why, url);
	return -1;
}

int kv_parse_url(const char *url, char *path, size_t path_len, char *host,
                 size_t host_len, int *port, char *err, size_t err_len)
{
	static const char expected[] =
	    "expected unix:///path or redis://host:port";
	const char *p, *colon, *host_end;
	size_t n;

	if (!url)
		return url_error(err, err_len, "(null)", expected);
	if (path && path_len)
		path[0] = '\0';
	if (host && host_len)
		host[0] = '\0';
	if (port)
		*port = 0;

	if (strncmp(url, "unix://", 7) == 0) {
		p = url + 7;
		n = strlen(p);
		if (n == 0 || p[0] != '/')
			return url_error(err, err_len, url,
			                 "expected an absolute socket path "
			                 "after unix://");
		if (n >= path_len ||
		    n >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return url_error(err, err_len, url,
			                 "socket path too long");
		memcpy(path, p, n + 1);
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		return url_error(err, err_len, url, expected);

	p = url + 8;
	if (strchr(p, '@'))
		return url_error(err, err_len, url,
		                 "credentials in the URL are not supported");
	if (p[0] == '[') {
		/* IPv6 literal: redis://[::1]:6379 */
		host_end = strchr(p, ']');
		if (!host_end || host_end == p + 1)
			return url_error(err, err_len, url, expected);
		p++;
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
		if (!colon && host_end[1] != '\0' &&
		    strcmp(host_end + 1, "/") != 0)
			return url_error(err, err_len, url, expected);
	} else {
		host_end = p + strcspn(p, ":/");
		colon = *host_end == ':' ? host_end : NULL;
		if (!colon && *host_end != '\0' && strcmp(host_end, "/") != 0)
			return url_error(err, err_len, url, expected);
	}
	n = (size_t)(host_end - p);
	if (n == 0)
		return url_error(err, err_len, url, "missing host");
	if (n >= host_len)
		return url_error(err, err_len, url, "host too long");
	memcpy(host, p, n);
	host[n] = '\0';

	if (!colon) {
		*port = 6379;
		return 0;
	}
	{
		char *end;
		long v;

		if (colon[1] < '0' || colon[1] > '9')
			return url_error(err, err_len, url,
			                 "port must be 1-65535");
		v = strtol(colon + 1, &end, 10);
		if (v < 1 || v > 65535 || (*end != '\0' && strcmp(end, "/")))
			return url_error(err, err_len, url,
			                 "port must be 1-65535");
		*port = (int)v;
	}
	return 0;
}

/* ---- Replies as JSON ----------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s, or 0 when the byte at s does not
 * start one (same rules as jansson: no overlongs, surrogates or > U+10FFFF). */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* A Redis string as a JSON string. Redis values are bytes and JSON strings
 * are UTF-8: a value that is not valid UTF-8 is converted lossily, each bad
 * byte becoming U+FFFD, rather than kept raw (json_stringn_nocheck), because
 * a raw invalid string would make every later json_dumps() of the reply
 * fail far from here. Callers that store binary data read it with their own
 * encoding (hex, base64) on top. */
static json_t *kv_string_json(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	json_t *j = json_stringn(s, len);
	char *buf;
	size_t i = 0, o = 0, n;

	if (j || len > (SIZE_MAX - 1) / 3)
		return j;
	buf = kv_xcalloc(len * 3 + 1, 1);
	while (i < len) {
		n = utf8_seq_len(u + i, len - i);
		if (n) {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

/* NULL only when out of memory. hiredis bounds nesting (7 levels), so the
 * recursion is bounded too. An error nested in an array (EXEC) becomes
 * {"error": "..."}; only a top-level error fails the command. */
static json_t *kv_reply_json(const redisReply *r)
{
	json_t *a, *e;
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		return kv_string_json(r->str, r->len);
	case REDIS_REPLY_INTEGER:
		return json_integer(r->integer);
	case REDIS_REPLY_NIL:
		return json_null();
	case REDIS_REPLY_ERROR:
		e = kv_string_json(r->str, r->len);
		return e ? json_pack("{so}", "error", e) : NULL;
	case REDIS_REPLY_ARRAY:
		a = json_array();
		for (i = 0; a && i < r->elements; i++) {
			e = kv_reply_json(r->element[i]);
			if (!e || json_array_append_new(a, e) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	default:
		return json_null();
	}
}

/* ---- Reporting ----------------------------------------------------------- */

static void notify_arm(kv *k)
{
	static const struct timeval now = {0, 0};

	evtimer_add(k->notify_ev, &now);
}

/* Queues cmd to be failed on the next loop iteration. */
static void cmd_fail_later(kv *k, struct kv_cmd *c, mesh_err err,
                           const char *msg)
{
	c->err = err;
	c->msg = msg;
	list_push(&k->failing, c);
	notify_arm(k);
}

struct kv_orphan_fail {
	mesh_kv_fn cb;
	void *arg;
};

static void orphan_fail_run(void *p)
{
	struct kv_orphan_fail f = *(struct kv_orphan_fail *)p;

	free(p);
	f.cb(f.arg, MESH_EUNAVAILABLE, "redis: connection closed", NULL);
}

/* A command issued on a kv that kv_free() is tearing down (from one of the
 * callbacks it reports): k will not outlive this, so the failure travels
 * alone. */
static void cmd_fail_orphan(mesh_kv_fn cb, void *arg)
{
	struct kv_orphan_fail *f = kv_xcalloc(1, sizeof *f);

	f->cb = cb;
	f->arg = arg;
	runtime_defer(orphan_fail_run, f);
}

static void kv_destroy(kv *k);

static void notify_run(evutil_socket_t fd, short what, void *p)
{
	kv *k = p;
	size_t n = k->failing.n;
	struct kv_cmd *c;

	(void)fd;
	(void)what;
	k->in_notify = 1;
	/* Only the failures queued so far: a callback that queues more has
	 * them reported on the next iteration, so this never spins. */
	while (n-- > 0 && (c = k->failing.head) != NULL) {
		list_remove(&k->failing, c);
		c->cb(c->arg, c->err, c->msg, NULL);
		free(c);
		if (k->free_pending) {
			kv_destroy(k);
			return;
		}
	}
	if (k->connect_news && k->connected) {
		k->connect_news = 0;
		if (k->on_connect)
			k->on_connect(k->on_connect_arg);
		if (k->free_pending) {
			kv_destroy(k);
			return;
		}
	}
	k->in_notify = 0;
}

/* ---- Connection ---------------------------------------------------------- */

static void kv_connect(kv *k);

static void schedule_reconnect(kv *k)
{
	struct timeval tv;

	k->connected = 0;
	if (k->freeing)
		return;
	tv.tv_sec = k->backoff_ms / 1000;
	tv.tv_usec = (k->backoff_ms % 1000) * 1000;
	evtimer_add(k->retry_ev, &tv);
	k->backoff_ms *= 2;
	if (k->backoff_ms > KV_BACKOFF_MAX_MS)
		k->backoff_ms = KV_BACKOFF_MAX_MS;
}

static void on_connect_cb(const redisAsyncContext *ac, int status)
{
	kv *k = ac->data;

	if (!k)
		return;
	evtimer_del(k->connect_timeout_ev);
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		k->ac = NULL;
		schedule_reconnect(k);
		return;
	}
	k->connected = 1;
	k->backoff_ms = KV_BACKOFF_MIN_MS;
	/* Not from here: hiredis 0.14 runs this outside its callback guard,
	 * so user code freeing the kv now would free the context under it. */
	k->connect_news = 1;
	notify_arm(k);
}

static void on_disconnect_cb(const redisAsyncContext *ac, int status)
{
	kv *k = ac->data;

	(void)status;
	if (!k)
		return;
	k->ac = NULL;
	schedule_reconnect(k);
}

static void retry_run(evutil_socket_t fd, short what, void *p)
{
	(void)fd;
	(void)what;
	kv_connect(p);
}

static void connect_timeout_run(evutil_socket_t fd, short what, void *p)
{
	kv *k = p;
	redisAsyncContext *ac = k->ac;

	(void)fd;
	(void)what;
	if (!ac || k->connected)
		return;
	k->ac = NULL;
	/* Outside any hiredis callback: frees at once, running the buffered
	 * commands' callbacks (NULL reply) which queue their failures. */
	redisAsyncFree(ac);
	schedule_reconnect(k);
}

static void kv_connect(kv *k)
{
	redisAsyncContext *ac;
	struct timeval tv = {KV_CONNECT_TIMEOUT_MS / 1000,
	                     (KV_CONNECT_TIMEOUT_MS % 1000) * 1000};

	if (k->path[0])
		ac = redisAsyncConnectUnix(k->path);
	else
		/* The name is resolved here, synchronously: use an IP literal
		 * or a name from /etc/hosts (as Docker's are). */
		ac = redisAsyncConnect(k->host, k->port);
	if (!ac || ac->err) {
		/* A Unix socket connect fails at once (no server yet). */
		if (ac)
			redisAsyncFree(ac);
		schedule_reconnect(k);
		return;
	}
	ac->data = k;
	if (redisLibeventAttach(ac, k->base) != REDIS_OK) {
		redisAsyncFree(ac);
		schedule_reconnect(k);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect_cb);
	redisAsyncSetDisconnectCallback(ac, on_disconnect_cb);
	k->ac = ac;
	evtimer_add(k->connect_timeout_ev, &tv);
}

kv *kv_new(struct event_base *base, const char *url, char *err, size_t err_len)
{
	kv *k;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[KV_HOST_MAX];
	int port;

	if (kv_parse_url(url, path, sizeof path, host, sizeof host, &port, err,
	                 err_len) != 0)
		return NULL;
	k = kv_xcalloc(1, sizeof *k);
	k->base = base;
	memcpy(k->path, path, sizeof path);
	memcpy(k->host, host, sizeof host);
	k->port = port;
	k->backoff_ms = KV_BACKOFF_MIN_MS;
	k->retry_ev = evtimer_new(base, retry_run, k);
	k->connect_timeout_ev = evtimer_new(base, connect_timeout_run, k);
	k->notify_ev = evtimer_new(base, notify_run, k);
	if (!k->retry_ev || !k->connect_timeout_ev || !k->notify_ev)
		abort();
	kv_connect(k);
	return k;
}

static void kv_destroy(kv *k)
{
	event_free(k->retry_ev);
	event_free(k->connect_timeout_ev);
	event_free(k->notify_ev);
	free(k);
}

void kv_free(kv *k)
{
	struct kv_cmd *c;
	redisAsyncContext *ac;

	if (!k || k->freeing)
		return;
	k->freeing = 1;
	evtimer_del(k->retry_ev);
	evtimer_del(k->connect_timeout_ev);
	evtimer_del(k->notify_ev);

	/* Report first, then let hiredis go: its NULL-reply callbacks find
	 * the commands orphaned and only free them. */
	while ((c = k->in_flight.head) != NULL) {
		list_remove(&k->in_flight, c);
		c->k = NULL;
		c->cb(c->arg, MESH_EUNAVAILABLE, "redis: connection closed",
		      NULL);
	}
	while ((c = k->failing.head) != NULL) {
		list_remove(&k->failing, c);
		c->cb(c->arg, c->err, c->msg, NULL);
		free(c);
	}
	ac = k->ac;
	k->ac = NULL;
	if (ac) {
		ac->data = NULL;
		/* Deferred by hiredis when we are inside one of its reply
		 * callbacks; the context no longer refers to k either way. */
		redisAsyncFree(ac);
	}
	if (k->in_notify)
		k->free_pending = 1;
	else
		kv_destroy(k);
}

int kv_is_connected(const kv *k)
{
	return k && k->connected;
}

void kv_on_connect(kv *k, void (*fn)(void *arg), void *arg)
{
	k->on_connect = fn;
	k->on_connect_arg = arg;
}

/* ---- Commands ------------------------------------------------------------ */

static void kv_reply_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct kv_cmd *c = priv;
	kv *k = c->k;
	redisReply *reply = r;
	json_t *j;

	(void)ac;
	if (!k) {
		free(c);
		return;
	}
	list_remove(&k->in_flight, c);
	if (!reply) {
		/* The context is going away (hiredis is tearing it down). */
		k->connected = 0;
		cmd_fail_later(k, c, MESH_EUNAVAILABLE,
		               "redis: connection lost");
		return;
	}
	/* From here on k may be freed by the user callback: only c is ours. */
	if (reply->type == REDIS_REPLY_ERROR) {
		c->cb(c->arg, MESH_EINTERNAL, reply->str ? reply->str : "",
		      NULL);
	} else if ((j = kv_reply_json(reply)) != NULL) {
		c->cb(c->arg, MESH_OK, "", j);
		json_decref(j);
	} else {
		c->cb(c->arg, MESH_EINTERNAL, "redis: out of memory", NULL);
	}
	free(c);
}

/* Common checks; returns the command record to hand to hiredis, or NULL
 * when the command was already queued to fail. */
static struct kv_cmd *cmd_begin(kv *k, mesh_kv_fn cb, void *arg)
{
	struct kv_cmd *c;

	if (k->freeing) {
		cmd_fail_orphan(cb, arg);
		return NULL;
	}
	c = kv_xcalloc(1, sizeof *c);
	c->k = k;
	c->cb = cb;
	c->arg = arg;
	if (!k->ac) {
		cmd_fail_later(k, c, MESH_EUNAVAILABLE, "redis: not connected");
		return NULL;
	}
	if (k->in_flight.n >= KV_MAX_IN_FLIGHT) {
		cmd_fail_later(k, c, MESH_EUNAVAILABLE,
		               "redis: too many commands in flight");
		return NULL;
	}
	return c;
}

static void cmd_sent(kv *k, struct kv_cmd *c, int rc)
{
	if (rc == REDIS_OK) {
		list_push(&k->in_flight, c);
		return;
	}
	if (k->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING))
		cmd_fail_later(k, c, MESH_EUNAVAILABLE, "redis: not connected");
	else
		cmd_fail_later(k, c, MESH_EINVAL,
		               "redis: cannot format the command");
}

void kv_command(kv *k, mesh_kv_fn cb, void *arg, int argc, const char **argv,
                const size_t *lens)
{
	struct kv_cmd *c = cmd_begin(k, cb, arg);

	if (!c)
		return;
	if (argc < 1 || !argv) {
		cmd_fail_later(k, c, MESH_EINVAL, "redis: empty command");
		return;
	}
	/* hiredis takes NULL lens as "NUL-terminated". */
	cmd_sent(
	    k, c,
	    redisAsyncCommandArgv(k->ac, kv_reply_cb, c, argc, argv, lens));
}

void kv_vcommandf(kv *k, mesh_kv_fn cb, void *arg, const char *fmt, va_list ap)
{
	struct kv_cmd *c = cmd_begin(k, cb, arg);

	if (!c)
		return;
	if (!fmt || !fmt[0]) {
		cmd_fail_later(k, c, MESH_EINVAL, "redis: empty command");
		return;
	}
	cmd_sent(k, c, redisvAsyncCommand(k->ac, kv_reply_cb, c, fmt, ap));
}

void kv_commandf(kv *k, mesh_kv_fn cb, void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kv_vcommandf(k, cb, arg, fmt, ap);
	va_end(ap);
}
