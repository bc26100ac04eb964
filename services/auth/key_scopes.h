/*
 * key_scopes.h: what an API key may do.
 *
 * A scope is "<resource>:<action>" with both parts in [a-z-]+ ("leads:read",
 * "comps:write"), or one of two special scopes:
 *
 *   "*"      every resource scope ("leads:read", "billing:write", ...) but
 *            NOT "admin": a customer's all-access key still cannot manage
 *            keys, read the platform's logs or flip flags.
 *   "admin"  everything, "admin" included. Whoever holds it can mint a key
 *            with any scope anyway, so refusing it something would only be
 *            a detour, not a protection.
 *
 * There are no partial wildcards ("leads:*"): a route names exact scopes.
 * The gateway applies the same rules to routes (services/gateway/scopes.h);
 * this file decides what a key may be created with.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef KEY_SCOPES_H
#define KEY_SCOPES_H

#include <jansson.h>
#include <stddef.h>

#define SCOPE_ALL   "*"
#define SCOPE_ADMIN "admin"

/* Longest scope accepted, in bytes ("appointments:write" is 18). */
#define SCOPE_MAX_LEN 64
/* Most scopes on one key: a real key has a handful. */
#define SCOPES_MAX 32

/* Whether s is a well-formed scope. */
int key_scope_valid(const char *s);

/* Whether a key holding scope `have` may use a route needing `need`. */
int key_scope_allows(const char *have, const char *need);

/* Whether any of the scopes in have (a JSON array of strings) allows
 * need. Non-strings in have allow nothing. */
int key_scopes_allow(const json_t *have, const char *need);

/* Checks a create request's scopes: a JSON array of 1..SCOPES_MAX valid,
 * distinct scope strings. 0, or -1 with a message naming the problem in
 * why (always NUL-terminated). */
int key_scopes_check(const json_t *scopes, char *why, size_t why_len);

#endif
