/*
 * Two daemons (echo, relay) and a real redis-server: calls, deadlines,
 * errors, bindings, multiplexing, one-way sends, events, limits, graceful
 * and abrupt restarts, as a caller of the mesh sees them.
 */
#include <check.h>
#include <errno.h>
#include <event2/util.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "frame.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64];
static char echo_sock[100], relay_sock[100];
static redis_server *rs;
static pid_t echo_pid, relay_pid;

/* Starts the test daemon binary that serves as service. */
static pid_t start_daemon_as(const char *binary, const char *service,
                             const char *const *env)
{
	return fixture_daemon(proc_daemon_path(binary), service, env);
}

static pid_t start_daemon(const char *name, const char *const *env)
{
	return start_daemon_as(name, name, env);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s",
	         fixture_start("tests/integration/mesh.test.json"));
	rs = fixture_redis();
	setenv("LOG_LEVEL", "debug", 1);
	snprintf(echo_sock, sizeof echo_sock, "%s/sock/echo.sock", dir);
	snprintf(relay_sock, sizeof relay_sock, "%s/sock/relay.sock", dir);
	echo_pid = start_daemon("echo", NULL);
	relay_pid = start_daemon("relay", NULL);
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	/* A clean exit (0) also means no leak under ASan. */
	int relay_pid_rc = relay_pid > 0 ? proc_stop(relay_pid, 5000) : 0;
	int echo_pid_rc = echo_pid > 0 ? proc_stop(echo_pid, 5000) : 0;
	fixture_finish();
	ck_assert_int_eq(relay_pid_rc, 0);
	ck_assert_int_eq(echo_pid_rc, 0);
}

/* Calls and expects success; returns the result (caller frees). */
static json_t *call_ok(const char *svc, const char *method, json_t *args)
{
	mesh_err err;
	char msg[512];
	json_t *r =
	    mesh_sync_call(svc, method, args, NULL, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "%s.%s: %s: %s", svc, method,
	              mesh_strerror(err), msg);
	return r;
}

static mesh_err call_err(const char *svc, const char *method, json_t *args,
                         int64_t timeout_ms, char *msg, size_t msg_len)
{
	mesh_err err;
	mesh_sync_opts o = {.timeout_ms = timeout_ms};
	json_t *r = mesh_sync_call(svc, method, args, &o, &err, msg, msg_len);

	json_decref(r);
	return err;
}

START_TEST(logs_ship_to_the_logger_when_bound)
{
	mesh_err err;
	char msg[256];
	pid_t sink = start_daemon_as("logsink", "logger", NULL);
	mesh_sync_opts o = {.request_id = "log-req-7"};
	json_t *r = mesh_sync_call("relay", "forward",
	                           json_pack("{s:s}", "method", "echo"), &o,
	                           &err, msg, sizeof msg);
	ck_assert_int_eq(err, MESH_OK);
	json_decref(r);

	/* relay is bound to logger: its line arrives, batched, with the
	 * request id. echo is not bound: its line stays on its stderr. */
	long long until = proc_now_ms() + 3000;
	int relay_lines = 0, echo_lines = 0;
	while (proc_now_ms() < until && relay_lines == 0) {
		redisReply *l =
		    redis_server_cmd(rs, "LRANGE logger:records 0 -1");
		relay_lines = echo_lines = 0;
		for (size_t i = 0; l && i < l->elements; i++) {
			json_t *rec = json_loads(l->element[i]->str, 0, NULL);
			const char *svc =
			    json_string_value(json_object_get(rec, "service"));
			const char *rid = json_string_value(
			    json_object_get(rec, "request_id"));
			const char *text =
			    json_string_value(json_object_get(rec, "msg"));
			if (svc && strcmp(svc, "relay") == 0 && rid &&
			    strcmp(rid, "log-req-7") == 0 && text &&
			    strcmp(text, "forwarding to echo.echo") == 0) {
				relay_lines++;
				ck_assert_ptr_nonnull(
				    json_object_get(rec, "ts"));
				ck_assert_str_eq(
				    json_string_value(
				        json_object_get(rec, "level")),
				    "info");
			}
			if (svc && strcmp(svc, "echo") == 0)
				echo_lines++;
			json_decref(rec);
		}
		if (l)
			freeReplyObject(l);
		proc_sleep_ms(20);
	}
	ck_assert_int_eq(relay_lines, 1);
	ck_assert_int_eq(echo_lines, 0);
	ck_assert_int_eq(proc_stop(sink, 5000), 0);
}
END_TEST

START_TEST(call_round_trip)
{
	json_t *r =
	    call_ok("echo", "echo", json_pack("{s:s, s:i}", "a", "b", "n", 7));
	ck_assert_str_eq(json_string_value(json_object_get(r, "a")), "b");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "n")), 7);
	json_decref(r);

	/* Through relay's binding: the same answer, one hop further. */
	r = call_ok(
	    "relay", "forward",
	    json_pack("{s:s, s:{s:s}}", "method", "echo", "args", "x", "y"));
	ck_assert_str_eq(json_string_value(json_object_get(r, "x")), "y");
	json_decref(r);
}
END_TEST

START_TEST(trace_travels_every_hop)
{
	mesh_err err;
	char msg[256];
	const char *tp =
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	mesh_sync_opts o = {.request_id = "req-abc-123", .traceparent = tp};
	json_t *r = mesh_sync_call("relay", "forward",
	                           json_pack("{s:s}", "method", "info"), &o,
	                           &err, msg, sizeof msg);

	ck_assert_int_eq(err, MESH_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r, "request_id")),
	                 "req-abc-123");
	ck_assert_str_eq(json_string_value(json_object_get(r, "caller")),
	                 "relay");
	const char *seen = json_string_value(json_object_get(r, "traceparent"));
	/* Same trace, a new span for echo's hop. */
	ck_assert_int_eq(strncmp(seen, tp, 35), 0);
	ck_assert_str_ne(seen, tp);
	json_decref(r);
}
END_TEST

START_TEST(deadline_is_inherited)
{
	char msg[256];
	long long t0 = proc_now_ms();
	/* relay passes what is left of 300 ms on to echo, which would sleep
	 * 3 s: the caller hears timeout at its deadline, not after 3 s. */
	mesh_err err = call_err(
	    "relay", "forward",
	    json_pack("{s:s, s:{s:i}}", "method", "sleep", "args", "ms", 3000),
	    300, msg, sizeof msg);
	long long took = proc_now_ms() - t0;

	ck_assert_int_eq(err, MESH_ETIMEOUT);
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 1500);

	/* The callee sees at most the caller's budget. */
	mesh_sync_opts o = {.timeout_ms = 800};
	json_t *r = mesh_sync_call("relay", "forward",
	                           json_pack("{s:s}", "method", "info"), &o,
	                           &err, msg, sizeof msg);
	ck_assert_int_eq(err, MESH_OK);
	json_int_t left =
	    json_integer_value(json_object_get(r, "time_left_ms"));
	ck_assert_int_le(left, 800);
	ck_assert_int_gt(left, 500);
	json_decref(r);
}
END_TEST

START_TEST(errors_keep_their_code)
{
	char msg[256];
	mesh_err err = call_err("relay", "forward",
	                        json_pack("{s:s, s:{s:s, s:s}}", "method",
	                                  "fail", "args", "code", "conflict",
	                                  "message", "lead 7 is closed"),
	                        0, msg, sizeof msg);

	ck_assert_int_eq(err, MESH_ECONFLICT);
	ck_assert_str_eq(msg, "lead 7 is closed");

	err = call_err("echo", "no_such_method", json_object(), 0, msg,
	               sizeof msg);
	ck_assert_int_eq(err, MESH_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(msg, "no_such_method"));

	err = call_err("echo", "sleep", json_pack("{s:i}", "ms", -1), 0, msg,
	               sizeof msg);
	ck_assert_int_eq(err, MESH_EINVAL);
}
END_TEST

START_TEST(service_never_started_fails_fast)
{
	char msg[256];
	long long t0 = proc_now_ms();
	mesh_err err =
	    call_err("vault", "open", json_object(), 3000, msg, sizeof msg);

	ck_assert_int_eq(err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(msg, "not running"));
	ck_assert_int_lt(proc_now_ms() - t0, 500);
}
END_TEST

START_TEST(unbound_call_is_forbidden)
{
	char msg[256];
	/* vault is not even running: the refusal comes before any I/O. */
	mesh_err err = call_err(
	    "relay", "forward",
	    json_pack("{s:s, s:s}", "service", "vault", "method", "open"), 0,
	    msg, sizeof msg);

	ck_assert_int_eq(err, MESH_EFORBIDDEN);
	ck_assert_ptr_nonnull(strstr(msg, "not bound"));
}
END_TEST

START_TEST(replies_come_out_of_order)
{
	long long t0 = proc_now_ms();
	json_t *r = call_ok(
	    "relay", "fan_out",
	    json_pack("{s:i, s:[i,i,i]}", "n", 3, "sleep_ms", 400, 10, 150));
	long long took = proc_now_ms() - t0;
	json_t *order = json_object_get(r, "order");

	ck_assert_int_eq(json_integer_value(json_object_get(r, "failed")), 0);
	ck_assert_int_eq(json_array_size(order), 3);
	ck_assert_int_eq(json_integer_value(json_array_get(order, 0)), 10);
	ck_assert_int_eq(json_integer_value(json_array_get(order, 1)), 150);
	ck_assert_int_eq(json_integer_value(json_array_get(order, 2)), 400);
	/* Concurrent on one connection: about the longest, not the sum. */
	ck_assert_int_lt(took, 540);
	json_decref(r);

	r = call_ok("relay", "fan_out", json_pack("{s:i}", "n", 2000));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "failed")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(r, "order")), 2000);
	json_decref(r);
}
END_TEST

static long long notes_of(const char *key)
{
	json_t *r = call_ok("echo", "notes", json_pack("{s:s}", "key", key));
	long long n = json_is_string(r) ? atoll(json_string_value(r)) : 0;

	json_decref(r);
	return n;
}

static long long wait_notes(const char *key, long long want, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms, n;

	while ((n = notes_of(key)) < want && proc_now_ms() < until)
		proc_sleep_ms(10);
	return n;
}

START_TEST(one_way_sends_arrive)
{
	json_t *r = call_ok("relay", "notify",
	                    json_pack("{s:i, s:s}", "count", 50, "key", "k1"));
	json_decref(r);
	ck_assert_int_eq(wait_notes("k1", 50, 3000), 50);
}
END_TEST

START_TEST(one_way_sends_are_flushed_on_sigterm)
{
	json_t *r = call_ok("relay", "notify",
	                    json_pack("{s:i, s:s}", "count", 500, "key", "k2"));
	json_decref(r);
	/* Stop relay at once: what it queued must still leave. */
	ck_assert_int_eq(proc_stop(relay_pid, 5000), 0);
	relay_pid = 0;
	ck_assert_int_eq(wait_notes("k2", 500, 3000), 500);
}
END_TEST

START_TEST(builtins_answer)
{
	json_decref(call_ok("echo", "echo", json_object()));
	json_t *h = call_ok("echo", "_health", json_object());
	ck_assert_str_eq(json_string_value(json_object_get(h, "status")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(h, "redis")), "up");
	ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")),
	                 echo_pid);
	json_decref(h);

	json_t *m = call_ok("echo", "_metrics", json_object());
	json_t *echo = json_object_get(json_object_get(m, "methods"), "echo");
	ck_assert_int_ge(json_integer_value(json_object_get(echo, "count")), 1);
	ck_assert_ptr_nonnull(json_object_get(echo, "latency_us"));
	json_decref(m);

	json_t *d = call_ok("relay", "_methods", json_object());
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(d, "calls"), 0)),
	    "echo");
	ck_assert_int_eq(json_array_size(json_object_get(d, "methods")), 4 + 3);
	json_decref(d);
}
END_TEST

static int seen_count(const char *needle)
{
	redisReply *r = redis_server_cmd(rs, "LRANGE echo:seen 0 -1");
	int n = 0;

	for (size_t i = 0; r && i < r->elements; i++)
		if (strncmp(r->element[i]->str, needle, strlen(needle)) == 0)
			n++;
	if (r)
		freeReplyObject(r);
	return n;
}

static int wait_seen(const char *needle, int want, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;
	int n;

	while ((n = seen_count(needle)) < want && proc_now_ms() < until)
		proc_sleep_ms(20);
	return n;
}

START_TEST(events_are_delivered_with_the_request_id)
{
	mesh_err err;
	char msg[256];
	mesh_sync_opts o = {.request_id = "pub-req-1"};
	json_t *r = mesh_sync_call("relay", "publish",
	                           json_pack("{s:{s:s}}", "event", "id", "e1"),
	                           &o, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "%s", msg);
	json_decref(r);
	ck_assert_int_eq(wait_seen("e1|pub-req-1", 1, 5000), 1);
	/* Acknowledged (just after the handler's reply): nothing pending
	 * for echo's group. */
	long long pending = -1, until = proc_now_ms() + 2000;
	while (pending != 0 && proc_now_ms() < until) {
		redisReply *p =
		    redis_server_cmd(rs, "XPENDING events:test.ping echo");
		pending = p ? p->element[0]->integer : -1;
		if (p)
			freeReplyObject(p);
		if (pending != 0)
			proc_sleep_ms(10);
	}
	ck_assert_int_eq(pending, 0);

	/* A topic relay does not publish is refused. */
	err =
	    call_err("relay", "publish",
	             json_pack("{s:s, s:{}}", "topic", "lead.created", "event"),
	             0, msg, sizeof msg);
	ck_assert_int_eq(err, MESH_EFORBIDDEN);
}
END_TEST

START_TEST(failing_events_go_to_dead_letter)
{
	json_decref(call_ok(
	    "relay", "publish",
	    json_pack("{s:{s:s, s:b}}", "event", "id", "bad", "fail", 1)));
	long long until = proc_now_ms() + 20000;
	long long n = 0;
	while (proc_now_ms() < until) {
		redisReply *r =
		    redis_server_cmd(rs, "XLEN events:test.ping:dead");
		n = r ? r->integer : 0;
		if (r)
			freeReplyObject(r);
		if (n >= 1)
			break;
		proc_sleep_ms(50);
	}
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(seen_count("bad|"), 0);
}
END_TEST

START_TEST(event_survives_kill_mid_handler)
{
	json_decref(call_ok(
	    "relay", "publish",
	    json_pack("{s:{s:s, s:b}}", "event", "id", "e3", "hang", 1)));
	/* Wait until echo is inside the handler, then kill it hard. */
	long long until = proc_now_ms() + 5000;
	for (;;) {
		redisReply *r = redis_server_cmd(rs, "EXISTS echo:hung:e3");
		long long hung = r ? r->integer : 0;
		if (r)
			freeReplyObject(r);
		if (hung || proc_now_ms() > until)
			break;
		proc_sleep_ms(10);
	}
	proc_kill(echo_pid);
	ck_assert_int_eq(seen_count("e3|"), 0);
	echo_pid = start_daemon("echo", NULL);
	ck_assert_int_eq(wait_seen("e3|", 1, 10000), 1);
	proc_sleep_ms(300);
	ck_assert_int_eq(seen_count("e3|"), 1);
}
END_TEST

START_TEST(kv_follows_redis_down_and_back)
{
	char msg[256];

	json_decref(
	    call_ok("echo", "kv_put",
	            json_pack("{s:s, s:s}", "key", "k", "value", "v1")));
	redisReply *r = redis_server_cmd(rs, "GET echo:k");
	ck_assert_str_eq(r->str, "v1"); /* namespaced under the service */
	freeReplyObject(r);

	redis_server_stop(rs);
	long long t0 = proc_now_ms();
	mesh_err err =
	    call_err("echo", "kv_get", json_pack("{s:s}", "key", "k"), 2000,
	             msg, sizeof msg);
	ck_assert_int_eq(err, MESH_EUNAVAILABLE);
	ck_assert_int_lt(proc_now_ms() - t0, 500); /* fails fast */

	ck_assert_int_eq(redis_server_restart(rs), 0);
	long long until = proc_now_ms() + 8000;
	json_t *v = NULL;
	while (proc_now_ms() < until) {
		v = mesh_sync_call("echo", "kv_get",
		                   json_pack("{s:s}", "key", "k"), NULL, &err,
		                   msg, sizeof msg);
		if (err == MESH_OK)
			break;
		proc_sleep_ms(50);
	}
	ck_assert_int_eq(err, MESH_OK);
	ck_assert_str_eq(json_string_value(v), "v1"); /* AOF kept it */
	json_decref(v);
}
END_TEST

START_TEST(sigterm_finishes_in_flight_work)
{
	mesh_err err;
	char msg[256];
	/* A call in flight when SIGTERM arrives still gets its reply. */
	pid_t killer = fork();
	if (killer == 0) {
		proc_sleep_ms(100);
		kill(echo_pid, SIGTERM);
		_exit(0);
	}
	json_t *r =
	    mesh_sync_call("echo", "sleep", json_pack("{s:i}", "ms", 400), NULL,
	                   &err, msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s", msg);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "slept")), 400);
	json_decref(r);
	ck_assert_int_eq(proc_wait(killer, 2000), 0);
	ck_assert_int_eq(proc_wait(echo_pid, 3000), 0);
	echo_pid = 0;
	/* Its socket stays, refusing: callers wait for a restart within
	 * their deadline instead of failing at once. */
	char msg2[256];
	long long t0 = proc_now_ms();
	ck_assert_int_eq(
	    call_err("echo", "echo", json_object(), 300, msg2, sizeof msg2),
	    MESH_ETIMEOUT);
	ck_assert_int_ge(proc_now_ms() - t0, 290);
}
END_TEST

START_TEST(restart_looks_like_latency)
{
	mesh_err err;
	char msg[256];

	ck_assert_int_eq(proc_stop(echo_pid, 5000), 0);
	echo_pid = 0;
	/* The call starts while echo is down; echo comes back within the
	 * deadline, and the call succeeds. */
	pid_t starter = fork();
	if (starter == 0) {
		proc_sleep_ms(300);
		execl(proc_daemon_path("echo"), "echo", (char *)NULL);
		_exit(127);
	}
	mesh_sync_opts o = {.timeout_ms = 3000};
	json_t *r = mesh_sync_call("echo", "echo", json_pack("{s:i}", "k", 1),
	                           &o, &err, msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s: %s", mesh_strerror(err), msg);
	json_decref(r);
	echo_pid = starter;
}
END_TEST

START_TEST(replacement_instance_takes_over_without_errors)
{
	int failures = 0;
	/* A second echo renames its socket over the first; the first drains.
	 * Calls made throughout all succeed. */
	pid_t second = proc_start(proc_daemon_path("echo"), NULL, NULL);
	for (int i = 0; i < 200; i++) {
		mesh_err err;
		char msg[256];
		if (i == 50)
			kill(echo_pid, SIGTERM);
		json_t *r = mesh_sync_call("relay", "forward",
		                           json_pack("{s:s}", "method", "info"),
		                           NULL, &err, msg, sizeof msg);
		if (err != MESH_OK)
			failures++;
		json_decref(r);
		proc_sleep_ms(2);
	}
	ck_assert_int_eq(failures, 0);
	ck_assert_int_eq(proc_wait(echo_pid, 5000), 0);
	echo_pid = second;
	json_t *h = call_ok("echo", "_health", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")), second);
	json_decref(h);
}
END_TEST

START_TEST(idle_client_moves_to_the_replacement)
{
	/* The client holds a connection, then looks away (its loop does not
	 * run) while echo is replaced: the GOAWAY and the close wait in its
	 * socket. Its next call must still reach the new instance. */
	json_decref(call_ok("echo", "echo", json_object()));
	pid_t second = proc_start(proc_daemon_path("echo"), NULL, NULL);
	proc_sleep_ms(300);
	kill(echo_pid, SIGTERM);
	ck_assert_int_eq(proc_wait(echo_pid, 5000), 0);
	echo_pid = second;
	json_t *h = call_ok("echo", "_health", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")), second);
	json_decref(h);
}
END_TEST

/* A raw client: writes bytes to echo's socket, reads what comes back. */
static int raw_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", echo_sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	return fd;
}

static size_t encode_request(uint8_t *buf, size_t cap, uint64_t id,
                             const char *method, const char *payload)
{
	frame f = {.type = FRAME_REQUEST, .id = id, .deadline_ms = 5000};
	f.method = method;
	f.method_len = strlen(method);
	f.request_id = "raw";
	f.request_id_len = 3;
	f.payload = payload;
	f.payload_len = strlen(payload);
	return frame_encode(&f, buf, cap);
}

/* Reads one whole frame into buf; its length, or 0 on EOF/timeout. */
static size_t read_frame(int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0, total = 0;
	struct timeval tv = {5, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (;;) {
		if (have >= 4 &&
		    frame_peek(buf, have, cap, &total) == FRAME_OK &&
		    have >= total)
			return total;
		ssize_t n = read(fd, buf + have,
		                 total > have ? total - have
		                              : 4 - (have < 4 ? have : 0) +
		                                    (have >= 4 ? 1 : 0));
		if (n <= 0)
			return 0;
		have += (size_t)n;
	}
}

START_TEST(bad_frames_close_only_their_connection)
{
	uint8_t buf[4096];
	frame f;
	size_t used;

	/* Garbage: the server closes the connection, and lives. */
	int fd = raw_connect();
	ck_assert_int_eq(write(fd, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	ck_assert_int_eq(read_frame(fd, buf, sizeof buf), 0);
	close(fd);

	/* An oversized length prefix: refused from the prefix alone. */
	fd = raw_connect();
	uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 1, 1, 0, 0};
	ck_assert_int_eq(write(fd, huge, sizeof huge), (ssize_t)sizeof huge);
	ck_assert_int_eq(read_frame(fd, buf, sizeof buf), 0);
	close(fd);

	/* A truncated frame followed by a hang-up. */
	fd = raw_connect();
	size_t n = encode_request(buf, sizeof buf, 1, "echo", "{}");
	ck_assert_int_eq(write(fd, buf, n - 3), (ssize_t)(n - 3));
	close(fd);

	/* Invalid JSON in a valid frame: bad_request for that id only. */
	fd = raw_connect();
	n = encode_request(buf, sizeof buf, 9, "echo", "{\"a\":");
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	n = read_frame(fd, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(frame_decode(buf, n, sizeof buf, &f, &used, NULL),
	                 FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_ERROR);
	ck_assert_int_eq(f.id, 9);
	ck_assert_ptr_nonnull(
	    memmem(f.payload, f.payload_len, "bad_request", 11));
	/* ... and the connection still serves. */
	n = encode_request(buf, sizeof buf, 10, "echo", "[1,2]");
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	n = read_frame(fd, buf, sizeof buf);
	ck_assert_int_eq(frame_decode(buf, n, sizeof buf, &f, &used, NULL),
	                 FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_REPLY);
	ck_assert_int_eq(f.id, 10);
	close(fd);

	json_t *h = call_ok("echo", "_health", json_object());
	json_decref(h);
}
END_TEST

START_TEST(in_flight_limit_at_the_boundary)
{
	const char *env[] = {"MESH_MAX_IN_FLIGHT=4", NULL};
	uint8_t buf[4096];
	int ok = 0, busy = 0;

	ck_assert_int_eq(proc_stop(echo_pid, 5000), 0);
	echo_pid = start_daemon("echo", env);
	int fd = raw_connect();
	for (uint64_t id = 1; id <= 5; id++) {
		size_t n = encode_request(buf, sizeof buf, id, "sleep",
		                          "{\"ms\":300}");
		ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	}
	for (int i = 0; i < 5; i++) {
		frame f;
		size_t used, n = read_frame(fd, buf, sizeof buf);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(
		    frame_decode(buf, n, sizeof buf, &f, &used, NULL),
		    FRAME_OK);
		if (f.type == FRAME_REPLY)
			ok++;
		else if (memmem(f.payload, f.payload_len, "too many requests",
		                17)) {
			ck_assert_int_eq(f.id, 5);
			busy++;
		}
	}
	ck_assert_int_eq(ok, 4);
	ck_assert_int_eq(busy, 1);
	close(fd);
}
END_TEST

START_TEST(frame_size_limit_at_the_boundary)
{
	const char *env[] = {"MESH_MAX_FRAME=65536", NULL};
	char msg[256];

	ck_assert_int_eq(proc_stop(echo_pid, 5000), 0);
	echo_pid = start_daemon("echo", env);
	/* A reply that fits and one that does not. */
	json_t *r = call_ok("echo", "big", json_pack("{s:i}", "bytes", 60000));
	ck_assert_int_eq(strlen(json_string_value(json_object_get(r, "data"))),
	                 60000);
	json_decref(r);
	mesh_err err =
	    call_err("echo", "big", json_pack("{s:i}", "bytes", 70000), 0, msg,
	             sizeof msg);
	ck_assert_int_eq(err, MESH_ETOOLARGE);
	/* echo is fine afterwards. */
	json_decref(call_ok("echo", "_health", json_object()));
}
END_TEST

START_TEST(inherited_listening_socket_is_used)
{
	char path[100], fds[] = "LISTEN_FDS=1", pidvar[64];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_eq(proc_stop(echo_pid, 5000), 0);
	echo_pid = 0;
	snprintf(path, sizeof path, "%s/sock/echo.sock", dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 3);
		snprintf(pidvar, sizeof pidvar, "LISTEN_PID=%ld",
		         (long)getpid());
		putenv(fds);
		putenv(pidvar);
		execl(proc_daemon_path("echo"), "echo", (char *)NULL);
		_exit(127);
	}
	close(fd);
	echo_pid = pid;
	/* The socket never went away, so there is no window to wait out. */
	json_t *h = call_ok("echo", "_health", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")), pid);
	json_decref(h);
}
END_TEST

START_TEST(tcp_binding_works)
{
	char listen_env[64], endpoint_env[80];
	int port;
	/* A free port: bind 0, read it, release it. */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	getsockname(s, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(s);

	snprintf(listen_env, sizeof listen_env,
	         "MESH_LISTEN=tcp://127.0.0.1:%d", port);
	snprintf(endpoint_env, sizeof endpoint_env,
	         "MESH_ENDPOINT_ECHO=tcp://127.0.0.1:%d", port);
	const char *echo_env[] = {listen_env, NULL};
	const char *relay_env[] = {endpoint_env, NULL};
	ck_assert_int_eq(proc_stop(echo_pid, 5000), 0);
	ck_assert_int_eq(proc_stop(relay_pid, 5000), 0);
	char log[128];
	snprintf(log, sizeof log, "%s/echo-tcp.log", dir);
	echo_pid = proc_start(proc_daemon_path("echo"), echo_env, log);
	relay_pid = start_daemon("relay", relay_env);
	long long until = proc_now_ms() + 5000;
	mesh_err err = MESH_EUNAVAILABLE;
	json_t *r = NULL;
	while (err != MESH_OK && proc_now_ms() < until) {
		char msg[256];
		json_decref(r);
		r = mesh_sync_call("relay", "forward",
		                   json_pack("{s:s, s:{s:s}}", "method", "echo",
		                             "args", "over", "tcp"),
		                   NULL, &err, msg, sizeof msg);
	}
	ck_assert_int_eq(err, MESH_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r, "over")), "tcp");
	json_decref(r);
}
END_TEST

START_TEST(manifest_mismatch_refuses_to_start)
{
	char path[128], log[128], bad[160];
	FILE *f;

	snprintf(path, sizeof path, "%s/bad.json", dir);
	f = fopen(path, "w");
	fputs(
	    "{\"version\":1,\"services\":{\"echo\":{\"methods\":[\"echo\","
	    "\"info\",\"sleep\",\"fail\",\"big\",\"note\",\"notes\","
	    "\"kv_put\",\"kv_get\",\"extra\"],\"subscribes\":[\"test.ping\"]},"
	    "\"p\":{\"methods\":[\"x\"],\"publishes\":[\"test.ping\"]}},"
	    "\"routes\":[]}",
	    f);
	fclose(f);
	snprintf(bad, sizeof bad, "MESH_MANIFEST=%s", path);
	snprintf(log, sizeof log, "%s/bad.log", dir);
	const char *env[] = {bad, "MESH_RUN_DIR=/tmp/meshtest-unused", NULL};
	pid_t pid = proc_start(proc_daemon_path("echo"), env, log);
	ck_assert_int_eq(proc_wait(pid, 5000), 1);
	f = fopen(log, "r");
	char text[1024] = "";
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(text, "echo.extra") != NULL, "stderr: %s", text);

	const char *usage_env[] = {NULL};
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execl(proc_daemon_path("echo"), "echo", "--bogus",
		      (char *)NULL);
		_exit(127);
	}
	(void)usage_env;
	ck_assert_int_eq(proc_wait(pid, 5000), 2);
}
END_TEST

static Suite *mesh_suite(void)
{
	Suite *s = suite_create("mesh");
	TCase *tc = tcase_create("daemons");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, call_round_trip);
	tcase_add_test(tc, logs_ship_to_the_logger_when_bound);
	tcase_add_test(tc, trace_travels_every_hop);
	tcase_add_test(tc, deadline_is_inherited);
	tcase_add_test(tc, errors_keep_their_code);
	tcase_add_test(tc, unbound_call_is_forbidden);
	tcase_add_test(tc, service_never_started_fails_fast);
	tcase_add_test(tc, replies_come_out_of_order);
	tcase_add_test(tc, one_way_sends_arrive);
	tcase_add_test(tc, one_way_sends_are_flushed_on_sigterm);
	tcase_add_test(tc, builtins_answer);
	tcase_add_test(tc, events_are_delivered_with_the_request_id);
	tcase_add_test(tc, failing_events_go_to_dead_letter);
	tcase_add_test(tc, event_survives_kill_mid_handler);
	tcase_add_test(tc, kv_follows_redis_down_and_back);
	tcase_add_test(tc, sigterm_finishes_in_flight_work);
	tcase_add_test(tc, restart_looks_like_latency);
	tcase_add_test(tc, replacement_instance_takes_over_without_errors);
	tcase_add_test(tc, idle_client_moves_to_the_replacement);
	tcase_add_test(tc, bad_frames_close_only_their_connection);
	tcase_add_test(tc, in_flight_limit_at_the_boundary);
	tcase_add_test(tc, frame_size_limit_at_the_boundary);
	tcase_add_test(tc, inherited_listening_socket_is_used);
	tcase_add_test(tc, tcp_binding_works);
	tcase_add_test(tc, manifest_mismatch_refuses_to_start);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mesh_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
