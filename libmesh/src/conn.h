/*
 * conn.h: one framed stream connection (Unix or TCP) on the loop. It turns
 * bytes into frames for its owner and frames into bytes, and enforces the
 * frame-size and output-buffer limits. A protocol error closes it: the
 * length prefix can no longer be trusted, so there is nothing to resync on.
 */
#ifndef MESH_CONN_H
#define MESH_CONN_H

#include <stddef.h>
#include <sys/socket.h>

#include "frame.h"

struct event_base;

typedef struct conn conn;

/* Bytes queued for a peer that does not read, at most; past it the
 * connection is closed rather than let one slow reader take the memory. */
#define CONN_MAX_OUTPUT (16u * 1024u * 1024u)
/* Frames up to this size are written at once when nothing is queued (on
 * the stack: larger ones take the buffered path). */
#define CONN_DIRECT_MAX 8192u

typedef struct conn_handlers {
	/* A decoded frame; f and its strings are valid only during the call.
	 * The handler may send, or close the connection. */
	void (*on_frame)(conn *c, const frame *f, void *arg);
	/* Connected (outbound connections only). */
	void (*on_connect)(conn *c, void *arg);
	/* The connection is gone; why says how. Called once; the conn is
	 * freed right after it returns. */
	void (*on_close)(conn *c, const char *why, void *arg);
	/* The output buffer drained to empty (for flush-before-exit). */
	void (*on_drain)(conn *c, void *arg);
} conn_handlers;

/* Wraps an accepted socket. */
conn *conn_accept(struct event_base *base, int fd, size_t max_frame,
                  const conn_handlers *h, void *arg);
/* Starts a non-blocking connect; on_connect or on_close reports it, never
 * from inside this call. NULL when no socket could be made. */
conn *conn_connect(struct event_base *base, const struct sockaddr *sa,
                   socklen_t salen, size_t max_frame, const conn_handlers *h,
                   void *arg);
/* Queues f for the peer. 0; -2 when the frame is over the size limit
 * (nothing sent, the connection stays); -1 when the connection is closing
 * or the peer is not reading (it is then closing). */
int conn_send(conn *c, const frame *f);
/* Closes now: on_close runs (from the loop, not inside this call) and
 * queued output is dropped. */
void conn_close(conn *c, const char *why);
/* Closes once what is queued has been written. */
void conn_close_flushed(conn *c, const char *why);
/* Frees now, with no callback: for shutdown, never from inside one of
 * the connection's own callbacks. */
void conn_destroy(conn *c);
/* The errno of a connect that failed at once (ENOENT: no socket file),
 * 0 otherwise. Valid in on_close. */
int conn_connect_errno(const conn *c);
/* Bytes waiting to be written. */
size_t conn_pending_output(const conn *c);
/* Whether on_connect has happened and the connection is not closing. */
int conn_is_open(const conn *c);

#endif
