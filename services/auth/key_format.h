/*
 * key_format.h: what an API key and a key id look like, and the checks a
 * presented key passes before anything is looked up.
 *
 * Pure: no I/O, no allocation. The caller draws the random bytes (OpenSSL
 * RAND_bytes) and hands them in, so every function here is deterministic.
 *
 * An API key is "lm_live_" followed by the 32 random bytes as one 256-bit
 * big-endian number in base62 (0-9A-Za-z), always 43 digits (leading '0's),
 * 51 characters in all. Base62 keeps the key one "word" (a double click
 * selects it; no '+', '/', '=' to escape in a header or a shell).
 *
 * A key id is "key_" followed by 12 characters of lowercase RFC 4648 base32
 * (a-z2-7), 60 random bits: safe to show and log, and it names the key in
 * list and revoke.
 *
 * The bootstrap admin key (ADMIN_API_KEY) is the operator's own string, not
 * necessarily in the lm_live_ format: 24 to 256 printable ASCII characters
 * without spaces.
 */
#ifndef KEY_FORMAT_H
#define KEY_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define KEY_PREFIX     "lm_live_"
#define KEY_PREFIX_LEN 8
/* Random bytes behind a key: 256 bits, beyond any guessing. */
#define KEY_RANDOM_BYTES 32
/* 62^43 > 2^256 > 62^42: 43 base62 digits hold every 32-byte value. */
#define KEY_DIGITS 43
#define KEY_LEN    (KEY_PREFIX_LEN + KEY_DIGITS)

#define KEY_ID_PREFIX     "key_"
#define KEY_ID_PREFIX_LEN 4
/* 12 base32 characters: 60 bits, so ids never collide in practice (and a
 * collision is still caught by the store). */
#define KEY_ID_CHARS 12
#define KEY_ID_LEN   (KEY_ID_PREFIX_LEN + KEY_ID_CHARS)
/* Random bytes drawn for an id: 64 bits, of which 60 are used. */
#define KEY_ID_RANDOM_BYTES 8

/* The id under which the bootstrap admin key verifies; never stored. */
#define KEY_ADMIN_ID "key_admin"

/* Bootstrap admin key length bounds: shorter is guessable, longer is a
 * mistake (a file pasted in place of a key). */
#define ADMIN_KEY_MIN_LEN 24
#define ADMIN_KEY_MAX_LEN 256

/* Writes the KEY_DIGITS base62 digits of bytes (big-endian) and a NUL. */
void base62_encode_256(const uint8_t bytes[KEY_RANDOM_BYTES],
                       char out[KEY_DIGITS + 1]);
/* Decodes exactly KEY_DIGITS base62 digits into 32 bytes. 0, or -1 when a
 * character is not base62 or the number does not fit in 256 bits. */
int base62_decode_256(const char *digits, uint8_t out[KEY_RANDOM_BYTES]);

/* Writes "lm_live_" + base62(bytes) and a NUL. */
void key_format_make(const uint8_t bytes[KEY_RANDOM_BYTES],
                     char out[KEY_LEN + 1]);
/* Whether key has the prefix, the length and a valid 256-bit base62 body.
 * Looks at no more than KEY_LEN + 1 bytes of key. */
int key_format_valid(const char *key);

/* Writes "key_" + 12 base32 characters from the first 60 bits of bytes. */
void key_id_make(const uint8_t bytes[KEY_ID_RANDOM_BYTES],
                 char out[KEY_ID_LEN + 1]);
/* Whether id is a well-formed stored key id ("key_admin" is not). */
int key_id_valid(const char *id);

/* Checks an ADMIN_API_KEY value. 0, or -1 with *why a static message a
 * person can act on (it never quotes the key). */
int admin_key_check(const char *key, const char **why);

#endif
