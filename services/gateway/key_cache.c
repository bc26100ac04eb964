#include "key_cache.h"

#include <openssl/evp.h>
#include <string.h>

typedef struct slot {
	uint8_t digest[32];
	json_t *identity;
	int64_t stored_ms;
} slot;

static slot slots[KEY_CACHE_SLOTS];

void key_cache_digest(const char *key, uint8_t digest[32])
{
	unsigned int len = 32;

	if (EVP_Digest(key, strlen(key), digest, &len, EVP_sha256(), NULL) != 1)
		memset(digest, 0, 32);
}

static slot *slot_of(const uint8_t digest[32])
{
	uint32_t h;

	memcpy(&h, digest, sizeof h);
	return &slots[h % KEY_CACHE_SLOTS];
}

json_t *key_cache_get(const uint8_t digest[32], int64_t now_ms)
{
	slot *s = slot_of(digest);

	if (!s->identity || memcmp(s->digest, digest, 32) != 0)
		return NULL;
	if (now_ms - s->stored_ms >= KEY_CACHE_TTL_MS) {
		json_decref(s->identity);
		s->identity = NULL;
		return NULL;
	}
	return s->identity;
}

void key_cache_put(const uint8_t digest[32], json_t *identity, int64_t now_ms)
{
	slot *s = slot_of(digest);

	json_decref(s->identity);
	memcpy(s->digest, digest, 32);
	s->identity = json_incref(identity);
	s->stored_ms = now_ms;
}

void key_cache_clear(void)
{
	for (size_t i = 0; i < KEY_CACHE_SLOTS; i++) {
		json_decref(slots[i].identity);
		slots[i].identity = NULL;
	}
}
