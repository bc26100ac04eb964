/*
 * kv.h: Redis through hiredis's async API on the libevent loop. One kv is one
 * connection that reconnects by itself; while it is down, commands fail fast
 * with MESH_EUNAVAILABLE rather than queue without bound.
 */
#ifndef MESH_KV_H
#define MESH_KV_H

#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

struct event_base;

typedef struct kv kv;

/* Commands waiting for a reply on one connection, at most; past it a
 * command fails with MESH_EUNAVAILABLE ("redis: too many commands in
 * flight"). */
#define KV_MAX_IN_FLIGHT 10000

/* Parses REDIS_URL: "unix:///path/to.sock" or "redis://host:port" (port
 * defaults to 6379). Returns 0, or -1 with a message in err. */
int kv_parse_url(const char *url, char *path, size_t path_len, char *host,
                 size_t host_len, int *port, char *err, size_t err_len);

/* Starts connecting to url on base (returns at once). NULL with err filled
 * on a bad URL. */
kv *kv_new(struct event_base *base, const char *url, char *err, size_t err_len);
/* Disconnects; commands in flight are reported with MESH_EUNAVAILABLE. */
void kv_free(kv *k);
/* 1 once connected (and until a disconnect is seen). */
int kv_is_connected(const kv *k);
/* Called each time the connection comes up (first time and reconnects). */
void kv_on_connect(kv *k, void (*fn)(void *arg), void *arg);

/* Runs one command; cb exactly once, never from inside this call. A Redis
 * error reply is err MESH_EINTERNAL with Redis's message, except those that
 * name a missing key or wrong type, which keep MESH_EINTERNAL too: callers
 * that expect them check msg. reply is borrowed. */
void kv_command(kv *k, mesh_kv_fn cb, void *arg, int argc, const char **argv,
                const size_t *lens);
void kv_commandf(kv *k, mesh_kv_fn cb, void *arg, const char *fmt, ...);
void kv_vcommandf(kv *k, mesh_kv_fn cb, void *arg, const char *fmt, va_list ap);

/* Runs script (kv_script.c) by EVALSHA or EVAL; argv as mesh_kv_eval's. */
void kv_eval(kv *k, mesh_kv_script *s, mesh_kv_fn cb, void *arg, int argc,
             const char **argv, const size_t *lens);

/* Get-or-compute over kv (the engine behind mesh_kv_cache). full_key is the
 * whole Redis key. */
void kv_cache(kv *k, const char *full_key, int64_t ttl_s,
              mesh_kv_compute_fn compute, mesh_kv_cache_fn cb, void *arg);

#endif
