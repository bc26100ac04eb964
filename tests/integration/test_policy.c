/*
 * Route policy at the edge with the real auth and rate-limit services:
 * public, key-with-scopes and admin routes; revoked keys; rate limits
 * under concurrent clients; no secret in any log line.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "http_get.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

#define ADMIN_KEY "lm_admin_policytest_00112233445566778899aabbccdd"

static char dir[64], base_url[64];
static redis_server *rs;
static pid_t pids[4];

static void setup(void)
{
	char port_env[32];

	snprintf(dir, sizeof dir, "%s",
	         fixture_start("tests/integration/policy.test.json"));
	rs = fixture_redis();
	setenv("ADMIN_API_KEY", ADMIN_KEY, 1);
	int port = fixture_free_port();
	snprintf(port_env, sizeof port_env, "PORT=%d", port);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
	pids[0] = fixture_daemon(proc_bin_path("auth"), "auth", NULL);
	pids[1] =
	    fixture_daemon(proc_bin_path("rate-limit"), "rate-limit", NULL);
	pids[2] = fixture_daemon(proc_daemon_path("echo"), "echo", NULL);
	const char *gw_env[] = {port_env, "BIND_ADDR=127.0.0.1",
	                        "RATE_LIMIT_PER_KEY=5", "RATE_LIMIT_PER_IP=20",
	                        NULL};
	pids[3] = fixture_daemon(proc_bin_path("gateway"), "gateway", gw_env);
	mesh_sync_init();
}

static void teardown(void)
{
	int rc[4];

	mesh_sync_shutdown();
	for (int i = 3; i >= 0; i--)
		rc[i] = proc_stop(pids[i], 5000);
	fixture_finish();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rc[i], 0);
}

static long status_of(const char *method, const char *path, const char *key,
                      http_result *keep)
{
	char url[256], auth[256];
	const char *h[] = {auth, NULL};

	snprintf(url, sizeof url, "%s%s", base_url, path);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", key ? key : "");
	http_result r =
	    http_do(method, url, strcmp(method, "POST") ? NULL : "{}",
	            strcmp(method, "POST") ? 0 : 2, key ? h : NULL, 5000);
	long st = r.status;
	if (keep)
		*keep = r;
	else
		http_result_free(&r);
	return st;
}

/* A new key with scopes, through auth directly; caller frees. */
static char *make_key(const char *scopes_json, char *id, size_t id_len)
{
	mesh_err err;
	char msg[256];
	json_t *scopes = json_loads(scopes_json, 0, NULL);
	json_t *r = mesh_sync_call(
	    "auth", "create",
	    json_pack("{s:s, s:o}", "name", "test", "scopes", scopes), NULL,
	    &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "%s", msg);
	char *key = strdup(json_string_value(json_object_get(r, "key")));
	snprintf(id, id_len, "%s",
	         json_string_value(json_object_get(r, "key_id")));
	json_decref(r);
	return key;
}

START_TEST(routes_refuse_without_the_right_key)
{
	char id[64];
	char *reader = make_key("[\"echo:read\"]", id, sizeof id);
	char *other = make_key("[\"leads:read\"]", id, sizeof id);
	http_result r;

	ck_assert_int_eq(status_of("POST", "/p/echo", NULL, NULL), 200);
	ck_assert_int_eq(status_of("GET", "/k/echo", NULL, &r), 401);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "error"), "code")),
	                 "unauthorized");
	http_result_free(&r);
	ck_assert_int_eq(
	    status_of("GET", "/k/echo", "lm_live_not_a_real_key", NULL), 401);
	ck_assert_int_eq(status_of("GET", "/k/echo", reader, NULL), 200);
	ck_assert_int_eq(status_of("POST", "/k/echo", reader, &r), 403);
	ck_assert_ptr_nonnull(
	    strstr(json_string_value(json_object_get(
	               json_object_get(r.json, "error"), "message")),
	           "echo:write"));
	http_result_free(&r);
	ck_assert_int_eq(status_of("GET", "/k/echo", other, NULL), 403);
	ck_assert_int_eq(status_of("GET", "/a/echo", reader, NULL), 403);
	ck_assert_int_eq(status_of("GET", "/a/echo", ADMIN_KEY, NULL), 200);
	ck_assert_int_eq(status_of("POST", "/k/echo", ADMIN_KEY, NULL), 200);

	/* The service sees who called, from the edge only. */
	ck_assert_int_eq(status_of("GET", "/k/echo", reader, &r), 200);
	json_t *meta = json_object_get(r.json, "_meta");
	ck_assert_ptr_nonnull(json_object_get(meta, "key_id"));
	http_result_free(&r);
	free(reader);
	free(other);
}
END_TEST

START_TEST(revoked_key_stops_within_five_seconds)
{
	char id[64];
	char *key = make_key("[\"echo:read\"]", id, sizeof id);
	mesh_err err;
	char msg[256];

	ck_assert_int_eq(status_of("GET", "/k/echo", key, NULL), 200);
	json_t *r =
	    mesh_sync_call("auth", "revoke", json_pack("{s:s}", "key_id", id),
	                   NULL, &err, msg, sizeof msg);
	ck_assert_msg(err == MESH_OK, "%s", msg);
	json_decref(r);
	long long t0 = proc_now_ms();
	long st = 200;
	while (st != 401 && proc_now_ms() - t0 < 7000) {
		st = status_of("GET", "/k/echo", key, NULL);
		proc_sleep_ms(100);
	}
	ck_assert_int_eq(st, 401);
	ck_assert_int_le(proc_now_ms() - t0, 5300);
	free(key);
}
END_TEST

START_TEST(rate_limit_per_key_with_headers)
{
	char id[64];
	char *key = make_key("[\"echo:read\"]", id, sizeof id);
	http_result r;

	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(status_of("GET", "/k/echo", key, &r), 200);
		char want[8];
		snprintf(want, sizeof want, "%d", 4 - i);
		ck_assert_str_eq(http_header(&r, "X-RateLimit-Limit"), "5");
		ck_assert_str_eq(http_header(&r, "X-RateLimit-Remaining"),
		                 want);
		ck_assert_ptr_nonnull(http_header(&r, "X-RateLimit-Reset"));
		http_result_free(&r);
	}
	ck_assert_int_eq(status_of("GET", "/k/echo", key, &r), 429);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "error"), "code")),
	                 "rate_limited");
	ck_assert_int_ge(atoi(http_header(&r, "Retry-After")), 1);
	ck_assert_str_eq(http_header(&r, "X-RateLimit-Remaining"), "0");
	http_result_free(&r);
	free(key);
}
END_TEST

START_TEST(rate_limit_holds_under_concurrent_clients)
{
	enum { CLIENTS = 6, EACH = 15 };
	int fds[2];

	pid_t kids[CLIENTS];

	ck_assert_int_eq(pipe(fds), 0);
	for (int c = 0; c < CLIENTS; c++) {
		if ((kids[c] = fork()) == 0) {
			int ok = 0;
			for (int i = 0; i < EACH; i++)
				ok += status_of("POST", "/p/echo", NULL,
				                NULL) == 200;
			_exit(write(fds[1], &ok, sizeof ok) == sizeof ok ? 0
			                                                 : 1);
		}
	}
	int total = 0;
	for (int c = 0; c < CLIENTS; c++) {
		int ok = 0;
		ck_assert_int_eq(read(fds[0], &ok, sizeof ok),
		                 (ssize_t)sizeof ok);
		total += ok;
	}
	for (int c = 0; c < CLIENTS; c++)
		waitpid(kids[c], NULL, 0);
	/* 90 attempts from one address against 20 a minute: exactly 20. */
	ck_assert_int_eq(total, 20);
}
END_TEST

/* A route with "rate_limit": false is never counted nor refused for
 * volume, and does not use up the address's budget on other routes. */
START_TEST(route_without_rate_limit_is_never_refused)
{
	http_result r;

	for (int i = 0; i < 30; i++) {
		ck_assert_int_eq(status_of("POST", "/probe/echo", NULL, &r),
		                 200);
		ck_assert_ptr_null(http_header(&r, "X-RateLimit-Limit"));
		http_result_free(&r);
	}
	ck_assert_int_eq(status_of("POST", "/p/echo", NULL, &r), 200);
	ck_assert_str_eq(http_header(&r, "X-RateLimit-Remaining"), "19");
	http_result_free(&r);
}
END_TEST

static int file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int found = 0;

	while (f && fgets(line, sizeof line, f))
		found |= strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return found;
}

START_TEST(no_secret_in_any_log)
{
	char id[64], path[160];
	char *key = make_key("[\"echo:read\"]", id, sizeof id);

	status_of("GET", "/k/echo", key, NULL);
	status_of("GET", "/k/echo", "lm_live_wrongwrongwrong", NULL);
	status_of("GET", "/a/echo", ADMIN_KEY, NULL);
	const char *logs[] = {"gateway", "auth", "rate-limit", "echo"};
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s.log", dir, logs[i]);
		ck_assert_msg(!file_has(path, key), "%s logged a key", logs[i]);
		ck_assert_msg(!file_has(path, ADMIN_KEY),
		              "%s logged the admin key", logs[i]);
		ck_assert_msg(!file_has(path, "lm_live_wrongwrongwrong"),
		              "%s logged a presented key", logs[i]);
	}
	free(key);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, routes_refuse_without_the_right_key);
	tcase_add_test(tc, route_without_rate_limit_is_never_refused);
	tcase_add_test(tc, revoked_key_stops_within_five_seconds);
	tcase_add_test(tc, rate_limit_per_key_with_headers);
	tcase_add_test(tc, rate_limit_holds_under_concurrent_clients);
	tcase_add_test(tc, no_secret_in_any_log);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
