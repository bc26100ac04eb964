/*
 * bin/logger with a real redis-server: ingest (direct and one-way),
 * malformed records skipped, query by request id, service, level, time and
 * limit, tail with a cursor, the caps on the stream and on a request's
 * lines; and a daemon bound to logger (bin/slack-notify) whose lines for a
 * request can be found by that request's id.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64];
static redis_server *rs;
static pid_t logger_pid, notify_pid;

static pid_t start(const char *name, const char *const *env)
{
	char log[128], sock[128];

	snprintf(log, sizeof log, "%s/%s.log", dir, name);
	snprintf(sock, sizeof sock, "%s/sock/%s.sock", dir, name);
	pid_t pid = proc_start(proc_bin_path(name), env, log);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(proc_wait_socket(sock, 15000) == 0,
	              "%s did not start (see %s)", name, log);
	return pid;
}

static void setup_with(const char *const *env)
{
	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	setenv("LOG_LEVEL", "debug", 1);
	unsetenv("SLACK_WEBHOOK_URL");
	logger_pid = start("logger", env);
	notify_pid = 0;
	mesh_sync_init();
}

static void setup(void)
{
	setup_with(NULL);
}

/* The smallest stream allowed, so that its cap is cheap to reach. */
static void setup_small(void)
{
	static const char *const env[] = {"LOGGER_MAX_RECORDS=100", NULL};

	setup_with(env);
}

static void teardown(void)
{
	mesh_sync_shutdown();
	if (notify_pid > 0)
		proc_stop(notify_pid, 5000);
	proc_stop(logger_pid, 5000);
	fixture_finish();
}

static json_t *call(const char *method, json_t *args, mesh_err *err, char *msg,
                    size_t msg_len)
{
	mesh_sync_opts o = {.timeout_ms = 10000};
	return mesh_sync_call("logger", method, args, &o, err, msg, msg_len);
}

static json_t *call_ok(const char *method, json_t *args)
{
	mesh_err err;
	char msg[512];
	json_t *r = call(method, args, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "logger.%s: %s: %s", method,
	              mesh_strerror(err), msg);
	return r;
}

static mesh_err call_err(const char *method, json_t *args, char *msg,
                         size_t msg_len)
{
	mesh_err err;
	json_decref(call(method, args, &err, msg, msg_len));
	return err;
}

static json_t *record(const char *ts, const char *level, const char *svc,
                      const char *rid, const char *msg)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level,
	                      "service", svc, "msg", msg);
	if (rid)
		json_object_set_new(r, "request_id", json_string(rid));
	return r;
}

static json_t *records_of(json_t *reply)
{
	json_t *a = json_object_get(reply, "records");
	ck_assert_msg(json_is_array(a), "no records in reply");
	return a;
}

static const char *field(json_t *records, size_t i, const char *key)
{
	return json_string_value(
	    json_object_get(json_array_get(records, i), key));
}

/* A batch as the shipper sends it, with lines out of time order across
 * services, and three malformed records. */
static void ingest_sample(void)
{
	json_t *recs = json_array();
	json_array_append_new(recs, record("2025-07-01T08:00:00.200Z", "info",
	                                   "slack-notify", "R1", "delivered"));
	json_array_append_new(recs,
	                      record("2025-07-01T08:00:00.100Z", "debug",
	                             "gateway", "R1", "POST /api/notify"));
	json_array_append_new(recs, json_string("not an object"));
	json_array_append_new(recs, record("2025-07-01T08:00:00.300Z", "error",
	                                   "gateway", "R2", "upstream failed"));
	json_array_append_new(recs, json_pack("{s:s, s:s, s:s}", "ts", "x",
	                                      "level", "info", "service", "s"));
	json_array_append_new(recs, record("2025-07-01T08:00:00.400Z", "loud",
	                                   "gateway", "R1", "bad level"));
	json_t *extra = record("2025-07-01T08:00:00.500Z", "warn",
	                       "slack-notify", NULL, "no request");
	json_object_set_new(extra, "template", json_string("new_lead"));
	json_array_append_new(recs, extra);

	json_t *r = call_ok(
	    "ingest", json_pack("{s:o, s:i}", "records", recs, "dropped", 2));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "stored")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "skipped")), 3);
	json_decref(r);
}

START_TEST(query_by_request_id)
{
	ingest_sample();
	json_t *r = call_ok("query", json_pack("{s:s}", "request_id", "R1"));
	json_t *a = records_of(r);

	/* Both services' lines of R1, oldest first, nothing else. */
	ck_assert_int_eq(json_array_size(a), 2);
	ck_assert_str_eq(field(a, 0, "service"), "gateway");
	ck_assert_str_eq(field(a, 0, "msg"), "POST /api/notify");
	ck_assert_str_eq(field(a, 1, "service"), "slack-notify");
	json_decref(r);

	/* From the gateway, numbers are strings: the newest one. */
	r = call_ok("query",
	            json_pack("{s:s, s:s}", "request_id", "R1", "limit", "1"));
	a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 1);
	ck_assert_str_eq(field(a, 0, "msg"), "delivered");
	json_decref(r);

	r = call_ok("query", json_pack("{s:s, s:s}", "request_id", "R1",
	                               "level", "info"));
	ck_assert_int_eq(json_array_size(records_of(r)), 1);
	json_decref(r);

	r = call_ok("query", json_pack("{s:s}", "request_id", "nobody"));
	ck_assert_int_eq(json_array_size(records_of(r)), 0);
	json_decref(r);

	/* One list per request id, expiring: a day while the stream is not
	 * full. It names the lines (stream ids); their one copy is in the
	 * stream. */
	long long ttl = redis_server_int(rs, "TTL logger:req:R1");
	ck_assert_int_gt(ttl, 86000);
	ck_assert_int_le(ttl, 86400);
	ck_assert_int_eq(redis_server_int(rs, "LLEN logger:req:R1"), 2);
	redisReply *id = redis_server_cmd(rs, "LINDEX logger:req:R1 0");
	ck_assert_int_eq(id->type, REDIS_REPLY_STRING);
	ck_assert_int_eq(redis_server_int(rs, "XLEN logger:records"), 4);
	redisReply *e = redis_server_cmd(rs, "XRANGE logger:records %s %s",
	                                 id->str, id->str);
	ck_assert_int_eq(e->elements, 1);
	ck_assert_msg(strstr(e->element[0]->element[1]->element[1]->str,
	                     "delivered") != NULL,
	              "the list's first id is not R1's first line");
	freeReplyObject(e);
	freeReplyObject(id);
}
END_TEST

/* A list written when lists held the lines' texts is read as it is. */
START_TEST(query_reads_lists_of_texts)
{
	ingest_sample();
	freeReplyObject(redis_server_cmd(
	    rs, "RPUSH logger:req:R1 %s",
	    "{\"ts\":\"2025-07-01T08:00:00.250Z\",\"level\":\"info\","
	    "\"service\":\"leads-intake\",\"request_id\":\"R1\","
	    "\"msg\":\"older layout\"}"));
	json_t *r = call_ok("query", json_pack("{s:s}", "request_id", "R1"));
	json_t *a = records_of(r);

	ck_assert_int_eq(json_array_size(a), 3);
	ck_assert_str_eq(field(a, 1, "msg"), "delivered");
	ck_assert_str_eq(field(a, 2, "msg"), "older layout");
	json_decref(r);
}
END_TEST

START_TEST(query_by_service_level_time)
{
	ingest_sample();
	json_t *r = call_ok("query", json_pack("{s:s}", "service", "gateway"));
	json_t *a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 2);
	ck_assert_str_eq(field(a, 0, "msg"), "POST /api/notify");
	ck_assert_str_eq(field(a, 1, "msg"), "upstream failed");
	json_decref(r);

	r = call_ok("query", json_pack("{s:s}", "level", "warn"));
	a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 2);
	ck_assert_str_eq(field(a, 0, "level"), "error");
	ck_assert_str_eq(field(a, 1, "level"), "warn");
	/* Extra fields are kept. */
	ck_assert_str_eq(field(a, 1, "template"), "new_lead");
	json_decref(r);

	r = call_ok("query",
	            json_pack("{s:s}", "since", "2025-07-01T08:00:00.300Z"));
	ck_assert_int_eq(json_array_size(records_of(r)), 2);
	json_decref(r);
	r = call_ok("query", json_pack("{s:s}", "since_ms", "1751356800300"));
	ck_assert_int_eq(json_array_size(records_of(r)), 2);
	json_decref(r);

	r = call_ok("query", json_pack("{s:i}", "limit", 3));
	a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 3);
	ck_assert_str_eq(field(a, 2, "msg"), "no request");
	json_decref(r);

	char msg[256];
	ck_assert_int_eq(call_err("query", json_pack("{s:s}", "level", "loud"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "level"));
	ck_assert_int_eq(call_err("query", json_pack("{s:s}", "limit", "1001"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "limit"));
	ck_assert_int_eq(call_err("ingest", json_pack("{s:s}", "records", "x"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "records"));
}
END_TEST

START_TEST(query_scans_past_many_records)
{
	/* The one error is older than a page of other lines. */
	json_t *recs = json_array();
	json_array_append_new(recs, record("2025-07-01T08:00:00.000Z", "error",
	                                   "crm-sync", NULL, "needle"));
	json_decref(call_ok("ingest", json_pack("{s:o}", "records", recs)));
	for (int b = 0; b < 2; b++) {
		recs = json_array();
		for (int i = 0; i < 400; i++)
			json_array_append_new(
			    recs, record("2025-07-01T08:00:01.000Z", "info",
			                 "gateway", NULL, "hay"));
		json_decref(
		    call_ok("ingest", json_pack("{s:o}", "records", recs)));
	}
	json_t *r = call_ok("query", json_pack("{s:s}", "service", "crm-sync"));
	ck_assert_int_eq(json_array_size(records_of(r)), 1);
	ck_assert_str_eq(field(records_of(r), 0, "msg"), "needle");
	json_decref(r);
}
END_TEST

/* Redis serves no one else while a script runs: a big batch is stored by
 * scripts of at most 16 records, one after another, in the batch's
 * order. */
START_TEST(big_batch_is_stored_in_small_scripts_in_order)
{
	json_t *recs = json_array(), *r, *a;
	char msg[32];
	long long scripts =
	    redis_server_calls(rs, "eval") + redis_server_calls(rs, "evalsha");

	for (int i = 0; i < 40; i++) {
		snprintf(msg, sizeof msg, "line %d", i);
		json_array_append_new(recs, record("2025-07-01T08:00:00.000Z",
		                                   "info", "gateway",
		                                   i % 2 ? "ODD" : NULL, msg));
	}
	r = call_ok("ingest", json_pack("{s:o}", "records", recs));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "stored")), 40);
	json_decref(r);
	/* 16 + 16 + 8; the first by EVAL, the others by EVALSHA */
	ck_assert_int_eq(redis_server_calls(rs, "eval") +
	                     redis_server_calls(rs, "evalsha"),
	                 scripts + 3);
	ck_assert_int_ge(redis_server_calls(rs, "evalsha"), 2);

	r = call_ok("query", json_pack("{s:i}", "limit", 40));
	a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 40);
	for (int i = 0; i < 40; i++) {
		snprintf(msg, sizeof msg, "line %d", i);
		ck_assert_str_eq(field(a, (size_t)i, "msg"), msg);
	}
	json_decref(r);
	r = call_ok("query",
	            json_pack("{s:s, s:i}", "request_id", "ODD", "limit", 40));
	a = records_of(r);
	ck_assert_int_eq(json_array_size(a), 20);
	ck_assert_str_eq(field(a, 0, "msg"), "line 1");
	ck_assert_str_eq(field(a, 19, "msg"), "line 39");
	json_decref(r);
}
END_TEST

START_TEST(tail_follows_with_a_cursor)
{
	json_t *r = call_ok("tail", json_object());
	ck_assert_int_eq(json_array_size(records_of(r)), 0);
	const char *c = json_string_value(json_object_get(r, "cursor"));
	ck_assert_ptr_nonnull(c);
	char cursor[64];
	snprintf(cursor, sizeof cursor, "%s", c);
	json_decref(r);

	ingest_sample();
	r = call_ok("tail", json_pack("{s:s}", "cursor", cursor));
	ck_assert_int_eq(json_array_size(records_of(r)), 4);
	ck_assert_str_eq(field(records_of(r), 0, "msg"), "delivered");
	snprintf(cursor, sizeof cursor, "%s",
	         json_string_value(json_object_get(r, "cursor")));
	json_decref(r);

	/* Nothing new: nothing, and the same cursor. */
	r = call_ok("tail", json_pack("{s:s}", "cursor", cursor));
	ck_assert_int_eq(json_array_size(records_of(r)), 0);
	ck_assert_str_eq(json_string_value(json_object_get(r, "cursor")),
	                 cursor);
	json_decref(r);

	json_t *recs = json_array();
	json_array_append_new(recs, record("2025-07-01T08:00:09.000Z", "info",
	                                   "billing", NULL, "newer"));
	json_decref(call_ok("ingest", json_pack("{s:o}", "records", recs)));
	r = call_ok("tail",
	            json_pack("{s:s, s:s}", "cursor", cursor, "limit", "10"));
	ck_assert_int_eq(json_array_size(records_of(r)), 1);
	ck_assert_str_eq(field(records_of(r), 0, "msg"), "newer");
	ck_assert_str_ne(json_string_value(json_object_get(r, "cursor")),
	                 cursor);
	json_decref(r);

	/* Without a cursor: the latest, oldest first. */
	r = call_ok("tail", json_pack("{s:i}", "limit", 2));
	ck_assert_int_eq(json_array_size(records_of(r)), 2);
	ck_assert_str_eq(field(records_of(r), 1, "msg"), "newer");
	json_decref(r);

	char msg[256];
	ck_assert_int_eq(call_err("tail",
	                          json_pack("{s:s}", "cursor", "tomorrow"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "cursor"));
}
END_TEST

START_TEST(one_way_ingest)
{
	json_t *recs = json_array();
	json_array_append_new(recs, record("2025-07-01T08:00:00.000Z", "info",
	                                   "valuation", "OW1", "one way"));
	mesh_send(NULL, "logger", "ingest",
	          json_pack("{s:o}", "records", recs));
	mesh_sync_run(100);

	long long until = proc_now_ms() + 5000;
	size_t n = 0;
	while (proc_now_ms() < until) {
		json_t *r =
		    call_ok("query", json_pack("{s:s}", "request_id", "OW1"));
		n = json_array_size(records_of(r));
		json_decref(r);
		if (n)
			break;
		proc_sleep_ms(20);
	}
	ck_assert_int_eq(n, 1);
}
END_TEST

/* Stopped while Redis holds its writes: the script in flight and the
 * chunks queued behind it fail, and the process still exits cleanly
 * (under ASan: nothing leaked). */
START_TEST(stop_with_chunks_queued)
{
	static const char *const env[] = {"MESH_DRAIN_MS=300", NULL};
	json_t *recs = json_array();
	redisReply *r;

	proc_stop(logger_pid, 5000);
	logger_pid = start("logger", env);
	for (int i = 0; i < 40; i++)
		json_array_append_new(recs,
		                      record("2025-07-01T08:00:00.000Z", "info",
		                             "gateway", "HELD", "held"));
	r = redis_server_cmd(rs, "CLIENT PAUSE 5000 WRITE");
	ck_assert_ptr_nonnull(r);
	freeReplyObject(r);
	mesh_send(NULL, "logger", "ingest",
	          json_pack("{s:o}", "records", recs));
	mesh_sync_run(200);
	ck_assert_int_eq(proc_stop(logger_pid, 5000), 0);
	r = redis_server_cmd(rs, "CLIENT UNPAUSE");
	ck_assert_ptr_nonnull(r);
	freeReplyObject(r);
	/* The script Redis held ran once let go; nothing after it. */
	logger_pid = start("logger", NULL);
	ck_assert_int_le(redis_server_int(rs, "LLEN logger:req:HELD"), 16);
}
END_TEST

START_TEST(caps_hold)
{
	/* A batch of exactly the limit is taken whole; one more is skipped. */
	json_t *recs = json_array();
	for (int i = 0; i < 1000; i++)
		json_array_append_new(recs,
		                      record("2025-07-01T08:00:00.000Z", "info",
		                             "gateway", "BIG", "line"));
	json_t *r = call_ok("ingest", json_pack("{s:o}", "records", recs));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "stored")),
	                 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "skipped")), 0);
	json_decref(r);
	recs = json_array();
	for (int i = 0; i < 1001; i++)
		json_array_append_new(recs,
		                      record("2025-07-01T08:00:01.000Z", "info",
		                             "gateway", "BIG", "more"));
	r = call_ok("ingest", json_pack("{s:o}", "records", recs));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "stored")),
	                 1000);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "skipped")), 1);
	json_decref(r);

	/* A request names its first 1000 lines. */
	ck_assert_int_eq(redis_server_int(rs, "LLEN logger:req:BIG"), 1000);

	/* The stream is capped near LOGGER_MAX_RECORDS=100 (MAXLEN ~ trims
	 * whole nodes of 100 entries), and it holds the only copy: a
	 * request's lines are those the stream still keeps, the newest. */
	long long len = redis_server_int(rs, "XLEN logger:records");
	ck_assert_int_ge(len, 100);
	ck_assert_int_lt(len, 300);
	r = call_ok("query", json_pack("{s:s, s:i}", "request_id", "BIG",
	                               "limit", 1000));
	ck_assert_int_eq(json_array_size(records_of(r)), 0);
	json_decref(r);
	recs = json_array();
	for (int i = 0; i < 150; i++)
		json_array_append_new(recs,
		                      record("2025-07-01T08:00:02.000Z", "info",
		                             "gateway", "NEXT", "kept"));
	json_decref(call_ok("ingest", json_pack("{s:o}", "records", recs)));
	len = redis_server_int(rs, "XLEN logger:records");
	r = call_ok("query", json_pack("{s:s, s:i}", "request_id", "NEXT",
	                               "limit", 1000));
	ck_assert_int_ge(json_array_size(records_of(r)), 100);
	ck_assert_int_le(json_array_size(records_of(r)), (size_t)len);
	ck_assert_str_eq(field(records_of(r), 0, "msg"), "kept");
	json_decref(r);

	/* With the stream full, a new request's list expires about when its
	 * lines leave the stream (here within seconds, so the floor of 60
	 * s), not a day later. */
	ck_assert_int_le(redis_server_int(rs, "TTL logger:req:NEXT"), 60);
	ck_assert_int_gt(redis_server_int(rs, "TTL logger:req:NEXT"), 0);

	/* A record over the size limit is skipped, the rest stored. */
	char *big = malloc(20000);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	recs = json_array();
	json_array_append_new(recs, record("t", "info", "s", NULL, big));
	json_array_append_new(recs, record("t", "info", "s", NULL, "small"));
	free(big);
	r = call_ok("ingest", json_pack("{s:o}", "records", recs));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "stored")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "skipped")), 1);
	json_decref(r);
}
END_TEST

START_TEST(bound_daemon_ships_its_lines)
{
	mesh_err err;
	char msg[512];

	notify_pid = start("slack-notify", NULL);
	mesh_sync_opts o = {.request_id = "ship-req-1", .timeout_ms = 10000};
	json_t *r = mesh_sync_call(
	    "slack-notify", "send",
	    json_pack("{s:s, s:{s:s, s:s}}", "template", "new_lead", "data",
	              "name", "Shipped Lead", "phone", "5125550100"),
	    &o, &err, msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s", msg);
	ck_assert(json_is_true(json_object_get(r, "logged")));
	json_decref(r);

	/* The shipper sends within its flush interval. */
	long long until = proc_now_ms() + 5000;
	int found = 0;
	while (!found && proc_now_ms() < until) {
		r = call_ok("query",
		            json_pack("{s:s}", "request_id", "ship-req-1"));
		json_t *a = records_of(r);
		for (size_t i = 0; i < json_array_size(a); i++)
			if (strcmp(field(a, i, "service"), "slack-notify") ==
			        0 &&
			    strstr(field(a, i, "msg"), "Shipped Lead"))
				found = 1;
		json_decref(r);
		if (!found)
			proc_sleep_ms(50);
	}
	ck_assert_msg(found,
	              "slack-notify's line for ship-req-1 never arrived");

	/* And by service. */
	r = call_ok("query", json_pack("{s:s}", "service", "slack-notify"));
	ck_assert_int_ge(json_array_size(records_of(r)), 1);
	json_decref(r);
}
END_TEST

static Suite *logger_suite(void)
{
	Suite *s = suite_create("logger");
	TCase *tc = tcase_create("logger");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, query_by_request_id);
	tcase_add_test(tc, query_reads_lists_of_texts);
	tcase_add_test(tc, query_by_service_level_time);
	tcase_add_test(tc, query_scans_past_many_records);
	tcase_add_test(tc, big_batch_is_stored_in_small_scripts_in_order);
	tcase_add_test(tc, tail_follows_with_a_cursor);
	tcase_add_test(tc, one_way_ingest);
	tcase_add_test(tc, stop_with_chunks_queued);
	tcase_add_test(tc, bound_daemon_ships_its_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("caps");
	tcase_add_checked_fixture(tc, setup_small, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, caps_hold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(logger_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
