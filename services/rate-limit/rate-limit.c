/*
 * rate-limit: hit(key, limit, window_s) counted atomically in Redis by one
 * Lua script (algorithm in rate_hit.h). The gateway calls it per API key
 * and per client address and answers 429 when a hit is not allowed.
 * The script runs by EVALSHA (mesh_kv_eval).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"
#include "rate-limit/hit_script.h"
#include "rate-limit/rate_hit.h"

/* The Redis key: "rate-limit:w:<window_s>:<key>", the key at most
 * RATE_KEY_MAX bytes. */
#define RKEY_MAX (sizeof "rate-limit:w::" + RATE_DECIMAL_MAX + RATE_KEY_MAX)

static mesh_kv_script hit_eval = MESH_KV_SCRIPT(hit_script);
/* RATE_BUCKETS as the script's argument, written once. */
static char buckets_arg[12];

typedef struct hit_op {
	mesh_req *req;
	rate_hit_args a;
	char rkey[RKEY_MAX];
	char limit_s[RATE_DECIMAL_MAX];
	char window_ms_s[RATE_DECIMAL_MAX];
} hit_op;

static void hit_counted(void *arg, mesh_err err, const char *msg,
                        json_t *result)
{
	hit_op *op = arg;
	json_t *reply;
	int healed = 0;

	if (err != MESH_OK) {
		mesh_log(op->req, MESH_LOG_ERROR, NULL, "hit: store: %s", msg);
		mesh_fail(op->req,
		          err == MESH_EUNAVAILABLE ? err : MESH_EINTERNAL,
		          "rate-limit store unavailable");
		free(op);
		return;
	}
	reply = rate_hit_reply(&op->a, result, &healed);
	if (reply && healed)
		mesh_log(
		    op->req, MESH_LOG_WARN, NULL,
		    "hit: %s: the bucket hash was rebuilt (an older layout "
		    "or damaged fields)",
		    op->a.key);
	if (!reply) {
		mesh_log(op->req, MESH_LOG_ERROR, NULL,
		         "hit: the script answered an unexpected shape");
		mesh_fail(op->req, MESH_EINTERNAL,
		          "rate-limit store answered "
		          "an unexpected shape");
	} else {
		mesh_reply(op->req, reply);
	}
	free(op);
}

static void hit_run(hit_op *op)
{
	const char *argv[] = {"1", op->rkey, op->limit_s, op->window_ms_s,
	                      buckets_arg};

	mesh_kv_eval(&hit_eval, hit_counted, op, 5, argv, NULL);
}

/* {key, limit, window_s} -> {allowed, limit, remaining, reset_s, reset_ms,
 * retry_after_s when denied}. */
static void rate_hit(mesh_req *req, json_t *args)
{
	char why[256], window_s[RATE_DECIMAL_MAX];
	const char *rkey;
	size_t len;
	hit_op *op = malloc(sizeof *op);

	if (!op) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	if (rate_hit_parse(args, &op->a, why, sizeof why) != 0) {
		free(op);
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	op->req = req;
	/* The window is part of the name: a key hit with two windows is two
	 * independent limits, never one hash read with the wrong width. */
	rate_decimal(op->a.window_s, window_s);
	rkey = mesh_kv_key("w", window_s, op->a.key);
	len = rkey ? strlen(rkey) : 0;
	if (!rkey || len >= sizeof op->rkey) {
		free(op);
		mesh_fail(req, MESH_EINVAL, "key: too long");
		return;
	}
	memcpy(op->rkey, rkey, len + 1);
	rate_decimal(op->a.limit, op->limit_s);
	rate_decimal(op->a.window_s * 1000, op->window_ms_s);
	hit_run(op);
}

/* The script's constant argument, written once. */
static int rate_init(void)
{
	snprintf(buckets_arg, sizeof buckets_arg, "%d", RATE_BUCKETS);
	return 0;
}

static const mesh_method methods[] = {
    {"hit", rate_hit},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "rate-limit",
    .methods = methods,
    .init = rate_init,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
