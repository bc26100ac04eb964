/*
 * test_frame.c: the wire codec against proto/wire.md.
 *
 * The hex vectors are read from proto/wire.md itself (or $MESH_WIRE_MD), so
 * the document and the codec cannot drift apart silently. Every buffer handed
 * to the decoder is a heap copy of exactly the bytes under test, so that
 * AddressSanitizer and valgrind see any read past the end.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define WIRE_MD_DEFAULT "proto/wire.md" /* relative to the repository root */
#define VECTORS_MIN     10   /* fewer means the file was not really read */
#define VECTORS_MAX     128  /* room for the vectors of wire.md */
#define VECTOR_NAME_MAX 64   /* longest vector name */
#define VECTOR_BYTES    4096 /* largest vector, in bytes */
#define LINE_MAX_LEN    1024 /* longest line of wire.md */
#define GARBAGE_RUNS    4000 /* random buffers fed to the decoder */
#define GARBAGE_LEN_MAX 400  /* longest random buffer */
#define ROUNDTRIP_RUNS  2000 /* random valid frames encoded and decoded */

enum { EXPECT_UNSET = -1 };

struct vector {
	char name[VECTOR_NAME_MAX];
	int expect; /* a frame_status */
	size_t max_frame;
	int has_hex;
	size_t len;
	uint8_t bytes[VECTOR_BYTES];
};

static struct vector vectors[VECTORS_MAX];
static size_t nvectors;

static const char *const expect_names[] = {
    [FRAME_OK] = "ok",
    [FRAME_NEED_MORE] = "need_more",
    [FRAME_ETOOBIG] = "too_big",
    [FRAME_EVERSION] = "version",
    [FRAME_EMALFORMED] = "malformed",
};

static int expect_parse(const char *word)
{
	for (int i = 0; i <= FRAME_EMALFORMED; i++)
		if (strcmp(word, expect_names[i]) == 0)
			return i;
	return EXPECT_UNSET;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One line of "hex:" bytes: two-digit hex tokens separated by spaces. */
static void hex_line_parse(struct vector *v, const char *line)
{
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return;
		int hi = hex_digit((unsigned char)p[0]);
		int lo = hi < 0 ? -1 : hex_digit((unsigned char)p[1]);
		ck_assert_msg(
		    lo >= 0 && (p[2] == '\0' || p[2] == ' ' || p[2] == '\t'),
		    "vector %s: bad hex token in \"%s\"", v->name, line);
		ck_assert_msg(v->len < VECTOR_BYTES, "vector %s: over %d bytes",
		              v->name, VECTOR_BYTES);
		v->bytes[v->len++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
}

static void vectors_load(void)
{
	const char *path = getenv("MESH_WIRE_MD");
	if (!path || !*path)
		path = WIRE_MD_DEFAULT;
	FILE *fp = fopen(path, "r");
	ck_assert_msg(fp,
	              "cannot open %s: %s (run from the repository root or "
	              "set MESH_WIRE_MD)",
	              path, strerror(errno));

	char line[LINE_MAX_LEN];
	struct vector *v = NULL;
	int in_hex = 0;
	nvectors = 0;
	while (fgets(line, sizeof line, fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "### vector: ", 12) == 0) {
			ck_assert_msg(nvectors < VECTORS_MAX,
			              "more than %d vectors", VECTORS_MAX);
			v = &vectors[nvectors++];
			memset(v, 0, sizeof *v);
			size_t n = strlen(line + 12);
			ck_assert_msg(n < VECTOR_NAME_MAX,
			              "vector name too long: %s", line + 12);
			memcpy(v->name, line + 12, n + 1);
			v->expect = EXPECT_UNSET;
			v->max_frame = FRAME_MAX_DEFAULT;
			in_hex = 0;
			continue;
		}
		if (!v)
			continue;
		if (in_hex) {
			if (line[strspn(line, " \t")] == '\0') {
				in_hex = 0;
				v = NULL; /* a vector ends with its bytes */
			} else {
				hex_line_parse(v, line);
			}
		} else if (strncmp(line, "expect: ", 8) == 0) {
			char word[32] = "";
			sscanf(line + 8, "%31s", word);
			v->expect = expect_parse(word);
			ck_assert_msg(v->expect != EXPECT_UNSET,
			              "vector %s: unknown expect \"%s\"",
			              v->name, word);
		} else if (strncmp(line, "max_frame: ", 11) == 0) {
			char *end;
			errno = 0;
			unsigned long long m = strtoull(line + 11, &end, 10);
			ck_assert_msg(errno == 0 && end != line + 11 && m > 0,
			              "vector %s: bad max_frame", v->name);
			v->max_frame = (size_t)m;
		} else if (strcmp(line, "hex:") == 0) {
			v->has_hex = 1;
			in_hex = 1;
		}
	}
	fclose(fp);

	for (size_t i = 0; i < nvectors; i++) {
		ck_assert_msg(vectors[i].expect != EXPECT_UNSET,
		              "vector %s has no expect:", vectors[i].name);
		ck_assert_msg(vectors[i].has_hex,
		              "vector %s has no hex:", vectors[i].name);
	}
	ck_assert_msg(nvectors >= VECTORS_MIN, "%s: %zu vectors, want >= %d",
	              path, nvectors, VECTORS_MIN);
}

static const struct vector *vector_find(const char *name)
{
	for (size_t i = 0; i < nvectors; i++)
		if (strcmp(vectors[i].name, name) == 0)
			return &vectors[i];
	ck_abort_msg("proto/wire.md has no vector %s", name);
	return NULL;
}

/* A heap copy of exactly n bytes (at least 1 allocated, never read). */
static uint8_t *copy_exact(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(c);
	if (n)
		memcpy(c, b, n);
	return c;
}

/* The verdict on exactly b[0..n); the decoded frame is not kept since it
 * would point into the freed copy. */
static frame_status decode_exact(const uint8_t *b, size_t n, size_t max,
                                 size_t *used, const char **why)
{
	frame f;
	uint8_t *c = copy_exact(b, n);
	frame_status s = frame_decode(c, n, max, &f, used, why);
	free(c);
	return s;
}

static int str_eq(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* ---- The vectors of proto/wire.md --------------------------------------- */

START_TEST(test_vectors_present)
{
	int seen[FRAME_EMALFORMED + 1] = {0};
	vectors_load();
	for (size_t i = 0; i < nvectors; i++) {
		seen[vectors[i].expect]++;
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(
			    strcmp(vectors[i].name, vectors[j].name) != 0,
			    "vector %s appears twice", vectors[i].name);
	}
	for (int s = 0; s <= FRAME_EMALFORMED; s++)
		ck_assert_msg(seen[s] > 0, "no vector expects %s",
		              expect_names[s]);
}
END_TEST

START_TEST(test_vectors_decode)
{
	vectors_load();
	for (size_t i = 0; i < nvectors; i++) {
		const struct vector *v = &vectors[i];
		frame f;
		size_t used = 99;
		const char *why = NULL;
		uint8_t *copy = copy_exact(v->bytes, v->len);
		frame_status s =
		    frame_decode(copy, v->len, v->max_frame, &f, &used, &why);
		ck_assert_msg((int)s == v->expect,
		              "vector %s: decoded %s (%s), expected %s",
		              v->name, frame_status_str(s), why ? why : "",
		              expect_names[v->expect]);
		if (s != FRAME_OK) {
			ck_assert_uint_eq(used, 0);
			ck_assert_msg(why && *why, "vector %s: no why",
			              v->name);
			free(copy);
			continue;
		}
		ck_assert_msg(why == NULL, "vector %s: why on ok", v->name);
		ck_assert_uint_eq(used, v->len);

		size_t total = 0;
		ck_assert_int_eq(
		    frame_peek(v->bytes, v->len, v->max_frame, &total),
		    FRAME_OK);
		ck_assert_uint_eq(total, v->len);

		uint8_t out[VECTOR_BYTES];
		ck_assert_uint_eq(frame_encoded_len(&f), v->len);
		size_t n = frame_encode(&f, out, v->len);
		ck_assert_msg(n == v->len && memcmp(out, v->bytes, n) == 0,
		              "vector %s: re-encoding differs", v->name);
		free(copy);
	}
}
END_TEST

/* The verdict on a complete frame does not change when more bytes (the next
 * frame) follow it in the buffer. */
START_TEST(test_vectors_with_trailing_bytes)
{
	vectors_load();
	for (size_t i = 0; i < nvectors; i++) {
		const struct vector *v = &vectors[i];
		if (v->expect == FRAME_NEED_MORE)
			continue;
		uint8_t buf[VECTOR_BYTES + 8];
		memcpy(buf, v->bytes, v->len);
		memset(buf + v->len, 0xaa, 8);
		size_t used;
		frame_status s =
		    decode_exact(buf, v->len + 8, v->max_frame, &used, NULL);
		ck_assert_msg((int)s == v->expect, "vector %s: %s with tail",
		              v->name, frame_status_str(s));
		if (s == FRAME_OK)
			ck_assert_uint_eq(used, v->len);
	}
}
END_TEST

START_TEST(test_vector_fields)
{
	frame f;
	size_t used;
	const struct vector *v;

	vectors_load();
	v = vector_find("request-full");
	ck_assert_int_eq(
	    frame_decode(v->bytes, v->len, v->max_frame, &f, &used, NULL),
	    FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_REQUEST);
	ck_assert_uint_eq(f.id, 42);
	ck_assert_uint_eq(f.deadline_ms, 250);
	ck_assert(str_eq(f.method, f.method_len, "valuation.estimate"));
	ck_assert(str_eq(f.caller, f.caller_len, "leads-intake"));
	ck_assert(str_eq(f.request_id, f.request_id_len, "req-7f3a9c"));
	ck_assert(str_eq(f.traceparent, f.traceparent_len,
	                 "00-4bf92f3577b34da6a3ce929d0e0e4736-"
	                 "00f067aa0ba902b7-01"));
	ck_assert(
	    str_eq(f.payload, f.payload_len, "{\"zip\":\"94110\",\"beds\":3}"));
	/* Decoded strings point into the buffer: no copies. */
	ck_assert_ptr_eq(f.method, (const char *)v->bytes + 24);

	v = vector_find("error");
	ck_assert_int_eq(
	    frame_decode(v->bytes, v->len, v->max_frame, &f, &used, NULL),
	    FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_ERROR);
	ck_assert_uint_eq(f.id, 42);
	ck_assert_uint_eq(f.deadline_ms, 0);
	ck_assert_uint_eq(f.method_len + f.caller_len + f.traceparent_len, 0);
	ck_assert(str_eq(f.request_id, f.request_id_len, "req-7f3a9c"));
	ck_assert(
	    str_eq(f.payload, f.payload_len,
	           "{\"code\":\"not_found\",\"message\":\"no lead 17\"}"));

	v = vector_find("one-way");
	ck_assert_int_eq(
	    frame_decode(v->bytes, v->len, v->max_frame, &f, &used, NULL),
	    FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_ONEWAY);
	ck_assert_uint_eq(f.id, 0);
	ck_assert(str_eq(f.method, f.method_len, "logger.write"));
	ck_assert(str_eq(f.caller, f.caller_len, "valuation"));

	v = vector_find("pong");
	ck_assert_int_eq(
	    frame_decode(v->bytes, v->len, v->max_frame, &f, &used, NULL),
	    FRAME_OK);
	ck_assert_int_eq(f.type, FRAME_PONG);
	ck_assert_uint_eq(f.id, 7);
	ck_assert_uint_eq(f.payload_len, 0);
	ck_assert_uint_eq(used, FRAME_PREFIX_LEN + FRAME_HEADER_LEN);
}
END_TEST

/* A frame split anywhere is incomplete, never an error and never a crash. */
START_TEST(test_truncations_need_more)
{
	vectors_load();
	for (size_t i = 0; i < nvectors; i++) {
		const struct vector *v = &vectors[i];
		if (v->expect != FRAME_OK)
			continue;
		for (size_t cut = 0; cut < v->len; cut++) {
			size_t used = 99;
			frame_status s = decode_exact(
			    v->bytes, cut, v->max_frame, &used, NULL);
			ck_assert_msg(s == FRAME_NEED_MORE,
			              "vector %s cut at %zu: %s", v->name, cut,
			              frame_status_str(s));
			ck_assert_uint_eq(used, 0);
		}
	}
}
END_TEST

/* ---- Size limits -------------------------------------------------------- */

static void prefix_put(uint8_t *p, uint32_t length)
{
	p[0] = (uint8_t)(length >> 24);
	p[1] = (uint8_t)(length >> 16);
	p[2] = (uint8_t)(length >> 8);
	p[3] = (uint8_t)length;
}

/* A peer cannot make us wait for a huge frame: four bytes are enough. */
START_TEST(test_oversized_from_prefix_alone)
{
	uint8_t p[4];
	size_t total = 0;
	size_t used;
	const char *why = NULL;

	prefix_put(p, FRAME_MAX_DEFAULT - FRAME_PREFIX_LEN + 1);
	ck_assert_int_eq(frame_peek(p, 4, FRAME_MAX_DEFAULT, &total),
	                 FRAME_ETOOBIG);
	ck_assert_int_eq(decode_exact(p, 4, FRAME_MAX_DEFAULT, &used, &why),
	                 FRAME_ETOOBIG);
	ck_assert_ptr_nonnull(why);

	prefix_put(p, FRAME_MAX_DEFAULT - FRAME_PREFIX_LEN);
	ck_assert_int_eq(frame_peek(p, 4, FRAME_MAX_DEFAULT, &total), FRAME_OK);
	ck_assert_uint_eq(total, FRAME_MAX_DEFAULT);
	ck_assert_int_eq(decode_exact(p, 4, FRAME_MAX_DEFAULT, &used, NULL),
	                 FRAME_NEED_MORE);

	prefix_put(p, 0xffffffffu);
	ck_assert_int_eq(frame_peek(p, 4, FRAME_MAX_DEFAULT, &total),
	                 FRAME_ETOOBIG);
	/* length + 4 must not wrap: with no limit it is just a big frame. */
	ck_assert_int_eq(frame_peek(p, 4, SIZE_MAX, &total), FRAME_OK);
	ck_assert_uint_eq(total, (uint64_t)0xffffffffu + 4);

	prefix_put(p, FRAME_HEADER_LEN - 1);
	ck_assert_int_eq(frame_peek(p, 4, FRAME_MAX_DEFAULT, &total),
	                 FRAME_EMALFORMED);
	ck_assert_int_eq(frame_peek(p, 3, FRAME_MAX_DEFAULT, &total),
	                 FRAME_NEED_MORE);
	ck_assert_int_eq(frame_peek(NULL, 0, FRAME_MAX_DEFAULT, NULL),
	                 FRAME_NEED_MORE);
}
END_TEST

/* A reply of exactly `size` bytes, prefix included; the caller frees. */
static uint8_t *reply_of_size(size_t size)
{
	size_t payload_len = size - FRAME_PREFIX_LEN - FRAME_HEADER_LEN;
	char *payload = malloc(payload_len);
	ck_assert_ptr_nonnull(payload);
	memset(payload, '7', payload_len);
	frame f = {.type = FRAME_REPLY,
	           .id = 1,
	           .payload = payload,
	           .payload_len = payload_len};
	ck_assert_uint_eq(frame_encoded_len(&f), size);
	uint8_t *out = malloc(size);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(frame_encode(&f, out, size), size);
	free(payload);
	return out;
}

START_TEST(test_boundary_default_max)
{
	frame f;
	size_t used;
	uint8_t *b = reply_of_size(FRAME_MAX_DEFAULT);
	ck_assert_int_eq(frame_decode(b, FRAME_MAX_DEFAULT, FRAME_MAX_DEFAULT,
	                              &f, &used, NULL),
	                 FRAME_OK);
	ck_assert_uint_eq(used, FRAME_MAX_DEFAULT);
	ck_assert_uint_eq(f.payload_len, FRAME_MAX_DEFAULT - 24);
	free(b);

	b = reply_of_size(FRAME_MAX_DEFAULT + 1);
	ck_assert_int_eq(frame_decode(b, FRAME_MAX_DEFAULT + 1,
	                              FRAME_MAX_DEFAULT, &f, &used, NULL),
	                 FRAME_ETOOBIG);
	ck_assert_int_eq(frame_decode(b, 4, FRAME_MAX_DEFAULT, &f, &used, NULL),
	                 FRAME_ETOOBIG);
	/* The same frame under a larger limit is fine. */
	ck_assert_int_eq(frame_decode(b, FRAME_MAX_DEFAULT + 1,
	                              FRAME_MAX_DEFAULT + 1, &f, &used, NULL),
	                 FRAME_OK);
	free(b);
}
END_TEST

/* The smallest frame is 24 bytes: a limit under that refuses everything. */
START_TEST(test_boundary_small_max)
{
	const struct vector *v;
	size_t used;

	vectors_load();
	v = vector_find("ping");
	ck_assert_uint_eq(v->len, FRAME_PREFIX_LEN + FRAME_HEADER_LEN);
	ck_assert_int_eq(decode_exact(v->bytes, v->len, v->len, &used, NULL),
	                 FRAME_OK);
	ck_assert_int_eq(
	    decode_exact(v->bytes, v->len, v->len - 1, &used, NULL),
	    FRAME_ETOOBIG);
	ck_assert_int_eq(decode_exact(v->bytes, v->len, 0, &used, NULL),
	                 FRAME_ETOOBIG);
}
END_TEST

/* Every bit of flags is reserved in version 1, not only the low byte's. */
START_TEST(test_flags_reserved)
{
	const struct vector *v;
	uint8_t buf[VECTOR_BYTES];
	size_t used;
	const char *why = NULL;

	vectors_load();
	v = vector_find("request-full");
	for (int bit = 0; bit < 16; bit++) {
		memcpy(buf, v->bytes, v->len);
		buf[6] = (uint8_t)((1u << bit) >> 8);
		buf[7] = (uint8_t)(1u << bit);
		ck_assert_int_eq(
		    decode_exact(buf, v->len, FRAME_MAX_DEFAULT, &used, &why),
		    FRAME_EMALFORMED);
		ck_assert_str_eq(why, "flags: reserved, must be 0");
	}
}
END_TEST

/* ---- Encoding ----------------------------------------------------------- */

START_TEST(test_encode_small_buffer)
{
	const struct vector *v;
	frame f;
	size_t used;
	uint8_t out[VECTOR_BYTES];

	vectors_load();
	v = vector_find("request-full");
	ck_assert_int_eq(
	    frame_decode(v->bytes, v->len, v->max_frame, &f, &used, NULL),
	    FRAME_OK);
	for (size_t cap = 0; cap < v->len; cap++) {
		memset(out, 0xee, sizeof out);
		ck_assert_uint_eq(frame_encode(&f, out, cap), 0);
		for (size_t i = 0; i < sizeof out; i++)
			ck_assert_msg(out[i] == 0xee,
			              "cap %zu: byte %zu written on refusal",
			              cap, i);
	}
	ck_assert_uint_eq(frame_encode(&f, NULL, 0), 0);
	ck_assert_uint_eq(frame_encode(&f, out, v->len), v->len);
	ck_assert_int_eq(memcmp(out, v->bytes, v->len), 0);
}
END_TEST

#define S(x) x, sizeof(x) - 1
#define NONE NULL, 0
#define A16  "aaaaaaaaaaaaaaaa"
#define A15  "aaaaaaaaaaaaaaa"
#define A63  A16 A16 A16 A15
#define A64  A16 A16 A16 A16
#define A128 A64 A64
#define A255 A128 A64 A16 A16 A16 A15
#define A256 A128 A128
#define TP   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* Frames that break exactly one rule, with the field the decoder's `why`
 * must name. Field order: type, id, deadline_ms, method, caller,
 * request_id, traceparent, payload. */
static const struct bad_case {
	const char *why_prefix;
	frame f;
} bad_cases[] = {
    {"type", {0, 1, 0, NONE, NONE, NONE, NONE, NONE}},
    {"type", {8, 1, 0, NONE, NONE, NONE, NONE, NONE}},
    {"method", {FRAME_REQUEST, 1, 9, NONE, NONE, S("r"), NONE, S("{}")}},
    {"method", {FRAME_ONEWAY, 0, 0, NONE, NONE, S("r"), NONE, S("{}")}},
    {"method",
     {FRAME_REQUEST, 1, 9, S("get lead"), NONE, S("r"), NONE, S("{}")}},
    {"method",
     {FRAME_REQUEST, 1, 9, S("caf\xc3\xa9"), NONE, S("r"), NONE, S("{}")}},
    {"method", {FRAME_REQUEST, 1, 9, S("a/b"), NONE, S("r"), NONE, S("{}")}},
    {"method", {FRAME_REQUEST, 1, 9, S(A256), NONE, S("r"), NONE, S("{}")}},
    {"method", {FRAME_REPLY, 1, 0, S("echo"), NONE, NONE, NONE, S("{}")}},
    {"method", {FRAME_PING, 1, 0, S("echo"), NONE, NONE, NONE, NONE}},
    {"caller", {FRAME_REQUEST, 1, 9, S("m"), S(A64), S("r"), NONE, S("{}")}},
    {"caller",
     {FRAME_REQUEST, 1, 9, S("m"), S("Leads"), S("r"), NONE, S("{}")}},
    {"caller",
     {FRAME_REQUEST, 1, 9, S("m"), S("leads_intake"), S("r"), NONE, S("{}")}},
    {"caller", {FRAME_REPLY, 1, 0, NONE, S("gateway"), NONE, NONE, S("{}")}},
    {"caller", {FRAME_GOAWAY, 0, 0, NONE, S("gateway"), NONE, NONE, NONE}},
    {"request_id", {FRAME_REQUEST, 1, 9, S("m"), NONE, NONE, NONE, S("{}")}},
    {"request_id", {FRAME_ONEWAY, 0, 0, S("m"), NONE, NONE, NONE, S("{}")}},
    {"request_id",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("a b"), NONE, S("{}")}},
    {"request_id",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("a\x7f"), NONE, S("{}")}},
    {"request_id",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S(A128 "a"), NONE, S("{}")}},
    {"request_id", {FRAME_PING, 1, 0, NONE, NONE, S("r"), NONE, NONE}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
        "1"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"), S(TP "0"), S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
        "0g"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067aa0ba902b7-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-00000000000000000000000000000000-00f067aa0ba902b7-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-"
        "01"),
      S("{}")}},
    {"traceparent",
     {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"),
      S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_"
        "01"),
      S("{}")}},
    {"traceparent", {FRAME_ERROR, 1, 0, NONE, NONE, NONE, S(TP), S("{}")}},
    {"id", {FRAME_REQUEST, 0, 9, S("m"), NONE, S("r"), NONE, S("{}")}},
    {"id", {FRAME_REPLY, 0, 0, NONE, NONE, NONE, NONE, S("{}")}},
    {"id", {FRAME_ERROR, 0, 0, NONE, NONE, NONE, NONE, S("{}")}},
    {"id", {FRAME_PING, 0, 0, NONE, NONE, NONE, NONE, NONE}},
    {"id", {FRAME_PONG, 0, 0, NONE, NONE, NONE, NONE, NONE}},
    {"id", {FRAME_ONEWAY, 5, 0, S("m"), NONE, S("r"), NONE, S("{}")}},
    {"id", {FRAME_GOAWAY, 5, 0, NONE, NONE, NONE, NONE, NONE}},
    {"deadline_ms", {FRAME_REQUEST, 1, 0, S("m"), NONE, S("r"), NONE, S("{}")}},
    {"deadline_ms", {FRAME_REPLY, 1, 9, NONE, NONE, NONE, NONE, S("{}")}},
    {"deadline_ms", {FRAME_ERROR, 1, 9, NONE, NONE, NONE, NONE, S("{}")}},
    {"deadline_ms", {FRAME_PING, 1, 9, NONE, NONE, NONE, NONE, NONE}},
    {"deadline_ms", {FRAME_PONG, 1, 9, NONE, NONE, NONE, NONE, NONE}},
    {"deadline_ms", {FRAME_GOAWAY, 0, 9, NONE, NONE, NONE, NONE, NONE}},
    {"payload", {FRAME_REQUEST, 1, 9, S("m"), NONE, S("r"), NONE, NONE}},
    {"payload", {FRAME_REPLY, 1, 0, NONE, NONE, NONE, NONE, NONE}},
    {"payload", {FRAME_ERROR, 1, 0, NONE, NONE, NONE, NONE, NONE}},
    {"payload", {FRAME_ONEWAY, 0, 0, S("m"), NONE, S("r"), NONE, NONE}},
    {"payload", {FRAME_PING, 1, 0, NONE, NONE, NONE, NONE, S("x")}},
    {"payload", {FRAME_PONG, 1, 0, NONE, NONE, NONE, NONE, S("x")}},
    {"payload", {FRAME_GOAWAY, 0, 0, NONE, NONE, NONE, NONE, S("x")}},
    {"field", {FRAME_REQUEST, 1, 9, NULL, 4, NONE, S("r"), NONE, S("{}")}},
    {"field", {FRAME_REPLY, 1, 0, NONE, NONE, NONE, NONE, NULL, 2}},
};

#define BAD_CASES (int)(sizeof bad_cases / sizeof bad_cases[0])

/* Writes f's header and bytes with no rule check at all, the way a broken
 * or hostile peer would. 0 when f cannot be laid out in the u8 lengths. */
static size_t raw_build(const frame *f, uint8_t *out, size_t cap)
{
	const struct {
		const char *p;
		size_t n;
	} parts[] = {{f->method, f->method_len},
	             {f->caller, f->caller_len},
	             {f->request_id, f->request_id_len},
	             {f->traceparent, f->traceparent_len},
	             {f->payload, f->payload_len}};
	size_t total = FRAME_PREFIX_LEN + FRAME_HEADER_LEN;
	for (int i = 0; i < 5; i++) {
		if ((parts[i].n && !parts[i].p) || (i < 4 && parts[i].n > 255))
			return 0;
		total += parts[i].n;
	}
	ck_assert_uint_le(total, cap);
	prefix_put(out, (uint32_t)(total - FRAME_PREFIX_LEN));
	out[4] = FRAME_VERSION;
	out[5] = (uint8_t)f->type;
	out[6] = out[7] = 0;
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(f->id >> (56 - 8 * i));
	prefix_put(out + 16, f->deadline_ms);
	uint8_t *p = out + 24;
	for (int i = 0; i < 5; i++) {
		if (i < 4)
			out[20 + i] = (uint8_t)parts[i].n;
		if (parts[i].n)
			memcpy(p, parts[i].p, parts[i].n);
		p += parts[i].n;
	}
	return total;
}

/* Each broken rule: encode refuses the frame, and the same bytes written by
 * a careless peer are malformed, with a `why` naming the field. */
START_TEST(test_rule_broken)
{
	const struct bad_case *c = &bad_cases[_i];
	uint8_t out[1024];

	ck_assert_msg(frame_encode(&c->f, out, sizeof out) == 0,
	              "case %d (%s): encoded", _i, c->why_prefix);

	size_t n = raw_build(&c->f, out, sizeof out);
	if (n == 0)
		return; /* only the encoder can be handed this one */
	size_t used = 99;
	const char *why = NULL;
	frame_status s = decode_exact(out, n, FRAME_MAX_DEFAULT, &used, &why);
	ck_assert_msg(s == FRAME_EMALFORMED, "case %d (%s): decoded %s", _i,
	              c->why_prefix, frame_status_str(s));
	ck_assert_uint_eq(used, 0);
	ck_assert_msg(
	    why && strncmp(why, c->why_prefix, strlen(c->why_prefix)) == 0,
	    "case %d: why \"%s\" does not name %s", _i, why ? why : "(null)",
	    c->why_prefix);
}
END_TEST

/* Frames at the edge of each rule, on the valid side. */
static const frame good_cases[] = {
    {FRAME_REQUEST, 1, 1, S(A255), S(A63), S(A128), S(TP), S("{}")},
    {FRAME_REQUEST, UINT64_MAX, UINT32_MAX,
     S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"),
     S("abcdefghijklmnopqrstuvwxyz0123456789-"),
     S("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
       "abcdefghijklmnopqrstuvwxyz{|}~"),
     S("00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-ff"), S("0")},
    {FRAME_REQUEST, 1, 1, S("m"), NONE, S("r"),
     S("00-00000000000000000000000000000001-0000000000000001-00"), S("{}")},
    {FRAME_ONEWAY, 0, 0, S("m"), NONE, S("r"), NONE, S("{}")},
    {FRAME_ONEWAY, 0, 30000, S("m"), S("a"), S("r"), S(TP), S("{}")},
    {FRAME_REPLY, 1, 0, NONE, NONE, S(A128), NONE, S("\x00\xff")},
    {FRAME_ERROR, UINT64_MAX, 0, NONE, NONE, NONE, NONE, S("{}")},
    {FRAME_PING, UINT64_MAX, 0, NONE, NONE, NONE, NONE, NONE},
    {FRAME_GOAWAY, 0, 0, NONE, NONE, NONE, NONE, NONE},
};

#define GOOD_CASES (int)(sizeof good_cases / sizeof good_cases[0])

static void assert_same_frame(const frame *a, const frame *b)
{
	ck_assert_int_eq(a->type, b->type);
	ck_assert_uint_eq(a->id, b->id);
	ck_assert_uint_eq(a->deadline_ms, b->deadline_ms);
	ck_assert_uint_eq(a->method_len, b->method_len);
	ck_assert_uint_eq(a->caller_len, b->caller_len);
	ck_assert_uint_eq(a->request_id_len, b->request_id_len);
	ck_assert_uint_eq(a->traceparent_len, b->traceparent_len);
	ck_assert_uint_eq(a->payload_len, b->payload_len);
	ck_assert(!a->method_len ||
	          !memcmp(a->method, b->method, a->method_len));
	ck_assert(!a->caller_len ||
	          !memcmp(a->caller, b->caller, a->caller_len));
	ck_assert(!a->request_id_len ||
	          !memcmp(a->request_id, b->request_id, a->request_id_len));
	ck_assert(!a->traceparent_len ||
	          !memcmp(a->traceparent, b->traceparent, a->traceparent_len));
	ck_assert(!a->payload_len ||
	          !memcmp(a->payload, b->payload, a->payload_len));
}

START_TEST(test_rule_edge_valid)
{
	const frame *g = &good_cases[_i];
	uint8_t out[1024], again[1024];
	size_t n = frame_encode(g, out, sizeof out);
	ck_assert_msg(n > 0, "good case %d refused", _i);
	ck_assert_uint_eq(n, frame_encoded_len(g));

	frame f;
	size_t used;
	const char *why = NULL;
	uint8_t *copy = copy_exact(out, n);
	ck_assert_msg(frame_decode(copy, n, FRAME_MAX_DEFAULT, &f, &used,
	                           &why) == FRAME_OK,
	              "good case %d: %s", _i, why ? why : "");
	assert_same_frame(&f, g);
	ck_assert_uint_eq(frame_encode(&f, again, sizeof again), n);
	ck_assert_int_eq(memcmp(out, again, n), 0);
	free(copy);
}
END_TEST

START_TEST(test_encoded_len_limits)
{
	frame f = {.type = FRAME_REPLY, .id = 1, .payload = "x"};
	f.payload_len = (size_t)0xffffffffu - FRAME_HEADER_LEN;
	/* The largest payload the u32 length can describe ... */
	ck_assert_uint_eq(frame_encoded_len(&f), (size_t)0xffffffffu + 4);
	/* ... and one byte more cannot be encoded at all. */
	f.payload_len++;
	ck_assert_uint_eq(frame_encoded_len(&f), 0);
	f.payload_len = SIZE_MAX;
	ck_assert_uint_eq(frame_encoded_len(&f), 0);

	frame m = {.type = FRAME_REQUEST, .id = 1, .deadline_ms = 1};
	m.method = A256;
	m.method_len = 256;
	ck_assert_uint_eq(frame_encoded_len(&m), 0);
	m.method_len = 1;
	m.caller = A64;
	m.caller_len = 64;
	ck_assert_uint_eq(frame_encoded_len(&m), 0);
	m.caller_len = 0;
	m.request_id = A128 "a";
	m.request_id_len = 129;
	ck_assert_uint_eq(frame_encoded_len(&m), 0);
	m.request_id_len = 1;
	m.traceparent = TP "0";
	m.traceparent_len = 56;
	ck_assert_uint_eq(frame_encoded_len(&m), 0);
}
END_TEST

/* ---- Random input ------------------------------------------------------- */

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t rng_below(size_t n)
{
	return n ? (size_t)(rng_next() % n) : 0;
}

/* Garbage, half of it shaped like a frame so that the decoder gets past the
 * header checks into the string rules. */
START_TEST(test_garbage_never_crashes)
{
	uint8_t buf[GARBAGE_LEN_MAX] = {0};
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int run = 0; run < GARBAGE_RUNS; run++) {
		size_t len = rng_below(GARBAGE_LEN_MAX + 1);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng_next();
		if (run % 2 && len >= 24) {
			prefix_put(buf, (uint32_t)(len - 4 - rng_below(3)));
			buf[4] = FRAME_VERSION;
			buf[5] = (uint8_t)(1 + rng_below(7));
			buf[6] = buf[7] = 0;
			for (int i = 20; i < 24; i++)
				buf[i] = (uint8_t)rng_below(len / 4);
		}
		frame f;
		size_t used = 99;
		const char *why = NULL;
		frame_status s =
		    decode_exact(buf, len, FRAME_MAX_DEFAULT, &used, &why);
		ck_assert_int_ge(s, FRAME_OK);
		ck_assert_int_le(s, FRAME_EMALFORMED);
		if (s != FRAME_OK) {
			ck_assert_uint_eq(used, 0);
			ck_assert_ptr_nonnull(why);
			continue;
		}
		ck_assert_uint_le(used, len);
		ck_assert_uint_ge(used, FRAME_PREFIX_LEN + FRAME_HEADER_LEN);
		uint8_t again[GARBAGE_LEN_MAX];
		frame_decode(buf, len, FRAME_MAX_DEFAULT, &f, &used, NULL);
		ck_assert_uint_eq(frame_encode(&f, again, sizeof again), used);
		ck_assert_int_eq(memcmp(buf, again, used), 0);
	}
}
END_TEST

static void rng_fill(char *s, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		s[i] = alphabet[rng_below(k)];
}

static const char METHOD_CHARS[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-";
static const char CALLER_CHARS[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
static const char HEX_CHARS[] = "0123456789abcdef";

struct rand_frame {
	frame f;
	char method[255], caller[63], request_id[128], traceparent[55];
	char payload[300];
};

/* A random frame that obeys every rule of its type. */
static void rand_frame_make(struct rand_frame *r)
{
	frame *f = &r->f;
	memset(f, 0, sizeof *f);
	f->type = (frame_type)(1 + rng_below(7));
	int call = f->type == FRAME_REQUEST || f->type == FRAME_ONEWAY;
	int answer = f->type == FRAME_REPLY || f->type == FRAME_ERROR;

	if (f->type != FRAME_ONEWAY && f->type != FRAME_GOAWAY)
		f->id = rng_next() | 1;
	if (f->type == FRAME_REQUEST ||
	    (f->type == FRAME_ONEWAY && rng_below(2)))
		f->deadline_ms = (uint32_t)rng_next() | 1;
	if (call) {
		f->method_len = 1 + rng_below(255);
		rng_fill(r->method, f->method_len, METHOD_CHARS);
		f->caller_len = rng_below(64);
		rng_fill(r->caller, f->caller_len, CALLER_CHARS);
		if (rng_below(2)) {
			memcpy(r->traceparent, TP, 55);
			rng_fill(r->traceparent + 3, 32, HEX_CHARS);
			r->traceparent[3] = '1'; /* never all zeros */
			rng_fill(r->traceparent + 36, 16, HEX_CHARS);
			r->traceparent[51] = 'a';
			rng_fill(r->traceparent + 53, 2, HEX_CHARS);
			f->traceparent_len = 55;
		}
	}
	if (call || (answer && rng_below(2))) {
		f->request_id_len = 1 + rng_below(128);
		for (size_t i = 0; i < f->request_id_len; i++)
			r->request_id[i] =
			    (char)(0x21 + rng_below(0x7e - 0x20));
	}
	if (call || answer) {
		f->payload_len = 1 + rng_below(sizeof r->payload);
		for (size_t i = 0; i < f->payload_len; i++)
			r->payload[i] = (char)rng_next();
	}
	f->method = r->method;
	f->caller = r->caller;
	f->request_id = r->request_id;
	f->traceparent = r->traceparent;
	f->payload = r->payload;
}

/* Random valid frames, several to a buffer as on a stream: each decodes to
 * the frame that was encoded and re-encodes to the same bytes. */
START_TEST(test_roundtrip_random)
{
	enum { BATCH = 4 };
	static struct rand_frame r[BATCH];
	static uint8_t stream[BATCH * 1024];
	rng_state = 0x0123456789abcdefULL;
	for (int run = 0; run < ROUNDTRIP_RUNS / BATCH; run++) {
		size_t len = 0;
		for (int k = 0; k < BATCH; k++) {
			rand_frame_make(&r[k]);
			size_t n = frame_encode(&r[k].f, stream + len,
			                        sizeof stream - len);
			ck_assert_msg(n > 0, "run %d: valid frame refused",
			              run);
			ck_assert_uint_eq(n, frame_encoded_len(&r[k].f));
			len += n;
		}
		uint8_t *copy = copy_exact(stream, len);
		size_t off = 0;
		for (int k = 0; k < BATCH; k++) {
			frame f;
			size_t used;
			const char *why = NULL;
			ck_assert_msg(frame_decode(copy + off, len - off,
			                           FRAME_MAX_DEFAULT, &f, &used,
			                           &why) == FRAME_OK,
			              "run %d frame %d: %s", run, k, why);
			assert_same_frame(&f, &r[k].f);
			uint8_t again[1024];
			ck_assert_uint_eq(frame_encode(&f, again, sizeof again),
			                  used);
			ck_assert_int_eq(memcmp(again, copy + off, used), 0);
			off += used;
		}
		ck_assert_uint_eq(off, len);
		free(copy);
	}
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(frame_status_str(FRAME_OK), "ok");
	ck_assert_str_eq(frame_status_str(FRAME_EMALFORMED), "malformed frame");
	ck_assert_str_eq(frame_status_str(FRAME_ETOOBIG), "frame too big");
	ck_assert_str_eq(frame_status_str((frame_status)99),
	                 "unknown frame status");
	ck_assert_str_eq(frame_type_str(FRAME_REQUEST), "request");
	ck_assert_str_eq(frame_type_str(FRAME_ONEWAY), "one-way");
	ck_assert_str_eq(frame_type_str(FRAME_GOAWAY), "goaway");
	ck_assert_str_eq(frame_type_str(0), "unknown");
	ck_assert_str_eq(frame_type_str(8), "unknown");
	ck_assert_str_eq(frame_type_str(-1), "unknown");
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, test_vectors_present);
	tcase_add_test(tc, test_vectors_decode);
	tcase_add_test(tc, test_vectors_with_trailing_bytes);
	tcase_add_test(tc, test_vector_fields);
	tcase_add_test(tc, test_truncations_need_more);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_oversized_from_prefix_alone);
	tcase_add_test(tc, test_boundary_default_max);
	tcase_add_test(tc, test_boundary_small_max);
	tcase_add_test(tc, test_encoded_len_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, test_encode_small_buffer);
	tcase_add_test(tc, test_flags_reserved);
	tcase_add_loop_test(tc, test_rule_broken, 0, BAD_CASES);
	tcase_add_loop_test(tc, test_rule_edge_valid, 0, GOOD_CASES);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_garbage_never_crashes);
	tcase_add_test(tc, test_roundtrip_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(frame_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
