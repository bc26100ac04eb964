/*
 * auth_scripts.h: the Lua scripts behind create, verify, revoke and list.
 *
 * Each runs with EVAL as one atomic step, so a key, its hash index and its
 * list entries appear and disappear together, and the times come from
 * Redis's clock (one clock for every auth instance). Keys (prefix "auth:"):
 *
 *   auth:key:<key_id>       hash: the record (key_record.h)
 *   auth:hash:<hex sha256>  string: key_id; exists only while the key is
 *                           live, so verify is one lookup
 *   auth:keys               sorted set: every key_id by created_at
 *   auth:customer:<id>      sorted set: a customer's key_ids by created_at
 *
 * verify and revoke build a record or hash key from a prefix in ARGV plus
 * a value they read: fine on one Redis, not on Redis Cluster.
 */
#ifndef AUTH_SCRIPTS_H
#define AUTH_SCRIPTS_H

/* KEYS: record, hash index, auth:keys[, customer index].
 * ARGV: key_id, name, scopes (JSON text), customer_id or "", hex hash.
 * Returns created_at (ms), or 0 when the id or the hash is taken. */
extern const char auth_script_create[];

/* KEYS: hash index. ARGV: record key prefix ("auth:key:"), last_used_at
 * resolution in ms. Returns the record as a flat array, or nil when the
 * key is unknown or revoked; updates last_used_at when it is older than the
 * resolution (one write per key per resolution, not one per verify). */
extern const char auth_script_verify[];

/* KEYS: record. ARGV: hash index prefix ("auth:hash:").
 * Returns nil for an unknown key, else {newly revoked 1|0, revoked_at,
 * customer_id}. Drops the hash index and the stored hash. */
extern const char auth_script_revoke[];

/* KEYS: an index (auth:keys or auth:customer:<id>). ARGV: record key
 * prefix, offset, count. Returns {total, record, record, ...}, newest
 * first, each record a flat array without the hash field. */
extern const char auth_script_list[];

#endif
