/*
 * The gateway in front of a real daemon: routing, the HTTP-to-call
 * mapping, request ids and trace, limits and uniform errors, CORS, and
 * the operator endpoints, over real HTTP on loopback.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "http_get.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64], base_url[64];
static redis_server *rs;
static pid_t echo_pid, gw_pid;
static int port;

static int wait_http(int timeout_ms)
{
	char url[96];
	long long until = proc_now_ms() + timeout_ms;

	snprintf(url, sizeof url, "%s/healthz", base_url);
	while (proc_now_ms() < until) {
		http_result r = http_do("GET", url, NULL, 0, NULL, 500);
		long st = r.status;
		http_result_free(&r);
		if (st == 200)
			return 0;
		proc_sleep_ms(10);
	}
	return -1;
}

static void setup(void)
{
	char port_env[32], log[128];

	snprintf(dir, sizeof dir, "%s",
	         fixture_start("tests/integration/gateway.test.json"));
	rs = fixture_redis();
	port = fixture_free_port();
	snprintf(port_env, sizeof port_env, "PORT=%d", port);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
	echo_pid = fixture_daemon(proc_daemon_path("echo"), "echo", NULL);
	const char *env[] = {port_env, "BIND_ADDR=127.0.0.1",
	                     "GATEWAY_CLIENT_TIMEOUT_S=1",
	                     "GATEWAY_HEADER_TIMEOUT_S=1", NULL};
	snprintf(log, sizeof log, "%s/gateway.log", dir);
	gw_pid = proc_start(proc_bin_path("gateway"), env, log);
	ck_assert_msg(wait_http(15000) == 0, "gateway did not come up");
}

static void teardown(void)
{
	/* A clean exit (0) also means no leak under ASan. */
	int gw_pid_rc = gw_pid > 0 ? proc_stop(gw_pid, 5000) : 0;
	int echo_pid_rc = echo_pid > 0 ? proc_stop(echo_pid, 5000) : 0;
	fixture_finish();
	ck_assert_int_eq(gw_pid_rc, 0);
	ck_assert_int_eq(echo_pid_rc, 0);
}

static http_result req(const char *method, const char *path, const char *body,
                       const char *const *headers)
{
	char url[512];

	snprintf(url, sizeof url, "%s%s", base_url, path);
	return http_do(method, url, body, body ? strlen(body) : 0, headers,
	               5000);
}

static const char *error_code(const http_result *r)
{
	return json_string_value(
	    json_object_get(json_object_get(r->json, "error"), "code"));
}

START_TEST(body_params_and_query_become_arguments)
{
	http_result r =
	    req("POST", "/t/echo", "{\"name\":\"Ann\",\"n\":3}", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "name")),
	                 "Ann");
	json_t *meta = json_object_get(r.json, "_meta");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "client_ip")),
	                 "127.0.0.1");
	ck_assert_str_eq(http_header(&r, "Content-Type"), "application/json");
	http_result_free(&r);

	r = req("GET", "/t/items/L%2042?status=new&zip=78704", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")),
	                 "L 42");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "zip")),
	                 "78704");
	http_result_free(&r);

	/* A literal segment beats a parameter. */
	r = req("GET", "/t/items/special", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(json_object_get(r.json, "time_left_ms"));
	http_result_free(&r);

	/* The service sets the status through _http. */
	r = req("POST", "/t/echo",
	        "{\"_http\":{\"status\":201,\"headers\":"
	        "{\"Location\":\"/t/items/9\"}},\"a\":1}",
	        NULL);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(http_header(&r, "Location"), "/t/items/9");
	ck_assert_ptr_null(json_object_get(r.json, "_http"));
	http_result_free(&r);

	/* The raw body reaches routes that verify their own signatures. */
	r = req("POST", "/t/raw", "t=1,v1=abc&x",
	        (const char *[]){"Stripe-Signature: t=1", NULL});
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "body")),
	                 "t=1,v1=abc&x");
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_object_get(r.json, "headers"), "stripe-signature")),
	    "t=1");
	http_result_free(&r);
}
END_TEST

START_TEST(request_id_and_trace_travel)
{
	const char *h[] = {
	    "X-Request-Id: edge-test-1",
	    "traceparent: "
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    NULL};
	http_result r = req("GET", "/t/info", NULL, h);

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(http_header(&r, "X-Request-Id"), "edge-test-1");
	ck_assert_str_eq(
	    json_string_value(json_object_get(r.json, "request_id")),
	    "edge-test-1");
	const char *tp =
	    json_string_value(json_object_get(r.json, "traceparent"));
	ck_assert_int_eq(
	    strncmp(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36), 0);
	http_result_free(&r);

	/* Without one, the gateway makes an id and returns it. */
	r = req("GET", "/t/info", NULL, NULL);
	const char *rid = http_header(&r, "X-Request-Id");
	ck_assert_ptr_nonnull(rid);
	ck_assert_int_eq(strlen(rid), 36);
	ck_assert_str_eq(
	    json_string_value(json_object_get(r.json, "request_id")), rid);
	http_result_free(&r);
}
END_TEST

START_TEST(errors_are_uniform_json)
{
	http_result r = req("POST", "/t/echo", "{\"a\":", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(error_code(&r), "bad_request");
	ck_assert_ptr_nonnull(
	    json_object_get(json_object_get(r.json, "error"), "request_id"));
	http_result_free(&r);

	r = req("POST", "/t/echo", "[1,2]", NULL);
	ck_assert_int_eq(r.status, 400);
	http_result_free(&r);

	r = req("POST", "/t/echo", "{\"_meta\":{\"client_ip\":\"1.2.3.4\"}}",
	        NULL);
	ck_assert_int_eq(r.status, 400);
	http_result_free(&r);

	r = req("GET", "/no/such/route", NULL, NULL);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(error_code(&r), "not_found");
	http_result_free(&r);

	r = req("PUT", "/t/echo", "{}", NULL);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(http_header(&r, "Allow"), "POST, GET");
	http_result_free(&r);

	r = req("POST", "/t/fail",
	        "{\"code\":\"conflict\",\"message\":\"closed\"}", NULL);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(error_code(&r), "conflict");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "error"), "message")),
	                 "closed");
	http_result_free(&r);

	/* echo's manifest deadline is 800 ms: a longer sleep is a 504. */
	long long t0 = proc_now_ms();
	r = req("POST", "/t/sleep", "{\"ms\":3000}", NULL);
	ck_assert_int_eq(r.status, 504);
	ck_assert_str_eq(error_code(&r), "timeout");
	ck_assert_int_lt(proc_now_ms() - t0, 2500);
	http_result_free(&r);
}
END_TEST

START_TEST(limits_hold_at_the_boundary)
{
	/* Exactly 1 MiB of body is taken; one byte more is 413. */
	size_t n = 1024 * 1024;
	char *body = malloc(n + 2);
	memset(body, ' ', n + 1);
	body[0] = '{';
	body[n - 1] = '}';
	body[n] = '\0';
	http_result r = req("POST", "/t/echo", body, NULL);
	ck_assert_int_eq(r.status, 200);
	http_result_free(&r);
	body[n] = ' ';
	body[n + 1] = '\0';
	r = req("POST", "/t/echo", body, NULL);
	ck_assert_int_eq(r.status, 413);
	ck_assert_str_eq(error_code(&r), "payload_too_large");
	http_result_free(&r);
	free(body);

	/* 2 MB, as a form might be abused. */
	body = malloc(2 * 1024 * 1024 + 1);
	memset(body, 'x', 2 * 1024 * 1024);
	body[2 * 1024 * 1024] = '\0';
	r = req("POST", "/t/echo", body, NULL);
	ck_assert_int_eq(r.status, 413);
	http_result_free(&r);
	free(body);

	/* Headers over 16 KiB: 431. */
	char *h = malloc(20000);
	strcpy(h, "X-Big: ");
	memset(h + 7, 'a', 18000);
	h[18007] = '\0';
	const char *hs[] = {h, NULL};
	r = req("GET", "/t/info", NULL, hs);
	ck_assert_int_eq(r.status, 431);
	http_result_free(&r);
	free(h);

	/* Everyone is still alive. */
	r = req("GET", "/t/info", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_result_free(&r);
}
END_TEST

START_TEST(cors_for_public_forms)
{
	const char *h[] = {"Origin: https://sellfast.example",
	                   "Access-Control-Request-Method: POST", NULL};
	http_result r = req("OPTIONS", "/t/echo", NULL, h);

	ck_assert_int_eq(r.status, 204);
	ck_assert_str_eq(http_header(&r, "Access-Control-Allow-Origin"), "*");
	ck_assert_ptr_nonnull(
	    strstr(http_header(&r, "Access-Control-Allow-Methods"), "POST"));
	http_result_free(&r);

	r = req("POST", "/t/echo", "{}", h);
	ck_assert_str_eq(http_header(&r, "Access-Control-Allow-Origin"), "*");
	http_result_free(&r);

	/* Routes without CORS do not answer preflights. */
	r = req("OPTIONS", "/t/info", NULL, h);
	ck_assert_int_eq(r.status, 405);
	http_result_free(&r);
}
END_TEST

START_TEST(operator_endpoints_see_the_mesh)
{
	http_result r = req("GET", "/readyz", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "redis")),
	                 "up");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "services"), "echo")),
	                 "up");
	http_result_free(&r);

	r = req("POST", "/t/echo", "{}", NULL);
	http_result_free(&r);
	r = req("GET", "/metrics", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "mesh_up{service=\"echo\"} 1"));
	ck_assert_ptr_nonnull(strstr(r.body, "mesh_up{service=\"relay\"} 0"));
	ck_assert_ptr_nonnull(strstr(
	    r.body, "mesh_requests_total{service=\"echo\",method=\"echo\"}"));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "gateway_http_requests_total{method=\"POST\",route="
	                   "\"/t/echo\"} 1"));
	ck_assert_ptr_nonnull(
	    strstr(r.body, "# TYPE mesh_request_duration_seconds histogram"));
	http_result_free(&r);

	/* A routed service down: not ready. */
	proc_stop(echo_pid, 5000);
	echo_pid = 0;
	r = req("GET", "/readyz", NULL, NULL);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(r.json, "services"), "echo")),
	                 "down");
	http_result_free(&r);
	r = req("GET", "/healthz", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_result_free(&r);
}
END_TEST

START_TEST(slow_client_is_cut)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[256];

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(write(fd, "GET /t/info HTTP/1.1\r\nHost: x\r\n", 31),
	                 31);
	long long t0 = proc_now_ms();
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = read(fd, buf, sizeof buf);
	long long took = proc_now_ms() - t0;
	/* Closed (or answered 408) after the 1 s client timeout. */
	if (n > 0)
		ck_assert_int_eq(strncmp(buf, "HTTP/1.1 408", 12), 0);
	else
		ck_assert_int_eq(n, 0);
	ck_assert_int_ge(took, 900);
	ck_assert_int_lt(took, 4000);
	close(fd);
	http_result r = req("GET", "/t/info", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gateway");
	TCase *tc = tcase_create("edge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, body_params_and_query_become_arguments);
	tcase_add_test(tc, request_id_and_trace_travel);
	tcase_add_test(tc, errors_are_uniform_json);
	tcase_add_test(tc, limits_hold_at_the_boundary);
	tcase_add_test(tc, cors_for_public_forms);
	tcase_add_test(tc, operator_endpoints_see_the_mesh);
	tcase_add_test(tc, slow_client_is_cut);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
