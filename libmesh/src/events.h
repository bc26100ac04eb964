/*
 * events.h: durable topics on Redis Streams. A topic is the stream
 * events:<topic>; each subscribing service reads it through a consumer
 * group named after itself, so every service sees every event once, and
 * instances of one service share the work. At-least-once: an entry is
 * acknowledged only after its handler succeeded.
 */
#ifndef MESH_EVENTS_H
#define MESH_EVENTS_H

#include <stdint.h>

#include "kv.h"
#include "mesh.h"

/* Longest topic name; topics are [a-z0-9._-]{1,EVENTS_TOPIC_MAX}. */
#define EVENTS_TOPIC_MAX 64
/* Largest serialized payload events_publish() accepts (MESH_ETOOLARGE past
 * it): events are notifications, not blobs. */
#define EVENTS_MAX_PAYLOAD_BYTES (1024 * 1024)

typedef struct events events;
typedef struct events_delivery events_delivery;

typedef struct events_opts {
	int max_attempts;       /* deliveries before dead-lettering; 5 */
	int64_t backoff_ms;     /* first retry delay, doubled each time; 500 */
	int64_t backoff_max_ms; /* cap on the delay; 30000 */
	int64_t
	    handler_timeout_ms;  /* a delivery not done by then failed; 30000 */
	int max_in_flight;       /* deliveries at once per subscription; 64 */
	long long stream_maxlen; /* XADD MAXLEN ~ bound per topic; 100000 */
} events_opts;

/* Fills opts with the defaults above. */
void events_opts_default(events_opts *opts);

/* Called per delivery; must end it with events_delivery_done() exactly
 * once. payload is borrowed until then. attempt counts from 1. */
typedef void (*events_handler_fn)(void *arg, events_delivery *d,
                                  const char *topic, json_t *payload,
                                  const char *request_id,
                                  const char *traceparent, int attempt);

/* A consumer for group (the service name) as consumer (unique per
 * instance, stable across restarts of the same instance). It opens its own
 * Redis connection to url, since XREADGROUP BLOCK would stall a shared one.
 * NULL with err filled on a bad URL. */
events *events_new(struct event_base *base, const char *url, const char *group,
                   const char *consumer, const events_opts *opts, char *err,
                   size_t err_len);
/* Adds a topic before events_start(). 0, or -1 on a bad topic name. */
int events_subscribe(events *e, const char *topic, events_handler_fn fn,
                     void *arg);
/* Creates the groups (MKSTREAM), first replays this consumer's own pending
 * entries (left by a crash), then reads new ones, and periodically claims
 * entries other consumers left pending past their retry delay. */
void events_start(events *e);
/* Success acknowledges; failure leaves the entry pending for a retry after
 * the backoff, or moves it to events:<topic>:dead after max_attempts. */
void events_delivery_done(events_delivery *d, mesh_err err, const char *msg);
/* Stops reading; done(arg) runs once every delivery in flight has ended. */
void events_stop(events *e, void (*done)(void *arg), void *arg);
void events_free(events *e);

/* Appends payload (stolen) to events:<topic> on k with the request id and
 * trace (either may be NULL). cb (may be NULL) gets MESH_OK once Redis has
 * it. */
void events_publish(kv *k, const char *topic, json_t *payload,
                    const char *request_id, const char *traceparent,
                    long long maxlen, mesh_done_fn cb, void *arg);

#endif
