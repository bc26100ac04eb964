#include "req.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "runtime.h"
#include "trace.h"

static size_t live;

static void copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	if (!src)
		len = 0;
	if (len >= cap)
		len = cap - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

mesh_req *req_new(req_kind kind, const char *method, size_t method_len,
                  const char *caller, size_t caller_len, const char *request_id,
                  size_t request_id_len, const char *traceparent,
                  size_t traceparent_len, int64_t timeout_ms,
                  req_finish_fn finish, void *owner)
{
	mesh_req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->kind = kind;
	copy_field(r->method, sizeof r->method, method, method_len);
	copy_field(r->caller, sizeof r->caller, caller, caller_len);
	if (trace_request_id_valid(request_id, request_id_len))
		copy_field(r->request_id, sizeof r->request_id, request_id,
		           request_id_len);
	else
		trace_new_request_id(r->request_id);
	trace_child(traceparent, traceparent_len, r->traceparent);
	r->start_us = runtime_now_ms() * 1000;
	if (timeout_ms > CONFIG_MAX_TIMEOUT_MS)
		timeout_ms = CONFIG_MAX_TIMEOUT_MS;
	r->deadline_ms = timeout_ms > 0 ? runtime_now_ms() + timeout_ms : 0;
	r->finish = finish;
	r->owner = owner;
	r->stats = metrics_for(r->method);
	live++;
	return r;
}

static void req_hand_over(mesh_req *r, mesh_err err, const char *msg,
                          json_t *result)
{
	if (r->finished)
		return;
	r->finished = 1;
	if (r->timer)
		event_del(r->timer);
	int64_t us = runtime_now_ms() * 1000 - r->start_us;
	metrics_record(r->stats, err, us);
	/* Every hop's outcome, for LOG_LEVEL=debug: checked first so the
	 * line costs nothing when it is not wanted. */
	if (config_get()->log_level <= MESH_LOG_DEBUG)
		mesh_log(r, MESH_LOG_DEBUG, NULL, "%s from %s: %s in %lld us",
		         r->method, r->caller[0] ? r->caller : "edge",
		         err == MESH_OK ? "ok" : mesh_strerror(err),
		         (long long)us);
	if (r->finish)
		r->finish(r, err, msg, result);
}

static void req_deadline(evutil_socket_t fd, short what, void *arg)
{
	mesh_req *r = arg;

	(void)fd;
	(void)what;
	req_hand_over(r, MESH_ETIMEOUT, "deadline exceeded", NULL);
}

void req_run(mesh_req *r, mesh_handler_fn fn, json_t *args)
{
	r->args = args;
	if (r->deadline_ms) {
		int64_t left = r->deadline_ms - runtime_now_ms();
		struct timeval tv = {0, 0};
		if (left > 0) {
			tv.tv_sec = left / 1000;
			tv.tv_usec = (left % 1000) * 1000;
		}
		r->timer = evtimer_new(mesh_loop(), req_deadline, r);
		if (r->timer)
			evtimer_add(r->timer, &tv);
	}
	fn(r, args);
}

void req_orphan(mesh_req *r)
{
	r->owner = NULL;
	r->finish = NULL;
}

size_t req_live(void)
{
	return live;
}

static void req_end(mesh_req *r, mesh_err err, const char *msg, json_t *result)
{
	req_hand_over(r, err, msg, result);
	if (r->timer)
		event_free(r->timer);
	json_decref(r->args);
	json_decref(result);
	free(r);
	live--;
}

void mesh_reply(mesh_req *r, json_t *result)
{
	req_end(r, MESH_OK, "", result ? result : json_null());
}

void mesh_fail(mesh_req *r, mesh_err err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err == MESH_OK || (unsigned)err >= MESH_ERR_COUNT)
		err = MESH_EINTERNAL;
	req_end(r, err, msg, NULL);
}

const char *mesh_req_id(const mesh_req *r)
{
	return r->request_id;
}

const char *mesh_req_traceparent(const mesh_req *r)
{
	return r->traceparent;
}

const char *mesh_req_caller(const mesh_req *r)
{
	return r->caller;
}

const char *mesh_req_method(const mesh_req *r)
{
	return r->method;
}

int64_t mesh_req_time_left(const mesh_req *r)
{
	if (!r->deadline_ms)
		return CONFIG_MAX_TIMEOUT_MS;
	int64_t left = r->deadline_ms - runtime_now_ms();
	return left > 0 ? left : 0;
}

void mesh_req_set_data(mesh_req *r, void *data)
{
	r->data = data;
}

void *mesh_req_data(const mesh_req *r)
{
	return r->data;
}
