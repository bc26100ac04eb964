/*
 * meshd and meshctl as an operator sees them: real processes only. meshd
 * starts its own redis-server and the test daemons (echo, relay) from
 * tests/integration/meshd.test.json, restarts a killed one, deploys one
 * while calls keep flowing (none may fail), restarts one on request, and
 * stops everything on SIGTERM. meshctl's exit codes and messages are
 * checked on the way.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mesh_sync.h"
#include "proc.h"

#define BOOT_MS 15000 /* meshd start to "is up", generous for ASan */
#define CMD_MS  30000 /* one meshctl command, at most */

static char dir[64];
static char meshd_bin[1024], meshctl_bin[1024], daemons[1024];
static char out_path[128], err_path[128];
static pid_t meshd_pid;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static int file_has(const char *path, const char *text)
{
	char *s = slurp(path);
	int found = strstr(s, text) != NULL;

	free(s);
	return found;
}

static int wait_for_text(const char *path, const char *text, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;

	while (!file_has(path, text)) {
		if (proc_now_ms() > until)
			return -1;
		proc_sleep_ms(10);
	}
	return 0;
}

/* Starts path with args, stdout and stderr to files; returns the pid. */
static pid_t spawn(const char *const *argv, const char *out, const char *err)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o < 0 || e < 0)
		_exit(127);
	dup2(o, 1);
	dup2(e, 2);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

typedef struct ctl_result {
	int rc;
	char *out;
	char *err;
} ctl_result;

static void ctl_result_free(ctl_result *r)
{
	free(r->out);
	free(r->err);
}

/* Runs meshctl with up to 5 arguments and waits (bounded). */
static ctl_result ctl(const char *a1, const char *a2, const char *a3,
                      const char *a4, const char *a5)
{
	const char *argv[] = {meshctl_bin, a1, a2, a3, a4, a5, NULL};
	char out[160], err[160];
	ctl_result r;

	snprintf(out, sizeof out, "%s/ctl.out", dir);
	snprintf(err, sizeof err, "%s/ctl.err", dir);
	pid_t pid = spawn(argv, out, err);
	ck_assert_int_gt(pid, 0);
	r.rc = proc_wait(pid, CMD_MS);
	if (r.rc < 0)
		proc_kill(pid);
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static json_t *status_json(void)
{
	ctl_result r = ctl("--json", "status", NULL, NULL, NULL);
	json_t *st;

	ck_assert_msg(r.rc == 0, "status: %d %s", r.rc, r.err);
	st = json_loads(r.out, 0, NULL);
	ck_assert_msg(st != NULL, "status is not JSON: %s", r.out);
	ctl_result_free(&r);
	return st;
}

static json_t *service_of(json_t *st, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(st, "services"), i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "name")),
		           name) == 0)
			return s;
	}
	ck_abort_msg("%s is not in the status", name);
	return NULL;
}

static int pid_of(const char *name)
{
	json_t *st = status_json();
	int pid = (int)json_integer_value(
	    json_object_get(service_of(st, name), "pid"));

	json_decref(st);
	return pid;
}

static int alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

static void paths(void)
{
	char cwd[800];
	const char *d = getenv("MESH_TEST_DAEMONS");

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(meshd_bin, sizeof meshd_bin, "%s", proc_bin_path("meshd"));
	snprintf(meshctl_bin, sizeof meshctl_bin, "%s",
	         proc_bin_path("meshctl"));
	if (!d || !*d)
		d = "build/tests/daemons";
	if (d[0] == '/')
		snprintf(daemons, sizeof daemons, "%s", d);
	else
		snprintf(daemons, sizeof daemons, "%s/%s", cwd, d);
}

static void env_setup(void)
{
	char manifest[1024], cwd[800];

	paths();
	snprintf(dir, sizeof dir, "/tmp/meshd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(manifest, sizeof manifest,
	         "%s/tests/integration/meshd.test.json", cwd);
	setenv("MESH_RUN_DIR", dir, 1);
	setenv("MESH_MANIFEST", manifest, 1);
	setenv("MESH_BIN_DIR", daemons, 1);
	setenv("MESH_START_TIMEOUT_MS", "10000", 1);
	setenv("MESH_DRAIN_MS", "3000", 1);
	unsetenv("REDIS_URL");
	snprintf(out_path, sizeof out_path, "%s/meshd.out", dir);
	snprintf(err_path, sizeof err_path, "%s/meshd.err", dir);
}

static void setup(void)
{
	const char *argv[] = {meshd_bin, NULL};

	env_setup();
	meshd_pid = spawn(argv, out_path, err_path);
	ck_assert_int_gt(meshd_pid, 0);
	ck_assert_msg(wait_for_text(out_path, "leadmesh is up", BOOT_MS) == 0,
	              "meshd did not come up: %s", slurp(err_path));
	mesh_sync_init();
}

/* Under ASan/UBSan every process reports into its own output: none may
 * have anything to say. */
static void assert_no_sanitizer_report(void)
{
	static const char *const files[] = {"meshd.err", "ctl.err",
	                                    "deploy.err", "logs/echo.log",
	                                    "logs/relay.log"};
	char path[160];

	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		ck_assert_msg(!file_has(path, "Sanitizer") &&
		                  !file_has(path, "runtime error:"),
		              "sanitizer report in %s", path);
	}
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void teardown(void)
{
	int st = 0;

	mesh_sync_shutdown();
	if (meshd_pid > 0)
		st = proc_stop(meshd_pid, 20000);
	meshd_pid = 0;
	assert_no_sanitizer_report();
	remove_dir();
	/* A clean stop, every time (and under ASan, without a leak). */
	ck_assert_int_eq(st, 0);
}

static void env_teardown(void)
{
	assert_no_sanitizer_report();
	remove_dir();
}

/* ---- with meshd running ---------------------------------------------- */

START_TEST(boots_in_dependency_order_and_reports_status)
{
	char *out = slurp(out_path);
	char *redis = strstr(out, "ready    redis-server");
	char *echo = strstr(out, "ready    echo");
	char *relay = strstr(out, "ready    relay");

	/* relay calls echo, so echo first; Redis before anyone. */
	ck_assert_msg(redis && echo && relay && redis < echo && echo < relay,
	              "ready lines out of order:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "skipped  ghost"));
	ck_assert_ptr_nonnull(strstr(out, "no binary"));
	ck_assert_ptr_nonnull(strstr(
	    out, "leadmesh is up: http://localhost:8080/ (2 services; Ctrl-C "
	         "stops all)"));
	free(out);

	json_t *st = status_json();
	ck_assert_str_eq(
	    json_string_value(json_object_get(service_of(st, "echo"), "state")),
	    "up");
	ck_assert_str_eq(json_string_value(
	                     json_object_get(service_of(st, "relay"), "state")),
	                 "up");
	ck_assert(json_is_false(
	    json_object_get(service_of(st, "ghost"), "has_binary")));
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(st, "redis"), "state")),
	                 "up");
	ck_assert(json_is_true(
	    json_object_get(json_object_get(st, "redis"), "managed")));
	json_decref(st);

	/* Services use meshd's Redis: echo's kv round trip works. */
	ctl_result r = ctl("call", "echo", "kv_put",
	                   "{\"key\":\"k\",\"value\":\"v\"}", NULL);
	ck_assert_msg(r.rc == 0, "kv_put: %s", r.err);
	ctl_result_free(&r);

	r = ctl("call", "echo", "echo", "{\"a\":1}", NULL);
	ck_assert_int_eq(r.rc, 0);
	json_t *reply = json_loads(r.out, 0, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(reply, "a")), 1);
	json_decref(reply);
	ctl_result_free(&r);

	r = ctl("call", "relay", "forward",
	        "{\"method\":\"sleep\",\"args\":{\"ms\":2}}", NULL);
	ck_assert_int_eq(r.rc, 0);
	ctl_result_free(&r);

	/* The table counts those calls for a person. */
	r = ctl("status", NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "SERVICE"));
	ck_assert_ptr_nonnull(strstr(r.out, "P99"));
	ck_assert_ptr_nonnull(strstr(r.out, "relay"));
	ck_assert_ptr_nonnull(strstr(r.out, "redis: up"));
	ctl_result_free(&r);
	st = status_json();
	ck_assert_int_ge(json_integer_value(json_object_get(
	                     service_of(st, "echo"), "requests")),
	                 2);
	ck_assert_int_ge(json_integer_value(json_object_get(
	                     service_of(st, "relay"), "requests")),
	                 1);
	ck_assert(json_number_value(json_object_get(service_of(st, "relay"),
	                                            "p50_us")) > 1000.0);
	json_decref(st);
}
END_TEST

START_TEST(mesh_errors_and_bad_requests_exit_1)
{
	ctl_result r =
	    ctl("call", "echo", "fail",
	        "{\"code\":\"not_found\",\"message\":\"no lead\"}", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "meshctl: not_found: no lead"));
	ctl_result_free(&r);

	r = ctl("restart", "nope", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "not_found"));
	ck_assert_ptr_nonnull(strstr(r.err, "not in the manifest"));
	ctl_result_free(&r);

	r = ctl("deploy", "ghost", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no binary"));
	ctl_result_free(&r);

	r = ctl("logs", NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "logger service is not running"));
	ctl_result_free(&r);

	/* A second meshd on the same run directory refuses to start. */
	const char *argv[] = {meshd_bin, NULL};
	char out[160], err[160];
	snprintf(out, sizeof out, "%s/second.out", dir);
	snprintf(err, sizeof err, "%s/second.err", dir);
	pid_t second = spawn(argv, out, err);
	ck_assert_int_eq(proc_wait(second, CMD_MS), 1);
	ck_assert(file_has(err, "another meshd is running"));
	ck_assert_int_gt(pid_of("echo"), 0);
}
END_TEST

START_TEST(killed_service_is_restarted)
{
	int old = pid_of("echo"), now = 0, restarts = 0;
	long long until = proc_now_ms() + 10000;
	mesh_err err;
	char msg[256];

	ck_assert_int_gt(old, 0);
	ck_assert_int_eq(kill(old, SIGKILL), 0);
	while (proc_now_ms() < until) {
		json_t *st = status_json();
		json_t *s = service_of(st, "echo");
		const char *state =
		    json_string_value(json_object_get(s, "state"));
		now = (int)json_integer_value(json_object_get(s, "pid"));
		restarts =
		    (int)json_integer_value(json_object_get(s, "restarts"));
		int up = strcmp(state, "up") == 0;
		json_decref(st);
		if (up && now != old)
			break;
		proc_sleep_ms(20);
	}
	ck_assert_int_ne(now, old);
	ck_assert_int_gt(now, 0);
	ck_assert_int_eq(restarts, 1);
	ck_assert(wait_for_text(out_path, "killed by signal 9", 1000) == 0);

	json_t *res = mesh_sync_call(
	    "relay", "forward",
	    json_pack("{s:s, s:{s:i}}", "method", "echo", "args", "n", 7), NULL,
	    &err, msg, sizeof msg);
	ck_assert_msg(res != NULL, "call after restart: %s", msg);
	ck_assert_int_eq(json_integer_value(json_object_get(res, "n")), 7);
	json_decref(res);
}
END_TEST

START_TEST(deploy_loses_no_call)
{
	int old = pid_of("echo");
	const char *argv[] = {meshctl_bin, "--json", "deploy", "echo", NULL};
	char out[160], err[160], msg[256];
	int calls = 0, failures = 0, rc = -1;
	mesh_err e;

	snprintf(out, sizeof out, "%s/deploy.out", dir);
	snprintf(err, sizeof err, "%s/deploy.err", dir);
	/* Warm up both paths so that the deploy meets live connections. */
	json_decref(mesh_sync_call("echo", "echo", json_object(), NULL, &e, msg,
	                           sizeof msg));
	pid_t ctl_pid = spawn(argv, out, err);
	long long until = proc_now_ms() + CMD_MS;
	while (proc_now_ms() < until) {
		int st;
		pid_t r = waitpid(ctl_pid, &st, WNOHANG);
		if (r == ctl_pid) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			break;
		}
		/* Through relay (its client moves on GOAWAY) and straight to
		 * echo (ours does). */
		json_t *res =
		    calls % 2
		        ? mesh_sync_call("relay", "forward",
		                         json_pack("{s:s, s:{s:i}}", "method",
		                                   "echo", "args", "i", calls),
		                         NULL, &e, msg, sizeof msg)
		        : mesh_sync_call("echo", "echo",
		                         json_pack("{s:i}", "i", calls), NULL,
		                         &e, msg, sizeof msg);
		if (!res ||
		    json_integer_value(json_object_get(res, "i")) != calls) {
			failures++;
			fprintf(stderr, "call %d failed: %s: %s\n", calls,
			        mesh_strerror(e), msg);
		}
		json_decref(res);
		calls++;
	}
	ck_assert_msg(rc == 0, "deploy exited %d: %s", rc, slurp(err));
	ck_assert_int_eq(failures, 0);
	ck_assert_int_ge(calls, 10);

	char *text = slurp(out);
	json_t *reply = json_loads(text, 0, NULL);
	free(text);
	ck_assert_ptr_nonnull(reply);
	int new_pid =
	    (int)json_integer_value(json_object_get(reply, "new_pid"));
	ck_assert_int_eq(json_integer_value(json_object_get(reply, "old_pid")),
	                 old);
	ck_assert_int_ne(new_pid, old);
	ck_assert_str_eq(json_string_value(json_object_get(reply, "old_exit")),
	                 "exited with status 0");
	json_decref(reply);

	json_t *h =
	    mesh_sync_call("echo", "_health", NULL, NULL, &e, msg, sizeof msg);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")),
	                 new_pid);
	json_decref(h);
	ck_assert_int_eq(pid_of("echo"), new_pid);
	ck_assert(!alive(old));
}
END_TEST

START_TEST(restart_on_request)
{
	int old = pid_of("relay");
	ctl_result r = ctl("restart", "relay", NULL, NULL, NULL);
	mesh_err err;
	char msg[256];

	ck_assert_msg(r.rc == 0, "restart: %s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "restarted relay: pid"));
	ctl_result_free(&r);
	int now = pid_of("relay");
	ck_assert_int_ne(now, old);
	ck_assert(!alive(old));
	json_t *res = mesh_sync_call("relay", "forward",
	                             json_pack("{s:s}", "method", "info"), NULL,
	                             &err, msg, sizeof msg);
	ck_assert_msg(res != NULL, "relay after restart: %s", msg);
	json_decref(res);
}
END_TEST

START_TEST(sigterm_stops_everything)
{
	json_t *st = status_json();
	pid_t pids[3] = {
	    (pid_t)json_integer_value(
	        json_object_get(service_of(st, "echo"), "pid")),
	    (pid_t)json_integer_value(
	        json_object_get(service_of(st, "relay"), "pid")),
	    (pid_t)json_integer_value(
	        json_object_get(json_object_get(st, "redis"), "pid")),
	};
	json_decref(st);

	for (int i = 0; i < 3; i++)
		ck_assert(alive(pids[i]));
	ck_assert_int_eq(kill(meshd_pid, SIGTERM), 0);
	ck_assert_int_eq(proc_wait(meshd_pid, 20000), 0);
	meshd_pid = 0;
	for (int i = 0; i < 3; i++)
		ck_assert_msg(!alive(pids[i]), "pid %d outlived meshd",
		              (int)pids[i]);
	char *out = slurp(out_path);
	/* Reverse order: relay (which calls echo) before echo, Redis last. */
	char *relay = strstr(out, "stopped  relay");
	char *echo = strstr(out, "stopped  echo");
	char *redis = strstr(out, "stopped  redis-server");
	ck_assert_msg(relay && echo && redis && relay < echo && echo < redis,
	              "stop order:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "leadmesh stopped"));
	free(out);

	ctl_result r = ctl("status", NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "meshd is not running"));
	ctl_result_free(&r);
}
END_TEST

/* ---- without meshd ------------------------------------------------------ */

START_TEST(meshctl_without_meshd_exits_3)
{
	ctl_result r = ctl("status", NULL, NULL, NULL, NULL);
	char expect[200];

	snprintf(
	    expect, sizeof expect,
	    "meshctl: meshd is not running (no socket at %s/sock/meshd.sock); "
	    "start it with make run",
	    dir);
	ck_assert_int_eq(r.rc, 3);
	ck_assert_msg(strstr(r.err, expect), "stderr: %s", r.err);
	ctl_result_free(&r);
	r = ctl("deploy", "echo", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 3);
	ctl_result_free(&r);
}
END_TEST

START_TEST(bad_usage_exits_2)
{
	const char *meshd_argv[] = {meshd_bin, "--bogus", NULL};
	char out[160], err[160];
	ctl_result r;

	r = ctl(NULL, NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "usage: meshctl"));
	ctl_result_free(&r);
	r = ctl("frobnicate", NULL, NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "unknown command"));
	ctl_result_free(&r);
	r = ctl("call", "echo", NULL, NULL, NULL);
	ck_assert_int_eq(r.rc, 2);
	ctl_result_free(&r);
	r = ctl("call", "echo", "echo", "{not json", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "arguments:"));
	ctl_result_free(&r);
	r = ctl("logs", "--limit", "0", NULL, NULL);
	ck_assert_int_eq(r.rc, 2);
	ctl_result_free(&r);
	r = ctl("--timeout", "abc", "status", NULL, NULL);
	ck_assert_int_eq(r.rc, 2);
	ctl_result_free(&r);

	snprintf(out, sizeof out, "%s/meshd.out", dir);
	snprintf(err, sizeof err, "%s/meshd.err", dir);
	ck_assert_int_eq(proc_wait(spawn(meshd_argv, out, err), CMD_MS), 2);
	ck_assert(file_has(err, "usage: meshd"));
}
END_TEST

START_TEST(meshd_without_redis_server_exits_1)
{
	const char *argv[] = {meshd_bin, NULL};
	char out[160], err[160];
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	snprintf(out, sizeof out, "%s/meshd.out", dir);
	snprintf(err, sizeof err, "%s/meshd.err", dir);
	setenv("PATH", dir, 1); /* an empty folder: no redis-server */
	pid_t pid = spawn(argv, out, err);
	if (path)
		setenv("PATH", path, 1);
	free(path);
	ck_assert_int_eq(proc_wait(pid, CMD_MS), 1);
	ck_assert(file_has(err, "redis-server is not in PATH"));
}
END_TEST

static Suite *meshd_suite(void)
{
	Suite *s = suite_create("meshd");
	TCase *running = tcase_create("running");
	TCase *alone = tcase_create("alone");

	tcase_add_checked_fixture(running, setup, teardown);
	tcase_set_timeout(running, 60);
	tcase_add_test(running, boots_in_dependency_order_and_reports_status);
	tcase_add_test(running, mesh_errors_and_bad_requests_exit_1);
	tcase_add_test(running, killed_service_is_restarted);
	tcase_add_test(running, deploy_loses_no_call);
	tcase_add_test(running, restart_on_request);
	tcase_add_test(running, sigterm_stops_everything);
	suite_add_tcase(s, running);

	tcase_add_checked_fixture(alone, env_setup, env_teardown);
	tcase_set_timeout(alone, 60);
	tcase_add_test(alone, meshctl_without_meshd_exits_3);
	tcase_add_test(alone, bad_usage_exits_2);
	tcase_add_test(alone, meshd_without_redis_server_exits_1);
	suite_add_tcase(s, alone);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(meshd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
