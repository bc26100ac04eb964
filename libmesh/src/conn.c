#include "conn.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct conn {
	struct bufferevent *bev;
	const conn_handlers *h;
	void *arg;
	size_t max_frame;
	int open;
	int closing;
	/* Set while a frame handler runs, so that a close from inside it is
	 * finished by the read loop instead of freeing under its feet. */
	int in_read;
	/* Closing is finished from the loop, never inside a caller's stack;
	 * an event of our own (not a shared deferral) so that conn_destroy
	 * can cancel it. */
	struct event *finish;
	int connect_errno;
	int close_when_flushed;
	char why[96];
};

static void conn_free_now(conn *c)
{
	bufferevent_free(c->bev);
	event_free(c->finish);
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

static void conn_schedule_finish(conn *c)
{
	event_active(c->finish, EV_TIMEOUT, 0);
}

static void conn_fail(conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->open = 0;
	snprintf(c->why, sizeof c->why, "%s", why);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	if (!c->in_read)
		conn_schedule_finish(c);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	c->in_read = 1;
	while (!c->closing) {
		size_t len = evbuffer_get_length(in), total = 0, used = 0;
		uint8_t prefix[FRAME_PREFIX_LEN];
		const char *why = NULL;
		frame f;

		if (len < FRAME_PREFIX_LEN)
			break;
		evbuffer_copyout(in, prefix, sizeof prefix);
		frame_status st =
		    frame_peek(prefix, sizeof prefix, c->max_frame, &total);
		if (st != FRAME_OK) {
			conn_fail(c, frame_status_str(st));
			break;
		}
		if (len < total)
			break;
		const uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)total);
		st = frame_decode(buf, total, c->max_frame, &f, &used, &why);
		if (st != FRAME_OK) {
			char msg[96];
			snprintf(msg, sizeof msg, "%s: %s",
			         frame_status_str(st), why ? why : "?");
			conn_fail(c, msg);
			break;
		}
		c->h->on_frame(c, &f, c->arg);
		evbuffer_drain(in, used);
	}
	c->in_read = 0;
	if (c->closing)
		conn_schedule_finish(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	conn *c = arg;

	(void)bev;
	if (c->closing)
		return;
	if (c->close_when_flushed) {
		conn_fail(c, c->why);
		return;
	}
	if (c->h->on_drain)
		c->h->on_drain(c, c->arg);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		c->open = 1;
		if (c->h->on_connect)
			c->h->on_connect(c, c->arg);
		return;
	}
	/* A write can fail (EPIPE) while the peer's last frames, a GOAWAY
	 * among them, still wait in the socket: read them first, so the
	 * owner learns how the peer left. */
	if (!c->closing && (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) &&
	    c->open) {
		evutil_socket_t fd = bufferevent_getfd(bev);
		struct evbuffer *in = bufferevent_get_input(bev);
		/* The socket bufferevent keeps its input's end frozen
		 * outside its own reads. */
		evbuffer_unfreeze(in, 0);
		while (fd >= 0 && evbuffer_get_length(in) < c->max_frame &&
		       evbuffer_read(in, fd, 65536) > 0)
			;
		evbuffer_freeze(in, 0);
		conn_read_cb(bev, c);
		if (c->closing)
			return;
	}
	if (what & BEV_EVENT_EOF)
		conn_fail(c, "closed by peer");
	else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_fail(c, errno ? strerror(errno) : "socket error");
}

static conn *conn_new(struct event_base *base, int fd, size_t max_frame,
                      const conn_handlers *h, void *arg)
{
	conn *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->finish = event_new(base, -1, 0, conn_finish, c);
	if (!c->bev || !c->finish) {
		if (c->bev)
			bufferevent_free(c->bev);
		if (c->finish)
			event_free(c->finish);
		free(c);
		return NULL;
	}
	c->h = h;
	c->arg = arg;
	c->max_frame = max_frame;
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	                  c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return c;
}

conn *conn_accept(struct event_base *base, int fd, size_t max_frame,
                  const conn_handlers *h, void *arg)
{
	evutil_make_socket_nonblocking(fd);
	conn *c = conn_new(base, fd, max_frame, h, arg);
	if (c)
		c->open = 1;
	else
		close(fd);
	return c;
}

conn *conn_connect(struct event_base *base, const struct sockaddr *sa,
                   socklen_t salen, size_t max_frame, const conn_handlers *h,
                   void *arg)
{
	conn *c = conn_new(base, -1, max_frame, h, arg);

	if (!c)
		return NULL;
	/* A refused Unix connect fails inside bufferevent_socket_connect;
	 * report it through the loop like every other outcome. */
	if (bufferevent_socket_connect(c->bev, sa, (int)salen) != 0) {
		c->connect_errno = errno ? errno : ECONNREFUSED;
		c->closing = 1;
		snprintf(c->why, sizeof c->why, "connect: %s",
		         strerror(errno ? errno : ECONNREFUSED));
		conn_schedule_finish(c);
	}
	return c;
}

/*
 * With nothing queued, a frame is written at once: handing it to the
 * bufferevent would arm the write event and disarm it after (two epoll_ctl
 * per frame, each side of each call). Only what the socket did not take is
 * queued, so frames still leave in order.
 */
static int conn_send_direct(conn *c, struct evbuffer *out, const frame *f,
                            size_t need)
{
	uint8_t buf[CONN_DIRECT_MAX];
	ssize_t n;

	if (frame_encode(f, buf, need) != need)
		return -1;
	do
		n = send(bufferevent_getfd(c->bev), buf, need, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)need)
		return 0;
	/* EAGAIN, a short write, or an error the bufferevent will meet and
	 * report on its own write: it gets the rest. */
	if (n < 0)
		n = 0;
	return evbuffer_add(out, buf + n, need - (size_t)n);
}

int conn_send(conn *c, const frame *f)
{
	struct evbuffer *out;
	struct evbuffer_iovec vec;
	size_t need = frame_encoded_len(f);

	if (c->closing || c->close_when_flushed)
		return -1;
	/* Too big for the peer's limit (ours is the same by contract): the
	 * caller answers with an error instead; the connection is fine. */
	if (need == 0 || need > c->max_frame)
		return -2;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) + need > CONN_MAX_OUTPUT) {
		conn_fail(c, "peer is not reading (output buffer full)");
		return -1;
	}
	if (c->open && evbuffer_get_length(out) == 0 && need <= CONN_DIRECT_MAX)
		return conn_send_direct(c, out, f, need);
	/* Encode straight into the output buffer: no copy per frame. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)need, &vec, 1) < 1)
		return -1;
	if (vec.iov_len < need || frame_encode(f, vec.iov_base, need) != need)
		return -1;
	vec.iov_len = need;
	return evbuffer_commit_space(out, &vec, 1);
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
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
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
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

int conn_is_open(const conn *c)
{
	return c->open && !c->closing;
}
