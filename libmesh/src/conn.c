/*
 * conn.c: a framed stream connection on plain libevent events.
 *
 * Not a bufferevent: every readable event there costs an ioctl(FIONREAD)
 * before the read, and every queued write arms and disarms EPOLLOUT. Here a
 * readable event is one read(2) into a flat buffer that frames are decoded
 * from in place, and a frame goes out with one send(2) when nothing is
 * queued; only what the socket does not take waits for EPOLLOUT.
 */
#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes asked of the kernel per read while no frame is half in: small
 * calls fit at once, and an idle connection keeps no more than this. */
#define CONN_READ_CHUNK (16u * 1024u)
/* Bytes read per read(2) at most, even for the rest of a large frame: a
 * fast peer cannot make one event run long. */
#define CONN_READ_MAX (256u * 1024u)

struct conn {
	int fd;
	struct event *rev, *wev;
	/* Closing is finished from the loop, never inside a caller's stack;
	 * an event of our own (not a shared deferral) so that conn_destroy
	 * can cancel it. */
	struct event *finish;
	const conn_handlers *h;
	void *arg;
	size_t max_frame;

	uint8_t *in; /* bytes read, not yet a whole frame: in[0..in_len) */
	size_t in_len, in_cap;
	struct evbuffer *out;

	int open;
	int connecting;
	int closing;
	/* Set while a frame handler runs, so that a close from inside it is
	 * finished by the read loop instead of freeing under its feet. */
	int in_read;
	int connect_errno;
	int close_when_flushed;
	char why[96];
};

static void conn_free_now(conn *c)
{
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->finish);
	evbuffer_free(c->out);
	free(c->in);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void conn_finish(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;

	(void)fd;
	(void)what;
	if (c->h->on_close)
		c->h->on_close(c, c->why, c->arg);
	conn_free_now(c);
}

static void conn_fail(conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->open = 0;
	snprintf(c->why, sizeof c->why, "%s", why);
	event_del(c->rev);
	event_del(c->wev);
	if (!c->in_read)
		event_active(c->finish, EV_TIMEOUT, 0);
}

/* ---- Reading ---------------------------------------------------------- */

/* Hands every whole frame in the buffer to the owner, then keeps the rest
 * at the front. */
static void conn_deliver(conn *c)
{
	size_t at = 0;

	c->in_read = 1;
	while (!c->closing && c->in_len - at >= FRAME_PREFIX_LEN) {
		size_t total = 0, used = 0;
		const char *why = NULL;
		frame f;
		frame_status st = frame_peek(c->in + at, c->in_len - at,
		                             c->max_frame, &total);

		if (st != FRAME_OK) {
			conn_fail(c, frame_status_str(st));
			break;
		}
		if (c->in_len - at < total)
			break;
		st = frame_decode(c->in + at, total, c->max_frame, &f, &used,
		                  &why);
		if (st != FRAME_OK) {
			char msg[96];
			snprintf(msg, sizeof msg, "%s: %s",
			         frame_status_str(st), why ? why : "?");
			conn_fail(c, msg);
			break;
		}
		c->h->on_frame(c, &f, c->arg);
		at += used;
	}
	c->in_read = 0;
	if (c->closing) {
		event_active(c->finish, EV_TIMEOUT, 0);
		return;
	}
	if (at > 0) {
		c->in_len -= at;
		memmove(c->in, c->in + at, c->in_len);
	}
	/* A large frame's buffer is not kept once it is through. */
	if (c->in_len == 0 && c->in_cap > CONN_READ_CHUNK) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

/* How much the next read asks for: the rest of the frame being read when
 * its header is in (within the limits), else a chunk. */
static size_t conn_read_want(const conn *c)
{
	size_t total = 0;

	if (c->in_len >= FRAME_PREFIX_LEN &&
	    frame_peek(c->in, c->in_len, c->max_frame, &total) == FRAME_OK &&
	    total > c->in_len + CONN_READ_CHUNK) {
		size_t rest = total - c->in_len;
		return rest < CONN_READ_MAX ? rest : CONN_READ_MAX;
	}
	return CONN_READ_CHUNK;
}

/* One read(2). Returns the bytes read, 0 at end of stream, -1 with errno. */
static ssize_t conn_read_once(conn *c)
{
	size_t want = conn_read_want(c);
	ssize_t n;

	if (c->in_cap - c->in_len < want) {
		size_t cap = c->in_len + want;
		uint8_t *p = realloc(c->in, cap);
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		c->in = p;
		c->in_cap = cap;
	}
	do
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		c->in_len += (size_t)n;
	return n;
}

static void conn_read_failed(conn *c, ssize_t n)
{
	if (n == 0)
		conn_fail(c, "closed by peer");
	else
		conn_fail(c, strerror(errno));
}

static void conn_on_readable(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	ssize_t n;

	(void)fd;
	(void)what;
	if (c->closing)
		return;
	n = conn_read_once(c);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0) {
		conn_deliver(c);
		return;
	}
	conn_read_failed(c, n);
}

/* A write can fail (EPIPE) while the peer's last frames, a GOAWAY among
 * them, still wait in the socket: read them first, so the owner learns how
 * the peer left. */
static void conn_read_last_words(conn *c)
{
	size_t got = 0;
	ssize_t n;

	while (!c->closing && got < c->max_frame &&
	       (n = conn_read_once(c)) > 0) {
		got += (size_t)n;
		conn_deliver(c);
	}
}

/* ---- Writing ---------------------------------------------------------- */

static void conn_connected(conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;

	c->connecting = 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err) {
		char msg[96];
		snprintf(msg, sizeof msg, "connect: %s", strerror(err));
		conn_fail(c, msg);
		return;
	}
	c->open = 1;
	event_add(c->rev, NULL);
	if (evbuffer_get_length(c->out) == 0)
		event_del(c->wev);
	if (c->h->on_connect)
		c->h->on_connect(c, c->arg);
}

static void conn_on_writable(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	int n;

	(void)fd;
	(void)what;
	if (c->closing)
		return;
	if (c->connecting) {
		conn_connected(c);
		return;
	}
	n = evbuffer_write(c->out, c->fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		int e = errno;
		conn_read_last_words(c);
		conn_fail(c, strerror(e));
		return;
	}
	if (evbuffer_get_length(c->out) > 0)
		return;
	event_del(c->wev);
	if (c->close_when_flushed) {
		conn_fail(c, c->why);
		return;
	}
	if (c->h->on_drain)
		c->h->on_drain(c, c->arg);
}

/* ---- Making one ------------------------------------------------------- */

static conn *conn_new(struct event_base *base, int fd, size_t max_frame,
                      const conn_handlers *h, void *arg)
{
	conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = fd;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_on_readable, c);
	c->wev =
	    event_new(base, fd, EV_WRITE | EV_PERSIST, conn_on_writable, c);
	c->finish = event_new(base, -1, 0, conn_finish, c);
	c->out = evbuffer_new();
	if (!c->rev || !c->wev || !c->finish || !c->out) {
		if (c->rev)
			event_free(c->rev);
		if (c->wev)
			event_free(c->wev);
		if (c->finish)
			event_free(c->finish);
		if (c->out)
			evbuffer_free(c->out);
		free(c);
		return NULL;
	}
	c->h = h;
	c->arg = arg;
	c->max_frame = max_frame;
	return c;
}

conn *conn_accept(struct event_base *base, int fd, size_t max_frame,
                  const conn_handlers *h, void *arg)
{
	conn *c;

	evutil_make_socket_nonblocking(fd);
	c = conn_new(base, fd, max_frame, h, arg);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->open = 1;
	event_add(c->rev, NULL);
	return c;
}

conn *conn_connect(struct event_base *base, const struct sockaddr *sa,
                   socklen_t salen, size_t max_frame, const conn_handlers *h,
                   void *arg)
{
	int fd = socket(sa->sa_family,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	conn *c;

	if (fd < 0)
		return NULL;
	c = conn_new(base, fd, max_frame, h, arg);
	if (!c) {
		close(fd);
		return NULL;
	}
	/* A Unix connect succeeds or fails at once; TCP may be in progress.
	 * Either way the outcome is reported through the loop: writable
	 * means connected (or SO_ERROR says why not). */
	if (connect(fd, sa, salen) == 0 || errno == EINPROGRESS ||
	    errno == EINTR) {
		c->connecting = 1;
		event_add(c->wev, NULL);
		return c;
	}
	c->connect_errno = errno;
	c->closing = 1;
	snprintf(c->why, sizeof c->why, "connect: %s", strerror(errno));
	event_active(c->finish, EV_TIMEOUT, 0);
	return c;
}

/*
 * With nothing queued, a frame is written at once; only what the socket did
 * not take is queued (and EPOLLOUT armed), so frames still leave in order.
 */
static int conn_send_direct(conn *c, const frame *f, size_t need)
{
	uint8_t buf[CONN_DIRECT_MAX];
	ssize_t n;

	if (frame_encode(f, buf, need) != need)
		return -1;
	do
		n = send(c->fd, buf, need, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)need)
		return 0;
	/* EAGAIN, a short write, or an error the write event will meet
	 * again and report: it gets the rest. */
	if (n < 0)
		n = 0;
	if (evbuffer_add(c->out, buf + n, need - (size_t)n) != 0)
		return -1;
	event_add(c->wev, NULL);
	return 0;
}

int conn_send(conn *c, const frame *f)
{
	struct evbuffer_iovec vec;
	size_t need = frame_encoded_len(f);
	size_t queued;

	if (c->closing || c->close_when_flushed)
		return -1;
	/* Too big for the peer's limit (ours is the same by contract): the
	 * caller answers with an error instead; the connection is fine. */
	if (need == 0 || need > c->max_frame)
		return -2;
	queued = evbuffer_get_length(c->out);
	if (queued + need > CONN_MAX_OUTPUT) {
		conn_fail(c, "peer is not reading (output buffer full)");
		return -1;
	}
	if (c->open && queued == 0 && need <= CONN_DIRECT_MAX)
		return conn_send_direct(c, f, need);
	/* Encode straight into the output buffer: no copy per frame. */
	if (evbuffer_reserve_space(c->out, (ev_ssize_t)need, &vec, 1) < 1)
		return -1;
	if (vec.iov_len < need || frame_encode(f, vec.iov_base, need) != need)
		return -1;
	vec.iov_len = need;
	if (evbuffer_commit_space(c->out, &vec, 1) != 0)
		return -1;
	/* While connecting, the write event is already waiting. */
	if (c->open)
		event_add(c->wev, NULL);
	return 0;
}

void conn_close(conn *c, const char *why)
{
	conn_fail(c, why);
}

void conn_close_flushed(conn *c, const char *why)
{
	if (c->closing || c->close_when_flushed)
		return;
	snprintf(c->why, sizeof c->why, "%s", why);
	if (evbuffer_get_length(c->out) == 0 && !c->connecting)
		conn_fail(c, why);
	else
		c->close_when_flushed = 1;
}

int conn_connect_errno(const conn *c)
{
	return c->connect_errno;
}

void conn_destroy(conn *c)
{
	conn_free_now(c);
}

size_t conn_pending_output(const conn *c)
{
	return evbuffer_get_length(c->out);
}

int conn_is_open(const conn *c)
{
	return c->open && !c->closing;
}
