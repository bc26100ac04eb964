/*
 * test_hit_script.c: the hit script run directly in a real redis-server,
 * with the clock given as ARGV[4] so every bucket boundary is exact.
 * Each reply is checked against a model of the sliding window (every hit
 * remembered by bucket, the live ones summed afresh), and after every hit
 * the hash itself is read back whole: its running total equals the sum of
 * its live buckets, no bucket outside the window is left, the chain from
 * oldest to newest covers every bucket field, and it never holds more than
 * RATE_BUCKETS + 4 fields. Then the edges: a key whose buckets all left,
 * buckets leaving one by one, a window smaller than the bucket count, the
 * key's expiry, the older layout of plain counts, damaged fields, a key
 * that is not a hash, and Redis's clock stepping back.
 */
#include <check.h>
#include <hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../services/rate-limit/hit_script.h"
#include "../../services/rate-limit/rate_hit.h"
#include "redis_server.h"

#define KEY "rate-limit:w:test"
/* How far ahead of Redis's clock the tests' clock starts. The script sets
 * the key's expiry as an absolute time from the clock it is given, so a
 * clock that stays ahead of the real one means Redis never expires a key
 * under a test: when buckets leave the window, the script has to see it.
 * Tests advance the clock by a few hours at most. */
#define AHEAD_MS (24LL * 3600 * 1000)

static redis_server *rs;
static redisContext *c;
/* The tests' clock at the start: Redis's, a day ahead, a multiple of
 * 10 minutes so that every bucket width used here divides it. */
static long long T0;

static void setup(void)
{
	redisReply *r;

	rs = redis_server_start();
	ck_assert_ptr_nonnull(rs);
	/* "unix://" + path */
	c = redisConnectUnix(redis_server_url(rs) + 7);
	ck_assert(c != NULL && c->err == 0);
	r = redisCommand(c, "TIME");
	ck_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
	T0 = strtoll(r->element[0]->str, NULL, 10) * 1000 + AHEAD_MS;
	T0 -= T0 % 600000;
	freeReplyObject(r);
}

static void teardown(void)
{
	redisFree(c);
	redis_server_free(rs);
}

typedef struct hit_res {
	long long allowed, count, reset, healed;
} hit_res;

static redisReply *cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(r);
	return r;
}

static long long cmd_int(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type == REDIS_REPLY_INTEGER, "%s",
	              r->type == REDIS_REPLY_ERROR ? r->str : "not an integer");
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* One hit at now (now < 0: Redis's own clock). */
static hit_res hit_at(long long limit, long long window, int buckets,
                      long long now)
{
	redisReply *r;
	hit_res h;

	if (now >= 0)
		r = cmd("EVAL %s 1 %s %lld %lld %d %lld", hit_script, KEY,
		        limit, window, buckets, now);
	else
		r = cmd("EVAL %s 1 %s %lld %lld %d", hit_script, KEY, limit,
		        window, buckets);
	ck_assert_msg(r->type == REDIS_REPLY_ARRAY, "%s",
	              r->type == REDIS_REPLY_ERROR ? r->str : "not an array");
	ck_assert_int_eq(r->elements, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(r->element[i]->type, REDIS_REPLY_INTEGER);
	h.allowed = r->element[0]->integer;
	h.count = r->element[1]->integer;
	h.reset = r->element[2]->integer;
	h.healed = r->element[3]->integer;
	freeReplyObject(r);
	return h;
}

static long long width_of(long long window, int buckets)
{
	return (window + buckets - 1) / buckets;
}

/* ---- the hash read back -------------------------------------------------- */

#define FIELDS_MAX (RATE_BUCKETS + 4)

typedef struct bucket {
	long long b, hits, next;
} bucket;

static long long field_num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	ck_assert_msg(*s && *end == '\0', "not a number: \"%s\"", s);
	return v;
}

/* Reads the key's hash, checks that it is consistent and holds nothing
 * older than the window at now, and returns its running total (0 when the
 * key is gone). */
static long long state_check(long long window, int buckets, long long now)
{
	long long width = width_of(window, buckets);
	long long first = (now - window) / width;
	long long total = -1, oldest = -1, newest = -1, last = -1, sum;
	bucket bs[FIELDS_MAX];
	size_t n = 0, seen;
	redisReply *r = cmd("HGETALL %s", KEY);

	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	if (r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	ck_assert_msg(r->elements / 2 <= FIELDS_MAX, "%zu fields",
	              r->elements / 2);
	for (size_t i = 0; i < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
		if (strcmp(f, "total") == 0) {
			total = field_num(v);
		} else if (strcmp(f, "oldest") == 0) {
			oldest = field_num(v);
		} else if (strcmp(f, "newest") == 0) {
			newest = field_num(v);
		} else if (strcmp(f, "last") == 0) {
			last = field_num(v);
		} else {
			char hits[32];
			const char *colon = strchr(v, ':');
			ck_assert_msg(colon && colon - v < 30, "%s=%s", f, v);
			memcpy(hits, v, (size_t)(colon - v));
			hits[colon - v] = '\0';
			bs[n].b = field_num(f);
			bs[n].hits = field_num(hits);
			bs[n].next = field_num(colon + 1);
			n++;
		}
	}
	freeReplyObject(r);
	ck_assert_msg(total >= 1 && oldest >= 0 && newest >= 0 && last >= 1,
	              "state fields missing");
	/* Walk the chain: every bucket field is on it, in order. */
	sum = last;
	seen = 0;
	for (long long at = oldest; at != newest;) {
		size_t i;
		for (i = 0; i < n && bs[i].b != at; i++)
			;
		ck_assert_msg(i < n, "chain broken at %lld", at);
		ck_assert_msg(bs[i].b >= first, "bucket %lld left the window",
		              bs[i].b);
		ck_assert_int_gt(bs[i].next, at);
		sum += bs[i].hits;
		at = bs[i].next;
		seen++;
	}
	ck_assert_int_eq(seen, n);
	ck_assert_int_ge(newest, first);
	ck_assert_int_eq(total, sum);
	return total;
}

/* ---- the model ----------------------------------------------------------- */

#define MODEL_MAX 4096

typedef struct model {
	long long limit, window, width;
	long long b[MODEL_MAX], hits[MODEL_MAX];
	size_t n;
} model;

static hit_res model_hit(model *m, long long now)
{
	long long cur = now / m->width, first = (now - m->window) / m->width;
	long long oldest = -1;
	hit_res h = {0, 0, 0, 0};

	for (size_t i = 0; i < m->n; i++) {
		if (m->b[i] < first)
			continue;
		h.count += m->hits[i];
		if (oldest < 0 || m->b[i] < oldest)
			oldest = m->b[i];
	}
	if (h.count < m->limit) {
		h.allowed = 1;
		h.count++;
		if (m->n > 0 && m->b[m->n - 1] == cur) {
			m->hits[m->n - 1]++;
		} else {
			ck_assert_int_lt(m->n, MODEL_MAX);
			m->b[m->n] = cur;
			m->hits[m->n++] = 1;
		}
		if (oldest < 0 || cur < oldest)
			oldest = cur;
	}
	h.reset = (oldest + 1) * m->width + m->window - now;
	return h;
}

/* A pseudo-random walk of the clock (a fixed seed: the same walk every
 * run), hits compared with the model and the hash checked after each. */
static void walk(long long limit, long long window, int buckets, unsigned seed,
                 int steps)
{
	static model m;
	long long now = T0, width = width_of(window, buckets);

	memset(&m, 0, sizeof m);
	m.limit = limit;
	m.window = window;
	m.width = width;
	srand(seed);
	for (int i = 0; i < steps; i++) {
		int r = rand() % 100;
		/* Mostly bursts within a bucket, some steps of a few
		 * buckets, now and then a gap longer than the window. */
		if (r < 60)
			now += rand() % 2;
		else if (r < 97)
			now += rand() % (3 * width + 1);
		else
			now += window + rand() % (3 * width + 1);
		hit_res want = model_hit(&m, now);
		hit_res got = hit_at(limit, window, buckets, now);
		ck_assert_msg(got.allowed == want.allowed &&
		                  got.count == want.count &&
		                  got.reset == want.reset && got.healed == 0,
		              "step %d at +%lld: got %lld/%lld/%lld/%lld, "
		              "want %lld/%lld/%lld",
		              i, now - T0, got.allowed, got.count, got.reset,
		              got.healed, want.allowed, want.count, want.reset);
		ck_assert_int_eq(state_check(window, buckets, now), got.count);
	}
}

START_TEST(matches_the_model_minute_window)
{
	/* The gateway's shape: 60 s, 60 buckets of 1 s. */
	walk(50, 60000, RATE_BUCKETS, 1, 3000);
}
END_TEST

START_TEST(matches_the_model_uneven_buckets)
{
	/* 1 s over 60 buckets: 17 ms each, the window not a multiple. */
	walk(20, 1000, RATE_BUCKETS, 2, 3000);
}
END_TEST

START_TEST(matches_the_model_window_smaller_than_buckets)
{
	/* 10 ms over 60 buckets: 1 ms buckets, 11 live at once. */
	walk(8, 10, RATE_BUCKETS, 3, 3000);
}
END_TEST

START_TEST(matches_the_model_high_limit)
{
	/* Never denied: every bucket fills and leaves. */
	walk(1000000, 1000, RATE_BUCKETS, 4, 3000);
}
END_TEST

START_TEST(all_buckets_left)
{
	hit_res h;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(hit_at(5, 1000, 10, T0 + i * 100).allowed, 1);
	h = hit_at(5, 1000, 10, T0 + 500);
	ck_assert_int_eq(h.allowed, 0);
	ck_assert_int_eq(h.count, 5);
	/* The oldest bucket (T0) counts until T0 + 100 + 1000. */
	ck_assert_int_eq(h.reset, 600);
	/* The newest (T0 + 400) counts until T0 + 1500; at that instant
	 * (the key not yet expired by Redis: its clock is real time) all
	 * have left and the total starts again. */
	h = hit_at(5, 1000, 10, T0 + 1500);
	ck_assert_int_eq(h.allowed, 1);
	ck_assert_int_eq(h.count, 1);
	ck_assert_int_eq(h.reset, 1100);
	ck_assert_int_eq(state_check(1000, 10, T0 + 1500), 1);
	ck_assert_int_eq(cmd_int("HLEN %s", KEY), 4);
}
END_TEST

START_TEST(buckets_leave_one_by_one)
{
	/* 10 buckets of 100 ms; two hits in each of the first five. */
	for (int i = 0; i < 5; i++) {
		hit_at(100, 1000, 10, T0 + i * 100);
		hit_at(100, 1000, 10, T0 + i * 100 + 99);
	}
	ck_assert_int_eq(state_check(1000, 10, T0 + 499), 10);
	/* Bucket T0 overlaps (now - 1000, now] until now = T0 + 1100. */
	for (int i = 0; i < 5; i++) {
		long long now = T0 + 1099 + i * 100;
		hit_res h = hit_at(100, 1000, 10, now);
		/* Ten held, this one in. */
		ck_assert_int_eq(h.count, 11);
		ck_assert_int_eq(state_check(1000, 10, now), h.count);
		h = hit_at(100, 1000, 10, now + 1);
		/* One bucket (2 hits) gone, this hit in. */
		ck_assert_int_eq(h.count, 10);
		ck_assert_int_eq(state_check(1000, 10, now + 1), h.count);
	}
	/* All five first buckets gone; only the ten hits above remain. */
	ck_assert_int_eq(state_check(1000, 10, T0 + 1600), 10);
}
END_TEST

START_TEST(denied_hits_change_nothing)
{
	redisReply *before, *after;

	hit_at(2, 1000, 10, T0);
	hit_at(2, 1000, 10, T0 + 150);
	before = cmd("HGETALL %s", KEY);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(hit_at(2, 1000, 10, T0 + 200 + i).allowed, 0);
	after = cmd("HGETALL %s", KEY);
	ck_assert_int_eq(before->elements, after->elements);
	for (size_t i = 0; i < before->elements; i++)
		ck_assert_str_eq(before->element[i]->str,
		                 after->element[i]->str);
	freeReplyObject(before);
	freeReplyObject(after);
}
END_TEST

START_TEST(lowered_limit_still_drops_old_buckets)
{
	hit_res h;

	/* Limit 10: three hits in each of buckets b, b + 1, b + 2. */
	for (int i = 0; i < 9; i++)
		hit_at(10, 1000, 10, T0 + (i / 3) * 100);
	/* The limit lowered to 2 once bucket b has left: still denied (6
	 * held), and the hash drops b all the same. */
	h = hit_at(2, 1000, 10, T0 + 1100);
	ck_assert_int_eq(h.allowed, 0);
	ck_assert_int_eq(h.count, 6);
	ck_assert_int_eq(h.reset, 100);
	ck_assert_int_eq(state_check(1000, 10, T0 + 1100), 6);
	h = hit_at(2, 1000, 10, T0 + 1200);
	ck_assert_int_eq(h.healed, 0);
	ck_assert_int_eq(h.count, 3);
	ck_assert_int_eq(state_check(1000, 10, T0 + 1200), 3);
}
END_TEST

START_TEST(key_expires_with_its_newest_bucket)
{
	long long ttl;

	/* At T0 + 250 the bucket is [T0, T0 + 1000): it counts until
	 * T0 + 1000 + 60000, and the key goes then. */
	hit_at(10, 60000, 60, T0 + 250);
	ck_assert_int_eq(cmd_int("PEXPIRETIME %s", KEY), T0 + 61000);
	/* A hit in the same bucket does not move it; a new bucket does. */
	hit_at(10, 60000, 60, T0 + 999);
	ck_assert_int_eq(cmd_int("PEXPIRETIME %s", KEY), T0 + 61000);
	hit_at(10, 60000, 60, T0 + 1000);
	ck_assert_int_eq(cmd_int("PEXPIRETIME %s", KEY), T0 + 62000);

	/* On Redis's own clock the key really goes: a 200 ms window of
	 * 20 ms buckets lives 180..220 ms after a hit. */
	ck_assert_int_eq(cmd_int("DEL %s", KEY), 1);
	ck_assert_int_eq(hit_at(10, 200, 10, -1).allowed, 1);
	ttl = cmd_int("PTTL %s", KEY);
	ck_assert_msg(ttl > 100 && ttl <= 220, "PTTL %lld", ttl);
	struct timespec ts = {0, 5 * 1000000};
	int polls = 0;
	while (cmd_int("EXISTS %s", KEY) == 1 && polls++ < 400)
		nanosleep(&ts, NULL);
	ck_assert_int_eq(cmd_int("EXISTS %s", KEY), 0);
}
END_TEST

START_TEST(older_layout_is_rebuilt)
{
	/* What the script used to write: one plain count per bucket. With
	 * 100 ms buckets at T0 + 1150, bucket b has left the window. */
	long long b = T0 / 100;
	redisReply *r =
	    cmd("HSET %s %lld 4 %lld 3 %lld 2", KEY, b, b + 1, b + 5);
	hit_res h;

	freeReplyObject(r);
	h = hit_at(10, 1000, 10, T0 + 1150);
	ck_assert_int_eq(h.healed, 1);
	ck_assert_int_eq(h.allowed, 1);
	ck_assert_int_eq(h.count, 3 + 2 + 1);
	/* The oldest live bucket, b + 1, counts until T0 + 200 + 1000. */
	ck_assert_int_eq(h.reset, 50);
	ck_assert_int_eq(state_check(1000, 10, T0 + 1150), 6);
	ck_assert_int_eq(cmd_int("PEXPIRETIME %s", KEY), T0 + 1200 + 1000);
	h = hit_at(10, 1000, 10, T0 + 1160);
	ck_assert_int_eq(h.healed, 0);
	ck_assert_int_eq(h.count, 7);
}
END_TEST

START_TEST(damaged_fields_are_rebuilt)
{
	/* Damage done to a key holding buckets b, b + 1, b + 2 (two hits
	 * each, b + 2 the newest), then a hit at T0 + 1150 where bucket b
	 * has left: the HMGET or the walk meets the damage. */
	static const struct {
		const char *cmd;
		long long arg1, arg2; /* added to b */
		int healed;
		long long count;
	} cases[] = {
	    /* A state field that is not a number. */
	    {"HSET " KEY " total abc", 0, 0, 1, 5},
	    /* A bucket whose hits are not a number. */
	    {"HSET " KEY " %lld zz:%lld", 0, 1, 1, 5},
	    /* The oldest naming a bucket that is not there. */
	    {"HSET " KEY " oldest %lld", -7, 0, 1, 5},
	    /* A chain link pointing backwards. */
	    {"HSET " KEY " %lld 2:%lld", 0, -1, 1, 5},
	    /* A total that the buckets cannot make up. */
	    {"HSET " KEY " total 3", 0, 0, 1, 5},
	    /* The newest bucket's hits unreadable: those are lost. */
	    {"HSET " KEY " last x", 0, 0, 1, 3},
	    /* A foreign field: carried along, never read, gone with the
	     * key. */
	    {"HSET " KEY " owner someone", 0, 0, 0, 5},
	};
	long long b = T0 / 100;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		redisReply *r;
		hit_res h;

		cmd_int("DEL %s", KEY);
		for (int j = 0; j < 6; j++)
			hit_at(100, 1000, 10, T0 + (j / 2) * 100);
		ck_assert_int_eq(state_check(1000, 10, T0 + 200), 6);
		r = cmd(cases[i].cmd, b + cases[i].arg1, b + cases[i].arg2);
		ck_assert_int_ne(r->type, REDIS_REPLY_ERROR);
		freeReplyObject(r);
		h = hit_at(100, 1000, 10, T0 + 1150);
		ck_assert_msg(h.healed == cases[i].healed,
		              "case %zu: healed %lld", i, h.healed);
		ck_assert_int_eq(h.allowed, 1);
		ck_assert_msg(h.count == cases[i].count, "case %zu: count %lld",
		              i, h.count);
		if (cases[i].healed) {
			ck_assert_int_eq(state_check(1000, 10, T0 + 1150),
			                 h.count);
			/* Healthy again: the next hit reads it as is. */
			h = hit_at(100, 1000, 10, T0 + 1160);
			ck_assert_int_eq(h.healed, 0);
			ck_assert_int_eq(h.count, cases[i].count + 1);
		} else {
			ck_assert_int_eq(cmd_int("HEXISTS %s owner", KEY), 1);
		}
	}
}
END_TEST

START_TEST(a_key_that_is_not_a_hash_starts_over)
{
	redisReply *r = cmd("SET %s garbage", KEY);
	hit_res h;

	freeReplyObject(r);
	h = hit_at(3, 1000, 10, T0);
	ck_assert_int_eq(h.healed, 1);
	ck_assert_int_eq(h.allowed, 1);
	ck_assert_int_eq(h.count, 1);
	ck_assert_int_eq(state_check(1000, 10, T0), 1);
}
END_TEST

START_TEST(clock_stepping_back_holds_hits_longer)
{
	hit_res h;

	hit_at(10, 1000, 10, T0);
	hit_at(10, 1000, 10, T0 + 500);
	/* Back 400 ms: the hit joins the newest bucket (T0 + 500), not an
	 * older one, so it is held at least a window from now. */
	h = hit_at(10, 1000, 10, T0 + 100);
	ck_assert_int_eq(h.allowed, 1);
	ck_assert_int_eq(h.count, 3);
	ck_assert_int_eq(h.healed, 0);
	ck_assert_int_eq(state_check(1000, 10, T0 + 100), 3);
	redisReply *r = cmd("HGET %s last", KEY);
	ck_assert_str_eq(r->str, "2");
	freeReplyObject(r);
	/* Forward again: bucket T0 leaves, the two in T0 + 500 stay. */
	h = hit_at(10, 1000, 10, T0 + 1150);
	ck_assert_int_eq(h.count, 3);
	ck_assert_int_eq(state_check(1000, 10, T0 + 1150), 3);
}
END_TEST

START_TEST(field_count_stays_bounded)
{
	/* A full minute of 1 s buckets and one more: RATE_BUCKETS + 1 live
	 * buckets (60 of 4 hits, the newest of 1), the newest one in the
	 * state fields. */
	for (long long t = 0; t <= 61000; t += 250)
		hit_at(1000000, 60000, RATE_BUCKETS, T0 + t);
	ck_assert_int_eq(cmd_int("HLEN %s", KEY), FIELDS_MAX);
	ck_assert_int_eq(state_check(60000, RATE_BUCKETS, T0 + 61000),
	                 60 * 4 + 1);
	/* Small enough to stay a listpack, which Redis reads fastest. */
	redisReply *r = cmd("OBJECT ENCODING %s", KEY);
	ck_assert_str_eq(r->str, "listpack");
	freeReplyObject(r);
}
END_TEST

static Suite *hit_script_suite(void)
{
	Suite *s = suite_create("hit_script");
	TCase *tc = tcase_create("model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, matches_the_model_minute_window);
	tcase_add_test(tc, matches_the_model_uneven_buckets);
	tcase_add_test(tc, matches_the_model_window_smaller_than_buckets);
	tcase_add_test(tc, matches_the_model_high_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("edges");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, all_buckets_left);
	tcase_add_test(tc, buckets_leave_one_by_one);
	tcase_add_test(tc, denied_hits_change_nothing);
	tcase_add_test(tc, lowered_limit_still_drops_old_buckets);
	tcase_add_test(tc, key_expires_with_its_newest_bucket);
	tcase_add_test(tc, older_layout_is_rebuilt);
	tcase_add_test(tc, damaged_fields_are_rebuilt);
	tcase_add_test(tc, a_key_that_is_not_a_hash_starts_over);
	tcase_add_test(tc, clock_stepping_back_holds_hits_longer);
	tcase_add_test(tc, field_count_stays_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hit_script_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
