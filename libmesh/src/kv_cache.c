/*
 * kv_cache.c: get-or-compute over kv. The cache is an optimisation: when
 * Redis is down or a stored value does not parse, the value is computed and
 * returned as if it were a miss, and a failed SET still returns the value.
 * Only the compute's own error reaches the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "runtime.h"

/* Longest error message kept from a compute. */
#define KV_CACHE_MSG_MAX 256

struct mesh_kv_cache_op {
	kv *k;
	char *key;
	int64_t ttl_s;
	mesh_kv_compute_fn compute;
	mesh_kv_cache_fn cb;
	void *arg;
	int done; /* mesh_kv_cache_done() was called */
	mesh_err err;
	char msg[KV_CACHE_MSG_MAX];
	json_t *value;
};

static void op_free(mesh_kv_cache_op *op)
{
	json_decref(op->value);
	free(op->key);
	free(op);
}

static void cache_stored(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	mesh_kv_cache_op *op = arg;

	(void)err;
	(void)msg;
	(void)reply;
	/* Stored or not, the caller gets the computed value. */
	op->cb(op->arg, MESH_OK, "", op->value, 0);
	op_free(op);
}

static void cache_report(void *arg)
{
	mesh_kv_cache_op *op = arg;

	if (op->err == MESH_OK)
		op->cb(op->arg, MESH_OK, "", op->value, 0);
	else
		op->cb(op->arg, op->err, op->msg, NULL, 0);
	op_free(op);
}

static void cache_got(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	mesh_kv_cache_op *op = arg;
	json_t *v;

	(void)msg;
	if (err == MESH_OK && json_is_string(reply)) {
		v = json_loadb(json_string_value(reply),
		               json_string_length(reply), JSON_DECODE_ANY,
		               NULL);
		if (v) {
			op->cb(op->arg, MESH_OK, "", v, 1);
			json_decref(v);
			op_free(op);
			return;
		}
	}
	op->compute(op->arg, op);
}

void kv_cache(kv *k, const char *full_key, int64_t ttl_s,
              mesh_kv_compute_fn compute, mesh_kv_cache_fn cb, void *arg)
{
	mesh_kv_cache_op *op = calloc(1, sizeof *op);
	const char *argv[2];

	if (!op || !(op->key = strdup(full_key ? full_key : "")))
		abort();
	op->k = k;
	op->ttl_s = ttl_s;
	op->compute = compute;
	op->cb = cb;
	op->arg = arg;
	argv[0] = "GET";
	argv[1] = op->key;
	kv_command(k, cache_got, op, 2, argv, NULL);
}

void mesh_kv_cache_done(mesh_kv_cache_op *op, mesh_err err, const char *msg,
                        json_t *value)
{
	char *text;
	char ttl[32];
	const char *argv[5];
	int argc = 3;

	if (!op || op->done) {
		json_decref(value);
		return;
	}
	op->done = 1;
	op->err = err;
	if (err != MESH_OK) {
		json_decref(value);
		snprintf(op->msg, sizeof op->msg, "%s", msg ? msg : "");
		/* Deferred so the caller's compute finishes before cb runs. */
		runtime_defer(cache_report, op);
		return;
	}
	op->value = value ? value : json_null();
	text = json_dumps(op->value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		runtime_defer(cache_report, op);
		return;
	}
	argv[0] = "SET";
	argv[1] = op->key;
	argv[2] = text;
	if (op->ttl_s > 0) {
		snprintf(ttl, sizeof ttl, "%lld", (long long)op->ttl_s);
		argv[3] = "EX";
		argv[4] = ttl;
		argc = 5;
	}
	kv_command(op->k, cache_stored, op, argc, argv, NULL);
	free(text);
}
