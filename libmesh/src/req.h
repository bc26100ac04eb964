/*
 * req.h: the life of one inbound request, whatever brought it (a call on a
 * socket, a one-way send, an event delivery): its identity, its deadline,
 * and the exactly-once end that hands the outcome to whoever waits.
 */
#ifndef MESH_REQ_H
#define MESH_REQ_H

#include <stdint.h>

#include "mesh.h"
#include "metrics.h"

typedef enum req_kind { REQ_CALL, REQ_ONEWAY, REQ_EVENT } req_kind;

/* Receives the outcome once: at the end, or at the deadline (then with
 * MESH_ETIMEOUT, and the handler's later end is only freed). result is
 * borrowed. */
typedef void (*req_finish_fn)(mesh_req *req, mesh_err err, const char *msg,
                              json_t *result);

struct mesh_req {
	req_kind kind;
	char method[256];
	char caller[64];
	char request_id[129];
	char traceparent[56]; /* this hop's span, passed on by its calls */
	int64_t start_us;
	int64_t deadline_ms; /* monotonic; 0 = none */
	json_t *args;
	void *data;
	int finished; /* the outcome has been handed over */
	struct event *timer;
	metrics_method *stats;
	req_finish_fn finish;
	void *owner; /* the server connection or event delivery */
	uint64_t wire_id;
	mesh_req *prev, *next; /* the owner's list */
};

/* A new request. strings are copied (truncated to their fields, which
 * match the wire limits); traceparent may be NULL or invalid: a new trace
 * starts. timeout_ms <= 0 means no deadline. */
mesh_req *req_new(req_kind kind, const char *method, size_t method_len,
                  const char *caller, size_t caller_len, const char *request_id,
                  size_t request_id_len, const char *traceparent,
                  size_t traceparent_len, int64_t timeout_ms,
                  req_finish_fn finish, void *owner);

/* Arms the deadline and runs the handler with args (stolen). */
void req_run(mesh_req *req, mesh_handler_fn fn, json_t *args);

/* The owner is gone (connection closed): the outcome goes nowhere. */
void req_orphan(mesh_req *req);

/* Requests started and not yet ended by their handler, process-wide. */
size_t req_live(void);

#endif
