#include "http_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CB_NONE, CB_URL, CB_FIELD, CB_VALUE };

/* RFC 9110 token characters: what a header name is made of. */
#define HTTP_TOKEN_CHARS                                                       \
	"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"                  \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static http_request *req_of(http_parser *p)
{
	return p->data;
}

void http_request_fail(http_request *r, int status, const char *code,
                       const char *msg)
{
	r->state = HTTP_REQ_FAILED;
	r->error_status = status;
	r->error_code = code;
	snprintf(r->error_msg, sizeof r->error_msg, "%s", msg);
}

static int fail_cb(http_request *r, int status, const char *code,
                   const char *msg)
{
	http_request_fail(r, status, code, msg);
	return -1;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 512;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

static int arena_add(http_request *r, const char *s, size_t len)
{
	if (grow(&r->arena, &r->arena_cap, r->arena_len + len + 1) != 0)
		return fail_cb(r, 503, "unavailable", "out of memory");
	memcpy(r->arena + r->arena_len, s, len);
	r->arena_len += len;
	return 0;
}

/* Ends what the last callback was filling: the target, a name or a
 * value (an empty value gets no callback of its own). */
static int arena_close(http_request *r)
{
	if (r->last_cb == CB_VALUE) {
		uint32_t start = r->field_off[r->n_fields - 1][1];
		while (r->arena_len > start &&
		       (r->arena[r->arena_len - 1] == ' ' ||
		        r->arena[r->arena_len - 1] == '\t'))
			r->arena_len--;
	}
	if (arena_add(r, "", 1) != 0)
		return -1;
	if (r->last_cb == CB_FIELD) {
		r->field_off[r->n_fields - 1][1] = (uint32_t)r->arena_len;
		return arena_add(r, "", 1);
	}
	return 0;
}

static int on_message_begin(http_parser *p)
{
	req_of(p)->state = HTTP_REQ_HEADERS;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	http_request *r = req_of(p);
	size_t line;

	r->url_len += len;
	line = strlen(http_method_str((enum http_method)p->method)) + 1 +
	       r->url_len + sizeof " HTTP/1.1" - 1;
	if (line > HTTP_MAX_REQUEST_LINE) {
		char msg[96];
		snprintf(msg, sizeof msg, "request line over %d bytes",
		         HTTP_MAX_REQUEST_LINE);
		return fail_cb(r, 414, "uri_too_long", msg);
	}
	r->last_cb = CB_URL;
	return arena_add(r, at, len);
}

static int header_bytes_add(http_request *r, size_t n)
{
	char msg[96];

	r->header_bytes += n;
	if (r->header_bytes <= HTTP_MAX_HEADER_BYTES)
		return 0;
	snprintf(msg, sizeof msg, "headers over %d bytes",
	         HTTP_MAX_HEADER_BYTES);
	return fail_cb(r, 431, "headers_too_large", msg);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	http_request *r = req_of(p);

	if (r->state != HTTP_REQ_HEADERS) { /* a trailer: counted, not kept */
		size_t n = len + (r->last_cb != CB_FIELD ? 4 : 0);
		r->last_cb = CB_FIELD;
		return header_bytes_add(r, n);
	}
	if (r->last_cb != CB_FIELD) {
		if (arena_close(r) != 0)
			return -1;
		if (r->n_fields == HTTP_MAX_HEADER_FIELDS) {
			char msg[96];
			snprintf(msg, sizeof msg, "over %d header fields",
			         HTTP_MAX_HEADER_FIELDS);
			return fail_cb(r, 431, "headers_too_large", msg);
		}
		r->field_off[r->n_fields][0] = (uint32_t)r->arena_len;
		r->field_off[r->n_fields][1] = 0;
		r->n_fields++;
		if (header_bytes_add(r, 4) != 0)
			return -1;
	}
	r->last_cb = CB_FIELD;
	if (header_bytes_add(r, len) != 0)
		return -1;
	return arena_add(r, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	http_request *r = req_of(p);

	if (r->state != HTTP_REQ_HEADERS) {
		r->last_cb = CB_VALUE;
		return header_bytes_add(r, len);
	}
	if (r->last_cb == CB_FIELD) {
		if (arena_add(r, "", 1) != 0)
			return -1;
		r->field_off[r->n_fields - 1][1] = (uint32_t)r->arena_len;
	}
	r->last_cb = CB_VALUE;
	if (header_bytes_add(r, len) != 0)
		return -1;
	return arena_add(r, at, len);
}

/* The target split into path and query, copied after the fields. */
static int split_target(http_request *r, size_t *path_off, size_t *query_off)
{
	struct http_parser_url u;

	http_parser_url_init(&u);
	if (r->url_len == 0 ||
	    http_parser_parse_url(r->arena, r->url_len,
	                          r->parser.method == HTTP_CONNECT, &u) != 0)
		return fail_cb(r, 400, "bad_request",
		               "request target: cannot be parsed");
	/* Room for both copies first: the copies read from the arena. */
	if (grow(&r->arena, &r->arena_cap, r->arena_len + r->url_len + 4) != 0)
		return fail_cb(r, 503, "unavailable", "out of memory");
	*path_off = r->arena_len;
	if (u.field_set & (1 << UF_PATH))
		arena_add(r, r->arena + u.field_data[UF_PATH].off,
		          u.field_data[UF_PATH].len);
	else
		arena_add(r, "/", 1);
	arena_add(r, "", 1);
	*query_off = 0;
	if (u.field_set & (1 << UF_QUERY)) {
		*query_off = r->arena_len;
		arena_add(r, r->arena + u.field_data[UF_QUERY].off,
		          u.field_data[UF_QUERY].len);
		arena_add(r, "", 1);
	}
	return 0;
}

/* Framing the parser allows but a proxy in front of us might read
 * differently: refused, so both always agree on where a request ends. */
static int check_framing(http_request *r)
{
	const char *te = NULL;
	size_t n_te = 0, n_cl = 0;

	for (size_t i = 0; i < r->n_fields; i++) {
		/* "Transfer-Encoding : chunked" must not mean chunked to
		 * one reader and nothing to another. */
		const char *n = r->fields[i].name;
		if (!*n || n[strspn(n, HTTP_TOKEN_CHARS)])
			return fail_cb(r, 400, "bad_request",
			               "a header name is not a token");
		if (strcasecmp(r->fields[i].name, "Transfer-Encoding") == 0) {
			te = r->fields[i].value;
			n_te++;
		} else if (strcasecmp(r->fields[i].name, "Content-Length") ==
		           0) {
			n_cl++;
		}
	}
	if (n_cl > 1)
		return fail_cb(r, 400, "bad_request",
		               "Content-Length: sent more than once");
	if (n_te && n_cl)
		return fail_cb(r, 400, "bad_request",
		               "Content-Length and Transfer-Encoding together");
	if (n_te > 1 || (te && strcasecmp(te, "chunked") != 0))
		return fail_cb(
		    r, 400, "bad_request",
		    "Transfer-Encoding: only \"chunked\" is accepted");
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	http_request *r = req_of(p);
	size_t path_off, query_off;
	const char *expect;
	int chunked = (p->flags & F_CHUNKED) != 0;
	int has_length = (p->flags & F_CONTENTLENGTH) != 0;

	if (r->last_cb == CB_URL || r->last_cb == CB_VALUE ||
	    r->last_cb == CB_FIELD) {
		if (arena_close(r) != 0)
			return -1;
	}
	if (split_target(r, &path_off, &query_off) != 0)
		return -1;
	/* The arena is complete: pointers into it stay valid. */
	for (size_t i = 0; i < r->n_fields; i++) {
		r->fields[i].name = r->arena + r->field_off[i][0];
		r->fields[i].value = r->arena + r->field_off[i][1];
	}
	r->target = r->arena;
	r->path = r->arena + path_off;
	r->query = query_off ? r->arena + query_off : NULL;
	r->method = http_method_str((enum http_method)p->method);
	r->http_minor = p->http_minor;
	r->keep_alive = http_should_keep_alive(p);
	r->state = HTTP_REQ_BODY;
	r->last_cb = CB_NONE; /* trailers, if any, start afresh */
	if (p->http_major != 1)
		return fail_cb(r, 400, "bad_request",
		               "HTTP version: expected HTTP/1.0 or HTTP/1.1");
	if (check_framing(r) != 0)
		return -1;
	if (has_length && p->content_length > HTTP_MAX_BODY) {
		char msg[96];
		snprintf(msg, sizeof msg, "body over %d bytes", HTTP_MAX_BODY);
		return fail_cb(r, 413, "payload_too_large", msg);
	}
	expect = http_request_header(r, "Expect");
	if (expect) {
		if (strcasecmp(expect, "100-continue") != 0)
			return fail_cb(r, 417, "expectation_failed",
			               "Expect: only \"100-continue\" is "
			               "understood");
		r->want_continue =
		    r->http_minor >= 1 &&
		    (chunked || (has_length && p->content_length > 0));
	}
	if (has_length && p->content_length > r->body_cap &&
	    grow(&r->body, &r->body_cap, p->content_length) != 0)
		return fail_cb(r, 503, "unavailable", "out of memory");
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	http_request *r = req_of(p);

	if (len > HTTP_MAX_BODY - r->body_len) {
		char msg[96];
		snprintf(msg, sizeof msg, "body over %d bytes", HTTP_MAX_BODY);
		return fail_cb(r, 413, "payload_too_large", msg);
	}
	if (grow(&r->body, &r->body_cap, r->body_len + len + 1) != 0)
		return fail_cb(r, 503, "unavailable", "out of memory");
	memcpy(r->body + r->body_len, at, len);
	r->body_len += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	http_request *r = req_of(p);

	r->state = HTTP_REQ_COMPLETE;
	if (r->body)
		r->body[r->body_len] = '\0';
	/* Stop here: the bytes after this are the next request's. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void http_request_init(http_request *r)
{
	memset(r, 0, sizeof *r);
	http_parser_set_max_header_size(HTTP_MAX_HEAD_RAW);
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
}

void http_request_reset(http_request *r)
{
	if (r->arena_cap > HTTP_KEEP_BYTES) {
		free(r->arena);
		r->arena = NULL;
		r->arena_cap = 0;
	}
	if (r->body_cap > HTTP_KEEP_BYTES) {
		free(r->body);
		r->body = NULL;
		r->body_cap = 0;
	}
	http_parser_init(&r->parser, HTTP_REQUEST);
	r->parser.data = r;
	r->state = HTTP_REQ_IDLE;
	r->arena_len = r->url_len = r->header_bytes = 0;
	r->last_cb = CB_NONE;
	r->method = r->target = r->path = r->query = NULL;
	r->n_fields = 0;
	r->keep_alive = r->upgrade = r->want_continue = 0;
	r->body_len = 0;
	r->error_status = 0;
	r->error_code = NULL;
	r->error_msg[0] = '\0';
}

void http_request_free(http_request *r)
{
	free(r->arena);
	free(r->body);
	r->arena = r->body = NULL;
	r->arena_cap = r->body_cap = 0;
}

/* Parser errors the callbacks did not already explain. */
static void fail_parse(http_request *r, enum http_errno e)
{
	char msg[160];

	switch (e) {
	case HPE_HEADER_OVERFLOW:
		if (r->n_fields == 0 && r->last_cb != CB_FIELD) {
			snprintf(msg, sizeof msg, "request line over %d bytes",
			         HTTP_MAX_REQUEST_LINE);
			http_request_fail(r, 414, "uri_too_long", msg);
		} else {
			snprintf(msg, sizeof msg, "headers over %d bytes",
			         HTTP_MAX_HEADER_BYTES);
			http_request_fail(r, 431, "headers_too_large", msg);
		}
		return;
	case HPE_INVALID_CONTENT_LENGTH:
		http_request_fail(r, 400, "bad_request",
		                  "Content-Length: expected a non-negative "
		                  "decimal number");
		return;
	case HPE_UNEXPECTED_CONTENT_LENGTH:
		http_request_fail(r, 400, "bad_request",
		                  "Content-Length: repeated, or sent with "
		                  "Transfer-Encoding");
		return;
	case HPE_INVALID_TRANSFER_ENCODING:
		http_request_fail(
		    r, 400, "bad_request",
		    "Transfer-Encoding: only \"chunked\" is accepted");
		return;
	default:
		snprintf(msg, sizeof msg, "malformed HTTP request: %s",
		         http_errno_description(e));
		http_request_fail(r, 400, "bad_request", msg);
	}
}

http_req_state http_request_feed(http_request *r, const char *data, size_t len,
                                 size_t *used)
{
	enum http_errno e;

	*used = 0;
	if (r->state == HTTP_REQ_COMPLETE || r->state == HTTP_REQ_FAILED ||
	    len == 0)
		return r->state;
	*used = http_parser_execute(&r->parser, &settings, data, len);
	if (r->state == HTTP_REQ_FAILED)
		return r->state;
	e = HTTP_PARSER_ERRNO(&r->parser);
	if (e == HPE_PAUSED && r->state == HTTP_REQ_COMPLETE) {
		r->upgrade = r->parser.upgrade;
		return r->state;
	}
	if (e != HPE_OK)
		fail_parse(r, e);
	return r->state;
}

const char *http_request_header(const http_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}
