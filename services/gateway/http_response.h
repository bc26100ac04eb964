/*
 * http_response.h: answering the request a connection holds. A response
 * is built in one buffer and handed to the socket with one evbuffer add:
 * status line, Content-Length, Connection, the headers added before, and
 * the body (left out for HEAD, and for 204 and 304).
 */
#ifndef GATEWAY_HTTP_RESPONSE_H
#define GATEWAY_HTTP_RESPONSE_H

#include <jansson.h>
#include <stddef.h>

#include "gateway/http_server.h"

/* Added headers of one response, at most (the rest are dropped). */
#define HTTP_MAX_RESPONSE_HEADER_BYTES (16 * 1024)

/* Adds a header to the coming response. A name that is not an HTTP token
 * or a value with CR, LF or NUL is dropped (a service's "_http" headers
 * cannot split a response). 0, or -1 when dropped. */
int http_res_header(http_conn *c, const char *name, const char *value);
/* Sends the response; c is answered (and may be gone) afterwards. */
void http_res_send(http_conn *c, int status, const char *content_type,
                   const char *body, size_t len);
/* Sends a JSON value (stolen; NULL sends no body) as application/json. */
void http_res_send_json(http_conn *c, int status, json_t *body);
/* Sends {"error":{"code","message","request_id"}}. */
void http_res_error(http_conn *c, int status, const char *code,
                    const char *message, const char *request_id);

#endif
