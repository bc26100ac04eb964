#include "log.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "config.h"
#include "mesh.h"
#include "runtime.h"

static const char *level_names[] = {"debug", "info", "warn", "error"};

static int shipping;
static json_t *batch;
static size_t dropped;
static struct event *flush_timer;

void log_init(const manifest *m)
{
	const char *self = mesh_service_name();

	shipping = m && strcmp(self, "logger") != 0 &&
	           manifest_binds(m, self, "logger");
}

void log_flush(void)
{
	if (!batch || json_array_size(batch) == 0)
		return;
	json_t *args = json_pack("{s:o, s:I}", "records", batch, "dropped",
	                         (json_int_t)dropped);
	batch = NULL;
	dropped = 0;
	client_call("logger", "ingest", args, NULL, NULL,
	            runtime_now_ms() + CONFIG_ONEWAY_TTL_MS, NULL, NULL);
}

static void log_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

static void log_ship(json_t *record)
{
	if (!batch)
		batch = json_array();
	if (json_array_size(batch) >= LOG_MAX_QUEUED) {
		json_array_remove(batch, 0);
		dropped++;
	}
	json_array_append(batch, record);
	if (json_array_size(batch) >= LOG_BATCH) {
		log_flush();
		return;
	}
	if (!flush_timer && mesh_loop())
		flush_timer = evtimer_new(mesh_loop(), log_flush_timer, NULL);
	if (flush_timer && !evtimer_pending(flush_timer, NULL)) {
		struct timeval tv = {0, LOG_FLUSH_MS * 1000};
		evtimer_add(flush_timer, &tv);
	}
}

void log_shutdown(void)
{
	if (flush_timer)
		event_free(flush_timer);
	flush_timer = NULL;
	json_decref(batch);
	batch = NULL;
}

void mesh_log(const mesh_req *req, mesh_log_level level, json_t *fields,
              const char *fmt, ...)
{
	char msg[2048], ts[40];
	va_list ap;

	if (level < config_get()->log_level || (unsigned)level > 3)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mesh_time_format(runtime_wall_ms(), ts);

	json_t *rec = json_object();
	json_object_set_new(rec, "ts", json_string(ts));
	json_object_set_new(rec, "level", json_string(level_names[level]));
	json_object_set_new(rec, "service", json_string(mesh_service_name()));
	if (req) {
		const char *tp = mesh_req_traceparent(req);
		json_object_set_new(rec, "request_id",
		                    json_string(mesh_req_id(req)));
		if (strlen(tp) == 55)
			json_object_set_new(rec, "trace_id",
			                    json_stringn(tp + 3, 32));
	}
	/* A message may carry bytes that are not UTF-8 (user input quoted in
	 * an error): keep the line valid JSON rather than lose it. */
	json_t *m = json_string(msg);
	json_object_set_new(rec, "msg", m ? m : json_string("(not UTF-8)"));
	if (json_is_object(fields)) {
		const char *k;
		json_t *v;
		json_object_foreach(fields, k, v)
		{
			if (!json_object_get(rec, k))
				json_object_set(rec, k, v);
		}
	}
	char *line = json_dumps(rec, JSON_COMPACT);
	if (line) {
		fprintf(stderr, "%s\n", line);
		free(line);
	}
	if (shipping)
		log_ship(rec);
	json_decref(rec);
}
