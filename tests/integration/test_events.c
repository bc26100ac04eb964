/*
 * test_events.c: durable topics against a real redis-server: delivery and
 * acknowledgement, retries with backoff, dead-lettering, consumer groups,
 * backpressure, malformed entries and recovery after a consumer is killed.
 */
#include <check.h>
#include <event2/event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "events.h"
#include "redis_server.h"
#include "runtime.h"
#include "test_loop.h"

static struct event_base *base;
static redis_server *rs;
static kv *pub;

#define RUN_UNTIL(cond, ms) TEST_LOOP_UNTIL(base, cond, ms)

static void run_for(int64_t ms)
{
	test_loop_run_for(base, ms);
}

/* ---- What handlers saw -------------------------------------------------- */

enum mode {
	M_OK,         /* done(OK) at once */
	M_FAIL_FIRST, /* fail while attempt <= fail_first, then OK */
	M_FAIL,       /* always fail */
	M_HOLD,       /* keep the delivery; the test ends it */
	M_HOLD_FIRST, /* hold attempt 1, OK afterwards */
	M_LATER       /* done(OK) 10 ms later, from a timer */
};

struct consumer {
	int id;
	enum mode mode;
	events *e;
};

#define MAX_REC 256
struct rec {
	int consumer;
	int n; /* the payload's "n" */
	int attempt;
	int64_t at_ms;
	char request_id[64];
	char traceparent[128];
};

static struct rec recs[MAX_REC];
static int nrec;
static int fail_first;
static events_delivery *held[MAX_REC];
static int nheld;
static int now_running, max_running;

static void later_done(evutil_socket_t fd, short what, void *p)
{
	(void)fd;
	(void)what;
	now_running--;
	events_delivery_done(p, MESH_OK, "");
}

static void handler(void *arg, events_delivery *d, const char *topic,
                    json_t *payload, const char *request_id,
                    const char *traceparent, int attempt)
{
	struct consumer *c = arg;
	struct rec *r = &recs[nrec < MAX_REC ? nrec++ : MAX_REC - 1];
	struct timeval ten_ms = {0, 10000};

	(void)topic;
	r->consumer = c->id;
	r->n = (int)json_integer_value(json_object_get(payload, "n"));
	r->attempt = attempt;
	r->at_ms = runtime_now_ms();
	snprintf(r->request_id, sizeof r->request_id, "%s", request_id);
	snprintf(r->traceparent, sizeof r->traceparent, "%s", traceparent);
	if (++now_running > max_running)
		max_running = now_running;

	switch (c->mode) {
	case M_OK:
		now_running--;
		events_delivery_done(d, MESH_OK, "");
		break;
	case M_FAIL_FIRST:
		now_running--;
		if (attempt <= fail_first)
			events_delivery_done(d, MESH_EUNAVAILABLE,
			                     "crm is down");
		else
			events_delivery_done(d, MESH_OK, "");
		break;
	case M_FAIL:
		now_running--;
		events_delivery_done(d, MESH_EINTERNAL, "boom");
		break;
	case M_HOLD_FIRST:
		if (attempt > 1) {
			now_running--;
			events_delivery_done(d, MESH_OK, "");
			break;
		}
		held[nheld++] = d;
		break;
	case M_HOLD:
		held[nheld++] = d;
		break;
	case M_LATER:
		event_base_once(base, -1, EV_TIMEOUT, later_done, d, &ten_ms);
		break;
	}
}

/* ---- Redis state -------------------------------------------------------- */

static long long pending_count(const char *topic, const char *group)
{
	redisReply *r =
	    redis_server_cmd(rs, "XPENDING events:%s %s", topic, group);
	long long n = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0)
		n = r->element[0]->integer;
	if (r)
		freeReplyObject(r);
	return n;
}

static int group_exists(const char *topic, const char *group)
{
	redisReply *r = redis_server_cmd(rs, "XINFO GROUPS events:%s", topic);
	int found = 0;

	for (size_t i = 0;
	     r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !found;
	     i++) {
		redisReply *g = r->element[i];

		for (size_t j = 0; j + 1 < g->elements; j += 2)
			if (strcmp(g->element[j]->str, "name") == 0 &&
			    strcmp(g->element[j + 1]->str, group) == 0)
				found = 1;
	}
	if (r)
		freeReplyObject(r);
	return found;
}

/* A field of the dead-letter entry number i, or "" (static buffer). */
static const char *dead_field(const char *topic, size_t i, const char *name)
{
	static char out[512];
	redisReply *r =
	    redis_server_cmd(rs, "XRANGE events:%s:dead - +", topic);

	out[0] = '\0';
	if (r && r->type == REDIS_REPLY_ARRAY && i < r->elements) {
		redisReply *f = r->element[i]->element[1];

		for (size_t j = 0; j + 1 < f->elements; j += 2)
			if (strcmp(f->element[j]->str, name) == 0)
				snprintf(out, sizeof out, "%s",
				         f->element[j + 1]->str);
	}
	if (r)
		freeReplyObject(r);
	return out;
}

/* ---- Fixture ------------------------------------------------------------ */

static void setup(void)
{
	char err[256];

	rs = redis_server_start();
	ck_assert_ptr_nonnull(rs);
	base = event_base_new();
	runtime_init(base, "svc");
	pub = kv_new(base, redis_server_url(rs), err, sizeof err);
	ck_assert_msg(pub != NULL, "%s", err);
	RUN_UNTIL(kv_is_connected(pub), 3000);
	ck_assert(kv_is_connected(pub));
	memset(recs, 0, sizeof recs);
	nrec = nheld = now_running = max_running = 0;
	fail_first = 0;
}

static void teardown(void)
{
	kv_free(pub);
	pub = NULL;
	run_for(20);
	event_base_free(base);
	redis_server_free(rs);
}

static events *consumer_start(struct consumer *c, const char *topic,
                              const char *group, const char *name,
                              const events_opts *o)
{
	char err[256];

	c->e = events_new(base, redis_server_url(rs), group, name, o, err,
	                  sizeof err);
	ck_assert_msg(c->e != NULL, "%s", err);
	ck_assert_int_eq(events_subscribe(c->e, topic, handler, c), 0);
	events_start(c->e);
	RUN_UNTIL(group_exists(topic, group), 3000);
	ck_assert(group_exists(topic, group));
	return c->e;
}

static int stopped;

static void on_stopped(void *arg)
{
	(void)arg;
	stopped++;
}

static void consumer_end(struct consumer *c)
{
	stopped = 0;
	events_stop(c->e, on_stopped, NULL);
	RUN_UNTIL(stopped, 3000);
	ck_assert_int_eq(stopped, 1);
	events_free(c->e);
	c->e = NULL;
}

struct pub_res {
	int calls;
	mesh_err err;
	char msg[256];
};

static void pub_cb(void *arg, mesh_err err, const char *msg)
{
	struct pub_res *p = arg;

	p->calls++;
	p->err = err;
	snprintf(p->msg, sizeof p->msg, "%s", msg);
}

static mesh_err publish(const char *topic, json_t *payload, const char *rid,
                        const char *tp, struct pub_res *p)
{
	struct pub_res local = {0};

	if (!p)
		p = &local;
	memset(p, 0, sizeof *p);
	events_publish(pub, topic, payload, rid, tp, 1000, pub_cb, p);
	ck_assert_int_eq(p->calls, 0);
	RUN_UNTIL(p->calls, 3000);
	ck_assert_int_eq(p->calls, 1);
	return p->err;
}

static void publish_n(const char *topic, int n)
{
	ck_assert_int_eq(
	    publish(topic, json_pack("{si}", "n", n), NULL, NULL, NULL),
	    MESH_OK);
}

static events_opts fast_opts(void)
{
	events_opts o;

	events_opts_default(&o);
	o.backoff_ms = 50;
	o.backoff_max_ms = 1000;
	o.handler_timeout_ms = 5000;
	o.max_attempts = 3;
	return o;
}

/* ---- Tests -------------------------------------------------------------- */

START_TEST(test_publish_then_handle_once)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	redisReply *r;

	consumer_start(&c, "leads.created", "svc", "svc-1", &o);
	ck_assert_int_eq(publish("leads.created",
	                         json_pack("{si,ss}", "n", 7, "name", "Ann"),
	                         "req-1", "00-0af7651916cd43dd-01", NULL),
	                 MESH_OK);
	RUN_UNTIL(nrec == 1, 3000);
	ck_assert_int_eq(nrec, 1);
	ck_assert_int_eq(recs[0].n, 7);
	ck_assert_int_eq(recs[0].attempt, 1);
	ck_assert_str_eq(recs[0].request_id, "req-1");
	ck_assert_str_eq(recs[0].traceparent, "00-0af7651916cd43dd-01");
	RUN_UNTIL(pending_count("leads.created", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("leads.created", "svc"), 0);

	/* What the stream holds, as another reader would see it. */
	r = redis_server_cmd(rs, "XRANGE events:leads.created - +");
	ck_assert_int_eq(r->elements, 1);
	ck_assert_str_eq(r->element[0]->element[1]->element[0]->str, "payload");
	ck_assert_str_eq(r->element[0]->element[1]->element[1]->str,
	                 "{\"n\":7,\"name\":\"Ann\"}");
	ck_assert_str_eq(r->element[0]->element[1]->element[6]->str,
	                 "published_ms");
	ck_assert_int_gt(atoll(r->element[0]->element[1]->element[7]->str),
	                 1600000000000LL);
	freeReplyObject(r);

	run_for(300);
	ck_assert_int_eq(nrec, 1);
	consumer_end(&c);
}
END_TEST

/* Deliveries that end in one turn of the loop cost Redis one XACK. */
START_TEST(test_acks_of_one_turn_are_one_xack)
{
	struct consumer c = {1, M_HOLD, NULL};
	events_opts o = fast_opts();
	long long xacks;

	consumer_start(&c, "leads.created", "svc", "svc-1", &o);
	for (int i = 0; i < 20; i++)
		publish_n("leads.created", i);
	RUN_UNTIL(nheld == 20, 3000);
	ck_assert_int_eq(nheld, 20);
	ck_assert_int_eq(pending_count("leads.created", "svc"), 20);
	xacks = redis_server_calls(rs, "xack");
	for (int i = 0; i < 20; i++)
		events_delivery_done(held[i], MESH_OK, "");
	RUN_UNTIL(pending_count("leads.created", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("leads.created", "svc"), 0);
	ck_assert_int_eq(redis_server_calls(rs, "xack"), xacks + 1);

	/* Nothing comes back: every one of them was acknowledged. */
	run_for(300);
	ck_assert_int_eq(nrec, 20);
	consumer_end(&c);
}
END_TEST

START_TEST(test_retry_with_backoff)
{
	struct consumer c = {1, M_FAIL_FIRST, NULL};
	events_opts o = fast_opts();

	o.backoff_ms = 100;
	o.max_attempts = 5;
	fail_first = 2;
	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 1);
	RUN_UNTIL(nrec == 3, 5000);
	ck_assert_int_eq(nrec, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(recs[i].attempt, i + 1);
	/* backoff(1) = 100 ms, backoff(2) = 200 ms, from each failure. */
	ck_assert_int_ge(recs[1].at_ms - recs[0].at_ms, 100);
	ck_assert_int_ge(recs[2].at_ms - recs[1].at_ms, 200);
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 0);
	run_for(300);
	ck_assert_int_eq(nrec, 3);
	consumer_end(&c);
}
END_TEST

START_TEST(test_dead_letter)
{
	struct consumer c = {1, M_FAIL, NULL};
	events_opts o = fast_opts();
	redisReply *r;
	char id[64];

	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 5);
	r = redis_server_cmd(rs, "XRANGE events:t - +");
	snprintf(id, sizeof id, "%s", r->element[0]->element[0]->str);
	freeReplyObject(r);

	RUN_UNTIL(redis_server_int(rs, "XLEN events:t:dead") == 1, 5000);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 1);
	ck_assert_int_eq(nrec, 3);
	ck_assert_int_eq(recs[2].attempt, 3);
	ck_assert_ptr_nonnull(strstr(dead_field("t", 0, "error"), "boom"));
	ck_assert_str_eq(dead_field("t", 0, "attempts"), "3");
	ck_assert_str_eq(dead_field("t", 0, "group"), "svc");
	ck_assert_str_eq(dead_field("t", 0, "id"), id);
	ck_assert_str_eq(dead_field("t", 0, "payload"), "{\"n\":5}");
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	run_for(300);
	ck_assert_int_eq(nrec, 3);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 1);
	consumer_end(&c);
}
END_TEST

START_TEST(test_one_group_shares_work)
{
	struct consumer a = {1, M_LATER, NULL}, b = {2, M_LATER, NULL};
	events_opts o = fast_opts();
	int seen[20] = {0}, by_a = 0, by_b = 0;

	o.max_in_flight = 2;
	consumer_start(&a, "t", "svc", "svc-a", &o);
	consumer_start(&b, "t", "svc", "svc-b", &o);
	run_for(50); /* both blocked in XREADGROUP */
	for (int i = 0; i < 20; i++)
		publish_n("t", i);
	RUN_UNTIL(nrec >= 20 && pending_count("t", "svc") == 0, 5000);
	run_for(200);
	ck_assert_int_eq(nrec, 20);
	for (int i = 0; i < nrec; i++) {
		seen[recs[i].n]++;
		if (recs[i].consumer == 1)
			by_a++;
		else
			by_b++;
	}
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(seen[i], 1);
	ck_assert_int_gt(by_a, 0);
	ck_assert_int_gt(by_b, 0);
	ck_assert_int_le(max_running, 4);
	consumer_end(&a);
	consumer_end(&b);
}
END_TEST

START_TEST(test_every_group_gets_every_event)
{
	struct consumer a = {1, M_OK, NULL}, b = {2, M_OK, NULL};
	events_opts o = fast_opts();
	int seen[2][5] = {{0}};

	consumer_start(&a, "t", "valuation", "valuation-1", &o);
	consumer_start(&b, "t", "slack", "slack-1", &o);
	for (int i = 0; i < 5; i++)
		publish_n("t", i);
	RUN_UNTIL(nrec >= 10, 5000);
	run_for(200);
	ck_assert_int_eq(nrec, 10);
	for (int i = 0; i < nrec; i++)
		seen[recs[i].consumer - 1][recs[i].n]++;
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(seen[0][i], 1);
		ck_assert_int_eq(seen[1][i], 1);
	}
	RUN_UNTIL(pending_count("t", "valuation") == 0 &&
	              pending_count("t", "slack") == 0,
	          3000);
	ck_assert_int_eq(pending_count("t", "valuation"), 0);
	ck_assert_int_eq(pending_count("t", "slack"), 0);
	consumer_end(&a);
	consumer_end(&b);
}
END_TEST

START_TEST(test_backpressure)
{
	struct consumer c = {1, M_HOLD, NULL};
	events_opts o = fast_opts();
	int released = 0;

	o.max_in_flight = 2;
	o.handler_timeout_ms = 10000;
	consumer_start(&c, "t", "svc", "svc-1", &o);
	for (int i = 0; i < 6; i++)
		publish_n("t", i);
	RUN_UNTIL(nheld == 2, 3000);
	run_for(300); /* sweeps and reads come and go: still two */
	ck_assert_int_eq(nheld, 2);
	ck_assert_int_eq(max_running, 2);

	while (released < 6) {
		RUN_UNTIL(nheld > released, 3000);
		ck_assert_int_gt(nheld, released);
		now_running--;
		events_delivery_done(held[released++], MESH_OK, "");
	}
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	ck_assert_int_eq(nrec, 6);
	ck_assert_int_eq(max_running, 2);
	consumer_end(&c);
}
END_TEST

START_TEST(test_malformed_payload)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	redisReply *r;

	consumer_start(&c, "t", "svc", "svc-1", &o);
	r = redis_server_cmd(rs, "XADD events:t * payload {not-json");
	freeReplyObject(r);
	r = redis_server_cmd(rs, "XADD events:t * other 1");
	freeReplyObject(r);
	publish_n("t", 3);
	RUN_UNTIL(redis_server_int(rs, "XLEN events:t:dead") == 2 && nrec == 1,
	          3000);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 2);
	ck_assert_int_eq(nrec, 1);
	ck_assert_int_eq(recs[0].n, 3);
	ck_assert_ptr_nonnull(
	    strstr(dead_field("t", 0, "error"), "payload: invalid JSON"));
	ck_assert_str_eq(dead_field("t", 0, "payload"), "{not-json");
	ck_assert_str_eq(dead_field("t", 0, "attempts"), "1");
	ck_assert_ptr_nonnull(
	    strstr(dead_field("t", 1, "error"), "no payload field"));
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	consumer_end(&c);
}
END_TEST

START_TEST(test_handler_timeout_then_late_done)
{
	struct consumer c = {1, M_HOLD_FIRST, NULL};
	events_opts o = fast_opts();

	o.handler_timeout_ms = 100;
	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 1);
	RUN_UNTIL(nrec == 2, 3000);
	ck_assert_int_eq(nrec, 2);
	ck_assert_int_eq(recs[1].attempt, 2);
	/* Retried no sooner than the timeout plus the backoff. */
	ck_assert_int_ge(recs[1].at_ms - recs[0].at_ms, 100 + 50);
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);

	/* The first handler finally answers: nothing happens. */
	ck_assert_int_eq(nheld, 1);
	events_delivery_done(held[0], MESH_EINTERNAL, "too late");
	run_for(200);
	ck_assert_int_eq(nrec, 2);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 0);
	consumer_end(&c);
}
END_TEST

START_TEST(test_deleted_entry_skipped)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	redisReply *r;
	char id[64];

	/* Delivered to svc-1 by someone else, then deleted from the stream. */
	freeReplyObject(
	    redis_server_cmd(rs, "XGROUP CREATE events:t svc $ MKSTREAM"));
	r = redis_server_cmd(rs, "XADD events:t * payload {}");
	snprintf(id, sizeof id, "%s", r->str);
	freeReplyObject(r);
	freeReplyObject(redis_server_cmd(
	    rs, "XREADGROUP GROUP svc svc-1 STREAMS events:t >"));
	freeReplyObject(redis_server_cmd(rs, "XDEL events:t %s", id));
	ck_assert_int_eq(pending_count("t", "svc"), 1);

	consumer_start(&c, "t", "svc", "svc-1", &o);
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	run_for(100);
	ck_assert_int_eq(nrec, 0);
	consumer_end(&c);
}
END_TEST

START_TEST(test_stop_waits_for_in_flight)
{
	struct consumer c = {1, M_HOLD, NULL};
	events_opts o = fast_opts();

	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 1);
	RUN_UNTIL(nheld == 1, 3000);
	ck_assert_int_eq(nheld, 1);
	stopped = 0;
	events_stop(c.e, on_stopped, NULL);
	ck_assert_int_eq(stopped, 0);
	run_for(200);
	ck_assert_int_eq(stopped, 0);
	events_delivery_done(held[0], MESH_OK, "");
	RUN_UNTIL(stopped, 3000);
	ck_assert_int_eq(stopped, 1);
	/* The ack went out before stop reported. */
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	events_free(c.e);

	/* Nothing in flight: stop still reports later, never inside. */
	consumer_start(&c, "t", "svc", "svc-1", &o);
	stopped = 0;
	events_stop(c.e, on_stopped, NULL);
	ck_assert_int_eq(stopped, 0);
	RUN_UNTIL(stopped, 3000);
	ck_assert_int_eq(stopped, 1);
	events_free(c.e);
}
END_TEST

START_TEST(test_free_while_busy)
{
	struct consumer c = {1, M_HOLD, NULL};
	events_opts o = fast_opts();

	/* Freed with a handler holding a delivery and a read blocked. */
	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 1);
	publish_n("t", 2);
	RUN_UNTIL(nheld == 2, 3000);
	events_free(c.e);
	run_for(50);
	ck_assert_int_eq(pending_count("t", "svc"), 2);
}
END_TEST

START_TEST(test_claim_past_max_attempts)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	redisReply *r;
	char id[64];

	/* An entry some consumer took three times already (crashing each
	 * time, say); this group allows two attempts. */
	freeReplyObject(
	    redis_server_cmd(rs, "XGROUP CREATE events:t svc $ MKSTREAM"));
	r = redis_server_cmd(rs, "XADD events:t * payload {\"n\":4}");
	snprintf(id, sizeof id, "%s", r->str);
	freeReplyObject(r);
	freeReplyObject(redis_server_cmd(
	    rs, "XREADGROUP GROUP svc gone STREAMS events:t >"));
	for (int i = 0; i < 2; i++)
		freeReplyObject(
		    redis_server_cmd(rs, "XCLAIM events:t svc gone 0 %s", id));

	o.max_attempts = 2;
	o.handler_timeout_ms = 100;
	consumer_start(&c, "t", "svc", "svc-2", &o);
	RUN_UNTIL(redis_server_int(rs, "XLEN events:t:dead") == 1, 3000);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:t:dead"), 1);
	ck_assert_ptr_nonnull(strstr(dead_field("t", 0, "error"),
	                             "delivered 4 times, more than "
	                             "max_attempts 2"));
	ck_assert_str_eq(dead_field("t", 0, "attempts"), "4");
	ck_assert_str_eq(dead_field("t", 0, "id"), id);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	ck_assert_int_eq(nrec, 0);
	consumer_end(&c);
}
END_TEST

START_TEST(test_redis_restart)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();

	consumer_start(&c, "t", "svc", "svc-1", &o);
	publish_n("t", 1);
	RUN_UNTIL(nrec == 1, 3000);
	ck_assert_int_eq(redis_server_stop(rs), 0);
	run_for(300); /* reads and sweeps fail meanwhile, and retry */
	ck_assert_int_eq(redis_server_restart(rs), 0);
	RUN_UNTIL(kv_is_connected(pub), 5000);
	ck_assert(kv_is_connected(pub));
	publish_n("t", 2);
	RUN_UNTIL(nrec == 2, 5000);
	ck_assert_int_eq(nrec, 2);
	ck_assert_int_eq(recs[1].n, 2);
	RUN_UNTIL(pending_count("t", "svc") == 0, 3000);
	ck_assert_int_eq(pending_count("t", "svc"), 0);
	consumer_end(&c);
}
END_TEST

START_TEST(test_bad_input)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	char err[256], topic[EVENTS_TOPIC_MAX + 2];
	struct pub_res p;
	events *e;
	char *big;

	e = events_new(base, redis_server_url(rs), "svc", "svc-1", &o, err,
	               sizeof err);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(events_subscribe(e, "", handler, &c), -1);
	ck_assert_int_eq(events_subscribe(e, "Leads", handler, &c), -1);
	ck_assert_int_eq(events_subscribe(e, "a b", handler, &c), -1);
	ck_assert_int_eq(events_subscribe(e, NULL, handler, &c), -1);
	memset(topic, 'a', sizeof topic);
	topic[EVENTS_TOPIC_MAX + 1] = '\0';
	ck_assert_int_eq(events_subscribe(e, topic, handler, &c), -1);
	topic[EVENTS_TOPIC_MAX] = '\0';
	ck_assert_int_eq(events_subscribe(e, topic, handler, &c), 0);
	ck_assert_int_eq(events_subscribe(e, topic, handler, &c), -1);
	ck_assert_int_eq(events_subscribe(e, "lead-1.x_y", handler, &c), 0);
	events_free(e);

	ck_assert_int_eq(publish("Bad Topic", json_object(), NULL, NULL, &p),
	                 MESH_EINVAL);
	ck_assert_str_eq(
	    p.msg, "topic: expected [a-z0-9._-]{1,64}, got \"Bad Topic\"");

	/* A string payload serializes with its two quotes. */
	big = malloc(EVENTS_MAX_PAYLOAD_BYTES + 1);
	memset(big, 'x', EVENTS_MAX_PAYLOAD_BYTES);
	big[EVENTS_MAX_PAYLOAD_BYTES - 2] = '\0';
	ck_assert_int_eq(publish("t", json_string(big), NULL, NULL, &p),
	                 MESH_OK);
	big[EVENTS_MAX_PAYLOAD_BYTES - 2] = 'x';
	big[EVENTS_MAX_PAYLOAD_BYTES - 1] = '\0';
	ck_assert_int_eq(publish("t", json_string(big), NULL, NULL, &p),
	                 MESH_ETOOLARGE);
	ck_assert_ptr_nonnull(strstr(p.msg, "more than the limit"));
	free(big);

	ck_assert_ptr_null(
	    events_new(base, "nope://", "svc", "svc-1", &o, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "REDIS_URL"));
	ck_assert_ptr_null(events_new(base, redis_server_url(rs), "", "c", &o,
	                              err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "group must be"));
	o.max_in_flight = 0;
	ck_assert_ptr_null(events_new(base, redis_server_url(rs), "svc", "c",
	                              &o, err, sizeof err));
	ck_assert_str_eq(err, "events: max_in_flight must be 1-10000");
	o.max_in_flight = 10000;
	e = events_new(base, redis_server_url(rs), "svc", "c", &o, err,
	               sizeof err);
	ck_assert_ptr_nonnull(e);
	events_free(e);
	o.max_in_flight = 10001;
	ck_assert_ptr_null(events_new(base, redis_server_url(rs), "svc", "c",
	                              &o, err, sizeof err));
	o = fast_opts();
	o.max_attempts = 0;
	ck_assert_ptr_null(events_new(base, redis_server_url(rs), "svc", "c",
	                              &o, err, sizeof err));
	ck_assert_str_eq(err, "events: max_attempts must be 1-1000");
}
END_TEST

/* ---- Crash recovery ----------------------------------------------------- */

static void child_handler(void *arg, events_delivery *d, const char *topic,
                          json_t *payload, const char *request_id,
                          const char *traceparent, int attempt)
{
	(void)d;
	(void)topic;
	(void)payload;
	(void)request_id;
	(void)traceparent;
	(void)attempt;
	/* Started, and never finishing: the parent kills us now. */
	if (write(*(int *)arg, "x", 1) != 1)
		_exit(3);
}

static void child_consumer(const char *url, int wfd)
{
	struct event_base *b;
	char err[256];
	events *e;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	b = event_base_new();
	runtime_init(b, "svc");
	e = events_new(b, url, "svc", "svc-1", NULL, err, sizeof err);
	if (!e || events_subscribe(e, "crash", child_handler, &wfd) != 0)
		_exit(2);
	events_start(e);
	event_base_dispatch(b);
	_exit(1);
}

/* Runs a consumer named svc-1 in a child process until its handler has
 * started on the one entry, then kills it with SIGKILL. Returns when the
 * handler was seen to start. */
static int64_t crash_a_consumer(void)
{
	int fds[2];
	pid_t pid;
	struct pollfd pfd;
	char c;
	redisReply *r;
	int64_t started;

	freeReplyObject(
	    redis_server_cmd(rs, "XGROUP CREATE events:crash svc $ MKSTREAM"));
	r = redis_server_cmd(rs, "XADD events:crash * payload {\"n\":9}");
	freeReplyObject(r);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_consumer(redis_server_url(rs), fds[1]);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	started = runtime_now_ms();
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	close(fds[0]);
	ck_assert_int_eq(pending_count("crash", "svc"), 1);
	return started;
}

START_TEST(test_crash_recovery_same_name)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();

	crash_a_consumer();
	/* The restarted instance takes its own pending entry back at once,
	 * without waiting for any backoff. */
	o.backoff_ms = 5000;
	o.backoff_max_ms = 5000;
	consumer_start(&c, "crash", "svc", "svc-1", &o);
	RUN_UNTIL(nrec == 1 && pending_count("crash", "svc") == 0, 3000);
	ck_assert_int_eq(nrec, 1);
	ck_assert_int_eq(recs[0].n, 9);
	ck_assert_int_eq(recs[0].attempt, 2);
	ck_assert_int_eq(pending_count("crash", "svc"), 0);
	run_for(300);
	ck_assert_int_eq(nrec, 1);
	consumer_end(&c);
}
END_TEST

START_TEST(test_crash_recovery_other_name)
{
	struct consumer c = {1, M_OK, NULL};
	events_opts o = fast_opts();
	int64_t t0;

	t0 = crash_a_consumer();
	o.backoff_ms = 100;
	o.handler_timeout_ms = 300;
	consumer_start(&c, "crash", "svc", "svc-2", &o);
	RUN_UNTIL(nrec == 1 && pending_count("crash", "svc") == 0, 5000);
	ck_assert_int_eq(nrec, 1);
	ck_assert_int_eq(recs[0].n, 9);
	ck_assert_int_eq(recs[0].attempt, 2);
	ck_assert_int_eq(pending_count("crash", "svc"), 0);
	/* Another consumer's entry waits out the handler timeout (300 ms
	 * idle) too, as it could be a live one's slow handler; t0 is a little
	 * after the child's delivery, hence the slack. */
	ck_assert_int_ge(recs[0].at_ms - t0, 200);
	run_for(300);
	ck_assert_int_eq(nrec, 1);
	consumer_end(&c);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_publish_then_handle_once);
	tcase_add_test(tc, test_acks_of_one_turn_are_one_xack);
	tcase_add_test(tc, test_retry_with_backoff);
	tcase_add_test(tc, test_dead_letter);
	tcase_add_test(tc, test_one_group_shares_work);
	tcase_add_test(tc, test_every_group_gets_every_event);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_malformed_payload);
	tcase_add_test(tc, test_handler_timeout_then_late_done);
	tcase_add_test(tc, test_deleted_entry_skipped);
	tcase_add_test(tc, test_stop_waits_for_in_flight);
	tcase_add_test(tc, test_free_while_busy);
	tcase_add_test(tc, test_claim_past_max_attempts);
	tcase_add_test(tc, test_redis_restart);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_crash_recovery_same_name);
	tcase_add_test(tc, test_crash_recovery_other_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
