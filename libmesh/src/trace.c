#include "trace.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/*
 * Ids only need to be unique, never secret (nothing authenticates with
 * them), and one is made for every hop: drawing each from the CSPRNG cost
 * more than the rest of a call. So the CSPRNG seeds a counter-based
 * generator once per process (again in a forked child), and splitmix64
 * spreads the counter over all 64 bits. The seed comes from the kernel
 * (getrandom), not libcrypto: initialising OpenSSL's DRBG costs every
 * process ~3 MB of resident memory, more than a service's own.
 */
static uint64_t seed_a, seed_b, counter;
static int seeded;

static void reseed(void)
{
	uint64_t s[2];

	if (getrandom(s, sizeof s, 0) != (ssize_t)sizeof s) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		s[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
		s[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15u;
	}
	seed_a = s[0];
	seed_b = s[1];
	counter = 0;
}

static void reseed_in_child(void)
{
	reseed();
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static void unique_bytes(uint8_t *out, size_t n)
{
	if (!seeded) {
		reseed();
		pthread_atfork(NULL, NULL, reseed_in_child);
		seeded = 1;
	}
	uint64_t c = ++counter;
	uint64_t w[2] = {splitmix64(seed_a + c), splitmix64(seed_b ^ (c << 1))};
	memcpy(out, w, n > sizeof w ? sizeof w : n);
}

static void hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

void trace_new_request_id(char out[37])
{
	uint8_t u[16];

	unique_bytes(u, sizeof u);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	hex(out, u, 4);
	out[8] = '-';
	hex(out + 9, u + 4, 2);
	out[13] = '-';
	hex(out + 14, u + 6, 2);
	out[18] = '-';
	hex(out + 19, u + 8, 2);
	out[23] = '-';
	hex(out + 24, u + 10, 6);
	out[36] = '\0';
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
	uint8_t buf[16];

	unique_bytes(buf, bytes);
	buf[0] |= 1; /* never all zeros, which W3C forbids */
	hex(out, buf, bytes);
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
