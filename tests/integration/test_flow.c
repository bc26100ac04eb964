/*
 * The seed's story end to end, as a user runs it: meshd starts a private
 * Redis, every service and the gateway; a fake Slack on loopback records
 * what it is sent. A lead posted to the gateway is stored, valued, logged
 * under one request id and announced on Slack; bad input gets the right
 * status; services killed or deployed under load lose nothing.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_fake.h"
#include "http_get.h"
#include "mesh_sync.h"
#include "proc.h"

static char dir[64], base_url[64];
static pid_t meshd_pid;
static http_fake *slack;

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&sin, sizeof sin);
	getsockname(s, (struct sockaddr *)&sin, &len);
	close(s);
	return ntohs(sin.sin_port);
}

#define ADMIN_KEY "lm_admin_flowtest_0123456789abcdef0123456789abcdef"

/* Every request carries the admin key; public routes ignore it. */
static http_result req(const char *method, const char *path, const char *body)
{
	char url[512];
	const char *h[] = {"Authorization: Bearer " ADMIN_KEY, NULL};

	snprintf(url, sizeof url, "%s%s", base_url, path);
	return http_do(method, url, body, body ? strlen(body) : 0, h, 10000);
}

static int wait_ready(int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;

	while (proc_now_ms() < until) {
		http_result r = req("GET", "/readyz", NULL);
		long st = r.status;
		http_result_free(&r);
		if (st == 200)
			return 0;
		proc_sleep_ms(50);
	}
	return -1;
}

/* Loads the example comps through the gateway, in batches. */
static void seed_comps(void)
{
	json_error_t jerr;
	json_t *all = json_load_file("examples/comps.json", 0, &jerr);
	json_t *comps = json_object_get(all, "comps");

	ck_assert_msg(json_array_size(comps) > 100, "examples/comps.json: %s",
	              jerr.text);
	for (size_t i = 0; i < json_array_size(comps); i += 500) {
		json_t *batch = json_array();
		for (size_t j = i; j < i + 500 && j < json_array_size(comps);
		     j++)
			json_array_append(batch, json_array_get(comps, j));
		json_t *body = json_pack("{s:o}", "comps", batch);
		char *text = json_dumps(body, JSON_COMPACT);
		http_result r = req("POST", "/api/comps/import", text);
		ck_assert_msg(r.status == 200, "import: %ld %s", r.status,
		              r.body);
		http_result_free(&r);
		free(text);
		json_decref(body);
	}
	json_decref(all);
}

static void setup(void)
{
	char cwd[800], manifest[1024], env_dir[96], env_manifest[1100],
	    env_bin[1024], env_port[32], env_slack[128], log[128];

	snprintf(dir, sizeof dir, "/tmp/flowtest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	slack = http_fake_start();
	ck_assert_ptr_nonnull(slack);
	char *hook = http_fake_url(slack, "/services/T000/B000/XXXX");
	int port = free_port();
	snprintf(manifest, sizeof manifest, "%s/proto/mesh.json", cwd);
	snprintf(env_dir, sizeof env_dir, "MESH_RUN_DIR=%s", dir);
	snprintf(env_manifest, sizeof env_manifest, "MESH_MANIFEST=%s",
	         manifest);
	snprintf(env_bin, sizeof env_bin, "MESH_BIN_DIR=%s",
	         getenv("MESH_TEST_BIN") ? getenv("MESH_TEST_BIN") : "bin");
	snprintf(env_port, sizeof env_port, "PORT=%d", port);
	snprintf(env_slack, sizeof env_slack, "SLACK_WEBHOOK_URL=%s", hook);
	free(hook);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
	unsetenv("REDIS_URL");
	setenv("MESH_RUN_DIR", dir, 1);
	const char *env[] = {env_dir,
	                     env_manifest,
	                     env_bin,
	                     env_port,
	                     env_slack,
	                     "BIND_ADDR=127.0.0.1",
	                     "ADMIN_API_KEY=" ADMIN_KEY,
	                     "RATE_LIMIT_PER_IP=100000",
	                     "RATE_LIMIT_PER_KEY=100000",
	                     NULL};
	snprintf(log, sizeof log, "%s/meshd.out", dir);
	meshd_pid = proc_start(proc_bin_path("meshd"), env, log);
	ck_assert_msg(wait_ready(20000) == 0, "the mesh did not become ready");
	mesh_sync_init();
	seed_comps();
}

/* Processes whose environment names this run dir: meshd's children and
 * its Redis inherit it. */
static int processes_of_run_dir(void)
{
	char want[96], path[300], env[8192];
	int n = 0;
	DIR *proc = opendir("/proc");
	struct dirent *d;

	snprintf(want, sizeof want, "MESH_RUN_DIR=%s", dir);
	while (proc && (d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/environ", d->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(env, 1, sizeof env - 1, f);
		fclose(f);
		for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
			env[len] = '\0';
			if (strcmp(env + i, want) == 0 &&
			    (pid_t)atol(d->d_name) != getpid()) {
				n++;
				break;
			}
		}
	}
	if (proc)
		closedir(proc);
	return n;
}

static void teardown(void)
{
	char cmd[128];

	mesh_sync_shutdown();
	int rc = proc_stop(meshd_pid, 20000);
	http_fake_stop(slack);
	/* meshd leaves nothing behind. */
	int left = processes_of_run_dir();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (!getenv("MESH_TEST_KEEP") && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(left, 0);
}

/* A lead whose email is made from its phone, so distinct phones make
 * distinct leads. */
static const char *lead_json(const char *name, const char *phone)
{
	static char buf[512];
	char user[32];
	size_t n = 0;

	for (const char *p = phone; *p && n + 1 < sizeof user; p++)
		if (*p >= '0' && *p <= '9')
			user[n++] = *p;
	user[n] = '\0';
	snprintf(
	    buf, sizeof buf,
	    "{\"name\":\"%s\",\"phone\":\"%s\",\"email\":\"s%s@example.com\","
	    "\"address\":\"%s S Congress Ave, Austin, TX 78704\","
	    "\"sqft\":1800,\"beds\":3,\"baths\":2,\"year_built\":1965}",
	    name, phone, user, n >= 4 ? user + n - 4 : "1204");
	return buf;
}

static int slack_has(const char *needle)
{
	for (size_t i = 0; i < http_fake_count(slack); i++) {
		const http_fake_req *r = http_fake_get(slack, i);
		if (r->body && strstr(r->body, needle))
			return 1;
	}
	return 0;
}

static json_t *get_lead(const char *id)
{
	char path[160];

	snprintf(path, sizeof path, "/api/leads/%s", id);
	http_result r = req("GET", path, NULL);
	json_t *j = r.status == 200 ? json_incref(r.json) : NULL;
	http_result_free(&r);
	return j;
}

START_TEST(a_lead_is_stored_valued_logged_and_announced)
{
	long long t0 = proc_now_ms();
	http_result r = req("POST", "/api/leads",
	                    lead_json("Jane Seller", "(512) 555-0142"));

	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	const char *id = json_string_value(json_object_get(r.json, "id"));
	ck_assert_ptr_nonnull(id);
	char lead_id[64], rid[64];
	snprintf(lead_id, sizeof lead_id, "%s", id);
	snprintf(rid, sizeof rid, "%s", http_header(&r, "X-Request-Id"));
	http_result_free(&r);

	/* Valued and announced within two seconds. */
	json_t *lead = NULL, *valuation = NULL;
	while (proc_now_ms() - t0 < 2000) {
		json_decref(lead);
		lead = get_lead(lead_id);
		valuation = json_object_get(lead, "valuation");
		if (json_is_object(valuation) && slack_has("Jane Seller"))
			break;
		proc_sleep_ms(20);
	}
	ck_assert_msg(json_is_object(valuation), "no valuation after 2 s");
	ck_assert_int_gt(
	    json_integer_value(json_object_get(valuation, "value")), 300000);
	ck_assert_msg(slack_has("Jane Seller"), "no Slack message after 2 s");
	ck_assert(slack_has("512"));
	json_decref(lead);

	/* Every hop logged under the one request id. */
	char path[160];
	snprintf(path, sizeof path, "/api/logs?request_id=%s", rid);
	const char *want[] = {"gateway", "leads-intake", "valuation",
	                      "slack-notify"};
	int seen[4] = {0};
	long long until = proc_now_ms() + 3000;
	while (proc_now_ms() < until) {
		r = req("GET", path, NULL);
		json_t *recs = json_object_get(r.json, "records");
		for (size_t i = 0; i < json_array_size(recs); i++) {
			const char *svc = json_string_value(json_object_get(
			    json_array_get(recs, i), "service"));
			for (int k = 0; k < 4; k++)
				if (svc && strcmp(svc, want[k]) == 0)
					seen[k] = 1;
		}
		http_result_free(&r);
		if (seen[0] && seen[1] && seen[2] && seen[3])
			break;
		proc_sleep_ms(100);
	}
	for (int k = 0; k < 4; k++)
		ck_assert_msg(seen[k], "no log line from %s for request %s",
		              want[k], rid);
}
END_TEST

START_TEST(duplicates_and_slack_escaping)
{
	http_result a = req("POST", "/api/leads",
	                    lead_json("<!channel> Bob & Co", "512-555-0188"));
	ck_assert_int_eq(a.status, 201);
	const char *first = json_string_value(json_object_get(a.json, "id"));
	http_result b =
	    req("POST", "/api/leads", lead_json("Bob Again", "(512) 555-0188"));
	ck_assert_int_eq(b.status, 200);
	ck_assert(json_is_true(json_object_get(b.json, "duplicate")));
	ck_assert_str_eq(json_string_value(json_object_get(b.json, "id")),
	                 first);
	http_result_free(&a);
	http_result_free(&b);

	ck_assert_int_eq(http_fake_wait(slack, 1, 3000), 0);
	long long until = proc_now_ms() + 3000;
	while (!slack_has("Bob &amp; Co") && proc_now_ms() < until)
		proc_sleep_ms(20);
	ck_assert(slack_has("&lt;!channel&gt; Bob &amp; Co"));
	ck_assert(!slack_has("<!channel>"));
}
END_TEST

static void expect_error(const char *method, const char *path, const char *body,
                         long status, const char *code)
{
	http_result r = req(method, path, body);
	ck_assert_msg(r.status == status, "%s %s: %ld %s", method, path,
	              r.status, r.body);
	const char *got = json_string_value(
	    json_object_get(json_object_get(r.json, "error"), "code"));
	ck_assert_msg(got && strcmp(got, code) == 0, "%s %s: code %s", method,
	              path, got ? got : "(none)");
	http_result_free(&r);
}

START_TEST(bad_input_gets_the_right_status_and_nothing_dies)
{
	expect_error("POST", "/api/leads", "{\"name\":", 400, "bad_request");
	expect_error(
	    "POST", "/api/leads",
	    "{\"name\":\"No Contact\",\"address\":\"1 Main St, Austin, TX "
	    "78701\"}",
	    400, "bad_request");
	expect_error("POST", "/api/leads",
	             "{\"name\":\"Bad Address\",\"phone\":\"5125550100\","
	             "\"address\":\"somewhere over the rainbow\"}",
	             400, "bad_request");
	char *big = malloc(2 * 1024 * 1024 + 1);
	memset(big, 'a', 2 * 1024 * 1024);
	big[2 * 1024 * 1024] = '\0';
	expect_error("POST", "/api/leads", big, 413, "payload_too_large");
	free(big);
	expect_error("GET", "/api/no-such-thing", NULL, 404, "not_found");

	http_result r = req("GET", "/readyz", NULL);
	ck_assert_msg(r.status == 200, "%s", r.body);
	http_result_free(&r);
}
END_TEST

static pid_t service_pid(const char *name)
{
	mesh_err err;
	char msg[256];
	json_t *h = mesh_sync_call(name, "_health", json_object(), NULL, &err,
	                           msg, sizeof msg);
	pid_t pid = (pid_t)json_integer_value(json_object_get(h, "pid"));

	json_decref(h);
	if (err != MESH_OK)
		fprintf(stderr, "%s._health: %s: %s\n", name,
		        mesh_strerror(err), msg);
	return err == MESH_OK ? pid : 0;
}

static pid_t wait_new_pid(const char *name, pid_t old, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;
	pid_t pid = 0;

	while (proc_now_ms() < until) {
		pid = service_pid(name);
		if (pid > 0 && pid != old)
			return pid;
		proc_sleep_ms(50);
	}
	return 0;
}

START_TEST(kill_valuation_under_load_loses_no_lead)
{
	enum { LEADS = 40 };
	char ids[LEADS][64];
	pid_t old = service_pid("valuation");

	ck_assert_int_gt(old, 0);
	for (int i = 0; i < LEADS; i++) {
		char name[32], phone[32];
		if (i == 10)
			kill(old, SIGKILL);
		snprintf(name, sizeof name, "Load Seller %d", i);
		snprintf(phone, sizeof phone, "512-555-%04d", 1000 + i);
		http_result r =
		    req("POST", "/api/leads", lead_json(name, phone));
		ck_assert_msg(r.status == 201, "lead %d: %ld %s", i, r.status,
		              r.body);
		snprintf(ids[i], sizeof ids[i], "%s",
		         json_string_value(json_object_get(r.json, "id")));
		http_result_free(&r);
	}
	ck_assert_int_gt(wait_new_pid("valuation", old, 10000), 0);
	/* Every lead valued once valuation is back: no event was lost. */
	long long until = proc_now_ms() + 20000;
	int valued = 0;
	while (proc_now_ms() < until) {
		valued = 0;
		for (int i = 0; i < LEADS; i++) {
			json_t *lead = get_lead(ids[i]);
			valued +=
			    json_is_object(json_object_get(lead, "valuation"));
			json_decref(lead);
		}
		if (valued == LEADS)
			break;
		proc_sleep_ms(200);
	}
	ck_assert_int_eq(valued, LEADS);
}
END_TEST

START_TEST(kill_slack_notify_loses_no_message)
{
	pid_t old = service_pid("slack-notify");

	ck_assert_int_gt(old, 0);
	kill(old, SIGKILL);
	http_result r =
	    req("POST", "/api/leads", lead_json("After Crash", "512-555-0777"));
	ck_assert_int_eq(r.status, 201);
	http_result_free(&r);
	ck_assert_int_gt(wait_new_pid("slack-notify", old, 10000), 0);
	long long until = proc_now_ms() + 10000;
	while (!slack_has("After Crash") && proc_now_ms() < until)
		proc_sleep_ms(50);
	ck_assert(slack_has("After Crash"));
}
END_TEST

START_TEST(deploy_under_load_fails_no_request)
{
	pid_t old = service_pid("valuation");
	int failures = 0, sent = 0;
	char log[128];

	snprintf(log, sizeof log, "%s/meshctl.out", dir);
	pid_t deploy = fork();
	if (deploy == 0) {
		execl(proc_bin_path("meshctl"), "meshctl", "deploy",
		      "valuation", (char *)NULL);
		_exit(127);
	}
	/* Post leads and ask valuation directly until the deploy is done. */
	int status = -1;
	while (status < 0 || sent < 20) {
		char name[32], phone[32];
		snprintf(name, sizeof name, "Deploy Seller %d", sent);
		snprintf(phone, sizeof phone, "614-555-%04d", 2000 + sent);
		http_result r =
		    req("POST", "/api/leads", lead_json(name, phone));
		failures += r.status / 100 != 2;
		http_result_free(&r);
		r = req("POST", "/api/valuation",
		        "{\"zip\":\"78704\",\"sqft\":1500}");
		failures += r.status / 100 != 2;
		http_result_free(&r);
		sent++;
		if (status < 0)
			status = proc_wait(deploy, 0) >= 0 ? 0 : -1;
		if (sent > 2000)
			break;
	}
	ck_assert_int_eq(failures, 0);
	ck_assert_int_eq(status, 0);
	pid_t now = service_pid("valuation");
	ck_assert_int_gt(now, 0);
	ck_assert_int_ne(now, old);
}
END_TEST

START_TEST(two_platforms_side_by_side)
{
	char dir2[64], url2[96], env_dir[96], env_port[32], env_bin[1024],
	    log[128], cmd[128];
	int port2 = free_port();

	snprintf(dir2, sizeof dir2, "/tmp/flowtest2-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir2));
	snprintf(env_dir, sizeof env_dir, "MESH_RUN_DIR=%s", dir2);
	snprintf(env_port, sizeof env_port, "PORT=%d", port2);
	snprintf(env_bin, sizeof env_bin, "MESH_BIN_DIR=%s",
	         getenv("MESH_TEST_BIN") ? getenv("MESH_TEST_BIN") : "bin");
	snprintf(log, sizeof log, "%s/meshd.out", dir2);
	const char *env[] = {env_dir,
	                     env_port,
	                     env_bin,
	                     "BIND_ADDR=127.0.0.1",
	                     "ADMIN_API_KEY=" ADMIN_KEY,
	                     NULL};
	pid_t other = proc_start(proc_bin_path("meshd"), env, log);
	snprintf(url2, sizeof url2, "http://127.0.0.1:%d/readyz", port2);
	long long until = proc_now_ms() + 20000;
	long st = 0;
	while (st != 200 && proc_now_ms() < until) {
		http_result r = http_do("GET", url2, NULL, 0, NULL, 1000);
		st = r.status;
		http_result_free(&r);
		if (st != 200)
			proc_sleep_ms(50);
	}
	ck_assert_int_eq(st, 200);

	/* A lead in the first platform is unknown to the second. */
	http_result r =
	    req("POST", "/api/leads", lead_json("Only Here", "512-555-0999"));
	ck_assert_int_eq(r.status, 201);
	char path[160];
	snprintf(path, sizeof path, "http://127.0.0.1:%d/api/leads/%s", port2,
	         json_string_value(json_object_get(r.json, "id")));
	http_result_free(&r);
	const char *h[] = {"Authorization: Bearer " ADMIN_KEY, NULL};
	r = http_do("GET", path, NULL, 0, h, 5000);
	ck_assert_int_eq(r.status, 404);
	http_result_free(&r);

	ck_assert_int_eq(proc_stop(other, 20000), 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir2);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("lead flow");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_lead_is_stored_valued_logged_and_announced);
	tcase_add_test(tc, duplicates_and_slack_escaping);
	tcase_add_test(tc, bad_input_gets_the_right_status_and_nothing_dies);
	tcase_add_test(tc, kill_valuation_under_load_loses_no_lead);
	tcase_add_test(tc, kill_slack_notify_loses_no_message);
	tcase_add_test(tc, deploy_under_load_fails_no_request);
	tcase_add_test(tc, two_platforms_side_by_side);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
