/*
 * frame.c: the wire codec of proto/wire.md.
 *
 * frame_decode() reads the fixed header into a frame and then runs the very
 * rule check that frame_encode() runs on the caller's frame, so the two
 * cannot drift apart: whatever encode writes, decode accepts, and a decoded
 * frame re-encodes to the same bytes. Only what the frame struct cannot
 * express (version, flags, string lengths against the frame length) is
 * checked by decode alone.
 *
 * This runs on every mesh call: no allocation, no copies (decoded strings
 * point into the caller's buffer), one table load per string byte.
 */
#include "frame.h"

#include <string.h>

/* Field limits of proto/wire.md; each fits the u8 length byte. */
#define FRAME_METHOD_MAX     255
#define FRAME_CALLER_MAX     63
#define FRAME_REQUEST_ID_MAX 128
/* Where the strings start: prefix, fixed header. */
#define FRAME_STRINGS_OFF (FRAME_PREFIX_LEN + FRAME_HEADER_LEN)
/* The length field is a u32: the largest frame any peer could declare. */
#define FRAME_LENGTH_MAX 0xffffffffu

/* Character classes, one bit each, so checking a string is an AND of one
 * table load per byte. Bytes 0x80..0xff belong to no class. */
enum {
	CC_METHOD = 1, /* [A-Za-z0-9_.:-] */
	CC_CALLER = 2, /* [a-z0-9-] */
	CC_REQID = 4,  /* printable ASCII 0x21..0x7e */
	CC_LHEX = 8    /* [0-9a-f] */
};

/* clang-format off */
static const uint8_t char_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x00 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0, /* 0x10 */
	 0,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  7,  5,  4, /* 0x20 */
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  5,  4,  4,  4,  4,  4, /* 0x30 */
	 4,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5, /* 0x40 */
	 5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  4,  4,  4,  4,  5, /* 0x50 */
	 4, 15, 15, 15, 15, 15, 15,  7,  7,  7,  7,  7,  7,  7,  7,  7, /* 0x60 */
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  4,  4,  4,  4,  0, /* 0x70 */
};
/* clang-format on */

/* Non-zero when every byte of s[0..n) is in class cls (true for n == 0). */
static int chars_in(const char *s, size_t n, uint8_t cls)
{
	const uint8_t *u = (const uint8_t *)s;
	uint8_t a = cls, b = cls, c = cls, d = cls;
	size_t i = 0;
	/* Four chains so the table loads overlap; no early exit: a bad byte
	 * is rare and a branch per byte costs more than finishing. */
	for (; i + 4 <= n; i += 4) {
		a &= char_class[u[i]];
		b &= char_class[u[i + 1]];
		c &= char_class[u[i + 2]];
		d &= char_class[u[i + 3]];
	}
	for (; i < n; i++)
		a &= char_class[u[i]];
	return (a & b & c & d) != 0;
}

/* Non-zero when s[0..n) is all '0': W3C forbids all-zero trace and parent
 * ids. */
static int all_zero_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

/* What each type allows: the per-type table of proto/wire.md section 4. */
enum presence {
	ABSENT,   /* must be empty (or zero) */
	OPTIONAL, /* may be empty (or zero) */
	REQUIRED  /* must be non-empty (or non-zero) */
};

static const struct type_rule {
	uint8_t method, caller, request_id, traceparent, id, deadline, payload;
} type_rules[FRAME_GOAWAY + 1] = {
    /* method, caller, request_id, traceparent, id, deadline_ms, payload */
    [FRAME_REQUEST] = {REQUIRED, OPTIONAL, REQUIRED, OPTIONAL, REQUIRED,
                       REQUIRED, REQUIRED},
    [FRAME_REPLY] = {ABSENT, ABSENT, OPTIONAL, ABSENT, REQUIRED, ABSENT,
                     REQUIRED},
    [FRAME_ERROR] = {ABSENT, ABSENT, OPTIONAL, ABSENT, REQUIRED, ABSENT,
                     REQUIRED},
    [FRAME_ONEWAY] = {REQUIRED, OPTIONAL, REQUIRED, OPTIONAL, ABSENT, OPTIONAL,
                      REQUIRED},
    [FRAME_PING] = {ABSENT, ABSENT, ABSENT, ABSENT, REQUIRED, ABSENT, ABSENT},
    [FRAME_PONG] = {ABSENT, ABSENT, ABSENT, ABSENT, REQUIRED, ABSENT, ABSENT},
    [FRAME_GOAWAY] = {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT},
};

/* Non-zero when a field of size n (a length or a number) breaks presence
 * rule p. */
static int breaks(uint8_t p, uint64_t n)
{
	return (p == ABSENT && n != 0) || (p == REQUIRED && n == 0);
}

static int type_valid(int type)
{
	return type >= FRAME_REQUEST && type <= FRAME_GOAWAY;
}

static const char *check_traceparent(const char *t, size_t n)
{
	if (n != FRAME_TRACEPARENT_LEN)
		return "traceparent: must be empty or exactly 55 bytes";
	/* 00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags> */
	if (t[0] != '0' || t[1] != '0' || t[2] != '-' || t[35] != '-' ||
	    t[52] != '-')
		return "traceparent: not 00-<32 hex>-<16 hex>-<2 hex>";
	if (!chars_in(t + 3, 32, CC_LHEX) || !chars_in(t + 36, 16, CC_LHEX) ||
	    !chars_in(t + 53, 2, CC_LHEX))
		return "traceparent: ids and flags must be lowercase hex";
	if (all_zero_digits(t + 3, 32))
		return "traceparent: trace-id is all zeros";
	if (all_zero_digits(t + 36, 16))
		return "traceparent: parent-id is all zeros";
	return NULL;
}

/* The rules both directions share. NULL when f is valid, else the rule it
 * breaks. A NULL pointer with a non-zero length is refused here so that
 * encode never reads through it. */
static const char *frame_check(const frame *f)
{
	if (!type_valid((int)f->type))
		return "type: not in 1..7";
	const struct type_rule *r = &type_rules[f->type];

	if ((f->method_len && !f->method) || (f->caller_len && !f->caller) ||
	    (f->request_id_len && !f->request_id) ||
	    (f->traceparent_len && !f->traceparent) ||
	    (f->payload_len && !f->payload))
		return "field: NULL pointer with a non-zero length";

	if (f->method_len > FRAME_METHOD_MAX)
		return "method: longer than 255 bytes";
	if (breaks(r->method, f->method_len))
		return r->method == REQUIRED
		           ? "method: required on request and one-way"
		           : "method: must be empty except on request and "
		             "one-way";
	if (!chars_in(f->method, f->method_len, CC_METHOD))
		return "method: byte outside [A-Za-z0-9_.:-]";

	if (f->caller_len > FRAME_CALLER_MAX)
		return "caller: longer than 63 bytes";
	if (breaks(r->caller, f->caller_len))
		return "caller: must be empty except on request and one-way";
	if (!chars_in(f->caller, f->caller_len, CC_CALLER))
		return "caller: byte outside [a-z0-9-]";

	if (f->request_id_len > FRAME_REQUEST_ID_MAX)
		return "request_id: longer than 128 bytes";
	if (breaks(r->request_id, f->request_id_len))
		return r->request_id == REQUIRED
		           ? "request_id: required on request and one-way"
		           : "request_id: must be empty on ping, pong and "
		             "goaway";
	if (!chars_in(f->request_id, f->request_id_len, CC_REQID))
		return "request_id: byte outside printable ASCII 0x21..0x7e";

	if (f->traceparent_len) {
		if (r->traceparent == ABSENT)
			return "traceparent: must be empty except on request "
			       "and one-way";
		const char *why =
		    check_traceparent(f->traceparent, f->traceparent_len);
		if (why)
			return why;
	}

	if (breaks(r->id, f->id))
		return r->id == REQUIRED ? "id: zero on request, reply, error, "
		                           "ping or pong"
		                         : "id: non-zero on one-way or goaway";
	if (breaks(r->deadline, f->deadline_ms))
		return r->deadline == REQUIRED
		           ? "deadline_ms: zero on a request"
		           : "deadline_ms: non-zero on reply, error, ping, "
		             "pong or goaway";
	if (breaks(r->payload, f->payload_len))
		return r->payload == REQUIRED
		           ? "payload: empty on request, reply, error or "
		             "one-way"
		           : "payload: must be empty on ping, pong and goaway";
	return NULL;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static frame_status peek(const uint8_t *buf, size_t len, size_t max_frame,
                         size_t *total, const char **why)
{
	if (len < FRAME_PREFIX_LEN) {
		*why = "frame incomplete: fewer than 4 bytes";
		return FRAME_NEED_MORE;
	}
	uint32_t length = get_u32(buf);
	if (length < FRAME_HEADER_LEN) {
		*why = "length: under 20, the fixed header";
		return FRAME_EMALFORMED;
	}
	/* In 64 bits: length + 4 overflows a 32-bit size_t. */
	uint64_t whole = (uint64_t)length + FRAME_PREFIX_LEN;
	if (whole > (uint64_t)max_frame) {
		*why = "length: frame larger than the maximum frame size";
		return FRAME_ETOOBIG;
	}
	*total = (size_t)whole;
	return FRAME_OK;
}

frame_status frame_peek(const uint8_t *buf, size_t len, size_t max_frame,
                        size_t *total)
{
	const char *why;
	size_t t = 0;
	frame_status s = peek(buf, len, max_frame, &t, &why);
	if (total)
		*total = t;
	return s;
}

frame_status frame_decode(const uint8_t *buf, size_t len, size_t max_frame,
                          frame *f, size_t *consumed, const char **why)
{
	const char *w = NULL;
	size_t total = 0;
	frame d;
	frame_status s = peek(buf, len, max_frame, &total, &w);

	*consumed = 0;
	if (s != FRAME_OK)
		goto out;
	/* Nothing but the prefix is judged before the whole frame is in, so
	 * a frame's verdict never depends on how the stream was split. */
	if (len < total) {
		s = FRAME_NEED_MORE;
		w = "frame incomplete";
		goto out;
	}
	if (buf[4] != FRAME_VERSION) {
		s = FRAME_EVERSION;
		w = "version: not 1";
		goto out;
	}
	s = FRAME_EMALFORMED;
	if (!type_valid(buf[5])) {
		w = "type: not in 1..7";
		goto out;
	}
	if (get_u16(buf + 6) != 0) {
		w = "flags: reserved, must be 0";
		goto out;
	}
	size_t strings = (size_t)buf[20] + buf[21] + buf[22] + buf[23];
	if (FRAME_STRINGS_OFF + strings > total) {
		w = "string lengths: past the end of the frame";
		goto out;
	}

	const char *p = (const char *)buf + FRAME_STRINGS_OFF;
	d.type = (frame_type)buf[5];
	d.id = get_u64(buf + 8);
	d.deadline_ms = get_u32(buf + 16);
	d.method = p;
	d.method_len = buf[20];
	d.caller = d.method + d.method_len;
	d.caller_len = buf[21];
	d.request_id = d.caller + d.caller_len;
	d.request_id_len = buf[22];
	d.traceparent = d.request_id + d.request_id_len;
	d.traceparent_len = buf[23];
	d.payload = d.traceparent + d.traceparent_len;
	d.payload_len = total - FRAME_STRINGS_OFF - strings;

	w = frame_check(&d);
	if (w)
		goto out;
	s = FRAME_OK;
	*f = d;
	*consumed = total;
out:
	if (why)
		*why = w;
	return s;
}

size_t frame_encoded_len(const frame *f)
{
	if (f->method_len > FRAME_METHOD_MAX ||
	    f->caller_len > FRAME_CALLER_MAX ||
	    f->request_id_len > FRAME_REQUEST_ID_MAX ||
	    f->traceparent_len > FRAME_TRACEPARENT_LEN)
		return 0;
	size_t head = FRAME_STRINGS_OFF + f->method_len + f->caller_len +
	              f->request_id_len + f->traceparent_len;
	/* The length field counts everything after itself and is a u32; the
	 * second test matters only where size_t is 32 bits. */
	if ((uint64_t)f->payload_len >
	        FRAME_LENGTH_MAX - (head - FRAME_PREFIX_LEN) ||
	    f->payload_len > SIZE_MAX - head)
		return 0;
	return head + f->payload_len;
}

static uint8_t *put_bytes(uint8_t *out, const char *s, size_t n)
{
	if (n)
		memcpy(out, s, n);
	return out + n;
}

size_t frame_encode(const frame *f, uint8_t *out, size_t cap)
{
	size_t total = frame_encoded_len(f);
	if (!out || total == 0 || total > cap || frame_check(f))
		return 0;

	put_u32(out, (uint32_t)(total - FRAME_PREFIX_LEN));
	out[4] = FRAME_VERSION;
	out[5] = (uint8_t)f->type;
	out[6] = 0;
	out[7] = 0;
	put_u64(out + 8, f->id);
	put_u32(out + 16, f->deadline_ms);
	out[20] = (uint8_t)f->method_len;
	out[21] = (uint8_t)f->caller_len;
	out[22] = (uint8_t)f->request_id_len;
	out[23] = (uint8_t)f->traceparent_len;

	uint8_t *p = out + FRAME_STRINGS_OFF;
	p = put_bytes(p, f->method, f->method_len);
	p = put_bytes(p, f->caller, f->caller_len);
	p = put_bytes(p, f->request_id, f->request_id_len);
	p = put_bytes(p, f->traceparent, f->traceparent_len);
	put_bytes(p, f->payload, f->payload_len);
	return total;
}

const char *frame_status_str(frame_status s)
{
	switch (s) {
	case FRAME_OK:
		return "ok";
	case FRAME_NEED_MORE:
		return "incomplete frame";
	case FRAME_ETOOBIG:
		return "frame too big";
	case FRAME_EVERSION:
		return "unsupported protocol version";
	case FRAME_EMALFORMED:
		return "malformed frame";
	}
	return "unknown frame status";
}

const char *frame_type_str(int type)
{
	static const char *const names[FRAME_GOAWAY + 1] = {
	    [FRAME_REQUEST] = "request", [FRAME_REPLY] = "reply",
	    [FRAME_ERROR] = "error",     [FRAME_ONEWAY] = "one-way",
	    [FRAME_PING] = "ping",       [FRAME_PONG] = "pong",
	    [FRAME_GOAWAY] = "goaway",
	};
	return type_valid(type) ? names[type] : "unknown";
}
