/* lead_cursor.c: list cursors (see lead_cursor.h). */
#include "lead_cursor.h"

#include <string.h>

#define CURSOR_VERSION "1:"
#define CURSOR_RAW_LEN (2 + LEAD_ID_LEN)

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

void lead_cursor_encode(const char *last_id, char out[LEAD_CURSOR_SIZE])
{
	unsigned char raw[CURSOR_RAW_LEN];
	size_t n = 0;

	memcpy(raw, CURSOR_VERSION, 2);
	memcpy(raw + 2, last_id, LEAD_ID_LEN);
	for (size_t i = 0; i < CURSOR_RAW_LEN; i += 3) {
		size_t left = CURSOR_RAW_LEN - i;
		unsigned v = (unsigned)raw[i] << 16;

		if (left > 1)
			v |= (unsigned)raw[i + 1] << 8;
		if (left > 2)
			v |= raw[i + 2];
		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		if (left > 1)
			out[n++] = b64[v >> 6 & 63];
		if (left > 2)
			out[n++] = b64[v & 63];
	}
	out[n] = '\0';
}

int lead_cursor_decode(const char *cursor, char last_id[LEAD_ID_SIZE])
{
	unsigned char raw[CURSOR_RAW_LEN + 3];
	size_t len = cursor ? strlen(cursor) : 0, n = 0;
	unsigned acc = 0;
	int bits = 0;

	if (len != LEAD_CURSOR_LEN)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(cursor[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[n++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if (n != CURSOR_RAW_LEN || memcmp(raw, CURSOR_VERSION, 2) != 0)
		return -1;
	memcpy(last_id, raw + 2, LEAD_ID_LEN);
	last_id[LEAD_ID_LEN] = '\0';
	return lead_id_valid(last_id) ? 0 : -1;
}
