/*
 * test_http.c: the curl-multi HTTP client against a real server on loopback
 * (http_fake), driven by a real libevent loop.
 */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_fake.h"
#include "mesh.h"
#include "runtime.h"

/* How long any one wait may take before the test calls it a hang; generous
 * because valgrind slows everything tenfold. */
#define SAFETY_MS 20000

/* What a callback saw; the response is borrowed, so it is copied out. */
struct result {
	int calls;
	int inside; /* called back from inside http_client_request */
	mesh_err err;
	char msg[256];
	long status;
	char *body;
	size_t body_len;
	char *x_reply;     /* looked up as "x-reply" */
	char *x_reply_uc;  /* looked up as "X-REPLY" */
	char *retry_after; /* "Retry-After" */
	char *date;        /* "date" */
	char *last_h;      /* "X-H-<last>" for the header-cap test */
	int64_t done_ms;
	void (*then)(struct result *r); /* runs at the end of the callback */
};

static struct event_base *base;
static http_fake *fake;
static http_client *client;
static int in_request;
static int completed;
static const char *last_h_name = "X-H-1";

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void on_response(void *arg, mesh_err err, const char *msg,
                        const mesh_http_response *resp)
{
	struct result *r = arg;

	r->calls++;
	r->inside = in_request;
	r->err = err;
	snprintf(r->msg, sizeof r->msg, "%s", msg ? msg : "(null)");
	r->done_ms = runtime_now_ms();
	if (resp) {
		const char *body = mesh_http_body(resp, &r->body_len);

		r->status = mesh_http_status(resp);
		r->body = malloc(r->body_len + 1);
		memcpy(r->body, body, r->body_len + 1);
		r->x_reply = dup_or_null(mesh_http_header(resp, "x-reply"));
		r->x_reply_uc = dup_or_null(mesh_http_header(resp, "X-REPLY"));
		r->retry_after =
		    dup_or_null(mesh_http_header(resp, "Retry-After"));
		r->date = dup_or_null(mesh_http_header(resp, "date"));
		r->last_h = dup_or_null(mesh_http_header(resp, last_h_name));
	}
	completed++;
	if (r->then)
		r->then(r);
}

static void result_clear(struct result *r)
{
	free(r->body);
	free(r->x_reply);
	free(r->x_reply_uc);
	free(r->retry_after);
	free(r->date);
	free(r->last_h);
	memset(r, 0, sizeof *r);
}

static void start(const mesh_http_opts *o, struct result *r)
{
	in_request = 1;
	http_client_request(client, o, on_response, r);
	in_request = 0;
}

static void get(const char *path, int64_t timeout_ms, struct result *r)
{
	char *url = http_fake_url(fake, path);
	mesh_http_opts o = {.url = url, .timeout_ms = timeout_ms};

	start(&o, r);
	free(url);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until `completed` reaches want; 0, or -1 at timeout_ms. */
static int run_until(int want, int timeout_ms)
{
	int expired = 0;
	struct event *deadline = evtimer_new(base, on_deadline, &expired);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	ck_assert_ptr_nonnull(deadline);
	evtimer_add(deadline, &tv);
	while (completed < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(deadline);
	return completed >= want ? 0 : -1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until the fake has seen n requests; the tick wakes the
 * loop to look, since the fake records from its own thread. */
static int run_until_fake(size_t n, int timeout_ms)
{
	int64_t end = runtime_now_ms() + timeout_ms;
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = {0, 5000};

	ck_assert_ptr_nonnull(tick);
	event_add(tick, &tv);
	while (http_fake_count(fake) < n && runtime_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return http_fake_count(fake) >= n ? 0 : -1;
}

static void setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	runtime_init(base, "test");
	fake = http_fake_start();
	ck_assert_ptr_nonnull(fake);
	client = http_client_new(base);
	ck_assert_ptr_nonnull(client);
	completed = 0;
	last_h_name = "X-H-1";
}

static void teardown(void)
{
	http_client_free(client);
	client = NULL;
	http_fake_stop(fake);
	fake = NULL;
	/* Let deferred reports still queued run before the loop goes. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	base = NULL;
}

START_TEST(test_get_round_trip)
{
	struct result r = {0};
	const char *hdrs[] = {"X-Token: abc", "Accept: text/plain", NULL};
	char *url = http_fake_url(fake, "/hello?q=1&x=y");
	mesh_http_opts o = {.url = url, .headers = hdrs};
	const http_fake_req *req;

	ck_assert_int_eq(
	    http_fake_push(fake, "/hello", 200,
	                   "X-Reply: yes\nContent-Type: text/plain",
	                   "hello world", 0),
	    0);
	start(&o, &r);
	free(url);
	ck_assert_int_eq(r.calls, 0);
	ck_assert_uint_eq(http_client_in_flight(client), 1);
	ck_assert_int_eq(run_until(1, SAFETY_MS), 0);

	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.inside, 0);
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_str_eq(r.msg, "");
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, 11);
	ck_assert_str_eq(r.body, "hello world");
	ck_assert_pstr_eq(r.x_reply, "yes");
	ck_assert_pstr_eq(r.x_reply_uc, "yes");
	ck_assert_ptr_null(r.retry_after);
	ck_assert_uint_eq(http_client_in_flight(client), 0);

	ck_assert_uint_eq(http_fake_count(fake), 1);
	req = http_fake_get(fake, 0);
	ck_assert_str_eq(req->method, "GET");
	ck_assert_str_eq(req->path, "/hello?q=1&x=y");
	ck_assert_pstr_eq(http_fake_req_header(req, "x-token"), "abc");
	ck_assert_pstr_eq(http_fake_req_header(req, "Accept"), "text/plain");
	ck_assert_uint_eq(req->body_len, 0);
	ck_assert_ptr_null(http_fake_get(fake, 1));
	result_clear(&r);
}
END_TEST

START_TEST(test_post_round_trip)
{
	/* Binary-safe: a NUL inside the body travels as is. */
	static const char body[] = "{\"a\":1}\0zz";
	const size_t body_len = sizeof body - 1;
	struct result r = {0}, p = {0};
	const char *hdrs[] = {"Content-Type: application/json", NULL};
	char *url = http_fake_url(fake, "/hook");
	mesh_http_opts o = {.method = "POST",
	                    .url = url,
	                    .headers = hdrs,
	                    .body = body,
	                    .body_len = body_len};
	const http_fake_req *req;
	char big[3000];

	ck_assert_int_eq(
	    http_fake_push(fake, "/hook", 201, NULL, "{\"id\":7}", 0), 0);
	start(&o, &r);
	/* A body over 1 KiB goes without "Expect: 100-continue". */
	memset(big, 'b', sizeof big);
	o.method = "PUT";
	o.body = big;
	o.body_len = sizeof big;
	o.headers = NULL;
	start(&o, &p);
	free(url);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);

	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.err, MESH_OK);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(r.body, "{\"id\":7}");
	ck_assert_int_eq(p.calls, 1);
	ck_assert_int_eq(p.err, MESH_OK);
	ck_assert_int_eq(p.status, 200);

	ck_assert_uint_eq(http_fake_count(fake), 2);
	for (size_t i = 0; i < 2; i++) {
		req = http_fake_get(fake, i);
		if (strcmp(req->method, "POST") == 0) {
			ck_assert_str_eq(req->path, "/hook");
			ck_assert_pstr_eq(
			    http_fake_req_header(req, "content-type"),
			    "application/json");
			ck_assert_uint_eq(req->body_len, body_len);
			ck_assert_mem_eq(req->body, body, body_len);
		} else {
			ck_assert_str_eq(req->method, "PUT");
			ck_assert_uint_eq(req->body_len, sizeof big);
			ck_assert_mem_eq(req->body, big, sizeof big);
			ck_assert_ptr_null(http_fake_req_header(req, "Expect"));
		}
	}
	result_clear(&r);
	result_clear(&p);
}
END_TEST

START_TEST(test_error_statuses_are_responses)
{
	struct result a = {0}, b = {0}, c = {0};

	http_fake_push(fake, "/missing", 404, NULL, "no such thing", 0);
	http_fake_push(fake, "/broken", 500, NULL, "oops", 0);
	http_fake_push(fake, "/busy", 429, "Retry-After: 7", "slow down", 0);
	get("/missing", 0, &a);
	get("/broken", 0, &b);
	get("/busy", 0, &c);
	ck_assert_int_eq(run_until(3, SAFETY_MS), 0);

	ck_assert_int_eq(a.err, MESH_OK);
	ck_assert_int_eq(a.status, 404);
	ck_assert_str_eq(a.body, "no such thing");
	ck_assert_int_eq(b.err, MESH_OK);
	ck_assert_int_eq(b.status, 500);
	ck_assert_str_eq(b.body, "oops");
	ck_assert_int_eq(c.err, MESH_OK);
	ck_assert_int_eq(c.status, 429);
	ck_assert_pstr_eq(c.retry_after, "7");
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
}
END_TEST

START_TEST(test_slow_server_times_out)
{
	struct result r = {0}, after = {0};
	int64_t t0;

	http_fake_push(fake, "/slow", 200, NULL, "late", 5000);
	t0 = runtime_now_ms();
	get("/slow", 300, &r);
	ck_assert_int_eq(run_until(1, SAFETY_MS), 0);

	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.err, MESH_ETIMEOUT);
	ck_assert_ptr_nonnull(strstr(r.msg, "300 ms"));
	ck_assert_int_ge(r.done_ms - t0, 290);
	ck_assert_int_lt(r.done_ms - t0, 4000);
	ck_assert_uint_eq(http_client_in_flight(client), 0);

	/* The loop and the client carry on. */
	get("/fine", 0, &after);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);
	ck_assert_int_eq(after.err, MESH_OK);
	ck_assert_str_eq(after.body, "ok");
	ck_assert_int_eq(r.calls, 1);
	result_clear(&r);
	result_clear(&after);
}
END_TEST

START_TEST(test_refused_port_is_unavailable)
{
	struct result r = {0};
	char url[64];
	int port = http_fake_refused_port();
	mesh_http_opts o = {.url = url};

	ck_assert_int_gt(port, 0);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
	start(&o, &r);
	ck_assert_int_eq(run_until(1, SAFETY_MS), 0);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.inside, 0);
	ck_assert_int_eq(r.err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(r.msg, "connect"));
	result_clear(&r);
}
END_TEST

START_TEST(test_bad_options_are_einval_and_deferred)
{
	static const char *const bad_hdr_crlf[] = {"X-A: 1\r\nX-Evil: 2", NULL};
	static const char *const bad_hdr_colon[] = {"no colon here", NULL};
	static const char *const bad_hdr_name[] = {"Bad Name: x", NULL};
	char *ok_url = http_fake_url(fake, "/x");
	const mesh_http_opts cases[] = {
	    {.url = NULL},
	    {.url = "not a url"},
	    {.url = "ftp://127.0.0.1/file"},
	    {.url = "file:///etc/passwd"},
	    {.url = "http://"},
	    {.url = ok_url, .method = "GE T"},
	    {.url = ok_url, .method = "GET\r\nX: y"},
	    {.url = ok_url, .method = ""},
	    {.url = ok_url, .headers = bad_hdr_crlf},
	    {.url = ok_url, .headers = bad_hdr_colon},
	    {.url = ok_url, .headers = bad_hdr_name},
	    {.url = ok_url, .body = NULL, .body_len = 5},
	};
	const size_t n = sizeof cases / sizeof cases[0];
	struct result r[sizeof cases / sizeof cases[0] + 1];

	memset(r, 0, sizeof r);
	for (size_t i = 0; i < n; i++)
		start(&cases[i], &r[i]);
	start(NULL, &r[n]);
	for (size_t i = 0; i <= n; i++)
		ck_assert_msg(r[i].calls == 0, "case %zu called back inside",
		              i);
	ck_assert_uint_eq(http_client_in_flight(client), 0);
	ck_assert_int_eq(run_until((int)n + 1, SAFETY_MS), 0);
	for (size_t i = 0; i <= n; i++) {
		ck_assert_msg(r[i].calls == 1, "case %zu: %d calls", i,
		              r[i].calls);
		ck_assert_msg(r[i].err == MESH_EINVAL, "case %zu: %s (%s)", i,
		              mesh_strerror(r[i].err), r[i].msg);
		ck_assert_int_eq(r[i].inside, 0);
		ck_assert_str_ne(r[i].msg, "");
	}
	ck_assert_ptr_nonnull(strstr(r[2].msg, "ftp"));
	ck_assert_uint_eq(http_fake_count(fake), 0);
	free(ok_url);
}
END_TEST

#define MANY 200

START_TEST(test_many_concurrent_complete_once)
{
	static struct result r[MANY];
	char path[32];

	memset(r, 0, sizeof r);
	for (int i = 0; i < MANY; i++) {
		snprintf(path, sizeof path, "/n/%d", i);
		get(path, 0, &r[i]);
	}
	ck_assert_uint_eq(http_client_in_flight(client), MANY);
	ck_assert_int_eq(run_until(MANY, SAFETY_MS), 0);
	for (int i = 0; i < MANY; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_int_eq(r[i].err, MESH_OK);
		ck_assert_str_eq(r[i].body, "ok");
		result_clear(&r[i]);
	}
	ck_assert_uint_eq(http_fake_count(fake), MANY);
	ck_assert_uint_eq(http_client_in_flight(client), 0);
}
END_TEST

/* Connections outlive a lull: a second burst after the first has ended
 * reuses the first burst's connections instead of opening new ones (curl
 * by default keeps four per transfer still running: one, at the end). */
#define BURST 16

START_TEST(test_connections_are_reused_across_bursts)
{
	static struct result r[2 * BURST];
	int ports[2 * BURST] = {0}, distinct = 0;

	memset(r, 0, sizeof r);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < BURST; i++)
			get("/burst", 0, &r[round * BURST + i]);
		ck_assert_int_eq(run_until((round + 1) * BURST, SAFETY_MS), 0);
	}
	ck_assert_uint_eq(http_fake_count(fake), 2 * BURST);
	for (size_t i = 0; i < 2 * BURST; i++) {
		int port = http_fake_get(fake, i)->peer_port, seen = 0;
		ck_assert_int_gt(port, 0);
		for (int k = 0; k < distinct; k++)
			seen |= ports[k] == port;
		if (!seen)
			ports[distinct++] = port;
		ck_assert_int_eq(r[i].err, MESH_OK);
		result_clear(&r[i]);
	}
	ck_assert_int_le(distinct, BURST);
}
END_TEST

START_TEST(test_in_flight_cap_at_the_boundary)
{
	struct result a = {0}, b = {0}, c = {0}, d = {0};

	http_client_set_max_in_flight(client, 2);
	http_fake_hang(fake, "/hang");
	http_fake_push(fake, "/slow", 200, NULL, "slow", 300);
	get("/hang", 0, &a);
	get("/slow", 0, &b); /* the second: at the cap, accepted */
	get("/x", 0, &c);    /* the third: over it */
	ck_assert_uint_eq(http_client_in_flight(client), 2);
	ck_assert_int_eq(c.calls, 0);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.inside, 0);
	ck_assert_int_eq(c.err, MESH_EUNAVAILABLE);
	ck_assert_ptr_nonnull(
	    strstr(c.msg, "too many HTTP requests in flight"));
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(b.err, MESH_OK);

	/* A slot freed is a slot usable again. */
	get("/x", 0, &d);
	ck_assert_uint_eq(http_client_in_flight(client), 2);
	ck_assert_int_eq(run_until(3, SAFETY_MS), 0);
	ck_assert_int_eq(d.err, MESH_OK);

	/* The hung one is reported by free, once, before it returns. */
	ck_assert_int_eq(a.calls, 0);
	http_client_free(client);
	client = NULL;
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(a.err, MESH_EUNAVAILABLE);
	ck_assert_str_eq(a.msg, "client closed");
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
	result_clear(&d);
}
END_TEST

START_TEST(test_body_cap_at_the_boundary)
{
	struct result fits = {0}, over = {0};
	char body[1002];

	http_client_set_max_body(client, 1000);
	memset(body, 'a', 1001);
	body[1001] = '\0';
	http_fake_push(fake, "/over", 200, NULL, body, 0);
	body[1000] = '\0';
	http_fake_push(fake, "/fits", 200, NULL, body, 0);
	get("/fits", 0, &fits);
	get("/over", 0, &over);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);

	ck_assert_int_eq(fits.err, MESH_OK);
	ck_assert_uint_eq(fits.body_len, 1000);
	ck_assert_str_eq(fits.body, body);
	ck_assert_int_eq(over.calls, 1);
	ck_assert_int_eq(over.err, MESH_ETOOLARGE);
	ck_assert_str_eq(over.msg, "response body over 1000 bytes");
	result_clear(&fits);
	result_clear(&over);
}
END_TEST

/* "X-H-1: v\n..." with n lines; caller frees. */
static char *numbered_headers(int n)
{
	char *s = malloc((size_t)n * 32 + 1), *p = s;

	*p = '\0';
	for (int i = 1; i <= n; i++)
		p += sprintf(p, "X-H-%d: v%d\n", i, i);
	return s;
}

START_TEST(test_header_cap_at_the_boundary)
{
	/* The fake adds Date and Content-Length to the scripted headers. */
	const int fit = HTTP_MAX_RESPONSE_HEADERS - 2;
	struct result fits = {0}, over = {0};
	char *h_fit = numbered_headers(fit);
	char *h_over = numbered_headers(fit + 1);
	char name[16], want[16];

	snprintf(name, sizeof name, "X-H-%d", fit);
	snprintf(want, sizeof want, "v%d", fit);
	last_h_name = name;
	http_fake_push(fake, "/fits", 200, h_fit, "f", 0);
	http_fake_push(fake, "/over", 200, h_over, "o", 0);
	get("/fits", 0, &fits);
	get("/over", 0, &over);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);

	ck_assert_int_eq(fits.err, MESH_OK);
	ck_assert_pstr_eq(fits.last_h, want);
	ck_assert_ptr_nonnull(fits.date);
	ck_assert_int_eq(over.err, MESH_ETOOLARGE);
	ck_assert_ptr_nonnull(strstr(over.msg, "headers"));
	free(h_fit);
	free(h_over);
	result_clear(&fits);
	result_clear(&over);
}
END_TEST

/* Each callback starts the next request until five have run. */
static struct result chain[5];

static void chain_next(struct result *r)
{
	size_t i = (size_t)(r - chain);

	if (i + 1 < 5) {
		chain[i + 1].then = chain_next;
		get("/chain", 0, &chain[i + 1]);
	}
}

START_TEST(test_callback_may_start_requests)
{
	memset(chain, 0, sizeof chain);
	chain[0].then = chain_next;
	get("/chain", 0, &chain[0]);
	ck_assert_int_eq(run_until(5, SAFETY_MS), 0);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(chain[i].calls, 1);
		ck_assert_int_eq(chain[i].err, MESH_OK);
		ck_assert_int_eq(chain[i].inside, 0);
		result_clear(&chain[i]);
	}
	ck_assert_uint_eq(http_fake_count(fake), 5);
	ck_assert_uint_eq(http_client_in_flight(client), 0);
}
END_TEST

START_TEST(test_free_reports_in_flight_once)
{
	struct result r[5];

	memset(r, 0, sizeof r);
	http_fake_hang(fake, NULL);
	get("/a", 0, &r[0]);
	get("/b", 0, &r[1]);
	get("/c", 0, &r[2]);
	/* Three are on the wire, two not even connected. */
	ck_assert_int_eq(run_until_fake(3, SAFETY_MS), 0);
	get("/d", 0, &r[3]);
	get("/e", 0, &r[4]);
	ck_assert_uint_eq(http_client_in_flight(client), 5);

	http_client_free(client);
	client = NULL;
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		ck_assert_int_eq(r[i].err, MESH_EUNAVAILABLE);
		ck_assert_str_eq(r[i].msg, "client closed");
	}
	/* Nothing more arrives later. */
	run_until(6, 200);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(r[i].calls, 1);
		result_clear(&r[i]);
	}
}
END_TEST

static struct result late;

/* Frees the client from inside its own callback, then tries to use it from
 * the callback that free runs: the request must fail later, not crash. */
static void free_client(struct result *r)
{
	(void)r;
	http_client_free(client);
	client = NULL;
}

static void request_on_closing(struct result *r)
{
	(void)r;
	get("/late", 0, &late);
}

START_TEST(test_free_from_inside_a_callback)
{
	struct result first = {0}, hung = {0};

	memset(&late, 0, sizeof late);
	http_fake_hang(fake, "/hang");
	get("/hang", 0, &hung);
	first.then = free_client;
	hung.then = request_on_closing;
	get("/fast", 0, &first);
	ck_assert_int_eq(run_until(2, SAFETY_MS), 0);
	ck_assert_int_eq(first.calls, 1);
	ck_assert_int_eq(first.err, MESH_OK);
	ck_assert_int_eq(hung.calls, 1);
	ck_assert_int_eq(hung.err, MESH_EUNAVAILABLE);
	ck_assert_str_eq(hung.msg, "client closed");
	ck_assert_ptr_null(client);
	ck_assert_int_eq(run_until(3, SAFETY_MS), 0);
	ck_assert_int_eq(late.calls, 1);
	ck_assert_int_eq(late.inside, 0);
	ck_assert_int_eq(late.err, MESH_EUNAVAILABLE);
	ck_assert_str_eq(late.msg, "client closed");
	result_clear(&first);
	result_clear(&hung);
	result_clear(&late);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_get_round_trip);
	tcase_add_test(tc, test_post_round_trip);
	tcase_add_test(tc, test_error_statuses_are_responses);
	tcase_add_test(tc, test_slow_server_times_out);
	tcase_add_test(tc, test_refused_port_is_unavailable);
	tcase_add_test(tc, test_bad_options_are_einval_and_deferred);
	tcase_add_test(tc, test_many_concurrent_complete_once);
	tcase_add_test(tc, test_connections_are_reused_across_bursts);
	tcase_add_test(tc, test_in_flight_cap_at_the_boundary);
	tcase_add_test(tc, test_body_cap_at_the_boundary);
	tcase_add_test(tc, test_header_cap_at_the_boundary);
	tcase_add_test(tc, test_callback_may_start_requests);
	tcase_add_test(tc, test_free_reports_in_flight_once);
	tcase_add_test(tc, test_free_from_inside_a_callback);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
