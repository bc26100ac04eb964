#include "trace.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

void trace_new_request_id(char out[37])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

static int hex_run(const char *s, size_t n, int *all_zero)
{
	*all_zero = 1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return 0;
		if (ch != '0')
			*all_zero = 0;
	}
	return 1;
}

int trace_parent_valid(const char *s, size_t len)
{
	int zero;

	if (!s || len != TRACE_PARENT_LEN || s[2] != '-' || s[35] != '-' ||
	    s[52] != '-')
		return 0;
	if (s[0] != '0' || s[1] != '0')
		return 0;
	if (!hex_run(s + 3, 32, &zero) || zero)
		return 0;
	if (!hex_run(s + 36, 16, &zero) || zero)
		return 0;
	return hex_run(s + 53, 2, &zero);
}

static void random_hex(char *out, size_t bytes)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t buf[16];

	/* RAND_bytes only fails when the CSPRNG cannot seed; an id from a
	 * weaker source is still unique enough to trace by. */
	if (RAND_bytes(buf, (int)bytes) != 1)
		for (size_t i = 0; i < bytes; i++)
			buf[i] = (uint8_t)(i * 37u + 11u);
	buf[0] |= 1; /* never all zeros, which W3C forbids */
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
}

void trace_child(const char *parent, size_t parent_len, char out[56])
{
	memcpy(out, "00-", 3);
	if (trace_parent_valid(parent, parent_len))
		memcpy(out + 3, parent + 3, 32);
	else
		random_hex(out + 3, 16);
	out[35] = '-';
	random_hex(out + 36, 8);
	memcpy(out + 52, "-01", 4);
}

int trace_request_id_valid(const char *s, size_t len)
{
	if (!s || len == 0 || len > TRACE_REQUEST_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}
