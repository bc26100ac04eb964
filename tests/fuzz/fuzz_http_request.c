/* libFuzzer target: bytes as a client's request stream through the
 * gateway's parser and limits (http_request), then each complete request
 * through the route match and the request-to-call mapping (edge_map)
 * against the real manifest. No I/O. The first byte sets how the stream
 * is cut into reads (0: all at once; n: n bytes at a time), since a
 * parser's bugs hide at read boundaries. Anything must end as a request,
 * a refusal with a status we answer, or a wait for more bytes, without
 * crashing or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/edge_map.h"
#include "gateway/http_request.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static manifest *real;

static void check_refusal(const http_request *r)
{
	switch (r->error_status) {
	case 400:
	case 413:
	case 414:
	case 417:
	case 431:
		break;
	default:
		abort();
	}
	if (!r->error_code || !r->error_msg[0])
		abort();
}

static void check_request(const http_request *r)
{
	edge_plan plan;

	if (!r->method || !r->path || !r->target || r->path[0] == '\0' ||
	    r->n_fields > HTTP_MAX_HEADER_FIELDS ||
	    r->body_len > HTTP_MAX_BODY ||
	    r->header_bytes > HTTP_MAX_HEADER_BYTES)
		abort();
	for (size_t i = 0; i < r->n_fields; i++)
		if (!r->fields[i].name || !r->fields[i].value)
			abort();
	edge_map(real, r, "127.0.0.1", &plan);
	switch (plan.kind) {
	case EDGE_CALL:
		if (!plan.route || !json_is_object(plan.args) ||
		    !json_is_object(json_object_get(plan.args, "_meta")))
			abort();
		break;
	case EDGE_REFUSE:
		if (plan.status < 400 || plan.status > 499 || !plan.code ||
		    !plan.message[0] || plan.args)
			abort();
		break;
	case EDGE_PREFLIGHT:
		if (!plan.allow[0])
			abort();
		break;
	case EDGE_OPS:
		break;
	}
	edge_plan_clear(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	http_request r;

	if (!real) {
		const char *path = getenv("MESH_MANIFEST");
		real = manifest_load_file(path ? path : "proto/mesh.json", err,
		                          sizeof err);
		if (!real)
			abort();
	}
	if (size == 0)
		return 0;
	size_t step = data[0] ? data[0] : size;
	const char *p = (const char *)data + 1;
	size_t left = size - 1;
	http_request_init(&r);
	while (left > 0) {
		size_t n = left < step ? left : step, used = 0;
		http_req_state st = http_request_feed(&r, p, n, &used);
		if (used > n)
			abort();
		p += used;
		left -= used;
		if (st == HTTP_REQ_FAILED) {
			check_refusal(&r);
			break;
		}
		if (st == HTTP_REQ_COMPLETE) {
			check_request(&r);
			http_request_reset(&r);
		} else if (used != n) {
			abort(); /* a parser that stops must say why */
		}
	}
	http_request_free(&r);
	return 0;
}
