/*
 * The gateway's HTTP server against hostile and sloppy clients, over raw
 * sockets so that the exact bytes are ours: the request line, header and
 * body limits at their boundaries, the header/body/idle deadlines
 * (slowloris), request smuggling, hostile JSON, keep-alive and
 * pipelining, HTTP/1.0, HEAD, Expect: 100-continue, the connection caps,
 * output backpressure and the drain on SIGTERM. After each case the
 * gateway and the echo daemon behind it still serve.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "http_get.h"
#include "proc.h"
#include "redis_server.h"

#define MIB (1024 * 1024)
/* What the gateway under test is told (small deadlines keep tests
 * short). */
#define T_HEADER_S 1
#define T_BODY_S   1
#define T_IDLE_S   2
#define T_WRITE_S  1

static char dir[64], base_url[64];
static redis_server *rs;
static pid_t echo_pid, gw_pid;
static int port;

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

static long get_status(const char *path)
{
	char url[128];

	snprintf(url, sizeof url, "%s%s", base_url, path);
	http_result r = http_do("GET", url, NULL, 0, NULL, 2000);
	long st = r.status;
	http_result_free(&r);
	return st;
}

/* Starts the gateway with the test deadlines plus extra "K=V" (NULL
 * ends it), and waits until it answers. */
static void start_gateway(const char *const *extra)
{
	char port_env[32], log[128], t[4][48];
	const char *env[16] = {port_env, "BIND_ADDR=127.0.0.1"};
	size_t n = 2;

	port = free_port();
	snprintf(port_env, sizeof port_env, "PORT=%d", port);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
	snprintf(t[0], sizeof t[0], "GATEWAY_HEADER_TIMEOUT_S=%d", T_HEADER_S);
	snprintf(t[1], sizeof t[1], "GATEWAY_BODY_TIMEOUT_S=%d", T_BODY_S);
	snprintf(t[2], sizeof t[2], "GATEWAY_IDLE_TIMEOUT_S=%d", T_IDLE_S);
	snprintf(t[3], sizeof t[3], "GATEWAY_WRITE_TIMEOUT_S=%d", T_WRITE_S);
	for (int i = 0; i < 4; i++)
		env[n++] = t[i];
	for (size_t i = 0; extra && extra[i] && n + 1 < 16; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	snprintf(log, sizeof log, "%s/gateway.log", dir);
	gw_pid = proc_start(proc_bin_path("gateway"), env, log);
	long long until = proc_now_ms() + 5000;
	while (proc_now_ms() < until && get_status("/healthz") != 200)
		proc_sleep_ms(10);
	ck_assert_msg(get_status("/healthz") == 200, "gateway did not come up");
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "%s",
	         fixture_start("tests/integration/gateway.test.json"));
	rs = fixture_redis();
	echo_pid = fixture_daemon(proc_daemon_path("echo"), "echo", NULL);
	gw_pid = 0;
}

static void teardown(void)
{
	/* A clean exit (0) also means no leak under ASan. */
	int gw_rc = gw_pid > 0 ? proc_stop(gw_pid, 5000) : 0;
	int echo_rc = echo_pid > 0 ? proc_stop(echo_pid, 5000) : 0;
	fixture_finish();
	ck_assert_int_eq(gw_rc, 0);
	ck_assert_int_eq(echo_rc, 0);
}

/* The gateway and the daemon behind it still serve. */
static void assert_alive(void)
{
	char url[128];

	ck_assert_int_eq(get_status("/healthz"), 200);
	snprintf(url, sizeof url, "%s/t/echo", base_url);
	http_result r = http_do("POST", url, "{\"alive\":1}", 11, NULL, 5000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "alive")),
	                 1);
	http_result_free(&r);
}

/* ---- A raw client: exact bytes out, responses parsed back ---------- */

typedef struct raw {
	int fd;
	char *buf;
	size_t len, cap;
	int eof;
} raw;

typedef struct resp {
	int status;
	char head[8192];
	char *body;
	size_t body_len;
	json_t *json;
} resp;

static raw *raw_open(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	raw *r = calloc(1, sizeof *r);

	ck_assert_ptr_nonnull(r);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(r->fd, (struct sockaddr *)&sin, sizeof sin),
	                 0);
	r->cap = 4 * MIB;
	r->buf = malloc(r->cap);
	ck_assert_ptr_nonnull(r->buf);
	return r;
}

static void raw_close(raw *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r->buf);
	free(r);
}

/* Sends all of it; 0, or -1 when the peer is gone. */
static int raw_send(raw *r, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = send(r->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static void raw_sends(raw *r, const char *s)
{
	ck_assert_int_eq(raw_send(r, s, strlen(s)), 0);
}

/* Reads what arrives within timeout_ms: >0 bytes, 0 at EOF or reset,
 * -1 on timeout. */
static int raw_fill(raw *r, int timeout_ms)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};

	if (r->eof)
		return 0;
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	if (r->len == r->cap)
		return -1;
	ssize_t n = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
	if (n <= 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	return (int)n;
}

static const char *resp_header(const resp *s, const char *name)
{
	static char value[512];
	size_t nl = strlen(name);

	for (const char *l = strstr(s->head, "\r\n"); l && l[2];
	     l = strstr(l + 2, "\r\n")) {
		const char *line = l + 2;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = strcspn(v, "\r");
			if (vl >= sizeof value)
				vl = sizeof value - 1;
			memcpy(value, v, vl);
			value[vl] = '\0';
			return value;
		}
	}
	return NULL;
}

static void resp_free(resp *s)
{
	free(s->body);
	json_decref(s->json);
	memset(s, 0, sizeof *s);
}

/* The next response (bodiless when head_only); 0, or -1 when none came
 * within timeout_ms. */
static int raw_response(raw *r, resp *s, int timeout_ms, int head_only)
{
	long long until = proc_now_ms() + timeout_ms;
	char *end;

	memset(s, 0, sizeof *s);
	while (!(end = memmem(r->buf, r->len, "\r\n\r\n", 4))) {
		long long left = until - proc_now_ms();
		if (raw_fill(r, left > 0 ? (int)left : 0) <= 0)
			return -1;
	}
	size_t hl = (size_t)(end - r->buf) + 4;
	ck_assert_uint_lt(hl, sizeof s->head);
	memcpy(s->head, r->buf, hl);
	s->head[hl] = '\0';
	ck_assert_int_eq(sscanf(s->head, "HTTP/1.1 %d", &s->status), 1);
	const char *cl = resp_header(s, "Content-Length");
	size_t blen = cl && !head_only ? strtoul(cl, NULL, 10) : 0;
	while (r->len < hl + blen) {
		long long left = until - proc_now_ms();
		/* The head is in: the body follows at once. */
		if (raw_fill(r, left > 1000 ? (int)left : 1000) <= 0)
			return -1;
	}
	s->body = malloc(blen + 1);
	memcpy(s->body, r->buf + hl, blen);
	s->body[blen] = '\0';
	s->body_len = blen;
	s->json = json_loadb(s->body, blen, 0, NULL);
	memmove(r->buf, r->buf + hl + blen, r->len - hl - blen);
	r->len -= hl + blen;
	return 0;
}

/* Whether the server closes (EOF or reset, nothing more sent) within
 * timeout_ms. */
static int raw_closed(raw *r, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;

	while (proc_now_ms() < until) {
		size_t before = r->len;
		int n = raw_fill(r, (int)(until - proc_now_ms()));
		if (n == 0)
			return r->len == before;
		if (n < 0)
			return 0;
	}
	return 0;
}

static const char *error_code(const resp *s)
{
	return json_string_value(
	    json_object_get(json_object_get(s->json, "error"), "code"));
}

static const char *error_message(const resp *s)
{
	return json_string_value(
	    json_object_get(json_object_get(s->json, "error"), "message"));
}

/* One request on a fresh connection; its response in *s. */
static void exchange(const char *bytes, size_t n, resp *s)
{
	raw *r = raw_open();

	ck_assert_int_eq(raw_send(r, bytes, n), 0);
	ck_assert_int_eq(raw_response(r, s, 5000, 0), 0);
	raw_close(r);
}

/* A refusal: the status, a uniform JSON error, Connection: close, and the
 * connection closed. */
static void assert_refused(const char *bytes, size_t n, int status,
                           const char *code)
{
	raw *r = raw_open();
	resp s;

	ck_assert_int_eq(raw_send(r, bytes, n), 0);
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_msg(s.status == status, "%.60s...: got %d, wanted %d", bytes,
	              s.status, status);
	ck_assert_str_eq(error_code(&s), code);
	ck_assert_ptr_nonnull(error_message(&s));
	ck_assert_ptr_nonnull(
	    json_object_get(json_object_get(s.json, "error"), "request_id"));
	ck_assert_str_eq(resp_header(&s, "Content-Type"), "application/json");
	ck_assert_str_eq(resp_header(&s, "Connection"), "close");
	ck_assert_ptr_nonnull(resp_header(&s, "X-Request-Id"));
	ck_assert(raw_closed(r, 3000));
	resp_free(&s);
	raw_close(r);
}

static void assert_refused_s(const char *bytes, int status, const char *code)
{
	assert_refused(bytes, strlen(bytes), status, code);
}

/* ---- Limits at their boundaries ------------------------------------- */

START_TEST(request_line_over_8k_is_414)
{
	/* "GET " + "/t/info?p=" + pad + " HTTP/1.1" is 23 + pad bytes. */
	size_t pad = 8192 - 23;
	char *req = malloc(pad + 64);
	resp s;

	memcpy(req, "GET /t/info?p=", 14);
	memset(req + 14, 'a', pad);
	strcpy(req + 14 + pad, " HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_uint_eq(strstr(req, "\r\n") - req, 8192);
	exchange(req, strlen(req), &s);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);

	memcpy(req, "GET /t/info?p=", 14);
	memset(req + 14, 'a', pad + 1);
	strcpy(req + 15 + pad, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_refused_s(req, 414, "uri_too_long");
	free(req);
	assert_alive();
}
END_TEST

START_TEST(headers_over_16k_or_100_fields_are_431)
{
	/* One field "X-Pad: v" counts 5 + 4 + len(v) bytes. */
	size_t v = 16384 - 9;
	char *req = malloc(v + 128);
	resp s;

	strcpy(req, "GET /t/info HTTP/1.1\r\nX-Pad: ");
	size_t at = strlen(req);
	memset(req + at, 'b', v);
	strcpy(req + at + v, "\r\n\r\n");
	exchange(req, strlen(req), &s);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	memset(req + at, 'b', v + 1);
	strcpy(req + at + v + 1, "\r\n\r\n");
	assert_refused_s(req, 431, "headers_too_large");
	free(req);

	/* 100 fields pass, 101 do not. */
	char many[4096];
	int n = snprintf(many, sizeof many, "GET /t/info HTTP/1.1\r\n");
	for (int i = 0; i < 100; i++)
		n += snprintf(many + n, sizeof many - (size_t)n,
		              "X-F%d: %d\r\n", i, i);
	strcpy(many + n, "\r\n");
	exchange(many, strlen(many), &s);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	strcpy(many + n, "X-One-More: 1\r\n\r\n");
	assert_refused_s(many, 431, "headers_too_large");
	assert_alive();
}
END_TEST

/* {"    ...    "} of exactly n bytes. */
static char *json_of_size(size_t n)
{
	char *b = malloc(n + 1);
	memset(b, ' ', n);
	b[0] = '{';
	b[n - 1] = '}';
	b[n] = '\0';
	return b;
}

START_TEST(body_over_1mib_is_413_before_it_is_read)
{
	char head[256];
	raw *r;
	resp s;

	/* Content-Length over the limit: refused on the headers alone,
	 * without sending a byte of the body. */
	snprintf(head, sizeof head,
	         "POST /t/echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
	         MIB + 1);
	assert_refused_s(head, 413, "payload_too_large");

	/* Expect: 100-continue within the limit: 100, then the answer. */
	char *body = json_of_size(MIB);
	r = raw_open();
	snprintf(head, sizeof head,
	         "POST /t/echo HTTP/1.1\r\nContent-Length: %d\r\n"
	         "Expect: 100-continue\r\n\r\n",
	         MIB);
	raw_sends(r, head);
	ck_assert_int_eq(raw_response(r, &s, 3000, 0), 0);
	ck_assert_int_eq(s.status, 100);
	resp_free(&s);
	ck_assert_int_eq(raw_send(r, body, MIB), 0);
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	raw_close(r);

	/* Expect: 100-continue past the limit: 413, never 100. */
	snprintf(head, sizeof head,
	         "POST /t/echo HTTP/1.1\r\nContent-Length: %d\r\n"
	         "Expect: 100-continue\r\n\r\n",
	         MIB + 1);
	assert_refused_s(head, 413, "payload_too_large");
	/* An expectation we do not know: 417. */
	assert_refused_s("POST /t/echo HTTP/1.1\r\nContent-Length: 2\r\n"
	                 "Expect: teapot\r\n\r\n{}",
	                 417, "expectation_failed");

	/* Chunked: exactly 1 MiB passes, one byte more is 413 as soon as
	 * the chunk passes the limit. */
	for (int over = 0; over <= 1; over++) {
		size_t n = MIB + (size_t)over;
		free(body);
		body = json_of_size(n);
		r = raw_open();
		raw_sends(r, "POST /t/echo HTTP/1.1\r\n"
		             "Transfer-Encoding: chunked\r\n\r\n");
		for (size_t off = 0; off < n; off += 65536) {
			size_t c = n - off < 65536 ? n - off : 65536;
			char sz[32];
			snprintf(sz, sizeof sz, "%zx\r\n", c);
			if (raw_send(r, sz, strlen(sz)) ||
			    raw_send(r, body + off, c) ||
			    raw_send(r, "\r\n", 2))
				break;
		}
		raw_send(r, "0\r\n\r\n", 5);
		ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
		ck_assert_int_eq(s.status, over ? 413 : 200);
		if (over) {
			ck_assert_str_eq(error_code(&s), "payload_too_large");
			ck_assert(raw_closed(r, 3000));
		}
		resp_free(&s);
		raw_close(r);
	}
	free(body);
	assert_alive();
}
END_TEST

/* ---- Request smuggling ----------------------------------------------- */

START_TEST(ambiguous_framing_is_400_and_closed)
{
	static const char *cases[] = {
	    /* both Content-Length and Transfer-Encoding */
	    "POST /t/echo HTTP/1.1\r\nContent-Length: 2\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "POST /t/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 2\r\n\r\n0\r\n\r\n",
	    /* duplicate, conflicting, negative, non-numeric lengths */
	    "POST /t/echo HTTP/1.1\r\nContent-Length: 2\r\n"
	    "Content-Length: 2\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: 2\r\n"
	    "Content-Length: 3\r\n\r\n{} ",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: -2\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: two\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n{}",
	    /* transfer codings other than chunked */
	    "POST /t/echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n{}",
	    "POST /t/echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n0\r\n\r\n",
	    "POST /t/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    "POST /t/echo HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n{}",
	    /* not HTTP/1.x, not a request */
	    "POST /t/echo HTTP/2.0\r\nContent-Length: 2\r\n\r\n{}",
	    "HELLO\r\n\r\n",
	    "GET /t/info HTTP/1.1\r\nBad Header: x\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		assert_refused_s(cases[i], 400, "bad_request");
	assert_alive();
}
END_TEST

/* ---- Hostile JSON ---------------------------------------------------- */

static void post_echo(const char *body, size_t n, resp *s)
{
	char head[128];
	raw *r = raw_open();

	snprintf(head, sizeof head,
	         "POST /t/echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", n);
	raw_sends(r, head);
	ck_assert_int_eq(raw_send(r, body, n), 0);
	ck_assert_int_eq(raw_response(r, s, 5000, 0), 0);
	raw_close(r);
}

static void assert_json_refused(const char *body, size_t n, const char *says)
{
	resp s;

	post_echo(body, n, &s);
	ck_assert_int_eq(s.status, 400);
	ck_assert_str_eq(error_code(&s), "bad_request");
	ck_assert_msg(strstr(error_message(&s), says), "\"%s\" lacks \"%s\"",
	              error_message(&s), says);
	resp_free(&s);
}

/* {"a":[[...]]} with depth containers in all. */
static char *nested(int depth)
{
	char *b = malloc((size_t)depth * 2 + 16);
	size_t n = 0;

	n += (size_t)sprintf(b, "{\"a\":");
	for (int i = 1; i < depth; i++)
		b[n++] = '[';
	for (int i = 1; i < depth; i++)
		b[n++] = ']';
	b[n++] = '}';
	b[n] = '\0';
	return b;
}

START_TEST(hostile_json_is_400)
{
	resp s;

	assert_json_refused("{\"name\":\"\xc3\x28\"}", 13, "not valid UTF-8");
	assert_json_refused("{\"n\":99999999999999999999999}", 29, "too large");
	assert_json_refused("{\"n\":1e999}", 11, "too large");
	assert_json_refused("{\"a\":1,\"a\":2}", 13, "repeated");

	/* 64 levels of nesting pass, 65 do not (nor 100000). */
	char *b = nested(64);
	post_echo(b, strlen(b), &s);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	free(b);
	b = nested(65);
	assert_json_refused(b, strlen(b), "nested deeper than 64");
	free(b);
	b = nested(100000);
	assert_json_refused(b, strlen(b), "nested deeper than 64");
	free(b);
	assert_alive();
}
END_TEST

/* ---- Deadlines ------------------------------------------------------- */

START_TEST(header_and_body_deadlines_are_total_not_per_byte)
{
	raw *r = raw_open();
	resp s;
	long long t0 = proc_now_ms();

	/* A byte every 200 ms never lets the headers finish: 408 at the
	 * header deadline, counted from the first byte. */
	raw_sends(r, "GET /t/info HTTP/1.1\r\n");
	int got = -1;
	while (proc_now_ms() - t0 < 4000) {
		if (raw_send(r, "X", 1) != 0)
			break;
		if ((got = raw_response(r, &s, 200, 0)) == 0)
			break;
	}
	long long took = proc_now_ms() - t0;
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(s.status, 408);
	ck_assert_str_eq(error_code(&s), "request_timeout");
	ck_assert_int_ge(took, T_HEADER_S * 1000 - 100);
	ck_assert_int_lt(took, T_HEADER_S * 1000 + 1500);
	ck_assert(raw_closed(r, 3000));
	resp_free(&s);
	raw_close(r);

	/* Half a body, then silence, or a trickle: 408 at the body
	 * deadline. */
	r = raw_open();
	t0 = proc_now_ms();
	raw_sends(r, "POST /t/echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");
	got = -1;
	while (proc_now_ms() - t0 < 4000) {
		if (raw_send(r, " ", 1) != 0)
			break;
		if ((got = raw_response(r, &s, 200, 0)) == 0)
			break;
	}
	took = proc_now_ms() - t0;
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(s.status, 408);
	ck_assert_ptr_nonnull(strstr(error_message(&s), "body"));
	ck_assert_int_ge(took, T_BODY_S * 1000 - 100);
	ck_assert_int_lt(took, T_BODY_S * 1000 + 1500);
	ck_assert(raw_closed(r, 3000));
	resp_free(&s);
	raw_close(r);
	assert_alive();
}
END_TEST

START_TEST(idle_keep_alive_is_closed)
{
	raw *r = raw_open();
	resp s;

	raw_sends(r, "GET /t/info HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	ck_assert_ptr_null(resp_header(&s, "Connection"));
	resp_free(&s);
	long long t0 = proc_now_ms();
	ck_assert(raw_closed(r, T_IDLE_S * 1000 + 2000));
	long long took = proc_now_ms() - t0;
	ck_assert_int_ge(took, T_IDLE_S * 1000 - 100);
	raw_close(r);
	assert_alive();
}
END_TEST

START_TEST(client_timeout_is_an_alias_of_idle_timeout)
{
	/* start_gateway sets GATEWAY_IDLE_TIMEOUT_S; this test wants the old
	 * name alone, so it runs its own gateway without it. */
	char port_env[32], log[128];
	ck_assert_int_eq(proc_stop(gw_pid, 5000), 0);
	port = free_port();
	snprintf(port_env, sizeof port_env, "PORT=%d", port);
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", port);
	const char *env[] = {port_env, "BIND_ADDR=127.0.0.1",
	                     "GATEWAY_CLIENT_TIMEOUT_S=1", NULL};
	snprintf(log, sizeof log, "%s/gateway2.log", dir);
	gw_pid = proc_start(proc_bin_path("gateway"), env, log);
	long long until = proc_now_ms() + 5000;
	while (proc_now_ms() < until && get_status("/healthz") != 200)
		proc_sleep_ms(10);

	raw *r = raw_open();
	resp s;
	raw_sends(r, "GET /t/info HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	resp_free(&s);
	long long t0 = proc_now_ms();
	ck_assert(raw_closed(r, 3000));
	ck_assert_int_ge(proc_now_ms() - t0, 900);
	ck_assert_int_lt(proc_now_ms() - t0, 2000);
	raw_close(r);
	assert_alive();
}
END_TEST

/* 50 clients each send a header byte every 200 ms; each is cut at the
 * header deadline while a normal client is served throughout. */
START_TEST(slowloris_is_cut_while_others_are_served)
{
	enum { N = 50 };
	raw *slow[N];
	long long cut_at[N] = {0}, t0 = proc_now_ms(), next_byte = t0;
	int statuses[N] = {0}, open = N, served = 0;
	long long worst = 0;

	for (int i = 0; i < N; i++) {
		slow[i] = raw_open();
		raw_sends(slow[i], "GET /t/info HTTP/1.1\r\n");
	}
	while (open > 0 && proc_now_ms() - t0 < 6000) {
		if (proc_now_ms() >= next_byte) {
			for (int i = 0; i < N; i++)
				if (!cut_at[i])
					raw_send(slow[i], "Y", 1);
			next_byte += 200;
		}
		for (int i = 0; i < N; i++) {
			resp s;
			if (cut_at[i])
				continue;
			if (raw_response(slow[i], &s, 0, 0) == 0) {
				statuses[i] = s.status;
				resp_free(&s);
			} else if (!slow[i]->eof) {
				continue;
			}
			cut_at[i] = proc_now_ms();
			open--;
		}
		long long q0 = proc_now_ms();
		ck_assert_int_eq(get_status("/t/info"), 200);
		served++;
		if (proc_now_ms() - q0 > worst)
			worst = proc_now_ms() - q0;
	}
	ck_assert_int_eq(open, 0);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(statuses[i], 408);
		ck_assert_int_ge(cut_at[i] - t0, T_HEADER_S * 1000 - 100);
		ck_assert_int_lt(cut_at[i] - t0, T_HEADER_S * 1000 + 1500);
		raw_close(slow[i]);
	}
	ck_assert_int_ge(served, 5);
	ck_assert_int_lt(worst, 500);
	assert_alive();
}
END_TEST

/* ---- Keep-alive, pipelining, HTTP/1.0, HEAD --------------------------- */

START_TEST(keep_alive_cap_closes_after_the_last_request)
{
	/* This gateway allows 5 requests per connection. */
	ck_assert_int_eq(proc_stop(gw_pid, 5000), 0);
	start_gateway(
	    (const char *[]){"GATEWAY_MAX_REQUESTS_PER_CONN=5", NULL});
	raw *r = raw_open();
	resp s;

	for (int i = 1; i <= 5; i++) {
		raw_sends(r, "GET /t/info HTTP/1.1\r\n\r\n");
		ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
		ck_assert_int_eq(s.status, 200);
		const char *conn = resp_header(&s, "Connection");
		if (i < 5)
			ck_assert_ptr_null(conn);
		else
			ck_assert_str_eq(conn, "close");
		resp_free(&s);
	}
	ck_assert(raw_closed(r, 3000));
	raw_close(r);
	assert_alive();
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
	raw *r = raw_open();
	resp s;

	/* A slow call first: the fast ones behind it wait their turn. */
	raw_sends(r, "POST /t/sleep HTTP/1.1\r\nX-Request-Id: p-1\r\n"
	             "Content-Length: 10\r\n\r\n{\"ms\":300}"
	             "GET /t/info HTTP/1.1\r\nX-Request-Id: p-2\r\n\r\n"
	             "POST /t/echo HTTP/1.1\r\nX-Request-Id: p-3\r\n"
	             "Content-Length: 7\r\n\r\n{\"n\":3}"
	             "GET /healthz HTTP/1.1\r\nX-Request-Id: p-4\r\n\r\n");
	for (int i = 1; i <= 4; i++) {
		char id[16];
		snprintf(id, sizeof id, "p-%d", i);
		ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
		ck_assert_int_eq(s.status, 200);
		ck_assert_str_eq(resp_header(&s, "X-Request-Id"), id);
		if (i == 3)
			ck_assert_int_eq(
			    json_integer_value(json_object_get(s.json, "n")),
			    3);
		resp_free(&s);
	}
	raw_close(r);
	assert_alive();
}
END_TEST

START_TEST(http10_closes_unless_keep_alive_is_asked)
{
	raw *r = raw_open();
	resp s;

	raw_sends(r, "GET /t/info HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	ck_assert_str_eq(resp_header(&s, "Connection"), "close");
	resp_free(&s);
	ck_assert(raw_closed(r, 3000));
	raw_close(r);

	r = raw_open();
	for (int i = 0; i < 2; i++) {
		raw_sends(r, "GET /t/info HTTP/1.0\r\n"
		             "Connection: keep-alive\r\n\r\n");
		ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
		ck_assert_int_eq(s.status, 200);
		ck_assert_str_eq(resp_header(&s, "Connection"), "keep-alive");
		resp_free(&s);
	}
	raw_close(r);

	/* HTTP/1.1 asking to close is closed. */
	r = raw_open();
	raw_sends(r, "GET /t/info HTTP/1.1\r\nConnection: close\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_str_eq(resp_header(&s, "Connection"), "close");
	resp_free(&s);
	ck_assert(raw_closed(r, 3000));
	raw_close(r);
	assert_alive();
}
END_TEST

START_TEST(head_has_the_length_and_no_body)
{
	raw *r = raw_open();
	resp s;

	raw_sends(r, "HEAD /healthz HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 1), 0);
	ck_assert_int_eq(s.status, 200);
	ck_assert_int_gt(atoi(resp_header(&s, "Content-Length")), 10);
	resp_free(&s);
	raw_sends(r, "HEAD /t/items/7 HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 1), 0);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	/* No stray body: the next response starts right there. */
	raw_sends(r, "GET /t/items/7 HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(r, &s, 5000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(s.json, "id")), "7");
	resp_free(&s);
	raw_close(r);
	assert_alive();
}
END_TEST

/* ---- Connection cap, backpressure, drain ------------------------------ */

START_TEST(connections_over_the_cap_get_503)
{
	enum { CAP = 4 };
	raw *held[CAP];
	resp s;

	ck_assert_int_eq(proc_stop(gw_pid, 5000), 0);
	start_gateway((const char *[]){"GATEWAY_MAX_CONNECTIONS=4", NULL});
	for (int i = 0; i < CAP; i++) {
		held[i] = raw_open();
		raw_sends(held[i], "GET /t/info HTTP/1.1\r\n\r\n");
		ck_assert_int_eq(raw_response(held[i], &s, 5000, 0), 0);
		ck_assert_int_eq(s.status, 200);
		resp_free(&s);
	}
	/* Even 100 more at once neither crash nor hang the gateway. */
	raw *extra[100];
	for (int i = 0; i < 100; i++)
		extra[i] = raw_open();
	int got503 = 0;
	for (int i = 0; i < 100; i++) {
		raw_sends(extra[i], "GET /t/info HTTP/1.1\r\n\r\n");
		if (raw_response(extra[i], &s, 3000, 0) == 0) {
			ck_assert_int_eq(s.status, 503);
			ck_assert_str_eq(error_code(&s), "unavailable");
			ck_assert_str_eq(resp_header(&s, "Connection"),
			                 "close");
			got503++;
			resp_free(&s);
		}
		ck_assert(raw_closed(extra[i], 3000));
		raw_close(extra[i]);
	}
	ck_assert_int_ge(got503, 60);
	/* The held ones still work; once they close, capacity is back. */
	raw_sends(held[0], "GET /t/info HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(held[0], &s, 5000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	resp_free(&s);
	for (int i = 0; i < CAP; i++)
		raw_close(held[i]);
	long long until = proc_now_ms() + 3000;
	while (proc_now_ms() < until && get_status("/t/info") != 200)
		proc_sleep_ms(20);
	assert_alive();
}
END_TEST

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* GET /t/echo requests the gateway has passed on, from /metrics; -1
 * (with why) when /metrics does not say within a few seconds. */
static long echo_served(char *why, size_t why_len)
{
	static const char *key =
	    "gateway_http_requests_total{method=\"GET\",route=\"/t/echo\"} ";
	char url[128];
	long n = -1;
	long long until = proc_now_ms() + 5000;

	snprintf(url, sizeof url, "%s/metrics", base_url);
	while (n < 0 && proc_now_ms() < until) {
		http_result r = http_do("GET", url, NULL, 0, NULL, 3000);
		const char *at = r.body ? strstr(r.body, key) : NULL;
		if (at)
			n = strtol(at + strlen(key), NULL, 10);
		else
			snprintf(why, why_len, "/metrics: status %ld, curl %d",
			         r.status, r.curl_error);
		http_result_free(&r);
	}
	return n;
}

static size_t count_of(const char *hay, size_t n, const char *needle)
{
	size_t count = 0, nl = strlen(needle);
	const char *p = hay, *end = hay + n;

	while ((p = memmem(p, (size_t)(end - p), needle, nl))) {
		count++;
		p += nl;
	}
	return count;
}

START_TEST(a_client_that_never_reads_is_bounded_then_cut)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int small = 4096, fd;
	char req[1200];
	long before;

	ck_assert_int_eq(proc_stop(gw_pid, 5000), 0);
	start_gateway(
	    (const char *[]){"GATEWAY_MAX_REQUESTS_PER_CONN=1000000", NULL});
	before = rss_kb(gw_pid);
	/* Tiny socket buffers, requests with big answers, never read. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	int n = snprintf(req, sizeof req, "GET /t/echo?pad=");
	memset(req + n, 'z', 1000);
	n += 1000;
	n += snprintf(req + n, sizeof req - (size_t)n,
	              " HTTP/1.1\r\nHost: x\r\n\r\n");
	/* Send until the gateway stops reading: our sends then block for
	 * good (a while without progress). */
	size_t sent = 0, off = 0;
	long long t0 = proc_now_ms(), progress = t0;
	while (proc_now_ms() - progress < 1500 && proc_now_ms() - t0 < 20000) {
		ssize_t w = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			if (off == (size_t)n) {
				sent++;
				off = 0;
			}
			progress = proc_now_ms();
		} else {
			proc_sleep_ms(5);
		}
	}
	ck_assert_msg(proc_now_ms() - t0 < 20000,
	              "the gateway kept reading a client that never reads");
	long during = rss_kb(gw_pid);
	/* The gateway cuts the stalled connection after the write deadline:
	 * reading now finds the answers it had sent, then the end. */
	size_t cap = 64 * MIB, got = 0;
	char *buf = malloc(cap);
	long long until = proc_now_ms() + (T_WRITE_S + T_IDLE_S) * 1000 + 4000;
	int cut = 0;
	proc_sleep_ms((T_WRITE_S + 1) * 1000);
	while (!cut && proc_now_ms() < until && got < cap) {
		ssize_t r = recv(fd, buf + got, cap - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			cut = 1;
		else
			proc_sleep_ms(10);
	}
	size_t answered = count_of(buf, got, "HTTP/1.1 200 OK");
	free(buf);
	close(fd);
	char why[96] = "";
	long served = echo_served(why, sizeof why);
	ck_assert_msg(cut, "the connection was not closed");
	/* It stopped taking requests while we kept sending... */
	ck_assert_msg(served > 0 && served < (long)sent,
	              "served %ld of %zu (%zu answers read) %s", served, sent,
	              answered, why);
#ifndef __SANITIZE_ADDRESS__
	/* ...and held little for it (ASan's quarantine keeps freed memory,
	 * so there RSS says nothing). */
	ck_assert_msg(during - before < 32 * 1024,
	              "gateway grew %ld kB for one client", during - before);
#else
	(void)during;
	(void)before;
#endif
	assert_alive();
}
END_TEST

START_TEST(sigterm_drains)
{
	raw *busy = raw_open(), *idle = raw_open();
	resp s;

	raw_sends(idle, "GET /t/info HTTP/1.1\r\n\r\n");
	ck_assert_int_eq(raw_response(idle, &s, 5000, 0), 0);
	resp_free(&s);
	raw_sends(busy, "POST /t/sleep HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
	                "{\"ms\":500}");
	proc_sleep_ms(100); /* the call is under way */
	kill(gw_pid, SIGTERM);
	/* The idle connection closes at once; the busy one is answered,
	 * told to close, and closed. */
	ck_assert(raw_closed(idle, 1000));
	ck_assert_int_eq(raw_response(busy, &s, 3000, 0), 0);
	ck_assert_int_eq(s.status, 200);
	ck_assert_str_eq(resp_header(&s, "Connection"), "close");
	resp_free(&s);
	ck_assert(raw_closed(busy, 3000));
	raw_close(busy);
	raw_close(idle);
	ck_assert_int_eq(proc_wait(gw_pid, 5000), 0);
	gw_pid = 0;
	start_gateway(NULL);
	assert_alive();
}
END_TEST

/* A call still under way when the drain time runs out: the process
 * exits cleanly (status 0: no leak, no use of a freed connection when
 * libmesh fails the call on its way out). */
START_TEST(sigterm_past_the_drain_time_exits_cleanly)
{
	ck_assert_int_eq(proc_stop(gw_pid, 5000), 0);
	start_gateway((const char *[]){"MESH_DRAIN_MS=200", NULL});
	raw *busy = raw_open();
	raw_sends(busy, "POST /t/sleep HTTP/1.1\r\nContent-Length: 10\r\n\r\n"
	                "{\"ms\":700}");
	proc_sleep_ms(100);
	kill(gw_pid, SIGTERM);
	ck_assert_int_eq(proc_wait(gw_pid, 5000), 0);
	gw_pid = 0;
	ck_assert(raw_closed(busy, 3000));
	raw_close(busy);
	start_gateway(NULL);
	assert_alive();
}
END_TEST

static void start_default(void)
{
	start_gateway(NULL);
}

int main(void)
{
	Suite *s = suite_create("edge_hardening");
	TCase *tc = tcase_create("edge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tc, start_default, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, request_line_over_8k_is_414);
	tcase_add_test(tc, headers_over_16k_or_100_fields_are_431);
	tcase_add_test(tc, body_over_1mib_is_413_before_it_is_read);
	tcase_add_test(tc, ambiguous_framing_is_400_and_closed);
	tcase_add_test(tc, hostile_json_is_400);
	tcase_add_test(tc, header_and_body_deadlines_are_total_not_per_byte);
	tcase_add_test(tc, idle_keep_alive_is_closed);
	tcase_add_test(tc, client_timeout_is_an_alias_of_idle_timeout);
	tcase_add_test(tc, slowloris_is_cut_while_others_are_served);
	tcase_add_test(tc, keep_alive_cap_closes_after_the_last_request);
	tcase_add_test(tc, pipelined_requests_are_answered_in_order);
	tcase_add_test(tc, http10_closes_unless_keep_alive_is_asked);
	tcase_add_test(tc, head_has_the_length_and_no_body);
	tcase_add_test(tc, connections_over_the_cap_get_503);
	tcase_add_test(tc, a_client_that_never_reads_is_bounded_then_cut);
	tcase_add_test(tc, sigterm_drains);
	tcase_add_test(tc, sigterm_past_the_drain_time_exits_cleanly);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
