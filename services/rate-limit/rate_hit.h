/*
 * rate_hit.h: the contract of rate-limit.hit, without the I/O.
 *
 * Algorithm (run atomically in Redis by the script in hit_script.h): a
 * sliding window over RATE_BUCKETS sub-buckets. Each key and window has
 * one Redis hash; a hit at time t is counted in bucket floor(t / width),
 * width = ceil(window / RATE_BUCKETS). At time now, every bucket that
 * overlaps (now - window, now] counts, the oldest one whole. So a hit is
 * counted for at least a full window after it happened (never fewer), and
 * at most one bucket width longer: the allowed hits in ANY window of
 * window_s seconds never exceed the limit, with no burst of 2x at a window
 * edge as a fixed window allows, and memory stays RATE_BUCKETS fields per
 * key whatever the limit. Denied hits are not counted. Redis's own clock
 * (TIME) is the only clock, and Redis runs one script at a time, so many
 * gateways hitting one key at once still see the limit held exactly. The
 * hash keeps a running total beside the buckets, so a hit costs the same
 * whatever the number of live buckets (layout in hit_script.h).
 *
 * Reply: {allowed, limit, remaining, reset_s, reset_ms, retry_after_s (only
 * when denied)}. reset_ms is the time until the oldest counted hit leaves
 * the window (a slot frees); reset_s and retry_after_s are it rounded up
 * to whole seconds, at least 1, as HTTP's Retry-After wants.
 */
#ifndef RATE_HIT_H
#define RATE_HIT_H

#include <jansson.h>
#include <stddef.h>

/* Longest key, in bytes ("key:key_abc", "ip:2001:db8::1", ...). */
#define RATE_KEY_MAX      200
#define RATE_LIMIT_MAX    1000000
#define RATE_WINDOW_MAX_S 86400
/* Sub-buckets per window: a hit may be held up to window/RATE_BUCKETS
 * longer than the window (1/60: a second in a minute window). */
#define RATE_BUCKETS 60

typedef struct rate_hit_args {
	const char *key; /* borrowed from the request's args */
	long long limit;
	long long window_s;
} rate_hit_args;

/* Checks {key, limit, window_s}: key a string of 1..RATE_KEY_MAX bytes
 * without NUL, limit an integer 1..RATE_LIMIT_MAX, window_s an integer
 * 1..RATE_WINDOW_MAX_S. 0, or -1 with why filled. */
int rate_hit_parse(const json_t *args, rate_hit_args *out, char *why,
                   size_t why_len);

/* Room for any long long in decimal, sign and NUL included. */
#define RATE_DECIMAL_MAX 21

/* Writes v in decimal to out (RATE_DECIMAL_MAX bytes at least) and returns
 * its length. The script's arguments are built per hit; snprintf's format
 * parsing cost more than the rest of the handler. */
size_t rate_decimal(long long v, char *out);

/* A bucket's width in ms: ceil(window / RATE_BUCKETS), as the script
 * computes it. */
long long rate_bucket_ms(long long window_s);
/* The longest a counted hit is held: the window plus one bucket. */
long long rate_hold_max_ms(long long window_s);

/* The reply for the script's result [allowed 0|1, count, reset_ms, healed
 * 0|1]; *healed is set to the last. NULL when the result is not that
 * shape. Caller owns the result. */
json_t *rate_hit_reply(const rate_hit_args *a, const json_t *result,
                       int *healed);

#endif
