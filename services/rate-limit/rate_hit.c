/*
 * rate_hit.c: argument checks and the reply of rate-limit.hit (contract in
 * rate_hit.h).
 */
#include "rate_hit.h"

#include <stdio.h>
#include <string.h>

/* An integer field in [min, max]; JSON integers only (a limit of "10" or
 * 10.5 is a caller's bug worth hearing about). */
static int int_field(const json_t *args, const char *name, long long min,
                     long long max, long long *out, char *why, size_t why_len)
{
	const json_t *v = json_object_get(args, name);

	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(why, why_len, "%s: expected an integer %lld-%lld",
		         name, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int rate_hit_parse(const json_t *args, rate_hit_args *out, char *why,
                   size_t why_len)
{
	const json_t *k = json_object_get(args, "key");
	const char *key = json_string_value(k);
	size_t len = json_string_length(k);

	if (!key || len == 0 || strlen(key) != len) {
		snprintf(why, why_len, "key: expected a non-empty string");
		return -1;
	}
	if (len > RATE_KEY_MAX) {
		snprintf(why, why_len, "key: at most %d bytes, got %zu",
		         RATE_KEY_MAX, len);
		return -1;
	}
	out->key = key;
	if (int_field(args, "limit", 1, RATE_LIMIT_MAX, &out->limit, why,
	              why_len) ||
	    int_field(args, "window_s", 1, RATE_WINDOW_MAX_S, &out->window_s,
	              why, why_len))
		return -1;
	return 0;
}

size_t rate_decimal(long long v, char *out)
{
	char digits[RATE_DECIMAL_MAX];
	/* Through unsigned: -LLONG_MIN does not fit in a long long. */
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 0, len = 0;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = digits[--n];
	out[len] = '\0';
	return len;
}

long long rate_bucket_ms(long long window_s)
{
	return (window_s * 1000 + RATE_BUCKETS - 1) / RATE_BUCKETS;
}

long long rate_hold_max_ms(long long window_s)
{
	return window_s * 1000 + rate_bucket_ms(window_s);
}

json_t *rate_hit_reply(const rate_hit_args *a, const json_t *result,
                       int *healed)
{
	const json_t *allowed_j = json_array_get(result, 0);
	const json_t *count_j = json_array_get(result, 1);
	const json_t *reset_j = json_array_get(result, 2);
	const json_t *healed_j = json_array_get(result, 3);
	long long count, reset_ms, reset_s, remaining;
	int allowed;
	json_t *out;

	if (json_array_size(result) != 4 || !json_is_integer(allowed_j) ||
	    !json_is_integer(count_j) || !json_is_integer(reset_j) ||
	    !json_is_integer(healed_j))
		return NULL;
	allowed = json_integer_value(allowed_j) == 1;
	*healed = json_integer_value(healed_j) == 1;
	count = json_integer_value(count_j);
	reset_ms = json_integer_value(reset_j);
	/* Redis's clock stepping back can stretch a reset; never promise
	 * more than a window and a bucket, nor less than nothing. */
	if (reset_ms < 0)
		reset_ms = 0;
	if (reset_ms > rate_hold_max_ms(a->window_s))
		reset_ms = rate_hold_max_ms(a->window_s);
	reset_s = (reset_ms + 999) / 1000;
	if (reset_s < 1)
		reset_s = 1;
	remaining = a->limit - count;
	if (remaining < 0)
		remaining = 0;
	/* Built field by field: once per gateway request, and json_pack
	 * would parse its format string every time. */
	out = json_object();
	if (!out ||
	    json_object_set_new(out, "allowed", json_boolean(allowed)) ||
	    json_object_set_new(out, "limit", json_integer(a->limit)) ||
	    json_object_set_new(out, "remaining", json_integer(remaining)) ||
	    json_object_set_new(out, "reset_s", json_integer(reset_s)) ||
	    json_object_set_new(out, "reset_ms", json_integer(reset_ms)) ||
	    (!allowed && json_object_set_new(out, "retry_after_s",
	                                     json_integer(reset_s)))) {
		json_decref(out);
		return NULL;
	}
	return out;
}
