/* lead_id.c: time-ordered lead ids (see lead_id.h). */
#include "lead_id.h"

#include <string.h>

/* Crockford base32, lower case: no i, l, o, u, and in ASCII order. */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static int digit_value(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

void lead_id_format(int64_t ms, const unsigned char rnd[LEAD_ID_RAND_BYTES],
                    char out[LEAD_ID_SIZE])
{
	uint64_t t = ms < 0 ? 0 : (uint64_t)ms;
	uint64_t r = 0;
	char *p = out + 3;

	memcpy(out, LEAD_ID_PREFIX, 3);
	for (int i = LEAD_ID_TIME_CHARS - 1; i >= 0; i--) {
		p[i] = alphabet[t & 31];
		t >>= 5;
	}
	p += LEAD_ID_TIME_CHARS;
	for (int i = 0; i < LEAD_ID_RAND_BYTES; i++)
		r = r << 8 | rnd[i];
	for (int i = LEAD_ID_RAND_CHARS - 1; i >= 0; i--) {
		p[i] = alphabet[r & 31];
		r >>= 5;
	}
	out[LEAD_ID_LEN] = '\0';
}

void lead_id_floor(int64_t ms, char out[LEAD_ID_SIZE])
{
	static const unsigned char zero[LEAD_ID_RAND_BYTES] = {0};

	lead_id_format(ms, zero, out);
}

int lead_id_valid(const char *s)
{
	if (!s || strlen(s) != LEAD_ID_LEN ||
	    strncmp(s, LEAD_ID_PREFIX, 3) != 0)
		return 0;
	for (const char *p = s + 3; *p; p++)
		if (digit_value(*p) < 0)
			return 0;
	return 1;
}

int64_t lead_id_ms(const char *id)
{
	uint64_t t = 0;

	if (!lead_id_valid(id))
		return -1;
	for (int i = 0; i < LEAD_ID_TIME_CHARS; i++)
		t = t << 5 | (uint64_t)digit_value(id[3 + i]);
	return t > INT64_MAX ? -1 : (int64_t)t;
}
