/*
 * bin/slack-notify against a fake Slack (a real HTTP server on loopback)
 * and a real redis-server: what Slack receives, how the daemon answers
 * 429, 5xx and 4xx, the repeat drop, logging when no webhook is set, the
 * daily digest, and events: delivered, retried while Slack is down, and
 * not lost when the daemon is killed mid-delivery.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "http_fake.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64], sock[128], log_path[128];
static redis_server *rs;
static http_fake *fake;
static pid_t pid;
static char env_url[300], env_ops[300];

/* Starts slack-notify, with the fake's webhooks or with none. */
static void start_notify(int with_webhooks)
{
	const char *env[] = {env_url, env_ops, NULL};

	pid = proc_start(proc_bin_path("slack-notify"),
	                 with_webhooks ? env : NULL, log_path);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(proc_wait_socket(sock, 15000) == 0,
	              "slack-notify did not start (see %s)", log_path);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	fake = http_fake_start();
	ck_assert_ptr_nonnull(fake);
	setenv("LOG_LEVEL", "debug", 1);
	unsetenv("SLACK_WEBHOOK_URL");
	unsetenv("SLACK_WEBHOOK_URL_OPS");
	unsetenv("SLACK_HTTP_TIMEOUT_MS");
	char *u = http_fake_url(fake, "/hook");
	snprintf(env_url, sizeof env_url, "SLACK_WEBHOOK_URL=%s", u);
	free(u);
	u = http_fake_url(fake, "/ops");
	snprintf(env_ops, sizeof env_ops, "SLACK_WEBHOOK_URL_OPS=%s", u);
	free(u);
	snprintf(sock, sizeof sock, "%s/sock/slack-notify.sock", dir);
	snprintf(log_path, sizeof log_path, "%s/slack-notify.log", dir);
	start_notify(1);
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	if (pid > 0)
		proc_stop(pid, 5000);
	http_fake_stop(fake);
	fixture_finish();
}

/* send {template, data (JSON text), channel?}; the result, or NULL with
 * *err and msg. */
static json_t *send_msg(const char *tmpl, const char *data_json,
                        const char *channel, mesh_err *err, char *msg,
                        size_t msg_len)
{
	json_t *data = json_loads(data_json, 0, NULL);
	ck_assert_msg(data != NULL, "bad test JSON: %s", data_json);
	json_t *args = json_pack("{s:s, s:o}", "template", tmpl, "data", data);
	if (channel)
		json_object_set_new(args, "channel", json_string(channel));
	mesh_sync_opts o = {.timeout_ms = 15000};
	return mesh_sync_call("slack-notify", "send", args, &o, err, msg,
	                      msg_len);
}

static json_t *send_ok(const char *tmpl, const char *data_json,
                       const char *channel)
{
	mesh_err err;
	char msg[512];
	json_t *r = send_msg(tmpl, data_json, channel, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "send: %s: %s", mesh_strerror(err), msg);
	return r;
}

static int flag(json_t *r, const char *key)
{
	return json_is_true(json_object_get(r, key));
}

/* The fake's i-th request body as JSON (caller frees). */
static json_t *body_of(size_t i)
{
	const http_fake_req *q = http_fake_get(fake, i);
	ck_assert_ptr_nonnull(q);
	json_t *b = json_loads(q->body, 0, NULL);
	ck_assert_msg(b != NULL, "request %zu: body is not JSON: %s", i,
	              q->body);
	return b;
}

static const char *text_of(json_t *body)
{
	return json_string_value(json_object_get(body, "text"));
}

START_TEST(send_posts_escaped_json)
{
	json_t *r = send_ok("new_lead",
	                    "{\"name\": \"<!channel> & <script>x</script>\","
	                    " \"phone\": \"+15125550100\", \"address\":"
	                    " {\"one_line\": \"12 Oak St, Austin, TX 78701\"}}",
	                    NULL);

	ck_assert(flag(r, "sent"));
	ck_assert(!flag(r, "logged"));
	ck_assert(!flag(r, "duplicate"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "attempts")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "channel")),
	                 "default");
	json_decref(r);

	ck_assert_int_eq(http_fake_count(fake), 1);
	const http_fake_req *q = http_fake_get(fake, 0);
	ck_assert_str_eq(q->method, "POST");
	ck_assert_str_eq(q->path, "/hook");
	ck_assert_ptr_nonnull(strstr(http_fake_req_header(q, "Content-Type"),
	                             "application/json"));
	json_t *b = body_of(0);
	ck_assert_ptr_nonnull(strstr(text_of(b),
	                             "*New Lead!*\n&lt;!channel&gt; "
	                             "&amp; &lt;script&gt;x"
	                             "&lt;/script&gt; - +15125550100"));
	ck_assert_ptr_nonnull(
	    strstr(text_of(b), "12 Oak St, Austin, TX 78701"));
	/* Nowhere in the payload can Slack see a control sequence. */
	ck_assert_ptr_null(strstr(q->body, "<!channel>"));
	ck_assert_ptr_null(strstr(q->body, "<script>"));
	ck_assert_int_ge(json_array_size(json_object_get(b, "blocks")), 2);
	json_decref(b);
}
END_TEST

START_TEST(channel_webhooks)
{
	json_decref(send_ok("alert", "{\"message\": \"disk full\"}", "ops"));
	ck_assert_str_eq(http_fake_get(fake, 0)->path, "/ops");
	/* A channel without its own webhook goes to the default one. */
	json_t *r = send_ok("alert", "{\"message\": \"disk full\"}", "sales");
	ck_assert_str_eq(http_fake_get(fake, 1)->path, "/hook");
	ck_assert_str_eq(json_string_value(json_object_get(r, "channel")),
	                 "sales");
	json_decref(r);
}
END_TEST

START_TEST(rate_limit_waits_retry_after)
{
	ck_assert_int_eq(http_fake_push(fake, "/hook", 429, "Retry-After: 1",
	                                "rate_limited", 0),
	                 0);
	json_t *r = send_ok("payment",
	                    "{\"customer\": \"Acme\", \"amount\": 49}", NULL);
	ck_assert(flag(r, "sent"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "attempts")), 2);
	json_decref(r);

	ck_assert_int_eq(http_fake_count(fake), 2);
	int64_t gap =
	    http_fake_get(fake, 1)->at_ms - http_fake_get(fake, 0)->at_ms;
	ck_assert_int_ge(gap, 1000);
	ck_assert_int_lt(gap, 3000);
	ck_assert_str_eq(http_fake_get(fake, 0)->body,
	                 http_fake_get(fake, 1)->body);
}
END_TEST

START_TEST(rate_limit_past_the_deadline_fails_unavailable)
{
	mesh_err err;
	char msg[512];

	ck_assert_int_eq(
	    http_fake_push(fake, "/hook", 429, "Retry-After: 20", NULL, 0), 0);
	json_t *data = json_pack("{s:s}", "message", "late");
	mesh_sync_opts o = {.timeout_ms = 3000};
	long long t0 = proc_now_ms();
	json_t *r = mesh_sync_call(
	    "slack-notify", "send",
	    json_pack("{s:s, s:o}", "template", "alert", "data", data), &o,
	    &err, msg, sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(msg, "rate limited"));
	/* It gave up at once rather than sleeping into the deadline. */
	ck_assert_int_lt(proc_now_ms() - t0, 1500);
	ck_assert_int_eq(http_fake_count(fake), 1);
}
END_TEST

START_TEST(server_errors_retried_with_backoff)
{
	http_fake_push(fake, "/hook", 500, NULL, "oops", 0);
	http_fake_push(fake, "/hook", 500, NULL, "oops", 0);
	json_t *r = send_ok("alert", "{\"message\": \"db slow\"}", NULL);
	ck_assert(flag(r, "sent"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "attempts")), 3);
	json_decref(r);

	ck_assert_int_eq(http_fake_count(fake), 3);
	int64_t t0 = http_fake_get(fake, 0)->at_ms;
	int64_t t1 = http_fake_get(fake, 1)->at_ms;
	int64_t t2 = http_fake_get(fake, 2)->at_ms;
	ck_assert_int_ge(t1 - t0, 250);
	ck_assert_int_ge(t2 - t1, 500);
	ck_assert_int_lt(t2 - t0, 3000);

	/* Down for good: four attempts, then unavailable. */
	for (int i = 0; i < 4; i++)
		http_fake_push(fake, "/hook", 503, NULL, NULL, 0);
	mesh_err err;
	char msg[512];
	r = send_msg("alert", "{\"message\": \"other\"}", NULL, &err, msg,
	             sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(msg, "503"));
	ck_assert_int_eq(http_fake_count(fake), 7);
}
END_TEST

START_TEST(client_errors_never_retried)
{
	mesh_err err;
	char msg[512];

	http_fake_push(fake, "/hook", 400, NULL, "invalid_payload", 0);
	json_t *r = send_msg("alert", "{\"message\": \"a\"}", NULL, &err, msg,
	                     sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "invalid_payload"));
	/* Longer than the first backoff: a retry would have come. */
	proc_sleep_ms(600);
	ck_assert_int_eq(http_fake_count(fake), 1);

	http_fake_push(fake, "/hook", 403, NULL, "invalid_token", 0);
	r = send_msg("alert", "{\"message\": \"b\"}", NULL, &err, msg,
	             sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(msg, "invalid_token"));
	proc_sleep_ms(600);
	ck_assert_int_eq(http_fake_count(fake), 2);

	/* A refused message leaves no repeat mark: sent again, it posts. */
	r = send_ok("alert", "{\"message\": \"a\"}", NULL);
	ck_assert(flag(r, "sent"));
	json_decref(r);
	ck_assert_int_eq(http_fake_count(fake), 3);
}
END_TEST

START_TEST(repeat_within_a_minute_dropped)
{
	const char *lead = "{\"name\": \"Jo\", \"phone\": \"5125550100\"}";
	json_t *r = send_ok("new_lead", lead, NULL);
	ck_assert(flag(r, "sent"));
	json_decref(r);

	r = send_ok("new_lead", lead, NULL);
	ck_assert(!flag(r, "sent"));
	ck_assert(flag(r, "duplicate"));
	json_decref(r);
	ck_assert_int_eq(http_fake_count(fake), 1);

	/* Same text to another channel, or other text: both post. */
	json_decref(send_ok("new_lead", lead, "ops"));
	json_decref(send_ok(
	    "new_lead", "{\"name\": \"Jo\", \"phone\": \"5125550101\"}", NULL));
	ck_assert_int_eq(http_fake_count(fake), 3);

	/* The mark lives 60 s, under a SHA-256 key. */
	redisReply *k = redis_server_cmd(rs, "KEYS slack-notify:sent:*");
	ck_assert_int_eq(k->elements, 3);
	ck_assert_uint_eq(strlen(k->element[0]->str),
	                  strlen("slack-notify:sent:") + 64);
	long long ttl = redis_server_int(rs, "TTL %s", k->element[0]->str);
	ck_assert_int_gt(ttl, 50);
	ck_assert_int_le(ttl, 60);
	freeReplyObject(k);
}
END_TEST

START_TEST(no_webhook_logs_instead)
{
	proc_stop(pid, 5000);
	start_notify(0);
	json_t *r = send_ok(
	    "new_lead",
	    "{\"name\": \"Logged Lead\", \"phone\": \"5125550100\"}", NULL);
	ck_assert(!flag(r, "sent"));
	ck_assert(flag(r, "logged"));
	json_decref(r);
	ck_assert_int_eq(http_fake_count(fake), 0);

	/* The rendered text is in the log. */
	proc_stop(pid, 5000);
	pid = 0;
	FILE *f = fopen(log_path, "r");
	ck_assert_ptr_nonnull(f);
	char line[4096];
	int found = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "New Lead!") && strstr(line, "Logged Lead"))
			found = 1;
	fclose(f);
	ck_assert(found);
}
END_TEST

START_TEST(webhook_url_is_never_logged)
{
	http_fake_push(fake, "/hook", 400, NULL, "invalid_payload", 0);
	mesh_err err;
	char msg[512];
	json_decref(send_msg("alert", "{\"message\": \"x\"}", NULL, &err, msg,
	                     sizeof msg));
	ck_assert_int_eq(err, MESH_EINVAL);
	json_decref(send_ok("alert", "{\"message\": \"y\"}", NULL));
	ck_assert_ptr_null(strstr(msg, "127.0.0.1"));
	proc_stop(pid, 5000);
	pid = 0;

	FILE *f = fopen(log_path, "r");
	ck_assert_ptr_nonnull(f);
	char line[4096], port[32];
	int lines = 0;
	snprintf(port, sizeof port, "127.0.0.1:%d", http_fake_port(fake));
	while (fgets(line, sizeof line, f)) {
		lines++;
		ck_assert_msg(strstr(line, port) == NULL, "URL logged: %s",
		              line);
	}
	fclose(f);
	ck_assert_int_gt(lines, 2);
}
END_TEST

START_TEST(bad_requests_name_the_problem)
{
	mesh_err err;
	char msg[512];

	json_t *r = send_msg("birthday", "{}", NULL, &err, msg, sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "birthday"));

	r = send_msg("new_lead", "{\"phone\": \"1\"}", NULL, &err, msg,
	             sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "data.name"));

	r = send_msg("alert", "{\"message\": \"m\"}", "#general", &err, msg,
	             sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "channel"));

	mesh_sync_opts o = {.timeout_ms = 5000};
	r = mesh_sync_call("slack-notify", "send",
	                   json_pack("{s:s}", "template", "alert"), &o, &err,
	                   msg, sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "data"));
	r = mesh_sync_call("slack-notify", "send",
	                   json_pack("{s:i}", "template", 3), &o, &err, msg,
	                   sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "template"));
	ck_assert_int_eq(http_fake_count(fake), 0);
}
END_TEST

START_TEST(daily_digest_counts_today)
{
	mesh_err err;
	char msg[512];

	json_decref(
	    send_ok("new_lead", "{\"name\": \"A\", \"phone\": \"1\"}", NULL));
	json_decref(
	    send_ok("new_lead", "{\"name\": \"B\", \"phone\": \"2\"}", NULL));
	json_decref(
	    send_ok("payment", "{\"customer\": \"C\", \"amount\": 9}", NULL));
	mesh_sync_opts o = {.timeout_ms = 10000};
	json_t *r = mesh_sync_call("slack-notify", "daily_digest",
	                           json_object(), &o, &err, msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s", msg);
	ck_assert(flag(r, "sent"));
	json_decref(r);
	ck_assert_int_eq(http_fake_count(fake), 4);
	json_t *b = body_of(3);
	ck_assert_ptr_nonnull(strstr(text_of(b), "*Daily digest for "));
	ck_assert_ptr_nonnull(strstr(text_of(b), ": 3 messages sent"));
	ck_assert_ptr_nonnull(strstr(text_of(b), "new_lead: 2"));
	ck_assert_ptr_nonnull(strstr(text_of(b), "payment: 1"));
	json_decref(b);

	/* Another day: nothing. */
	r = mesh_sync_call("slack-notify", "daily_digest",
	                   json_pack("{s:s}", "date", "2001-01-01"), &o, &err,
	                   msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s", msg);
	json_decref(r);
	b = body_of(4);
	ck_assert_str_eq(text_of(b),
	                 "*Daily digest for 2001-01-01*: nothing was sent");
	json_decref(b);

	r = mesh_sync_call("slack-notify", "daily_digest",
	                   json_pack("{s:s}", "date", "July 1st"), &o, &err,
	                   msg, sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "date"));
}
END_TEST

/* ---- events ---------------------------------------------------------- */

/* Waits until slack-notify's consumer group on topic exists (it creates
 * it at "$" after it starts listening: an event added before would not be
 * its to read). */
static void wait_group(const char *topic)
{
	long long until = proc_now_ms() + 5000;

	for (;;) {
		redisReply *r =
		    redis_server_cmd(rs, "XINFO GROUPS events:%s", topic);
		int ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0;
		if (r)
			freeReplyObject(r);
		if (ok)
			return;
		ck_assert_msg(proc_now_ms() < until, "no consumer group on %s",
		              topic);
		proc_sleep_ms(20);
	}
}

/* Adds an event the way libmesh's events_publish does; returns its id
 * (static). */
static const char *publish(const char *topic, const char *payload,
                           const char *request_id)
{
	static char id[64];
	char ms[32];

	snprintf(ms, sizeof ms, "%lld", proc_now_ms());
	redisReply *r = redis_server_cmd(
	    rs,
	    "XADD events:%s MAXLEN ~ 100000 * payload %s request_id %s "
	    "traceparent %s published_ms %s",
	    topic, payload, request_id, "", ms);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	snprintf(id, sizeof id, "%s", r->str);
	freeReplyObject(r);
	return id;
}

/* Pending (delivered, not acknowledged) entries of slack-notify's group. */
static long long pending(const char *topic)
{
	redisReply *r =
	    redis_server_cmd(rs, "XPENDING events:%s slack-notify", topic);
	long long n = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0
	                  ? r->element[0]->integer
	                  : -1;
	if (r)
		freeReplyObject(r);
	return n;
}

/* Waits until the group has read up to id and acknowledged everything. */
static int wait_acked(const char *topic, const char *id, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;

	while (proc_now_ms() < until) {
		redisReply *r =
		    redis_server_cmd(rs, "XINFO GROUPS events:%s", topic);
		int read = 0;
		for (size_t i = 0;
		     r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
		     i++) {
			redisReply *g = r->element[i];
			for (size_t k = 0; k + 1 < g->elements; k += 2)
				if (strcmp(g->element[k]->str,
				           "last-delivered-id") == 0 &&
				    strcmp(g->element[k + 1]->str, id) == 0)
					read = 1;
		}
		if (r)
			freeReplyObject(r);
		if (read && pending(topic) == 0)
			return 0;
		proc_sleep_ms(20);
	}
	return -1;
}

static const char lead_event[] =
    "{\"id\": \"L-1001\", \"name\": \"Eve <!here>\", \"phone\": "
    "\"+15125550123\","
    " \"email\": \"eve@example.com\", \"address\": {\"one_line\": \"9 Elm St,"
    " Austin, TX 78702\", \"city\": \"Austin\", \"state\": \"TX\", \"zip\":"
    " \"78702\"}, \"created_at\": \"2025-07-01T08:00:00Z\"}";

START_TEST(lead_created_posts_new_lead)
{
	wait_group("lead.created");
	const char *id = publish("lead.created", lead_event, "req-ev-1");
	ck_assert_int_eq(http_fake_wait(fake, 1, 5000), 0);
	json_t *b = body_of(0);
	ck_assert_ptr_nonnull(strstr(text_of(b),
	                             "*New Lead!*\nEve &lt;!here&gt; "
	                             "- +15125550123"));
	ck_assert_ptr_nonnull(strstr(text_of(b), "9 Elm St, Austin, TX 78702"));
	ck_assert_ptr_nonnull(strstr(text_of(b), "Lead L-1001"));
	json_decref(b);
	ck_assert_int_eq(wait_acked("lead.created", id, 5000), 0);

	/* A redelivery of the same lead (as after a crash between Slack's
	 * answer and the acknowledgement) is dropped as a repeat. */
	id = publish("lead.created", lead_event, "req-ev-1");
	ck_assert_int_eq(wait_acked("lead.created", id, 5000), 0);
	ck_assert_int_eq(http_fake_count(fake), 1);
}
END_TEST

START_TEST(other_topics)
{
	wait_group("lead.scored");
	wait_group("payment.succeeded");
	wait_group("alert");
	/* A warm lead is not announced; a hot one is. */
	const char *id =
	    publish("lead.scored",
	            "{\"lead_id\": \"L-2\", \"score\": 40, \"tier\": "
	            "\"warm\"}",
	            "r2");
	ck_assert_int_eq(wait_acked("lead.scored", id, 5000), 0);
	ck_assert_int_eq(http_fake_count(fake), 0);
	publish("lead.scored",
	        "{\"lead_id\": \"L-3\", \"score\": 93, \"tier\": \"hot\","
	        " \"lead\": {\"name\": \"Hal\", \"phone\": \"5125550000\"}}",
	        "r3");
	ck_assert_int_eq(http_fake_wait(fake, 1, 5000), 0);
	json_t *b = body_of(0);
	ck_assert_ptr_nonnull(
	    strstr(text_of(b), "*Hot Lead!* Hal scored 93/100"));
	json_decref(b);

	publish("payment.succeeded",
	        "{\"customer\": \"Acme\", \"amount_cents\": 4900}", "r4");
	ck_assert_int_eq(http_fake_wait(fake, 2, 5000), 0);
	b = body_of(1);
	ck_assert_str_eq(text_of(b), "*Payment!* Acme paid $49.00");
	json_decref(b);

	publish("alert", "{\"message\": \"queue backed up\"}", "r5");
	ck_assert_int_eq(http_fake_wait(fake, 3, 5000), 0);
	b = body_of(2);
	ck_assert_ptr_nonnull(strstr(text_of(b), "queue backed up"));
	json_decref(b);

	/* An event that cannot render is dropped (logged), not retried
	 * forever. */
	id = publish("alert", "{\"severity\": \"low\"}", "r6");
	ck_assert_int_eq(wait_acked("alert", id, 5000), 0);
	ck_assert_int_eq(http_fake_count(fake), 3);
}
END_TEST

START_TEST(event_retried_until_slack_is_back)
{
	/* Slack is down for the whole first delivery (four attempts) and
	 * the first two attempts of the next. */
	for (int i = 0; i < 6; i++)
		http_fake_push(fake, "/hook", 503, NULL, "down", 0);
	wait_group("lead.created");
	const char *id = publish("lead.created", lead_event, "req-ev-2");
	ck_assert_int_eq(http_fake_wait(fake, 7, 20000), 0);
	ck_assert_int_eq(wait_acked("lead.created", id, 5000), 0);
	/* Every attempt carried the same message, and nothing more came. */
	for (size_t i = 1; i < 7; i++)
		ck_assert_str_eq(http_fake_get(fake, i)->body,
		                 http_fake_get(fake, 0)->body);
	proc_sleep_ms(300);
	ck_assert_int_eq(http_fake_count(fake), 7);
}
END_TEST

START_TEST(kill_mid_delivery_loses_nothing)
{
	/* Slack holds the first post for 3 s; the daemon dies meanwhile. */
	http_fake_push(fake, "/hook", 200, NULL, "ok", 3000);
	wait_group("lead.created");
	const char *id = publish("lead.created", lead_event, "req-ev-3");
	char id_copy[64];
	snprintf(id_copy, sizeof id_copy, "%s", id);
	ck_assert_int_eq(http_fake_wait(fake, 1, 5000), 0);
	proc_kill(pid);
	ck_assert_int_eq(pending("lead.created"), 1);

	start_notify(1);
	ck_assert_int_eq(http_fake_wait(fake, 2, 10000), 0);
	ck_assert_int_eq(wait_acked("lead.created", id_copy, 10000), 0);
	ck_assert_str_eq(http_fake_get(fake, 1)->body,
	                 http_fake_get(fake, 0)->body);
}
END_TEST

static Suite *notify_suite(void)
{
	Suite *s = suite_create("slack_notify");
	TCase *tc = tcase_create("send");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, send_posts_escaped_json);
	tcase_add_test(tc, channel_webhooks);
	tcase_add_test(tc, rate_limit_waits_retry_after);
	tcase_add_test(tc, rate_limit_past_the_deadline_fails_unavailable);
	tcase_add_test(tc, server_errors_retried_with_backoff);
	tcase_add_test(tc, client_errors_never_retried);
	tcase_add_test(tc, repeat_within_a_minute_dropped);
	tcase_add_test(tc, no_webhook_logs_instead);
	tcase_add_test(tc, webhook_url_is_never_logged);
	tcase_add_test(tc, bad_requests_name_the_problem);
	tcase_add_test(tc, daily_digest_counts_today);
	suite_add_tcase(s, tc);
	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lead_created_posts_new_lead);
	tcase_add_test(tc, other_topics);
	tcase_add_test(tc, event_retried_until_slack_is_back);
	tcase_add_test(tc, kill_mid_delivery_loses_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(notify_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
