#include "http_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/http_conn.h"

/* The status line and the headers we write ourselves, at most. */
#define HTTP_HEAD_FIXED_MAX 256
/* The shared build buffer is given back past this size. */
#define HTTP_SCRATCH_KEEP (256 * 1024)

/* One buffer for every response: a response is built and copied into the
 * socket's buffer before the next one starts (one loop, no threads). */
static char *scratch;
static size_t scratch_cap;

static int scratch_fit(size_t need)
{
	size_t n = scratch_cap ? scratch_cap : 16384;
	char *p;

	if (need <= scratch_cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(scratch, n);
	if (!p)
		return -1;
	scratch = p;
	scratch_cap = n;
	return 0;
}

static void scratch_trim(void)
{
	if (scratch_cap > HTTP_SCRATCH_KEEP) {
		free(scratch);
		scratch = NULL;
		scratch_cap = 0;
	}
}

static int is_token_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch);
}

int http_res_header(http_conn *c, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), need;

	if (nl == 0)
		return -1;
	for (size_t i = 0; i < nl; i++)
		if (!is_token_char((unsigned char)name[i]))
			return -1;
	if (strpbrk(value, "\r\n"))
		return -1;
	need = c->out_len + nl + vl + 4;
	if (need > HTTP_MAX_RESPONSE_HEADER_BYTES)
		return -1;
	if (need > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 512;
		while (cap < need)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p)
			return -1;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, name, nl);
	memcpy(c->out + c->out_len + nl, ": ", 2);
	memcpy(c->out + c->out_len + nl + 2, value, vl);
	memcpy(c->out + c->out_len + nl + 2 + vl, "\r\n", 2);
	c->out_len = need;
	return 0;
}

/* "Date: Tue, 15 Nov 1994 08:12:31 GMT", made once a second. */
static const char *date_header(void)
{
	static char buf[64];
	static time_t made;
	time_t now = time(NULL);

	if (now != made || !buf[0]) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n",
		         &tm);
		made = now;
	}
	return buf;
}

static const char *reason(int status)
{
	const char *r = http_status_str((enum http_status)status);

	return r && strcmp(r, "<unknown>") != 0 ? r : "Status";
}

/* The body is already in the scratch buffer at offset room, blen long:
 * the head goes right before it, and both leave in one add. */
static void send_built(http_conn *c, int status, const char *content_type,
                       size_t room, size_t blen)
{
	char fixed[HTTP_HEAD_FIXED_MAX];
	int bodiless = status == 204 || status == 304 || status < 200;
	int head_only = c->req.method && strcmp(c->req.method, "HEAD") == 0 &&
	                c->req.state == HTTP_REQ_COMPLETE;
	int last = http_conn_last_response(c);
	int n;

	n = snprintf(fixed, sizeof fixed, "HTTP/1.1 %d %s\r\n%s", status,
	             reason(status), date_header());
	if (!bodiless)
		n += snprintf(fixed + n, sizeof fixed - (size_t)n,
		              "Content-Type: %s\r\nContent-Length: %zu\r\n",
		              content_type, blen);
	if (last)
		n += snprintf(fixed + n, sizeof fixed - (size_t)n,
		              "Connection: close\r\n");
	else if (c->req.http_minor == 0)
		n += snprintf(fixed + n, sizeof fixed - (size_t)n,
		              "Connection: keep-alive\r\n");
	size_t head = (size_t)n + c->out_len + 2;
	char *start = scratch + room - head;
	memcpy(start, fixed, (size_t)n);
	memcpy(start + n, c->out, c->out_len);
	memcpy(start + n + c->out_len, "\r\n", 2);
	c->out_len = 0;
	if (c->out_cap > HTTP_MAX_RESPONSE_HEADER_BYTES / 4) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	http_conn_write(c, start, head + (bodiless || head_only ? 0 : blen));
	scratch_trim();
}

static size_t head_room(const http_conn *c)
{
	return HTTP_HEAD_FIXED_MAX + c->out_len + 2;
}

/* Out of memory for a response: close without one rather than crash. */
static void send_nothing(http_conn *c)
{
	c->out_len = 0;
	c->must_close = 1;
	http_conn_write(c, "", 0);
}

void http_res_send(http_conn *c, int status, const char *content_type,
                   const char *body, size_t len)
{
	size_t room = head_room(c);

	if (scratch_fit(room + len) != 0) {
		send_nothing(c);
		return;
	}
	if (len)
		memcpy(scratch + room, body, len);
	send_built(c, status, content_type, room, len);
}

void http_res_send_json(http_conn *c, int status, json_t *body)
{
	const size_t flags =
	    JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12);
	size_t room = head_room(c), n = 0, avail = 0;

	if (scratch_fit(room + 4096) != 0) {
		json_decref(body);
		send_nothing(c);
		return;
	}
	if (body) {
		/* Most bodies fit at once; a larger one is dumped again
		 * into a buffer of its size. */
		avail = scratch_cap - room - 1;
		n = json_dumpb(body, scratch + room, avail, flags);
		if (n >= avail && scratch_fit(room + n + 2) == 0) {
			avail = scratch_cap - room - 1;
			n = json_dumpb(body, scratch + room, avail, flags);
		}
		json_decref(body);
		if (n == 0 || n >= avail) {
			send_nothing(c);
			return;
		}
		scratch[room + n++] = '\n';
	}
	send_built(c, status, "application/json", room, n);
}

void http_res_error(http_conn *c, int status, const char *code,
                    const char *message, const char *request_id)
{
	json_t *m = json_string(message);

	http_res_send_json(c, status,
	                   json_pack("{s:{s:s, s:o, s:s}}", "error", "code",
	                             code, "message",
	                             m ? m : json_string("(message not UTF-8)"),
	                             "request_id", request_id));
}
