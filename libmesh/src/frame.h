/*
 * frame.h: the wire codec of proto/wire.md. Pure: no I/O, no allocation.
 * Decoded strings and the payload point into the caller's buffer.
 */
#ifndef MESH_FRAME_H
#define MESH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_VERSION         1
#define FRAME_PREFIX_LEN      4  /* the u32 length before everything else */
#define FRAME_HEADER_LEN      20 /* fixed header after the prefix */
#define FRAME_MAX_DEFAULT     (1024u * 1024u) /* whole frame, prefix included */
#define FRAME_TRACEPARENT_LEN 55

typedef enum frame_type {
	FRAME_REQUEST = 1,
	FRAME_REPLY = 2,
	FRAME_ERROR = 3,
	FRAME_ONEWAY = 4,
	FRAME_PING = 5,
	FRAME_PONG = 6,
	FRAME_GOAWAY = 7
} frame_type;

typedef struct frame {
	frame_type type;
	uint64_t id;
	uint32_t deadline_ms; /* time left when sent; 0 = none */
	const char *method;
	size_t method_len;
	const char *caller;
	size_t caller_len;
	const char *request_id;
	size_t request_id_len;
	const char *traceparent;
	size_t traceparent_len;
	const char *payload;
	size_t payload_len;
} frame;

typedef enum frame_status {
	FRAME_OK = 0,
	FRAME_NEED_MORE, /* not an error: the buffer holds a partial frame */
	FRAME_ETOOBIG,   /* declared length exceeds the maximum frame size */
	FRAME_EVERSION,  /* unknown protocol version */
	FRAME_EMALFORMED /* anything else that breaks proto/wire.md */
} frame_status;

/* Total size (prefix included) of the frame starting at buf, once the prefix
 * is there: FRAME_NEED_MORE with fewer than 4 bytes, FRAME_ETOOBIG over
 * max_frame, FRAME_EMALFORMED under the minimum. max_frame counts the whole
 * frame, prefix included; a frame of exactly max_frame bytes is accepted
 * (no frame fits under 24). total may be NULL. */
frame_status frame_peek(const uint8_t *buf, size_t len, size_t max_frame,
                        size_t *total);

/* Decodes one frame from the start of buf; bytes after it are left alone.
 * On FRAME_OK, *consumed is its size, f's strings and payload point into buf
 * (valid while buf is) and *why is NULL. Otherwise *consumed is 0, f is
 * untouched and *why (if why is not NULL) names the broken rule in a static
 * string. Only the 4-byte prefix is judged before the whole frame is in:
 * a partial frame is FRAME_NEED_MORE, whatever its header says. */
frame_status frame_decode(const uint8_t *buf, size_t len, size_t max_frame,
                          frame *f, size_t *consumed, const char **why);

/* Bytes frame_encode() needs for f, prefix included; 0 when a string is
 * longer than proto/wire.md allows or the total overflows the u32 length.
 * It does not check the other rules: frame_encode() does. */
size_t frame_encoded_len(const frame *f);

/* Encodes f into out; returns the bytes written, or 0 (out untouched) when
 * cap is too small or f breaks a rule that frame_decode() would reject. A
 * string may be NULL only with length 0. It does not know the peer's
 * max_frame: compare the result with it before sending. */
size_t frame_encode(const frame *f, uint8_t *out, size_t cap);

/* A short name for a status ("malformed frame"). */
const char *frame_status_str(frame_status s);
/* The wire name of a type ("request"), "unknown" otherwise. */
const char *frame_type_str(int type);

#endif
