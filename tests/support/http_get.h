/*
 * http_get.h: blocking HTTP requests for tests (libcurl easy: tests are
 * not event loops), with the status, headers and body kept for asserts.
 */
#ifndef TEST_HTTP_GET_H
#define TEST_HTTP_GET_H

#include <jansson.h>
#include <stddef.h>

typedef struct http_result {
	long status;
	char *body; /* NUL-terminated */
	size_t body_len;
	char *headers;  /* raw response header block */
	json_t *json;   /* the body parsed, or NULL */
	int curl_error; /* 0 when a response arrived */
} http_result;

/* method "GET"/"POST"/...; body may be NULL; headers NULL-terminated
 * "Name: value" lines or NULL. timeout_ms bounds the whole exchange. */
http_result http_do(const char *method, const char *url, const char *body,
                    size_t body_len, const char *const *headers,
                    long timeout_ms);
/* A response header's value (case-insensitive name), or NULL. Static
 * buffer. */
const char *http_header(const http_result *r, const char *name);
void http_result_free(http_result *r);

#endif
