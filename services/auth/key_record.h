/*
 * key_record.h: the stored form of an API key and the public view of it.
 *
 * A key is stored as a Redis hash with the fields
 *   id, name, scopes (a JSON array as text), customer_id ("" for none),
 *   hash (hex SHA-256 of the key; removed on revoke), created_at,
 *   last_used_at, revoked_at (milliseconds since the epoch, Redis's clock).
 * The public view never carries the hash:
 *   {key_id, name, scopes, customer_id|null, created_at,
 *    last_used_at|null, revoked_at|null, revoked}
 * with times as ISO 8601 UTC strings ("2025-03-01T12:00:00.000Z").
 *
 * Pure: no I/O.
 */
#ifndef KEY_RECORD_H
#define KEY_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

/* Longest key name, in bytes: a label a person reads in a list. */
#define KEY_NAME_MAX 100
/* Longest customer id, in bytes. */
#define KEY_CUSTOMER_ID_MAX 64

/* Checks a key name: a string of 1..KEY_NAME_MAX bytes without control
 * characters. 0, or -1 with why filled. */
int key_name_check(const json_t *name, char *why, size_t why_len);
/* Checks an optional customer id: absent or null is fine, otherwise a
 * string of 1..KEY_CUSTOMER_ID_MAX characters in [A-Za-z0-9_-]. */
int key_customer_id_check(const json_t *customer_id, char *why, size_t why_len);

/* The public view of a stored record given as Redis's flat HGETALL array
 * [field, value, ...]. NULL when the record lacks id, name, scopes or
 * created_at. Caller owns the result. */
json_t *key_record_public(const json_t *flat);

/* The value of one field of a flat HGETALL array; NULL when absent.
 * Borrowed from flat. */
const char *key_record_field(const json_t *flat, const char *field);

#endif
