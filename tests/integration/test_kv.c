/*
 * test_kv.c: kv and the get-or-compute cache against a real redis-server on
 * a temporary Unix socket.
 */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "redis_server.h"
#include "runtime.h"
#include "test_loop.h"

static struct event_base *base;
static redis_server *rs;
static kv *k;

/* Set while a test is inside a kv call: a callback seeing it ran too
 * early. */
static int in_call;
static int early_callbacks;

#define RUN_UNTIL(cond, ms) TEST_LOOP_UNTIL(base, cond, ms)

static void run_for(int64_t ms)
{
	test_loop_run_for(base, ms);
}

struct res {
	int calls;
	mesh_err err;
	char msg[256];
	json_t *reply;
	int64_t at_ms;
};

static void res_clear(struct res *r)
{
	json_decref(r->reply);
	memset(r, 0, sizeof *r);
}

static void res_cb(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	struct res *r = arg;

	if (in_call)
		early_callbacks++;
	r->calls++;
	r->err = err;
	snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "(null)");
	json_decref(r->reply);
	r->reply = reply ? json_incref(reply) : NULL;
	r->at_ms = runtime_now_ms();
}

/* Runs a command through kv and waits for its one reply. */
static void run_cmd(struct res *r, int argc, const char **argv,
                    const size_t *lens)
{
	res_clear(r);
	in_call = 1;
	kv_command(k, res_cb, r, argc, argv, lens);
	in_call = 0;
	ck_assert_int_eq(r->calls, 0);
	RUN_UNTIL(r->calls > 0, 3000);
	ck_assert_int_eq(r->calls, 1);
}

#define CMD(r, ...)                                                            \
	do {                                                                   \
		const char *argv_[] = {__VA_ARGS__};                           \
		run_cmd((r), (int)(sizeof argv_ / sizeof argv_[0]), argv_,     \
		        NULL);                                                 \
	} while (0)

static void wait_connected(void)
{
	RUN_UNTIL(kv_is_connected(k), 3000);
	ck_assert(kv_is_connected(k));
}

static void setup(void)
{
	char err[256];

	rs = redis_server_start();
	ck_assert_ptr_nonnull(rs);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	runtime_init(base, "test");
	early_callbacks = 0;
	k = kv_new(base, redis_server_url(rs), err, sizeof err);
	ck_assert_msg(k != NULL, "%s", err);
	wait_connected();
}

static void teardown(void)
{
	kv_free(k);
	k = NULL;
	/* Let deferred reports run so nothing is left allocated. */
	run_for(20);
	event_base_free(base);
	redis_server_free(rs);
	rs = NULL;
	ck_assert_int_eq(early_callbacks, 0);
}

/* ---- URLs --------------------------------------------------------------- */

static int parse(const char *url, char *path, char *host, int *port, char *err)
{
	return kv_parse_url(url, path, 108, host, 256, port, err, 256);
}

START_TEST(test_url_good)
{
	char path[108], host[256], err[256];
	int port;

	ck_assert_int_eq(parse("unix:///tmp/r.sock", path, host, &port, err),
	                 0);
	ck_assert_str_eq(path, "/tmp/r.sock");
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(
	    parse("redis://127.0.0.1:6380", path, host, &port, err), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(port, 6380);
	ck_assert_str_eq(path, "");
	ck_assert_int_eq(parse("redis://redis", path, host, &port, err), 0);
	ck_assert_str_eq(host, "redis");
	ck_assert_int_eq(port, 6379);
	ck_assert_int_eq(parse("redis://[::1]:7000/", path, host, &port, err),
	                 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(port, 7000);
	ck_assert_int_eq(parse("redis://h:65535", path, host, &port, err), 0);
	ck_assert_int_eq(port, 65535);
	ck_assert_int_eq(parse("redis://h:1", path, host, &port, err), 0);
	ck_assert_int_eq(port, 1);
}
END_TEST

START_TEST(test_url_bad)
{
	static const struct {
		const char *url;
		const char *why;
	} bad[] = {
	    {"http://x:1", "REDIS_URL: expected unix:///path or "
	                   "redis://host:port, got \"http://x:1\""},
	    {"", "expected unix:///path or redis://host:port, got \"\""},
	    {"unix://relative.sock", "absolute socket path"},
	    {"unix://", "absolute socket path"},
	    {"redis://:6379", "missing host"},
	    {"redis://h:0", "port must be 1-65535"},
	    {"redis://h:65536", "port must be 1-65535"},
	    {"redis://h:12x", "port must be 1-65535"},
	    {"redis://h:", "port must be 1-65535"},
	    {"redis://h:-1", "port must be 1-65535"},
	    {"redis://h:6379/0", "port must be 1-65535"},
	    {"redis://h/db", "expected unix:///path or redis://host:port"},
	    {"redis://u:p@h:1", "credentials"},
	    {"redis://[::1", "expected unix:///path"},
	};
	char path[108], host[256], err[256], longurl[300];
	int port;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_int_eq(parse(bad[i].url, path, host, &port, err), -1);
		ck_assert_msg(strstr(err, bad[i].why) != NULL, "%s: got \"%s\"",
		              bad[i].url, err);
	}
	/* sun_path holds 107 bytes and a NUL: 107 fits, 108 does not. */
	snprintf(longurl, sizeof longurl, "unix:///%0106d", 0);
	ck_assert_int_eq(parse(longurl, path, host, &port, err), 0);
	snprintf(longurl, sizeof longurl, "unix:///%0107d", 0);
	ck_assert_int_eq(parse(longurl, path, host, &port, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "socket path too long"));

	err[0] = '\0';
	ck_assert_ptr_null(kv_new(base, "tcp://x:1", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "got \"tcp://x:1\""));
}
END_TEST

/* ---- Commands ----------------------------------------------------------- */

START_TEST(test_round_trips)
{
	struct res r = {0};
	json_t *e;

	CMD(&r, "SET", "test:a", "hello");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_str_eq(r.msg, "");
	ck_assert_str_eq(json_string_value(r.reply), "OK");

	CMD(&r, "GET", "test:a");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_str_eq(json_string_value(r.reply), "hello");

	CMD(&r, "GET", "test:missing");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert(json_is_null(r.reply));

	CMD(&r, "INCR", "test:n");
	ck_assert_int_eq(json_integer_value(r.reply), 1);
	CMD(&r, "INCR", "test:n");
	ck_assert(json_is_integer(r.reply));
	ck_assert_int_eq(json_integer_value(r.reply), 2);

	CMD(&r, "RPUSH", "test:l", "x", "y");
	CMD(&r, "LRANGE", "test:l", "0", "-1");
	ck_assert(json_is_array(r.reply));
	ck_assert_int_eq(json_array_size(r.reply), 2);
	ck_assert_str_eq(json_string_value(json_array_get(r.reply, 1)), "y");

	/* Nested arrays: XRANGE is [[id, [field, value]]]. */
	CMD(&r, "XADD", "test:s", "1-1", "f", "v");
	ck_assert_str_eq(json_string_value(r.reply), "1-1");
	CMD(&r, "XRANGE", "test:s", "-", "+");
	e = json_array_get(r.reply, 0);
	ck_assert_str_eq(json_string_value(json_array_get(e, 0)), "1-1");
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_array_get(e, 1), 1)), "v");

	/* An error inside an array (EXEC) stays an element. */
	CMD(&r, "MULTI");
	CMD(&r, "INCR", "test:a");
	ck_assert_str_eq(json_string_value(r.reply), "QUEUED");
	CMD(&r, "EXEC");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
	                                 json_array_get(r.reply, 0), "error")),
	                             "not an integer"));

	CMD(&r, "DEL", "test:a", "test:n", "test:nope");
	ck_assert_int_eq(json_integer_value(r.reply), 2);
	CMD(&r, "EXISTS", "test:a");
	ck_assert_int_eq(json_integer_value(r.reply), 0);

	/* The printf form. */
	res_clear(&r);
	in_call = 1;
	kv_commandf(k, res_cb, &r, "SET %s %d", "test:f", 42);
	in_call = 0;
	RUN_UNTIL(r.calls, 3000);
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_int_eq(redis_server_int(rs, "STRLEN test:f"), 2);
	res_clear(&r);
}
END_TEST

START_TEST(test_binary_value)
{
	static const char val[] = {'a', '\0', 'b', '\xff', 'c'};
	const char *argv[] = {"SET", "test:bin", val};
	size_t lens[] = {3, 8, sizeof val};
	struct res r = {0};
	redisReply *rr;

	run_cmd(&r, 3, argv, lens);
	ck_assert_int_eq(r.err, MESH_OK);
	rr = redis_server_cmd(rs, "GET test:bin");
	ck_assert_ptr_nonnull(rr);
	ck_assert_int_eq(rr->type, REDIS_REPLY_STRING);
	ck_assert_uint_eq(rr->len, sizeof val);
	ck_assert_int_eq(memcmp(rr->str, val, sizeof val), 0);
	freeReplyObject(rr);

	/* Read back as JSON: the NUL survives, the invalid byte becomes
	 * U+FFFD (the reply stays a valid JSON string). */
	CMD(&r, "GET", "test:bin");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_uint_eq(json_string_length(r.reply), 7);
	ck_assert_int_eq(memcmp(json_string_value(r.reply),
	                        "a\0b\xEF\xBF\xBD"
	                        "c",
	                        7),
	                 0);
	/* Valid multi-byte UTF-8 is untouched. */
	CMD(&r, "SET", "test:utf8", "caf\xC3\xA9 \xF0\x9F\x8F\xA0");
	CMD(&r, "GET", "test:utf8");
	ck_assert_str_eq(json_string_value(r.reply),
	                 "caf\xC3\xA9 \xF0\x9F\x8F\xA0");
	res_clear(&r);
}
END_TEST

START_TEST(test_error_reply)
{
	struct res r = {0};

	CMD(&r, "SET", "test:s", "text");
	CMD(&r, "INCR", "test:s");
	ck_assert_int_eq(r.err, MESH_EINTERNAL);
	ck_assert_str_eq(r.msg, "ERR value is not an integer or out of range");
	ck_assert_ptr_null(r.reply);

	CMD(&r, "LPUSH", "test:s", "x");
	ck_assert_int_eq(r.err, MESH_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(r.msg, "WRONGTYPE"));

	CMD(&r, "NOSUCHCOMMAND");
	ck_assert_int_eq(r.err, MESH_EINTERNAL);
	ck_assert_ptr_nonnull(strstr(r.msg, "unknown command"));

	/* An empty command never reaches Redis. */
	res_clear(&r);
	in_call = 1;
	kv_command(k, res_cb, &r, 0, NULL, NULL);
	in_call = 0;
	RUN_UNTIL(r.calls, 1000);
	ck_assert_int_eq(r.err, MESH_EINVAL);
	res_clear(&r);
}
END_TEST

static int max_ok, max_fail;
static char max_msg[128];

static void count_cb(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	(void)arg;
	(void)reply;
	if (in_call)
		early_callbacks++;
	if (err == MESH_OK) {
		max_ok++;
	} else {
		max_fail++;
		snprintf(max_msg, sizeof max_msg, "%s", msg);
	}
}

START_TEST(test_max_in_flight)
{
	const char *argv[] = {"GET", "test:x"};

	max_ok = max_fail = 0;
	in_call = 1;
	for (int i = 0; i < KV_MAX_IN_FLIGHT + 1; i++)
		kv_command(k, count_cb, NULL, 2, argv, NULL);
	in_call = 0;
	RUN_UNTIL(max_ok + max_fail == KV_MAX_IN_FLIGHT + 1, 10000);
	ck_assert_int_eq(max_ok, KV_MAX_IN_FLIGHT);
	ck_assert_int_eq(max_fail, 1);
	ck_assert_str_eq(max_msg, "redis: too many commands in flight");

	/* Once replied, the slots are free again. */
	in_call = 1;
	kv_command(k, count_cb, NULL, 2, argv, NULL);
	in_call = 0;
	RUN_UNTIL(max_ok == KV_MAX_IN_FLIGHT + 1, 3000);
	ck_assert_int_eq(max_ok, KV_MAX_IN_FLIGHT + 1);
}
END_TEST

static int connects;

static void count_connect(void *arg)
{
	(void)arg;
	connects++;
}

START_TEST(test_redis_restart)
{
	struct res r = {0};
	int64_t t0;

	connects = 0;
	kv_on_connect(k, count_connect, NULL);
	CMD(&r, "SET", "test:durable", "kept");
	ck_assert_int_eq(r.err, MESH_OK);

	ck_assert_int_eq(redis_server_stop(rs), 0);
	RUN_UNTIL(!kv_is_connected(k), 3000);
	ck_assert(!kv_is_connected(k));

	/* Down: fails fast, on the next loop turn, not after a timeout. */
	for (int i = 0; i < 3; i++) {
		t0 = runtime_now_ms();
		CMD(&r, "GET", "test:durable");
		ck_assert_int_eq(r.err, MESH_EUNAVAILABLE);
		ck_assert_str_eq(r.msg, "redis: not connected");
		ck_assert_int_lt(r.at_ms - t0, 50);
		run_for(150); /* across reconnect attempts */
	}

	ck_assert_int_eq(redis_server_restart(rs), 0);
	RUN_UNTIL(kv_is_connected(k) && connects == 1, 5000);
	ck_assert(kv_is_connected(k));
	ck_assert_int_eq(connects, 1);
	CMD(&r, "GET", "test:durable");
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_str_eq(json_string_value(r.reply), "kept");
	res_clear(&r);
}
END_TEST

START_TEST(test_in_flight_lost)
{
	struct res r = {0};

	res_clear(&r);
	kv_commandf(k, res_cb, &r, "BLPOP test:never 10");
	run_for(50); /* sent and blocked in Redis */
	ck_assert_int_eq(r.calls, 0);
	redis_server_kill(rs);
	RUN_UNTIL(r.calls, 3000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.err, MESH_EUNAVAILABLE);
	ck_assert_str_eq(r.msg, "redis: connection lost");
	run_for(50);
	ck_assert_int_eq(r.calls, 1);
	ck_assert(!kv_is_connected(k));
}
END_TEST

START_TEST(test_free_in_flight)
{
	struct res a = {0}, b = {0};

	kv_commandf(k, res_cb, &a, "BLPOP test:never 10");
	run_for(50);
	kv_commandf(k, res_cb, &b, "GET test:x");
	kv_free(k);
	k = NULL;
	/* Reported once each, by kv_free itself. */
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(a.err, MESH_EUNAVAILABLE);
	ck_assert_str_eq(a.msg, "redis: connection closed");
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(b.err, MESH_EUNAVAILABLE);
	run_for(50);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
}
END_TEST

static struct res free_rest;
static int free_cb_calls;

static void free_from_cb(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	(void)arg;
	(void)msg;
	(void)reply;
	ck_assert_int_eq(err, MESH_OK);
	free_cb_calls++;
	kv_free(k);
	k = NULL;
	/* The commands behind this one were reported by kv_free. */
	ck_assert_int_eq(free_rest.calls, 1);
}

START_TEST(test_free_inside_callback)
{
	free_cb_calls = 0;
	memset(&free_rest, 0, sizeof free_rest);
	kv_commandf(k, free_from_cb, NULL, "PING");
	kv_commandf(k, res_cb, &free_rest, "BLPOP test:never 10");
	RUN_UNTIL(free_cb_calls, 3000);
	ck_assert_int_eq(free_cb_calls, 1);
	run_for(50);
	ck_assert_int_eq(free_rest.calls, 1);
	ck_assert_int_eq(free_rest.err, MESH_EUNAVAILABLE);
}
END_TEST

static void free_on_connect(void *arg)
{
	(void)arg;
	connects++;
	kv_free(k);
	k = NULL;
}

START_TEST(test_free_on_connect)
{
	struct res r = {0};
	char err[128];

	/* Replace the fixture's kv with one whose connect hook frees it. */
	kv_free(k);
	k = kv_new(base, redis_server_url(rs), err, sizeof err);
	ck_assert_ptr_nonnull(k);
	connects = 0;
	kv_on_connect(k, free_on_connect, NULL);
	kv_commandf(k, res_cb, &r, "PING");
	RUN_UNTIL(connects == 1 && r.calls == 1, 3000);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(r.calls, 1);
	res_clear(&r);
}
END_TEST

START_TEST(test_down_at_start)
{
	struct res r = {0};
	char err[128];
	kv *k2;

	redis_server_stop(rs);
	k2 = kv_new(base, redis_server_url(rs), err, sizeof err);
	ck_assert_ptr_nonnull(k2);
	in_call = 1;
	kv_commandf(k2, res_cb, &r, "PING");
	in_call = 0;
	RUN_UNTIL(r.calls, 1000);
	ck_assert_int_eq(r.err, MESH_EUNAVAILABLE);
	ck_assert_int_eq(redis_server_restart(rs), 0);
	RUN_UNTIL(kv_is_connected(k2), 5000);
	ck_assert(kv_is_connected(k2));
	kv_free(k2);
	res_clear(&r);
}
END_TEST

/* ---- Cache -------------------------------------------------------------- */

struct cache_res {
	int calls;
	mesh_err err;
	char msg[128];
	json_t *value;
	int cached;
};

static int computes;
static mesh_err compute_err;
static int compute_deferred;

static void cache_cb(void *arg, mesh_err err, const char *msg, json_t *value,
                     int cached)
{
	struct cache_res *c = arg;

	if (in_call)
		early_callbacks++;
	c->calls++;
	c->err = err;
	snprintf(c->msg, sizeof c->msg, "%s", msg);
	json_decref(c->value);
	c->value = value ? json_incref(value) : NULL;
	c->cached = cached;
}

static mesh_kv_cache_op *pending_op;

static void compute_finish(void *arg)
{
	mesh_kv_cache_op *op = arg;

	if (compute_err != MESH_OK)
		mesh_kv_cache_done(op, compute_err, "no such listing", NULL);
	else
		mesh_kv_cache_done(op, MESH_OK, "",
		                   json_pack("{si,ss}", "n", computes, "s",
		                             "\xC3\xA9t\xC3\xA9"));
	/* A second done is ignored, and its value released. */
	mesh_kv_cache_done(op, MESH_OK, "", json_string("late"));
}

static void compute(void *arg, mesh_kv_cache_op *op)
{
	(void)arg;
	computes++;
	if (compute_deferred)
		runtime_defer(compute_finish, op);
	else
		compute_finish(op);
}

static void run_cache(struct cache_res *c, const char *key, int64_t ttl)
{
	json_decref(c->value);
	memset(c, 0, sizeof *c);
	in_call = 1;
	kv_cache(k, key, ttl, compute, cache_cb, c);
	in_call = 0;
	RUN_UNTIL(c->calls, 3000);
	ck_assert_int_eq(c->calls, 1);
}

static void cache_setup(void)
{
	setup();
	computes = 0;
	compute_err = MESH_OK;
	compute_deferred = 0;
	pending_op = NULL;
}

START_TEST(test_cache_miss_then_hit)
{
	struct cache_res c = {0};
	long long ttl;
	redisReply *rr;

	compute_deferred = _i;
	run_cache(&c, "test:cache:a", 60);
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(c.cached, 0);
	ck_assert_int_eq(computes, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c.value, "n")), 1);

	ttl = redis_server_int(rs, "TTL test:cache:a");
	ck_assert_int_gt(ttl, 0);
	ck_assert_int_le(ttl, 60);
	rr = redis_server_cmd(rs, "GET test:cache:a");
	ck_assert_ptr_nonnull(rr);
	ck_assert_str_eq(rr->str, "{\"n\":1,\"s\":\"\xC3\xA9t\xC3\xA9\"}");
	freeReplyObject(rr);

	run_cache(&c, "test:cache:a", 60);
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(c.cached, 1);
	ck_assert_int_eq(computes, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c.value, "n")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(c.value, "s")),
	                 "\xC3\xA9t\xC3\xA9");
	json_decref(c.value);
}
END_TEST

START_TEST(test_cache_no_ttl)
{
	struct cache_res c = {0};

	run_cache(&c, "test:cache:forever", 0);
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(redis_server_int(rs, "TTL test:cache:forever"), -1);
	json_decref(c.value);
}
END_TEST

START_TEST(test_cache_compute_error)
{
	struct cache_res c = {0};

	compute_err = MESH_ENOTFOUND;
	compute_deferred = _i;
	run_cache(&c, "test:cache:b", 60);
	ck_assert_int_eq(c.err, MESH_ENOTFOUND);
	ck_assert_str_eq(c.msg, "no such listing");
	ck_assert_ptr_null(c.value);
	ck_assert_int_eq(redis_server_int(rs, "EXISTS test:cache:b"), 0);
}
END_TEST

START_TEST(test_cache_unparseable)
{
	struct cache_res c = {0};
	redisReply *rr = redis_server_cmd(rs, "SET test:cache:c {broken");

	ck_assert_ptr_nonnull(rr);
	freeReplyObject(rr);
	run_cache(&c, "test:cache:c", 60);
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(c.cached, 0);
	ck_assert_int_eq(computes, 1);
	run_cache(&c, "test:cache:c", 60);
	ck_assert_int_eq(c.cached, 1);
	json_decref(c.value);
}
END_TEST

START_TEST(test_cache_redis_down)
{
	struct cache_res c = {0};

	redis_server_stop(rs);
	RUN_UNTIL(!kv_is_connected(k), 3000);
	run_cache(&c, "test:cache:d", 60);
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(c.cached, 0);
	ck_assert_int_eq(computes, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c.value, "n")), 1);

	/* A compute error still reaches the caller. */
	compute_err = MESH_EINVAL;
	run_cache(&c, "test:cache:d", 60);
	ck_assert_int_eq(c.err, MESH_EINVAL);
	json_decref(c.value);
}
END_TEST

/* ---- scripts (kv_script.c) ---------------------------------------------- */

static void run_eval(struct res *r, mesh_kv_script *script, int argc,
                     const char **argv, const size_t *lens)
{
	res_clear(r);
	in_call = 1;
	kv_eval(k, script, res_cb, r, argc, argv, lens);
	in_call = 0;
	ck_assert_int_eq(r->calls, 0);
	RUN_UNTIL(r->calls > 0, 3000);
	/* One answer, whatever was retried behind it. */
	run_for(20);
	ck_assert_int_eq(r->calls, 1);
}

static void assert_echoed(const struct res *r)
{
	ck_assert_int_eq(r->err, MESH_OK);
	ck_assert_str_eq(json_string_value(json_array_get(r->reply, 0)),
	                 "test:script");
	ck_assert_uint_eq(json_string_length(json_array_get(r->reply, 1)), 3);
	ck_assert_int_eq(
	    memcmp(json_string_value(json_array_get(r->reply, 1)), "a\0b", 3),
	    0);
	ck_assert_int_eq(json_integer_value(json_array_get(r->reply, 2)), 1);
}

START_TEST(test_script_by_sha)
{
	static mesh_kv_script echo =
	    MESH_KV_SCRIPT("return {KEYS[1], ARGV[1], #ARGV}");
	const char *argv[] = {"1", "test:script", "a\0b"};
	const size_t lens[] = {1, 11, 3};
	struct res r = {0};

	/* The first call runs by EVAL while Redis is asked the SHA-1. */
	run_eval(&r, &echo, 3, argv, lens);
	assert_echoed(&r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), 1);
	ck_assert_int_eq(redis_server_calls(rs, "script|load"), 1);
	ck_assert_uint_eq(strlen(echo.sha), 40);

	/* Then by EVALSHA: the text is not sent again. */
	run_eval(&r, &echo, 3, argv, lens);
	assert_echoed(&r);
	run_eval(&r, &echo, 3, argv, lens);
	assert_echoed(&r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), 1);
	ck_assert_int_eq(redis_server_calls(rs, "evalsha"), 2);

	/* Redis forgot it (a restart, SCRIPT FLUSH): NOSCRIPT is retried
	 * once by EVAL, which caches it again for the next EVALSHA. */
	freeReplyObject(redis_server_cmd(rs, "SCRIPT FLUSH"));
	run_eval(&r, &echo, 3, argv, lens);
	assert_echoed(&r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), 2);
	run_eval(&r, &echo, 3, argv, lens);
	assert_echoed(&r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), 2);
	ck_assert_int_eq(redis_server_calls(rs, "script|load"), 1);
	res_clear(&r);
}
END_TEST

START_TEST(test_script_errors)
{
	static mesh_kv_script boom =
	    MESH_KV_SCRIPT("return redis.error_reply('ERR boom ' .. ARGV[1])");
	static mesh_kv_script bad = MESH_KV_SCRIPT("this is not lua");
	const char *argv[] = {"0", "x"};
	struct res r = {0};

	/* A script's own error is its answer, by EVAL or EVALSHA, never
	 * retried. */
	for (int i = 0; i < 2; i++) {
		run_eval(&r, &boom, 2, argv, NULL);
		ck_assert_int_eq(r.err, MESH_EINTERNAL);
		ck_assert_ptr_nonnull(strstr(r.msg, "boom x"));
	}
	ck_assert_int_eq(redis_server_calls(rs, "eval"), 1);
	ck_assert_int_eq(redis_server_calls(rs, "evalsha"), 1);

	/* A script Redis cannot compile fails each call with Redis's message,
	 * and SCRIPT LOAD's refusal is asked again by the next call. */
	for (int i = 0; i < 2; i++) {
		run_eval(&r, &bad, 2, argv, NULL);
		ck_assert_int_eq(r.err, MESH_EINTERNAL);
		ck_assert_ptr_nonnull(strstr(r.msg, "compiling"));
	}
	ck_assert_str_eq(bad.sha, "");
	ck_assert_int_eq(bad.asked, 0);
	res_clear(&r);
}
END_TEST

static Suite *kv_suite(void)
{
	Suite *s = suite_create("kv");
	TCase *tc = tcase_create("kv");
	TCase *cache = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_url_good);
	tcase_add_test(tc, test_url_bad);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_binary_value);
	tcase_add_test(tc, test_error_reply);
	tcase_add_test(tc, test_max_in_flight);
	tcase_add_test(tc, test_redis_restart);
	tcase_add_test(tc, test_in_flight_lost);
	tcase_add_test(tc, test_free_in_flight);
	tcase_add_test(tc, test_free_inside_callback);
	tcase_add_test(tc, test_free_on_connect);
	tcase_add_test(tc, test_down_at_start);
	tcase_add_test(tc, test_script_by_sha);
	tcase_add_test(tc, test_script_errors);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(cache, cache_setup, teardown);
	tcase_set_timeout(cache, 30);
	tcase_add_loop_test(cache, test_cache_miss_then_hit, 0, 2);
	tcase_add_test(cache, test_cache_no_ttl);
	tcase_add_loop_test(cache, test_cache_compute_error, 0, 2);
	tcase_add_test(cache, test_cache_unparseable);
	tcase_add_test(cache, test_cache_redis_down);
	suite_add_tcase(s, cache);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kv_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
