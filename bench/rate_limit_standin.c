/*
 * rate_limit_standin: what the gateway's per-request rate-limit step costs
 * while services/rate-limit is not built on this branch. bench/run uses it
 * only when bin/rate-limit is missing, and says so in the table: without
 * any rate-limit process the gateway's call fails at once and the edge
 * serves anyway ("fail open", plus a warning line per request), which is
 * not the path production takes.
 *
 * The same contract as the real service's "hit": {"key", "limit",
 * "window_s"} -> {"allowed", "limit", "remaining", "reset_s",
 * "retry_after_s"}, with the work any Redis limiter must do per hit: one
 * round trip running an atomic fixed-window counter (INCR, PEXPIRE on the
 * first hit, PTTL).
 */
#include <stdio.h>
#include <stdlib.h>

#include "mesh.h"

static const char window_lua[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "return {n, redis.call('PTTL', KEYS[1])}";

typedef struct hit_ctx {
	mesh_req *req;
	json_int_t limit;
} hit_ctx;

static void counted(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	hit_ctx *h = arg;
	json_int_t n = json_integer_value(json_array_get(reply, 0));
	json_int_t ttl_ms = json_integer_value(json_array_get(reply, 1));
	json_int_t reset = ttl_ms > 0 ? (ttl_ms + 999) / 1000 : 0;

	if (err != MESH_OK)
		mesh_fail(h->req, err, "%s", msg);
	else
		mesh_reply(h->req,
		           json_pack("{s:b, s:I, s:I, s:I, s:I}", "allowed",
		                     n <= h->limit, "limit", h->limit,
		                     "remaining",
		                     n <= h->limit ? h->limit - n : 0,
		                     "reset_s", reset, "retry_after_s",
		                     n <= h->limit ? 0 : reset));
	free(h);
}

static void hit(mesh_req *req, json_t *args)
{
	const char *key = json_string_value(json_object_get(args, "key"));
	json_int_t limit = json_integer_value(json_object_get(args, "limit"));
	json_int_t window =
	    json_integer_value(json_object_get(args, "window_s"));
	hit_ctx *h;

	if (!key || limit < 1 || window < 1 || window > 86400) {
		mesh_fail(req, MESH_EINVAL,
		          "key, limit >= 1 and window_s 1-86400: expected");
		return;
	}
	if (!(h = malloc(sizeof *h))) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	h->req = req;
	h->limit = limit;
	mesh_kv_commandf(counted, h, "EVAL %s 1 %s %lld", window_lua,
	                 mesh_kv_key("hits", key), (long long)window * 1000);
}

static const mesh_method methods[] = {{"hit", hit}, {NULL, NULL}};

static const mesh_service_def service = {
    .name = "rate-limit",
    .methods = methods,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
