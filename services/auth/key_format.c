/*
 * key_format.c: base62 of a 256-bit number, key ids in base32, and the
 * shape checks on keys (see key_format.h).
 */
#include "key_format.h"

#include <string.h>

static const char base62_digits[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char base32_digits[] = "abcdefghijklmnopqrstuvwxyz234567";

static int base62_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

/* Schoolbook long division of a big-endian number by 62, in place; returns
 * the remainder. 32 bytes times 43 digits: nothing to optimize. */
static unsigned divide_by_62(uint8_t n[KEY_RANDOM_BYTES])
{
	unsigned rem = 0;

	for (size_t i = 0; i < KEY_RANDOM_BYTES; i++) {
		unsigned cur = (rem << 8) | n[i];
		n[i] = (uint8_t)(cur / 62);
		rem = cur % 62;
	}
	return rem;
}

void base62_encode_256(const uint8_t bytes[KEY_RANDOM_BYTES],
                       char out[KEY_DIGITS + 1])
{
	uint8_t n[KEY_RANDOM_BYTES];

	memcpy(n, bytes, sizeof n);
	for (int i = KEY_DIGITS - 1; i >= 0; i--)
		out[i] = base62_digits[divide_by_62(n)];
	out[KEY_DIGITS] = '\0';
}

int base62_decode_256(const char *digits, uint8_t out[KEY_RANDOM_BYTES])
{
	memset(out, 0, KEY_RANDOM_BYTES);
	for (size_t d = 0; d < KEY_DIGITS; d++) {
		int v = base62_value(digits[d]);
		if (v < 0)
			return -1;
		/* out = out * 62 + v; a carry out of the top byte means the
		 * number needs more than 256 bits. */
		unsigned carry = (unsigned)v;
		for (int i = KEY_RANDOM_BYTES - 1; i >= 0; i--) {
			unsigned cur = out[i] * 62u + carry;
			out[i] = (uint8_t)(cur & 0xff);
			carry = cur >> 8;
		}
		if (carry)
			return -1;
	}
	return 0;
}

void key_format_make(const uint8_t bytes[KEY_RANDOM_BYTES],
                     char out[KEY_LEN + 1])
{
	memcpy(out, KEY_PREFIX, KEY_PREFIX_LEN);
	base62_encode_256(bytes, out + KEY_PREFIX_LEN);
}

int key_format_valid(const char *key)
{
	uint8_t n[KEY_RANDOM_BYTES];

	if (strnlen(key, KEY_LEN + 1) != KEY_LEN ||
	    memcmp(key, KEY_PREFIX, KEY_PREFIX_LEN) != 0)
		return 0;
	return base62_decode_256(key + KEY_PREFIX_LEN, n) == 0;
}

void key_id_make(const uint8_t bytes[KEY_ID_RANDOM_BYTES],
                 char out[KEY_ID_LEN + 1])
{
	uint64_t bits = 0;

	for (size_t i = 0; i < KEY_ID_RANDOM_BYTES; i++)
		bits = (bits << 8) | bytes[i];
	memcpy(out, KEY_ID_PREFIX, KEY_ID_PREFIX_LEN);
	for (size_t i = 0; i < KEY_ID_CHARS; i++) {
		out[KEY_ID_PREFIX_LEN + i] = base32_digits[bits >> 59];
		bits <<= 5;
	}
	out[KEY_ID_LEN] = '\0';
}

int key_id_valid(const char *id)
{
	if (strnlen(id, KEY_ID_LEN + 1) != KEY_ID_LEN ||
	    memcmp(id, KEY_ID_PREFIX, KEY_ID_PREFIX_LEN) != 0)
		return 0;
	for (size_t i = KEY_ID_PREFIX_LEN; i < KEY_ID_LEN; i++)
		if (!strchr(base32_digits, id[i]))
			return 0;
	return 1;
}

int admin_key_check(const char *key, const char **why)
{
	size_t len = strnlen(key, ADMIN_KEY_MAX_LEN + 1);

	if (len < ADMIN_KEY_MIN_LEN) {
		*why = "ADMIN_API_KEY: too short (at least 24 characters; "
		       "generate one with: openssl rand -base64 32)";
		return -1;
	}
	if (len > ADMIN_KEY_MAX_LEN) {
		*why = "ADMIN_API_KEY: too long (at most 256 characters)";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c < 0x21 || c > 0x7e) {
			*why = "ADMIN_API_KEY: only printable ASCII without "
			       "spaces is allowed";
			return -1;
		}
	}
	return 0;
}
