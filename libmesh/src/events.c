/*
 * events.c: durable topics on Redis Streams consumer groups.
 *
 * Connections. Each subscription reads with XREADGROUP ... BLOCK on a
 * connection of its own (a blocked read holds its connection for up to
 * EVENTS_BLOCK_MS, and a read per topic keeps backpressure per topic: COUNT
 * is that topic's free slots). Everything else (group creation, XACK,
 * XPENDING, XCLAIM, dead-lettering) goes over one more connection, "ctl",
 * which never blocks. Services subscribe to a handful of topics, so this is
 * a handful of connections.
 *
 * Attempts. The attempt number a handler sees is Redis's delivery counter
 * for the entry in this group, after this delivery: a new entry read with
 * ">" is attempt 1; every later delivery (the replay of this consumer's own
 * pending entries at start, which is XREADGROUP with id 0, and every
 * XCLAIM by the retry sweep) adds one, so it is XPENDING's count + 1. A
 * handler that crashed the process counted as an attempt. An entry whose
 * attempt max_attempts fails, or that would be delivered past max_attempts,
 * goes to events:<topic>:dead (with error, attempts, group and id) and is
 * acknowledged, atomically (one Lua script).
 *
 * Retries. A failed entry stays pending; the failure resets its idle time
 * (XCLAIM ... JUSTID, which does not count a delivery), so its retry delay
 * runs from the failure. Every max(backoff_ms / 2, 100 ms) a sweep lists
 * pending entries (XPENDING IDLE) and claims those idle for at least
 * backoff(attempt) = min(backoff_ms * 2^(attempt-1), backoff_max_ms). An
 * entry another consumer holds must also be idle for handler_timeout_ms, so
 * that a live consumer's slow handler is never stolen: a live consumer has
 * settled it by then, so only a dead consumer's entries qualify.
 *
 * In flight. At most max_in_flight handlers run per subscription. Entries
 * fetched beyond that (a read and a sweep can both return at once) wait in
 * a local queue, bounded by 2 * max_in_flight; no read is issued while the
 * queue and the handlers fill the subscription.
 */
#include "events.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* XREADGROUP BLOCK: how long one read waits for new entries. */
#define EVENTS_BLOCK_MS 2000
/* Delay before retrying a failed read or group creation (Redis down). */
#define EVENTS_RETRY_MS 250
/* The retry sweep runs every backoff_ms / 2, but not more often than this. */
#define EVENTS_SWEEP_MIN_MS 100
/* XPENDING lists 2 * max_in_flight + this: entries held here are listed too
 * and skipped, and this many more are looked at. */
#define EVENTS_SWEEP_SLACK 100
/* Bounds on the options, so that the counts above stay small. */
#define EVENTS_IN_FLIGHT_LIMIT 10000
#define EVENTS_ATTEMPTS_LIMIT  1000
/* Longest group (service) and consumer (instance) name. */
#define EVENTS_NAME_MAX 128
/* A stream id is two 64-bit numbers: "18446744073709551615-18446744...". */
#define EVENTS_ID_MAX  48
#define EVENTS_KEY_MAX (EVENTS_TOPIC_MAX + 16)

/* XADD to the dead-letter stream and XACK in one step, so an entry is never
 * both dead-lettered and still pending, nor acknowledged and lost.
 * KEYS: stream, dead stream. ARGV: group, id, maxlen, then field/value
 * pairs. */
static const char dead_letter_script[] =
    "redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', "
    "unpack(ARGV, 4))\n"
    "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])\n";

enum delivery_state {
	D_QUEUED,  /* fetched, waiting for a free slot */
	D_RUNNING, /* its handler runs */
	D_SETTLED  /* ended (done, timeout or never run); ops may be out */
};

struct sub;

struct events_delivery {
	events_delivery *prev, *next; /* in e->deliveries */
	struct sub *sub;
	char id[EVENTS_ID_MAX];
	json_t *fields; /* the entry as Redis gave it: [f, v, f, v...] */
	json_t *payload;
	const char *request_id;
	const char *traceparent;
	int attempt;
	enum delivery_state state;
	int done_called; /* the handler has let go of it */
	int ops;         /* ctl commands outstanding for it */
	int ack_queued;  /* its XACK waits for the sub's ack_ev */
	struct event *timeout_ev;
};

struct sub {
	struct sub *next;
	events *e;
	char topic[EVENTS_TOPIC_MAX + 1];
	char key[EVENTS_KEY_MAX];
	char dead_key[EVENTS_KEY_MAX];
	events_handler_fn fn;
	void *arg;
	kv *reader;
	int ready;      /* the group exists (since the last ctl connect) */
	int setting_up; /* XGROUP CREATE outstanding */
	int replayed;   /* own pending entries taken back once */
	int reading;    /* XREADGROUP outstanding on reader */
	int sweeping;   /* replay or sweep (XPENDING, XCLAIMs) outstanding */
	int claims;     /* XCLAIMs outstanding */
	int running;
	int queued;
	int acks_queued;
	json_t *replay_counts; /* XPENDING during the replay */
	struct event *retry_ev;
	struct event *pump_ev;
	struct event *ack_ev;
};

struct events {
	struct event_base *base;
	char *url;
	char group[EVENTS_NAME_MAX + 1];
	char consumer[EVENTS_NAME_MAX + 1];
	events_opts opts;
	kv *ctl;
	struct sub *subs;
	events_delivery *deliveries, *deliveries_tail;
	struct event *sweep_ev;
	struct event *stop_ev;
	int started, stopping, freeing;
	int ops; /* settle commands outstanding (all deliveries) */
	void (*stop_done)(void *arg);
	void *stop_arg;
};

static void *events_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	/* Out of memory on the loop: nothing can be reported. */
	if (!p)
		abort();
	return p;
}

static struct event *timer_new(struct event_base *base,
                               void (*fn)(evutil_socket_t, short, void *),
                               void *arg)
{
	struct event *ev = evtimer_new(base, fn, arg);

	if (!ev)
		abort();
	return ev;
}

static void timer_in(struct event *ev, int64_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static int topic_valid(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n < 1 || n > EVENTS_TOPIC_MAX)
		return 0;
	return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int streq_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

void events_opts_default(events_opts *opts)
{
	opts->max_attempts = 5;
	opts->backoff_ms = 500;
	opts->backoff_max_ms = 30000;
	opts->handler_timeout_ms = 30000;
	opts->max_in_flight = 64;
	opts->stream_maxlen = 100000;
}

/* min(backoff_ms * 2^(attempt-1), backoff_max_ms) */
static int64_t backoff_for(const events_opts *o, long long attempt)
{
	int64_t b = o->backoff_ms;

	for (long long i = 1; i < attempt && b < o->backoff_max_ms; i++)
		b *= 2;
	return b < o->backoff_max_ms ? b : o->backoff_max_ms;
}

/* ---- Publishing ---------------------------------------------------------- */

struct publish_ctx {
	mesh_done_fn cb;
	void *arg;
	mesh_err err;
	char msg[160];
};

static void publish_report(void *p)
{
	struct publish_ctx *c = p;

	if (c->cb)
		c->cb(c->arg, c->err, c->msg);
	free(c);
}

static void publish_done(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct publish_ctx *c = p;

	(void)reply;
	if (c->cb)
		c->cb(c->arg, err, msg);
	free(c);
}

void events_publish(kv *k, const char *topic, json_t *payload,
                    const char *request_id, const char *traceparent,
                    long long maxlen, mesh_done_fn cb, void *arg)
{
	struct publish_ctx *c = events_xcalloc(1, sizeof *c);
	char key[EVENTS_KEY_MAX], maxlen_s[32], wall[32];
	const char *argv[14];
	char *text;
	size_t len;

	c->cb = cb;
	c->arg = arg;
	if (!topic_valid(topic)) {
		c->err = MESH_EINVAL;
		snprintf(c->msg, sizeof c->msg,
		         "topic: expected [a-z0-9._-]{1,%d}, got \"%.64s\"",
		         EVENTS_TOPIC_MAX, topic ? topic : "(null)");
		json_decref(payload);
		runtime_defer(publish_report, c);
		return;
	}
	text = json_dumps(payload ? payload : json_null(),
	                  JSON_COMPACT | JSON_ENCODE_ANY |
	                      JSON_REAL_PRECISION(12));
	json_decref(payload);
	len = text ? strlen(text) : 0;
	if (!text || len > EVENTS_MAX_PAYLOAD_BYTES) {
		c->err = text ? MESH_ETOOLARGE : MESH_EINVAL;
		if (text)
			snprintf(c->msg, sizeof c->msg,
			         "event: payload is %zu bytes, more than the "
			         "limit of %d",
			         len, EVENTS_MAX_PAYLOAD_BYTES);
		else
			snprintf(c->msg, sizeof c->msg,
			         "event: payload cannot be serialized");
		free(text);
		runtime_defer(publish_report, c);
		return;
	}
	snprintf(key, sizeof key, "events:%s", topic);
	snprintf(maxlen_s, sizeof maxlen_s, "%lld",
	         maxlen > 0 ? maxlen : 100000);
	snprintf(wall, sizeof wall, "%lld", (long long)runtime_wall_ms());
	argv[0] = "XADD";
	argv[1] = key;
	argv[2] = "MAXLEN";
	argv[3] = "~";
	argv[4] = maxlen_s;
	argv[5] = "*";
	argv[6] = "payload";
	argv[7] = text;
	argv[8] = "request_id";
	argv[9] = request_id ? request_id : "";
	argv[10] = "traceparent";
	argv[11] = traceparent ? traceparent : "";
	argv[12] = "published_ms";
	argv[13] = wall;
	kv_command(k, publish_done, c, 14, argv, NULL);
	free(text);
}

/* ---- Deliveries ---------------------------------------------------------- */

static void sub_pump(struct sub *s);
static void stop_check(events *e);
static void stop_run(evutil_socket_t fd, short what, void *p);

static void delivery_unlink_free(events_delivery *d)
{
	events *e = d->sub->e;

	if (d->prev)
		d->prev->next = d->next;
	else
		e->deliveries = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		e->deliveries_tail = d->prev;
	if (d->timeout_ev)
		event_free(d->timeout_ev);
	json_decref(d->fields);
	json_decref(d->payload);
	free(d);
}

static void delivery_maybe_free(events_delivery *d)
{
	if (d->state == D_SETTLED && d->done_called && d->ops == 0)
		delivery_unlink_free(d);
}

/* Is this entry held here (queued, running, or done with its XACK not yet
 * sent)? The sweep must not claim it again. */
static int delivery_held(const struct sub *s, const char *id)
{
	for (events_delivery *d = s->e->deliveries; d; d = d->next)
		if (d->sub == s && (d->state != D_SETTLED || d->ack_queued) &&
		    strcmp(d->id, id) == 0)
			return 1;
	return 0;
}

static void op_done(void *p, mesh_err err, const char *msg, json_t *reply)
{
	events_delivery *d = p;
	events *e = d->sub->e;

	(void)err;
	(void)msg;
	(void)reply;
	/* A failed ack or touch needs nothing: the entry stays pending and
	 * the sweep finds it again. */
	if (e->freeing)
		return;
	d->ops--;
	e->ops--;
	delivery_maybe_free(d);
	stop_check(e);
}

static void op_send(events_delivery *d, int argc, const char **argv,
                    const size_t *lens)
{
	d->ops++;
	d->sub->e->ops++;
	kv_command(d->sub->e->ctl, op_done, d, argc, argv, lens);
}

/* The acknowledgements of one XACK, kept until Redis answers it. */
typedef struct ack_batch {
	events *e;
	int n;
	events_delivery *d[];
} ack_batch;

static void acks_done(void *p, mesh_err err, const char *msg, json_t *reply)
{
	ack_batch *b = p;
	events *e = b->e;

	(void)err;
	(void)msg;
	(void)reply;
	/* As op_done: a failed ack leaves the entries pending, for the
	 * sweep. */
	if (!e->freeing) {
		for (int i = 0; i < b->n; i++) {
			b->d[i]->ops--;
			e->ops--;
			delivery_maybe_free(b->d[i]);
		}
		stop_check(e);
	}
	free(b);
}

/* One XACK for every delivery of the sub acknowledged since the last. */
static void ack_run(evutil_socket_t fd, short what, void *p)
{
	struct sub *s = p;
	events *e = s->e;
	int n = s->acks_queued, argc = 0;
	ack_batch *b;
	const char **argv;

	(void)fd;
	(void)what;
	if (n == 0 || e->freeing)
		return;
	b = events_xcalloc(1, sizeof *b + (size_t)n * sizeof b->d[0]);
	argv = events_xcalloc((size_t)n + 3, sizeof *argv);
	b->e = e;
	argv[argc++] = "XACK";
	argv[argc++] = s->key;
	argv[argc++] = e->group;
	for (events_delivery *d = e->deliveries; d && b->n < n; d = d->next)
		if (d->sub == s && d->ack_queued) {
			d->ack_queued = 0;
			b->d[b->n++] = d;
			argv[argc++] = d->id;
		}
	s->acks_queued = 0;
	kv_command(e->ctl, acks_done, b, argc, argv, NULL);
	free(argv);
}

/* Acknowledgements wait for the end of the loop's turn and leave as one
 * XACK per topic: the handlers that end in one turn (a batch read at once,
 * replies Redis sent together) cost Redis one command, not one each. */
static void delivery_ack(events_delivery *d)
{
	struct sub *s = d->sub;

	d->ops++;
	s->e->ops++;
	d->ack_queued = 1;
	if (s->acks_queued++ == 0)
		timer_in(s->ack_ev, 0);
}

/* Restarts the entry's idle clock at the failure (JUSTID: not a delivery),
 * so the backoff is measured from now. */
static void delivery_touch(events_delivery *d)
{
	struct sub *s = d->sub;
	const char *argv[] = {"XCLAIM", s->key, s->e->group, s->e->consumer,
	                      "0",      d->id,  "JUSTID"};

	op_send(d, 7, argv, NULL);
}

static void delivery_dead_letter(events_delivery *d, const char *reason)
{
	struct sub *s = d->sub;
	events *e = s->e;
	size_t nf = json_array_size(d->fields), argc = 0, i;
	const char **argv = events_xcalloc(nf + 16, sizeof *argv);
	size_t *lens = events_xcalloc(nf + 16, sizeof *lens);
	char maxlen[32], attempts[16];

	snprintf(maxlen, sizeof maxlen, "%lld", e->opts.stream_maxlen);
	snprintf(attempts, sizeof attempts, "%d", d->attempt);
#define ARG(s, n) (argv[argc] = (s), lens[argc++] = (n))
#define ARGZ(s)   ARG((s), strlen(s))
	ARGZ("EVAL");
	ARG(dead_letter_script, sizeof dead_letter_script - 1);
	ARGZ("2");
	ARGZ(s->key);
	ARGZ(s->dead_key);
	ARGZ(e->group);
	ARGZ(d->id);
	ARGZ(maxlen);
	/* Fields come in pairs; an odd one out (never from Redis) is left. */
	for (i = 0; i + 1 < nf; i += 2) {
		json_t *f = json_array_get(d->fields, i);
		json_t *v = json_array_get(d->fields, i + 1);

		if (!json_is_string(f) || !json_is_string(v))
			continue;
		ARG(json_string_value(f), json_string_length(f));
		ARG(json_string_value(v), json_string_length(v));
	}
	ARGZ("error");
	ARGZ(reason);
	ARGZ("attempts");
	ARGZ(attempts);
	ARGZ("group");
	ARGZ(e->group);
	ARGZ("id");
	ARGZ(d->id);
#undef ARGZ
#undef ARG
	op_send(d, (int)argc, argv, lens);
	free(argv);
	free(lens);
}

/* Ends a running (or queued) delivery: ack, retry later, or dead-letter. */
static void delivery_settle(events_delivery *d, mesh_err err, const char *msg)
{
	struct sub *s = d->sub;
	const events_opts *o = &s->e->opts;
	char reason[512];

	if (d->state == D_SETTLED)
		return;
	if (d->state == D_RUNNING) {
		s->running--;
		evtimer_del(d->timeout_ev);
	} else {
		s->queued--;
	}
	d->state = D_SETTLED;
	if (err == MESH_OK) {
		delivery_ack(d);
	} else if (d->attempt >= o->max_attempts) {
		snprintf(reason, sizeof reason, "%s: %s", mesh_strerror(err),
		         msg && msg[0] ? msg : "handler failed");
		delivery_dead_letter(d, reason);
	} else {
		delivery_touch(d);
	}
	sub_pump(s);
	stop_check(s->e);
}

static void delivery_timeout(evutil_socket_t fd, short what, void *p)
{
	events_delivery *d = p;
	char msg[96];

	(void)fd;
	(void)what;
	snprintf(msg, sizeof msg, "handler did not finish within %lld ms",
	         (long long)d->sub->e->opts.handler_timeout_ms);
	/* Failed now; d stays until its late done, which then does nothing. */
	delivery_settle(d, MESH_ETIMEOUT, msg);
}

void events_delivery_done(events_delivery *d, mesh_err err, const char *msg)
{
	if (!d || d->done_called)
		return;
	d->done_called = 1;
	if (d->state == D_RUNNING)
		delivery_settle(d, err, msg);
	delivery_maybe_free(d);
}

/* The value of field name in [f, v, f, v...], or NULL. */
static json_t *field_get(json_t *fields, const char *name)
{
	size_t n = json_array_size(fields);

	for (size_t i = 0; i + 1 < n; i += 2)
		if (json_is_string(json_array_get(fields, i)) &&
		    strcmp(json_string_value(json_array_get(fields, i)),
		           name) == 0)
			return json_array_get(fields, i + 1);
	return NULL;
}

static const char *field_str(json_t *fields, const char *name)
{
	const char *v = json_string_value(field_get(fields, name));

	return v ? v : "";
}

static events_delivery *delivery_new(struct sub *s, const char *id,
                                     json_t *fields, int attempt)
{
	events *e = s->e;
	events_delivery *d = events_xcalloc(1, sizeof *d);

	d->sub = s;
	snprintf(d->id, sizeof d->id, "%s", id);
	d->fields = fields ? json_incref(fields) : json_array();
	d->attempt = attempt;
	d->state = D_SETTLED;
	d->done_called = 1;
	d->prev = e->deliveries_tail;
	if (e->deliveries_tail)
		e->deliveries_tail->next = d;
	else
		e->deliveries = d;
	e->deliveries_tail = d;
	return d;
}

/* Takes in one entry fetched for this consumer (read, replay or claim).
 * fields is the entry's field array, or JSON null for an entry deleted
 * or trimmed from the stream since: that one is acknowledged and skipped. */
static void sub_take(struct sub *s, const char *id, json_t *fields, int attempt)
{
	events *e = s->e;
	events_delivery *d;
	json_t *payload;
	json_error_t jerr;
	char reason[300];

	if (e->stopping || !id || strlen(id) >= EVENTS_ID_MAX ||
	    delivery_held(s, id))
		return;
	d = delivery_new(s, id, json_is_array(fields) ? fields : NULL, attempt);
	if (!json_is_array(fields)) {
		delivery_ack(d);
		return;
	}
	if (attempt > e->opts.max_attempts) {
		snprintf(reason, sizeof reason,
		         "delivered %d times, more than max_attempts %d",
		         attempt, e->opts.max_attempts);
		delivery_dead_letter(d, reason);
		return;
	}
	payload = field_get(fields, "payload");
	d->payload = json_is_string(payload)
	                 ? json_loadb(json_string_value(payload),
	                              json_string_length(payload),
	                              JSON_DECODE_ANY, &jerr)
	                 : NULL;
	if (!d->payload) {
		if (payload)
			snprintf(reason, sizeof reason,
			         "payload: invalid JSON: %s", jerr.text);
		else
			snprintf(reason, sizeof reason,
			         "payload: the entry has no payload field");
		delivery_dead_letter(d, reason);
		return;
	}
	d->request_id = field_str(fields, "request_id");
	d->traceparent = field_str(fields, "traceparent");
	d->timeout_ev = timer_new(e->base, delivery_timeout, d);
	d->state = D_QUEUED;
	d->done_called = 0;
	s->queued++;
	sub_pump(s);
}

/* ---- Reading ------------------------------------------------------------- */

static int sub_free_slots(const struct sub *s)
{
	return s->e->opts.max_in_flight - s->running - s->queued - s->claims;
}

static void sub_setup(struct sub *s);
static void sub_replay(struct sub *s);

static void sub_retry_later(struct sub *s)
{
	if (!s->e->stopping && !s->e->freeing)
		timer_in(s->retry_ev, EVENTS_RETRY_MS);
}

static void read_done(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct sub *s = p;
	json_t *stream, *entry;
	size_t i, j;

	s->reading = 0;
	if (s->e->freeing || s->e->stopping)
		return; /* anything read stays pending for a later replay */
	if (err != MESH_OK) {
		if (streq_prefix(msg, "NOGROUP"))
			s->ready = 0; /* Redis lost the group: create it */
		sub_retry_later(s);
		return;
	}
	/* [[key, [[id, [f, v, ...]], ...]]], or null when BLOCK expired. */
	json_array_foreach(reply, i, stream)
	{
		json_array_foreach(json_array_get(stream, 1), j, entry)
		{
			sub_take(s, json_string_value(json_array_get(entry, 0)),
			         json_array_get(entry, 1), 1);
		}
	}
	sub_pump(s);
}

static void sub_read(struct sub *s)
{
	events *e = s->e;
	char count[16], block[16];
	int free_slots = sub_free_slots(s);
	const char *argv[] = {"XREADGROUP", "GROUP", e->group, e->consumer,
	                      "COUNT",      count,   "BLOCK",  block,
	                      "STREAMS",    s->key,  ">"};

	if (e->stopping || e->freeing || !s->ready || !s->replayed ||
	    s->reading || free_slots <= 0 || !s->reader)
		return;
	snprintf(count, sizeof count, "%d", free_slots);
	snprintf(block, sizeof block, "%d", EVENTS_BLOCK_MS);
	s->reading = 1;
	kv_command(s->reader, read_done, s, 11, argv, NULL);
}

static events_delivery *sub_first_queued(const struct sub *s)
{
	for (events_delivery *d = s->e->deliveries; d; d = d->next)
		if (d->sub == s && d->state == D_QUEUED)
			return d;
	return NULL;
}

/* Starts queued deliveries while there are free slots, then reads more.
 * Always from the loop (pump_ev), never from inside a Redis callback or a
 * handler's done: handlers never nest. */
static void pump_run(evutil_socket_t fd, short what, void *p)
{
	struct sub *s = p;
	events *e = s->e;
	events_delivery *d;

	(void)fd;
	(void)what;
	/* Looked up afresh after each handler: a handler may end or free
	 * any delivery it holds, or stop everything. */
	while (!e->stopping && s->running < e->opts.max_in_flight &&
	       (d = sub_first_queued(s)) != NULL) {
		d->state = D_RUNNING;
		s->queued--;
		s->running++;
		timer_in(d->timeout_ev, e->opts.handler_timeout_ms);
		s->fn(s->arg, d, s->topic, d->payload, d->request_id,
		      d->traceparent, d->attempt);
	}
	sub_read(s);
}

static void sub_pump(struct sub *s)
{
	if (!s->e->freeing)
		timer_in(s->pump_ev, 0);
}

/* ---- Group, replay and sweep --------------------------------------------- */

static void group_created(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct sub *s = p;

	(void)reply;
	s->setting_up = 0;
	if (s->e->freeing || s->e->stopping)
		return;
	if (err != MESH_OK && !streq_prefix(msg, "BUSYGROUP")) {
		sub_retry_later(s);
		return;
	}
	s->ready = 1;
	if (!s->replayed)
		sub_replay(s);
	else
		sub_pump(s);
}

static void sub_setup(struct sub *s)
{
	events *e = s->e;
	const char *argv[] = {"XGROUP", "CREATE", s->key,
	                      e->group, "$",      "MKSTREAM"};

	if (s->setting_up || e->stopping || e->freeing)
		return;
	s->setting_up = 1;
	kv_command(e->ctl, group_created, s, 6, argv, NULL);
}

static void retry_run(evutil_socket_t fd, short what, void *p)
{
	struct sub *s = p;

	(void)fd;
	(void)what;
	if (!s->ready)
		sub_setup(s);
	else if (!s->replayed)
		sub_replay(s);
	else
		sub_pump(s);
}

static int pending_count_of(json_t *pending, const char *id)
{
	size_t i;
	json_t *p;

	json_array_foreach(pending, i, p)
	{
		const char *pid = json_string_value(json_array_get(p, 0));

		if (pid && strcmp(pid, id) == 0)
			return (int)json_integer_value(json_array_get(p, 3));
	}
	return 0;
}

static void replay_read(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct sub *s = p;
	json_t *counts = s->replay_counts, *entry;
	size_t i;

	(void)msg;
	s->replay_counts = NULL;
	s->sweeping = 0;
	if (s->e->freeing || s->e->stopping) {
		json_decref(counts);
		return;
	}
	if (err != MESH_OK) {
		json_decref(counts);
		sub_retry_later(s);
		return;
	}
	s->replayed = 1;
	/* This history read counted one more delivery for each entry. */
	json_array_foreach(json_array_get(json_array_get(reply, 0), 1), i,
	                   entry)
	{
		const char *id = json_string_value(json_array_get(entry, 0));

		if (id)
			sub_take(s, id, json_array_get(entry, 1),
			         pending_count_of(counts, id) + 1);
	}
	json_decref(counts);
	sub_pump(s);
}

static void replay_pending(void *p, mesh_err err, const char *msg,
                           json_t *reply)
{
	struct sub *s = p;
	events *e = s->e;
	char count[16];
	const char *argv[] = {"XREADGROUP", "GROUP", e->group,
	                      e->consumer,  "COUNT", count,
	                      "STREAMS",    s->key,  "0"};

	(void)msg;
	if (e->freeing || e->stopping) {
		s->sweeping = 0;
		return;
	}
	if (err != MESH_OK) {
		s->sweeping = 0;
		sub_retry_later(s);
		return;
	}
	if (json_array_size(reply) == 0) {
		s->sweeping = 0;
		s->replayed = 1;
		sub_pump(s);
		return;
	}
	s->replay_counts = json_incref(reply);
	snprintf(count, sizeof count, "%zu", json_array_size(reply));
	kv_command(e->ctl, replay_read, s, 9, argv, NULL);
}

/* Takes back, at once, the entries this consumer name had pending when it
 * last stopped (a crash): as many as there are slots; the sweep gets the
 * rest after their backoff. */
static void sub_replay(struct sub *s)
{
	events *e = s->e;
	char count[16];
	const char *argv[] = {"XPENDING", s->key, e->group,   "-",
	                      "+",        count,  e->consumer};

	if (s->sweeping || e->stopping || e->freeing)
		return;
	snprintf(count, sizeof count, "%d", e->opts.max_in_flight);
	s->sweeping = 1;
	kv_command(e->ctl, replay_pending, s, 7, argv, NULL);
}

struct claim_ctx {
	struct sub *s;
	char id[EVENTS_ID_MAX];
	long long count; /* deliveries before this claim */
};

static void claim_done(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct claim_ctx *c = p;
	struct sub *s = c->s;
	json_t *entry;
	size_t i;

	(void)msg;
	s->claims--;
	if (s->claims == 0)
		s->sweeping = 0;
	if (!s->e->freeing && !s->e->stopping && err == MESH_OK) {
		/* [[id, fields]]; [] when another consumer was first, or the
		 * entry is gone (Redis 7 drops it from the PEL); a null
		 * element for a deleted entry on older servers. */
		json_array_foreach(reply, i, entry)
		{
			if (json_is_null(entry))
				sub_take(s, c->id, json_null(), 1);
			else
				sub_take(
				    s,
				    json_string_value(json_array_get(entry, 0)),
				    json_array_get(entry, 1),
				    (int)c->count + 1);
		}
		sub_pump(s);
	}
	free(c);
}

static void sweep_pending(void *p, mesh_err err, const char *msg, json_t *reply)
{
	struct sub *s = p;
	events *e = s->e;
	const events_opts *o = &e->opts;
	int free_slots = sub_free_slots(s);
	json_t *pe;
	size_t i;

	(void)msg;
	if (e->freeing || e->stopping || err != MESH_OK) {
		s->sweeping = 0;
		return;
	}
	/* [[id, consumer, idle_ms, deliveries], ...] */
	json_array_foreach(reply, i, pe)
	{
		const char *id = json_string_value(json_array_get(pe, 0));
		const char *owner = json_string_value(json_array_get(pe, 1));
		long long idle = json_integer_value(json_array_get(pe, 2));
		long long count = json_integer_value(json_array_get(pe, 3));
		/* Redis counts idle time in whole milliseconds: one more
		 * guarantees the full backoff has passed. */
		int64_t min_idle = backoff_for(o, count) + 1;
		struct claim_ctx *c;
		char min_idle_s[24];
		const char *argv[6];

		if (free_slots <= 0)
			break;
		if (!id || !owner || strlen(id) >= EVENTS_ID_MAX ||
		    delivery_held(s, id))
			continue;
		if (strcmp(owner, e->consumer) != 0 &&
		    min_idle < o->handler_timeout_ms)
			min_idle = o->handler_timeout_ms;
		if (idle < min_idle)
			continue;
		c = events_xcalloc(1, sizeof *c);
		c->s = s;
		c->count = count;
		snprintf(c->id, sizeof c->id, "%s", id);
		snprintf(min_idle_s, sizeof min_idle_s, "%lld",
		         (long long)min_idle);
		argv[0] = "XCLAIM";
		argv[1] = s->key;
		argv[2] = e->group;
		argv[3] = e->consumer;
		argv[4] = min_idle_s;
		argv[5] = c->id;
		/* min-idle again in XCLAIM: if another consumer claimed it
		 * since XPENDING, its idle time restarted and this one gets
		 * nothing. */
		s->claims++;
		free_slots--;
		kv_command(e->ctl, claim_done, c, 6, argv, NULL);
	}
	if (s->claims == 0)
		s->sweeping = 0;
}

static void sweep_run(evutil_socket_t fd, short what, void *p)
{
	events *e = p;
	char min_idle[24], count[16];

	(void)fd;
	(void)what;
	snprintf(min_idle, sizeof min_idle, "%lld",
	         (long long)e->opts.backoff_ms);
	snprintf(count, sizeof count, "%d",
	         2 * e->opts.max_in_flight + EVENTS_SWEEP_SLACK);
	for (struct sub *s = e->subs; s; s = s->next) {
		const char *argv[] = {"XPENDING", s->key, e->group, "IDLE",
		                      min_idle,   "-",    "+",      count};

		if (!s->ready || !s->replayed || s->sweeping || e->stopping ||
		    sub_free_slots(s) <= 0 || !kv_is_connected(e->ctl))
			continue;
		s->sweeping = 1;
		kv_command(e->ctl, sweep_pending, s, 8, argv, NULL);
	}
}

/* ---- Lifecycle ----------------------------------------------------------- */

static void ctl_connected(void *p)
{
	events *e = p;

	if (!e->started || e->stopping || e->freeing)
		return;
	/* After a reconnect Redis may be a new one (no AOF): make sure every
	 * group exists again before reading. */
	for (struct sub *s = e->subs; s; s = s->next) {
		s->ready = 0;
		sub_setup(s);
	}
}

static int opts_check(const events_opts *o, char *err, size_t err_len)
{
	const char *bad = NULL;

	if (o->max_attempts < 1 || o->max_attempts > EVENTS_ATTEMPTS_LIMIT)
		bad = "max_attempts must be 1-1000";
	else if (o->backoff_ms < 1)
		bad = "backoff_ms must be at least 1";
	else if (o->backoff_max_ms < o->backoff_ms)
		bad = "backoff_max_ms must be at least backoff_ms";
	else if (o->handler_timeout_ms < 1)
		bad = "handler_timeout_ms must be at least 1";
	else if (o->max_in_flight < 1 ||
	         o->max_in_flight > EVENTS_IN_FLIGHT_LIMIT)
		bad = "max_in_flight must be 1-10000";
	else if (o->stream_maxlen < 1)
		bad = "stream_maxlen must be at least 1";
	if (bad && err && err_len)
		snprintf(err, err_len, "events: %s", bad);
	return bad ? -1 : 0;
}

static int name_check(const char *what, const char *name, char *err,
                      size_t err_len)
{
	size_t n = name ? strlen(name) : 0;

	if (n >= 1 && n <= EVENTS_NAME_MAX)
		return 0;
	if (err && err_len)
		snprintf(err, err_len, "events: %s must be 1-%d characters",
		         what, EVENTS_NAME_MAX);
	return -1;
}

events *events_new(struct event_base *base, const char *url, const char *group,
                   const char *consumer, const events_opts *opts, char *err,
                   size_t err_len)
{
	events_opts o;
	events *e;

	if (opts)
		o = *opts;
	else
		events_opts_default(&o);
	if (opts_check(&o, err, err_len) != 0 ||
	    name_check("group", group, err, err_len) != 0 ||
	    name_check("consumer", consumer, err, err_len) != 0)
		return NULL;
	e = events_xcalloc(1, sizeof *e);
	e->ctl = kv_new(base, url, err, err_len);
	if (!e->ctl) {
		free(e);
		return NULL;
	}
	e->base = base;
	e->opts = o;
	e->url = strdup(url);
	if (!e->url)
		abort();
	snprintf(e->group, sizeof e->group, "%s", group);
	snprintf(e->consumer, sizeof e->consumer, "%s", consumer);
	e->sweep_ev = event_new(base, -1, EV_PERSIST, sweep_run, e);
	if (!e->sweep_ev)
		abort();
	e->stop_ev = timer_new(base, stop_run, e);
	kv_on_connect(e->ctl, ctl_connected, e);
	return e;
}

int events_subscribe(events *e, const char *topic, events_handler_fn fn,
                     void *arg)
{
	struct sub *s, **tail;

	if (!topic_valid(topic) || !fn || e->started)
		return -1;
	for (tail = &e->subs; *tail; tail = &(*tail)->next)
		if (strcmp((*tail)->topic, topic) == 0)
			return -1;
	s = events_xcalloc(1, sizeof *s);
	s->e = e;
	snprintf(s->topic, sizeof s->topic, "%s", topic);
	snprintf(s->key, sizeof s->key, "events:%s", topic);
	snprintf(s->dead_key, sizeof s->dead_key, "events:%s:dead", topic);
	s->fn = fn;
	s->arg = arg;
	s->retry_ev = timer_new(e->base, retry_run, s);
	s->pump_ev = timer_new(e->base, pump_run, s);
	s->ack_ev = timer_new(e->base, ack_run, s);
	*tail = s;
	return 0;
}

void events_start(events *e)
{
	int64_t every = e->opts.backoff_ms / 2;
	char err[160];

	if (e->started || e->stopping)
		return;
	e->started = 1;
	for (struct sub *s = e->subs; s; s = s->next) {
		/* The URL parsed once already: only memory can fail here. */
		s->reader = kv_new(e->base, e->url, err, sizeof err);
		if (!s->reader)
			abort();
	}
	if (every < EVENTS_SWEEP_MIN_MS)
		every = EVENTS_SWEEP_MIN_MS;
	timer_in(e->sweep_ev, every);
	if (kv_is_connected(e->ctl))
		ctl_connected(e);
}

static void stop_run(evutil_socket_t fd, short what, void *p)
{
	events *e = p;
	void (*done)(void *);

	(void)fd;
	(void)what;
	for (struct sub *s = e->subs; s; s = s->next)
		if (s->running > 0)
			return;
	if (e->ops > 0 || !e->stop_done)
		return;
	done = e->stop_done;
	e->stop_done = NULL;
	done(e->stop_arg);
}

static void stop_check(events *e)
{
	if (e->stopping && e->stop_done && !e->freeing)
		timer_in(e->stop_ev, 0);
}

void events_stop(events *e, void (*done)(void *arg), void *arg)
{
	events_delivery *d, *next;

	if (e->stopping)
		return;
	e->stopping = 1;
	e->stop_done = done;
	e->stop_arg = arg;
	evtimer_del(e->sweep_ev);
	/* Queued entries were never started: they stay pending in Redis and
	 * come back to this consumer name, or to another after the backoff. */
	for (d = e->deliveries; d; d = next) {
		next = d->next;
		if (d->state == D_QUEUED) {
			d->sub->queued--;
			d->state = D_SETTLED;
			d->done_called = 1;
			delivery_maybe_free(d);
		}
	}
	for (struct sub *s = e->subs; s; s = s->next) {
		evtimer_del(s->retry_ev);
		/* Ends the blocked read now (its callback sees stopping). */
		kv_free(s->reader);
		s->reader = NULL;
	}
	if (done)
		timer_in(e->stop_ev, 0);
}

void events_free(events *e)
{
	struct sub *s, *next;

	if (!e)
		return;
	e->freeing = 1;
	for (s = e->subs; s; s = s->next) {
		kv_free(s->reader);
		s->reader = NULL;
	}
	/* Reports what is still outstanding to our callbacks, which see
	 * freeing and only release their own memory. */
	kv_free(e->ctl);
	while (e->deliveries)
		delivery_unlink_free(e->deliveries);
	for (s = e->subs; s; s = next) {
		next = s->next;
		json_decref(s->replay_counts);
		event_free(s->retry_ev);
		event_free(s->pump_ev);
		event_free(s->ack_ev);
		free(s);
	}
	event_free(e->sweep_ev);
	event_free(e->stop_ev);
	free(e->url);
	free(e);
}
