/*
 * test_rate_limit.c: the real bin/rate-limit against a real redis-server.
 * Exactly `limit` hits pass in a window, the next is denied with a
 * Retry-After, hits pass again once the window has moved; keys and windows
 * are independent; the script survives SCRIPT FLUSH; a hash in the older
 * layout (or not a hash) is rebuilt, with a warning; and several client
 * processes hammering one key at once (as several gateways would) never get
 * more than the limit through in any window.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64];
static redis_server *rs;
static pid_t rl_pid;

static void setup(void)
{
	char log[128], sock[128];

	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	setenv("LOG_LEVEL", "info", 1);
	snprintf(log, sizeof log, "%s/rate-limit.log", dir);
	snprintf(sock, sizeof sock, "%s/sock/rate-limit.sock", dir);
	rl_pid = proc_start(proc_bin_path("rate-limit"), NULL, log);
	ck_assert_int_gt(rl_pid, 0);
	ck_assert_msg(proc_wait_socket(sock, 15000) == 0,
	              "rate-limit did not start");
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	int rc = rl_pid > 0 ? proc_stop(rl_pid, 5000) : 0;
	fixture_finish();
	ck_assert_int_eq(rc, 0);
}

/* One hit; the reply (caller frees), or NULL with *err set. */
static json_t *hit_try(const char *key, int limit, int window_s, mesh_err *err,
                       char *msg, size_t msg_len)
{
	return mesh_sync_call("rate-limit", "hit",
	                      json_pack("{s:s, s:i, s:i}", "key", key, "limit",
	                                limit, "window_s", window_s),
	                      NULL, err, msg, msg_len);
}

static json_t *hit(const char *key, int limit, int window_s)
{
	mesh_err err;
	char msg[512];
	json_t *r = hit_try(key, limit, window_s, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "hit: %s: %s", mesh_strerror(err), msg);
	return r;
}

static int allowed(const json_t *r)
{
	ck_assert(json_is_boolean(json_object_get(r, "allowed")));
	return json_is_true(json_object_get(r, "allowed"));
}

static long long num(const json_t *r, const char *k)
{
	ck_assert_msg(json_is_integer(json_object_get(r, k)), "%s", k);
	return json_integer_value(json_object_get(r, k));
}

START_TEST(limit_then_denied_then_allowed_after_the_window)
{
	long long t0 = proc_now_ms(), again_at;
	json_t *r;

	for (int i = 0; i < 5; i++) {
		r = hit("key:key_abc", 5, 1);
		ck_assert_msg(allowed(r), "hit %d", i);
		ck_assert_int_eq(num(r, "limit"), 5);
		ck_assert_int_eq(num(r, "remaining"), 4 - i);
		ck_assert_int_ge(num(r, "reset_s"), 1);
		ck_assert_ptr_null(json_object_get(r, "retry_after_s"));
		json_decref(r);
	}
	r = hit("key:key_abc", 5, 1);
	ck_assert(!allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 0);
	/* A 1 s window with 17 ms buckets: the first slot frees within
	 * 1017 ms, which Retry-After rounds up to 1 or 2 seconds. */
	ck_assert_int_ge(num(r, "retry_after_s"), 1);
	ck_assert_int_le(num(r, "retry_after_s"), 2);
	ck_assert_int_le(num(r, "reset_ms"), 1017);
	ck_assert_int_eq(num(r, "reset_s"), num(r, "retry_after_s"));
	json_decref(r);

	/* Denied hits do not count: hammering does not push the reset. */
	for (int i = 0; i < 20; i++) {
		r = hit("key:key_abc", 5, 1);
		ck_assert(!allowed(r));
		json_decref(r);
	}

	/* Allowed again once the window has moved, and not before: the
	 * first hit was sent after t0, so the next allowed one cannot be
	 * answered before t0 + 1000 ms. */
	long long until = proc_now_ms() + 3000;
	int ok = 0;
	while (!ok && proc_now_ms() < until) {
		r = hit("key:key_abc", 5, 1);
		ok = allowed(r);
		json_decref(r);
		if (!ok)
			proc_sleep_ms(10);
	}
	again_at = proc_now_ms();
	ck_assert_msg(ok, "never allowed again");
	ck_assert_int_ge(again_at - t0, 1000);
}
END_TEST

START_TEST(keys_and_windows_are_independent)
{
	json_t *r;

	r = hit("ip:203.0.113.9", 1, 60);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 0);
	json_decref(r);
	r = hit("ip:203.0.113.9", 1, 60);
	ck_assert(!allowed(r));
	ck_assert_int_ge(num(r, "retry_after_s"), 59);
	ck_assert_int_le(num(r, "retry_after_s"), 61);
	json_decref(r);
	/* Another key, and the same key under another window. */
	r = hit("ip:203.0.113.10", 1, 60);
	ck_assert(allowed(r));
	json_decref(r);
	r = hit("ip:203.0.113.9", 1, 30);
	ck_assert(allowed(r));
	json_decref(r);
	/* A key with spaces, colons and UTF-8 is just a key. */
	r = hit("key:a b:\xc3\xa9", 2, 60);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 1);
	json_decref(r);

	/* Everything lives under the service's prefix, with a TTL. */
	redisReply *keys = redis_server_cmd(rs, "KEYS *");
	ck_assert_ptr_nonnull(keys);
	ck_assert_int_eq(keys->elements, 4);
	for (size_t i = 0; i < keys->elements; i++) {
		const char *k = keys->element[i]->str;
		ck_assert_msg(strncmp(k, "rate-limit:w:", 13) == 0, "%s", k);
		long long ttl = redis_server_int(rs, "PTTL %s", k);
		ck_assert_msg(ttl > 0 && ttl <= 61000, "%s: PTTL %lld", k, ttl);
	}
	freeReplyObject(keys);
	ck_assert_int_eq(
	    redis_server_int(rs, "EXISTS %s", "rate-limit:w:60:ip:203.0.113.9"),
	    1);
}
END_TEST

START_TEST(bad_arguments)
{
	static const struct {
		const char *args;
		const char *msg;
	} cases[] = {
	    {"{\"limit\": 1, \"window_s\": 1}", "key: expected a non-empty"},
	    {"{\"key\": \"\", \"limit\": 1, \"window_s\": 1}", "key: expected"},
	    {"{\"key\": 5, \"limit\": 1, \"window_s\": 1}", "key: expected"},
	    {"{\"key\": \"k\", \"limit\": 0, \"window_s\": 1}",
	     "limit: expected an integer 1-1000000"},
	    {"{\"key\": \"k\", \"limit\": 1000001, \"window_s\": 1}",
	     "limit: expected"},
	    {"{\"key\": \"k\", \"limit\": \"5\", \"window_s\": 1}",
	     "limit: expected"},
	    {"{\"key\": \"k\", \"limit\": 1, \"window_s\": 0}",
	     "window_s: expected an integer 1-86400"},
	    {"{\"key\": \"k\", \"limit\": 1, \"window_s\": 86401}",
	     "window_s: expected"},
	    {"{\"key\": \"k\", \"limit\": 1}", "window_s: expected"},
	};
	char msg[512], big[202];
	mesh_err err;
	json_t *r;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = mesh_sync_call("rate-limit", "hit",
		                   json_loads(cases[i].args, 0, NULL), NULL,
		                   &err, msg, sizeof msg);
		ck_assert_ptr_null(r);
		ck_assert_msg(err == MESH_EINVAL, "%s: %s", cases[i].args,
		              mesh_strerror(err));
		ck_assert_msg(strstr(msg, cases[i].msg) != NULL, "%s: %s",
		              cases[i].args, msg);
	}
	memset(big, 'k', sizeof big);
	big[200] = '\0';
	json_decref(hit(big, 1, 1));
	big[200] = 'k';
	big[201] = '\0';
	r = hit_try(big, 1, 1, &err, msg, sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_str_eq(msg, "key: at most 200 bytes, got 201");
	/* The largest limit and window are accepted. */
	r = hit("k", 1000000, 86400);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 999999);
	json_decref(r);
}
END_TEST

START_TEST(script_reloads_after_a_flush)
{
	json_t *r = hit("k", 3, 60);
	long long evals;

	ck_assert(allowed(r));
	json_decref(r);
	/* Now Redis knows the script: the next hit is one EVALSHA. */
	evals = redis_server_calls(rs, "eval");
	r = hit("k", 3, 60);
	ck_assert_int_eq(num(r, "remaining"), 1);
	json_decref(r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), evals);

	/* Forgotten scripts (a restart, SCRIPT FLUSH): NOSCRIPT, then EVAL,
	 * and the count carries on. */
	redisReply *f = redis_server_cmd(rs, "SCRIPT FLUSH");
	ck_assert_ptr_nonnull(f);
	freeReplyObject(f);
	r = hit("k", 3, 60);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 0);
	json_decref(r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), evals + 1);
	r = hit("k", 3, 60);
	ck_assert(!allowed(r));
	json_decref(r);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), evals + 1);
}
END_TEST

/* Whether the daemon's log holds needle (bounded: the log is small). */
static int log_has(const char *needle)
{
	char path[128], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/rate-limit.log", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

START_TEST(older_and_damaged_hashes_are_rebuilt)
{
	const char *k = "rate-limit:w:60:ip:192.0.2.1";
	redisReply *t = redis_server_cmd(rs, "TIME");
	long long b;
	json_t *r;

	ck_assert_ptr_nonnull(t);
	b = strtoll(t->element[0]->str, NULL, 10); /* 1 s buckets */
	freeReplyObject(t);
	/* Plain counts per bucket, as the script wrote them before. */
	freeReplyObject(
	    redis_server_cmd(rs, "HSET %s %lld 3 %lld 2", k, b - 2, b - 1));
	r = hit("ip:192.0.2.1", 10, 60);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 10 - 6);
	json_decref(r);
	ck_assert_int_eq(redis_server_int(rs, "HLEN %s", k), 4 + 2);
	/* The running total beside the buckets. */
	t = redis_server_cmd(rs, "HGET %s total", k);
	ck_assert_str_eq(t->str, "6");
	freeReplyObject(t);
	long long until = proc_now_ms() + 5000;
	while (!log_has("bucket hash was rebuilt") && proc_now_ms() < until)
		proc_sleep_ms(10);
	ck_assert(log_has("bucket hash was rebuilt"));

	/* Not a hash at all: started over, not an error. */
	freeReplyObject(redis_server_cmd(rs, "SET %s garbage", k));
	r = hit("ip:192.0.2.1", 10, 60);
	ck_assert(allowed(r));
	ck_assert_int_eq(num(r, "remaining"), 9);
	json_decref(r);
}
END_TEST

/* ---- concurrency -------------------------------------------------------- */

#define MAX_ALLOWED_RECORDS 4096

typedef struct hammer_result {
	long long attempts;
	long long errors;
	long long n_allowed;
	/* Send and answer times (monotonic ms, shared by all processes) of
	 * each allowed hit. */
	long long sent[MAX_ALLOWED_RECORDS];
	long long answered[MAX_ALLOWED_RECORDS];
} hammer_result;

/* A client process: its own mesh connection, hits as fast as it can from
 * start_ms to end_ms, writes its result to fd. */
static void hammer(int fd, const char *key, int limit, int window_s,
                   long long start_ms, long long end_ms)
{
	static hammer_result res;
	char msg[512];
	mesh_err err;

	mesh_sync_init();
	while (proc_now_ms() < start_ms)
		proc_sleep_ms(1);
	while (proc_now_ms() < end_ms) {
		long long sent = proc_now_ms();
		json_t *r =
		    hit_try(key, limit, window_s, &err, msg, sizeof msg);
		long long answered = proc_now_ms();
		res.attempts++;
		if (!r) {
			res.errors++;
			continue;
		}
		if (json_is_true(json_object_get(r, "allowed")) &&
		    res.n_allowed < MAX_ALLOWED_RECORDS) {
			res.sent[res.n_allowed] = sent;
			res.answered[res.n_allowed] = answered;
			res.n_allowed++;
		}
		json_decref(r);
	}
	mesh_sync_shutdown();
	ssize_t left = (ssize_t)sizeof res;
	const char *p = (const char *)&res;
	while (left > 0) {
		ssize_t n = write(fd, p, (size_t)left);
		if (n <= 0)
			_exit(3);
		p += n;
		left -= n;
	}
	close(fd);
	_exit(0);
}

typedef struct hit_time {
	long long sent, answered;
} hit_time;

static int by_sent(const void *a, const void *b)
{
	const hit_time *x = a, *y = b;
	return (x->sent > y->sent) - (x->sent < y->sent);
}

/* Runs nproc hammering clients on one key for duration_ms; fills the
 * allowed hits (sorted by send time) and returns how many there were. */
static size_t hammer_all(int nproc, const char *key, int limit, int window_s,
                         long long duration_ms, hit_time *out, size_t cap,
                         long long *attempts)
{
	pid_t pids[16];
	int fds[16];
	long long start = proc_now_ms() + 300;
	size_t n = 0;
	static hammer_result res;

	ck_assert_int_le(nproc, 16);
	/* Each child makes its own client: none may inherit ours. */
	mesh_sync_shutdown();
	for (int i = 0; i < nproc; i++) {
		int p[2];
		ck_assert_int_eq(pipe(p), 0);
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(p[0]);
			for (int j = 0; j < i; j++)
				close(fds[j]);
			hammer(p[1], key, limit, window_s, start,
			       start + duration_ms);
		}
		close(p[1]);
		fds[i] = p[0];
	}
	*attempts = 0;
	for (int i = 0; i < nproc; i++) {
		size_t got = 0;
		while (got < sizeof res) {
			ssize_t r =
			    read(fds[i], (char *)&res + got, sizeof res - got);
			ck_assert_msg(r > 0, "client %d died", i);
			got += (size_t)r;
		}
		close(fds[i]);
		ck_assert_int_eq(proc_wait(pids[i], 10000), 0);
		ck_assert_int_eq(res.errors, 0);
		*attempts += res.attempts;
		for (long long j = 0; j < res.n_allowed && n < cap; j++) {
			out[n].sent = res.sent[j];
			out[n].answered = res.answered[j];
			n++;
		}
	}
	mesh_sync_init();
	qsort(out, n, sizeof out[0], by_sent);
	return n;
}

START_TEST(concurrent_clients_never_exceed_the_limit)
{
	static hit_time hits[MAX_ALLOWED_RECORDS];
	long long attempts;
	/* 8 clients for 1.5 s of a 3 s window: nothing can free up, so
	 * exactly the limit gets through, however the hits interleave. */
	size_t n = hammer_all(8, "key:key_shared", 40, 3, 1500, hits,
	                      MAX_ALLOWED_RECORDS, &attempts);

	ck_assert_msg(attempts > 200, "only %lld attempts", attempts);
	ck_assert_int_eq(n, 40);
	json_t *r = hit("key:key_shared", 40, 3);
	ck_assert(!allowed(r));
	json_decref(r);
}
END_TEST

START_TEST(concurrent_clients_over_several_windows)
{
	static hit_time hits[MAX_ALLOWED_RECORDS];
	const int limit = 10, window_ms = 1000;
	long long attempts;
	size_t n = hammer_all(4, "ip:198.51.100.7", limit, 1, 3300, hits,
	                      MAX_ALLOWED_RECORDS, &attempts);

	/* Slots free as the window slides: more than one window's worth. */
	ck_assert_msg(n >= 2 * (size_t)limit, "only %zu allowed", n);
	ck_assert_msg(n <= 5 * (size_t)limit, "%zu allowed", n);
	/* Any limit+1 allowed hits happened (at Redis, between their send
	 * and answer times) more than a window apart. With hits sorted by
	 * send time, the set starting at i spans at most
	 * max(answered) - sent[i]: that must exceed the window. */
	for (size_t i = 0; i + (size_t)limit < n; i++) {
		long long last = 0;
		for (size_t j = i; j <= i + (size_t)limit; j++)
			if (hits[j].answered > last)
				last = hits[j].answered;
		ck_assert_msg(last - hits[i].sent > window_ms,
		              "hits %zu..%zu allowed within %lld ms", i,
		              i + (size_t)limit, last - hits[i].sent);
	}
}
END_TEST

static Suite *rate_limit_suite(void)
{
	Suite *s = suite_create("rate-limit");
	TCase *tc = tcase_create("hit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, limit_then_denied_then_allowed_after_the_window);
	tcase_add_test(tc, keys_and_windows_are_independent);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, script_reloads_after_a_flush);
	tcase_add_test(tc, older_and_damaged_hashes_are_rebuilt);
	tcase_add_test(tc, concurrent_clients_never_exceed_the_limit);
	tcase_add_test(tc, concurrent_clients_over_several_windows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rate_limit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
