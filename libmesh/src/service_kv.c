/* service_kv.c: the KV entry points for the running service, every key in
 * its own "<service>:" namespace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "service.h"

/* Longest key mesh_kv_key builds; longer asks get NULL, not a cut key
 * that might name someone else's data. */
#define KV_KEY_MAX 512

const char *mesh_kv_key_parts(const char *const *parts)
{
	static char key[KV_KEY_MAX];
	size_t n = (size_t)snprintf(key, sizeof key, "%s", mesh_service_name());

	for (const char *const *p = parts; *p; p++) {
		size_t len = strlen(*p);
		if (n + 1 + len >= sizeof key)
			return NULL;
		key[n++] = ':';
		memcpy(key + n, *p, len + 1);
		n += len;
	}
	return key;
}

typedef struct kv_unavailable {
	mesh_kv_fn cb;
	void *arg;
	const char *msg;
} kv_unavailable;

static void kv_unavailable_run(void *p)
{
	kv_unavailable *u = p;

	u->cb(u->arg, MESH_EUNAVAILABLE, u->msg, NULL);
	free(u);
}

/* The process has no Redis (or the key did not fit): report it through
 * the loop like any other outcome. */
static int kv_missing(kv *k, const char *key, mesh_kv_fn cb, void *arg)
{
	if (k && key)
		return 0;
	kv_unavailable *u = malloc(sizeof *u);
	if (!u)
		abort();
	u->cb = cb;
	u->arg = arg;
	u->msg = k ? "kv: key longer than 512 bytes" : "redis: not configured";
	runtime_defer(kv_unavailable_run, u);
	return 1;
}

void mesh_kv_command(mesh_kv_fn cb, void *arg, int argc, const char **argv,
                     const size_t *lens)
{
	if (!kv_missing(service_kv(), "", cb, arg))
		kv_command(service_kv(), cb, arg, argc, argv, lens);
}

void mesh_kv_eval(mesh_kv_script *script, mesh_kv_fn cb, void *arg, int argc,
                  const char **argv, const size_t *lens)
{
	if (!kv_missing(service_kv(), "", cb, arg))
		kv_eval(service_kv(), script, cb, arg, argc, argv, lens);
}

void mesh_kv_commandf(mesh_kv_fn cb, void *arg, const char *fmt, ...)
{
	va_list ap;

	if (kv_missing(service_kv(), "", cb, arg))
		return;
	va_start(ap, fmt);
	kv_vcommandf(service_kv(), cb, arg, fmt, ap);
	va_end(ap);
}

void mesh_kv_get(const char *key, mesh_kv_fn cb, void *arg)
{
	const char *full = mesh_kv_key(key);

	if (!kv_missing(service_kv(), full, cb, arg))
		kv_commandf(service_kv(), cb, arg, "GET %s", full);
}

void mesh_kv_set(const char *key, const char *value, int64_t ttl_s,
                 mesh_kv_fn cb, void *arg)
{
	const char *full = mesh_kv_key(key);

	if (kv_missing(service_kv(), full, cb, arg))
		return;
	if (ttl_s > 0)
		kv_commandf(service_kv(), cb, arg, "SET %s %s EX %lld", full,
		            value, (long long)ttl_s);
	else
		kv_commandf(service_kv(), cb, arg, "SET %s %s", full, value);
}

void mesh_kv_del(const char *key, mesh_kv_fn cb, void *arg)
{
	const char *full = mesh_kv_key(key);

	if (!kv_missing(service_kv(), full, cb, arg))
		kv_commandf(service_kv(), cb, arg, "DEL %s", full);
}

void mesh_kv_cache(const char *key, int64_t ttl_s, mesh_kv_compute_fn compute,
                   mesh_kv_cache_fn cb, void *arg)
{
	const char *full = mesh_kv_key(key);

	/* kv_cache computes even without Redis: the cache is an
	 * optimisation, never a reason to fail. */
	kv_cache(service_kv(), full ? full : "", ttl_s, compute, cb, arg);
}
