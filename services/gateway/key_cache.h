/*
 * key_cache.h: what auth.verify said about an API key, for a few seconds,
 * so that the edge does not ask auth on every request. Keyed by the key's
 * SHA-256: the cache never holds a key. Bounded: a fixed table where a new
 * entry replaces whatever shared its slot.
 */
#ifndef GATEWAY_KEY_CACHE_H
#define GATEWAY_KEY_CACHE_H

#include <jansson.h>
#include <stdint.h>

#define KEY_CACHE_SLOTS 4096
/* A revoked key keeps working at most this long at the edge. */
#define KEY_CACHE_TTL_MS 5000

/* The SHA-256 of key, the cache's handle on it. */
void key_cache_digest(const char *key, uint8_t digest[32]);
/* The cached identity (borrowed, valid until the next put), or NULL when
 * absent or older than the TTL at now_ms. */
json_t *key_cache_get(const uint8_t digest[32], int64_t now_ms);
/* Remembers identity (a new reference is taken) from now_ms. */
void key_cache_put(const uint8_t digest[32], json_t *identity, int64_t now_ms);
/* Forgets everything (tests, shutdown). */
void key_cache_clear(void);

#endif
