/*
 * auth: API keys. create returns a key once and stores only its SHA-256;
 * verify (the gateway's call on every non-public request) hashes the
 * presented key and finds it by that hash; revoke and list manage keys.
 * A bootstrap admin key may come from ADMIN_API_KEY: it verifies as
 * key_admin with the admin scope and is never stored.
 *
 * Secrets never leave this process except in create's one reply: no log
 * line, event or error message carries a key or a hash.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_scripts.h"
#include "auth/key_format.h"
#include "auth/key_record.h"
#include "auth/key_scopes.h"
#include "mesh.h"

/* One message for an unknown, revoked or malformed key: the caller learns
 * nothing about which. */
#define AUTH_INVALID "invalid or revoked API key"

static mesh_kv_script auth_script_create_eval =
    MESH_KV_SCRIPT(auth_script_create);
static mesh_kv_script auth_script_verify_eval =
    MESH_KV_SCRIPT(auth_script_verify);
static mesh_kv_script auth_script_revoke_eval =
    MESH_KV_SCRIPT(auth_script_revoke);
static mesh_kv_script auth_script_list_eval = MESH_KV_SCRIPT(auth_script_list);

#define SHA256_LEN 32
#define SHA256_HEX (2 * SHA256_LEN)

/* last_used_at is written at most once a minute per key: verify stays a
 * read for a key in constant use. */
#define LAST_USED_RESOLUTION_MS "60000"
/* Tries at a fresh id and key when the store reports one taken (60-bit
 * ids: a second try is already a curiosity). */
#define CREATE_ATTEMPTS 3
/* list: default and largest page. */
#define LIST_DEFAULT 100
#define LIST_MAX     1000
/* list: largest offset (a deeper page is a scan, not a listing). */
#define LIST_OFFSET_MAX 1000000

static int admin_configured;
static unsigned char admin_hash[SHA256_LEN];

static int sha256(const char *s, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) == 1 &&
	               n == SHA256_LEN
	           ? 0
	           : -1;
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Redis errors are ours to log, not the caller's to read. */
static void fail_store(mesh_req *req, mesh_err err, const char *msg)
{
	mesh_log(req, MESH_LOG_ERROR, NULL, "%s: store: %s",
	         mesh_req_method(req), msg);
	mesh_fail(req, err == MESH_EUNAVAILABLE ? err : MESH_EINTERNAL,
	          "key store unavailable");
}

/* ---- create ------------------------------------------------------------- */

typedef struct create_op {
	mesh_req *req;
	json_t *args;
	int attempts;
	int64_t created_ms;
	char key[KEY_LEN + 1];
	char id[KEY_ID_LEN + 1];
	char hash[SHA256_HEX + 1];
} create_op;

static void create_free(create_op *op)
{
	OPENSSL_cleanse(op->key, sizeof op->key);
	OPENSSL_cleanse(op->hash, sizeof op->hash);
	free(op);
}

static void create_store(create_op *op);

static void create_published(void *arg, mesh_err err, const char *msg)
{
	create_op *op = arg;
	json_t *customer = json_object_get(op->args, "customer_id");
	char created[MESH_TIME_SIZE];

	/* The key exists now and this reply is the only place it will ever
	 * be shown: a lost event must not lose the key. */
	if (err != MESH_OK)
		mesh_log(op->req, MESH_LOG_WARN, NULL,
		         "key.created for %s not published: %s", op->id, msg);
	mesh_time_format(op->created_ms, created);
	mesh_reply(op->req,
	           json_pack("{s:s, s:s, s:O, s:O, s:O, s:s, s:{s:i}}", "key",
	                     op->key, "key_id", op->id, "name",
	                     json_object_get(op->args, "name"), "scopes",
	                     json_object_get(op->args, "scopes"), "customer_id",
	                     customer ? customer : json_null(), "created_at",
	                     created, "_http", "status", 201));
	create_free(op);
}

static void create_stored(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	create_op *op = arg;
	json_t *customer = json_object_get(op->args, "customer_id");
	json_t *event;

	if (err != MESH_OK) {
		fail_store(op->req, err, msg);
		create_free(op);
		return;
	}
	op->created_ms = json_integer_value(reply);
	if (op->created_ms == 0) {
		if (++op->attempts < CREATE_ATTEMPTS) {
			create_store(op);
			return;
		}
		mesh_log(op->req, MESH_LOG_ERROR, NULL,
		         "create: %d fresh ids were all taken", op->attempts);
		mesh_fail(op->req, MESH_EINTERNAL,
		          "could not allocate a key id");
		create_free(op);
		return;
	}
	mesh_log(op->req, MESH_LOG_INFO, NULL, "created key %s", op->id);
	event = json_pack("{s:s, s:O, s:O, s:O}", "key_id", op->id, "name",
	                  json_object_get(op->args, "name"), "scopes",
	                  json_object_get(op->args, "scopes"), "customer_id",
	                  customer ? customer : json_null());
	mesh_publish(op->req, "key.created", event, create_published, op);
}

/* Draws a fresh key and id and stores them; a taken id or hash comes back
 * as 0 and is retried with new ones. */
static void create_store(create_op *op)
{
	uint8_t kb[KEY_RANDOM_BYTES], ib[KEY_ID_RANDOM_BYTES];
	unsigned char h[SHA256_LEN];
	const char *customer =
	    json_string_value(json_object_get(op->args, "customer_id"));
	char *scopes;
	char rkey[128], hkey[128], ckey[128];

	if (RAND_bytes(kb, sizeof kb) != 1 || RAND_bytes(ib, sizeof ib) != 1) {
		mesh_log(op->req, MESH_LOG_ERROR, NULL,
		         "create: the random source failed");
		mesh_fail(op->req, MESH_EINTERNAL, "random source unavailable");
		create_free(op);
		return;
	}
	key_format_make(kb, op->key);
	OPENSSL_cleanse(kb, sizeof kb);
	key_id_make(ib, op->id);
	if (sha256(op->key, KEY_LEN, h) != 0) {
		mesh_fail(op->req, MESH_EINTERNAL, "hashing failed");
		create_free(op);
		return;
	}
	hex_encode(h, sizeof h, op->hash);
	scopes = json_dumps(json_object_get(op->args, "scopes"), JSON_COMPACT);
	if (!scopes) {
		mesh_fail(op->req, MESH_EINTERNAL, "out of memory");
		create_free(op);
		return;
	}
	snprintf(rkey, sizeof rkey, "%s", mesh_kv_key("key", op->id));
	snprintf(hkey, sizeof hkey, "%s", mesh_kv_key("hash", op->hash));
	if (customer)
		snprintf(ckey, sizeof ckey, "%s",
		         mesh_kv_key("customer", customer));
	const char *argv[12];
	int n = 0;
	argv[n++] = customer ? "4" : "3";
	argv[n++] = rkey;
	argv[n++] = hkey;
	argv[n++] = mesh_kv_key("keys");
	if (customer)
		argv[n++] = ckey;
	argv[n++] = op->id;
	argv[n++] = json_string_value(json_object_get(op->args, "name"));
	argv[n++] = scopes;
	argv[n++] = customer ? customer : "";
	argv[n++] = op->hash;
	mesh_kv_eval(&auth_script_create_eval, create_stored, op, n, argv,
	             NULL);
	free(scopes);
}

/* {name, scopes: [...], customer_id?} -> the key, once, and its record. */
static void auth_create(mesh_req *req, json_t *args)
{
	char why[256];
	create_op *op;

	if (key_name_check(json_object_get(args, "name"), why, sizeof why) ||
	    key_scopes_check(json_object_get(args, "scopes"), why,
	                     sizeof why) ||
	    key_customer_id_check(json_object_get(args, "customer_id"), why,
	                          sizeof why)) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	op = calloc(1, sizeof *op);
	if (!op) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	op->req = req;
	op->args = args;
	create_store(op);
}

/* ---- verify ------------------------------------------------------------- */

typedef struct verify_op {
	mesh_req *req;
	char hash[SHA256_HEX + 1];
} verify_op;

static void verify_found(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	verify_op *op = arg;
	const char *stored = key_record_field(reply, "hash");
	json_t *pub;

	if (err != MESH_OK) {
		fail_store(op->req, err, msg);
		free(op);
		return;
	}
	/* The index said yes; the record's own hash must agree, compared in
	 * constant time, before the key counts as this record's. */
	if (!stored || strlen(stored) != SHA256_HEX ||
	    CRYPTO_memcmp(stored, op->hash, SHA256_HEX) != 0 ||
	    !(pub = key_record_public(reply))) {
		mesh_log(op->req, MESH_LOG_DEBUG, NULL,
		         "verify: unknown or revoked key");
		mesh_fail(op->req, MESH_EUNAUTHORIZED, AUTH_INVALID);
		free(op);
		return;
	}
	mesh_reply(op->req,
	           json_pack("{s:O, s:O, s:O, s:O}", "key_id",
	                     json_object_get(pub, "key_id"), "name",
	                     json_object_get(pub, "name"), "scopes",
	                     json_object_get(pub, "scopes"), "customer_id",
	                     json_object_get(pub, "customer_id")));
	json_decref(pub);
	free(op);
}

/* {key} -> {key_id, name, scopes, customer_id}, or unauthorized. */
static void auth_verify(mesh_req *req, json_t *args)
{
	json_t *k = json_object_get(args, "key");
	const char *key = json_string_value(k);
	size_t len = json_string_length(k);
	unsigned char h[SHA256_LEN];
	verify_op *op;

	if (!key) {
		mesh_fail(req, MESH_EINVAL, "key: expected a string");
		return;
	}
	/* Longer than any key we accept (or with a NUL inside): no hashing
	 * of megabytes on behalf of a stranger. */
	if (len > ADMIN_KEY_MAX_LEN || strlen(key) != len) {
		mesh_fail(req, MESH_EUNAUTHORIZED, AUTH_INVALID);
		return;
	}
	if (sha256(key, len, h) != 0) {
		mesh_fail(req, MESH_EINTERNAL, "hashing failed");
		return;
	}
	if (admin_configured && CRYPTO_memcmp(h, admin_hash, SHA256_LEN) == 0) {
		mesh_reply(req,
		           json_pack("{s:s, s:s, s:[s], s:n}", "key_id",
		                     KEY_ADMIN_ID, "name",
		                     "bootstrap admin (ADMIN_API_KEY)",
		                     "scopes", SCOPE_ADMIN, "customer_id"));
		return;
	}
	if (!key_format_valid(key)) {
		mesh_fail(req, MESH_EUNAUTHORIZED, AUTH_INVALID);
		return;
	}
	op = calloc(1, sizeof *op);
	if (!op) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	op->req = req;
	hex_encode(h, sizeof h, op->hash);
	char hkey[128], prefix[64];
	snprintf(hkey, sizeof hkey, "%s", mesh_kv_key("hash", op->hash));
	snprintf(prefix, sizeof prefix, "%s", mesh_kv_key("key", ""));
	const char *argv[] = {"1", hkey, prefix, LAST_USED_RESOLUTION_MS};
	mesh_kv_eval(&auth_script_verify_eval, verify_found, op, 4, argv, NULL);
}

/* ---- revoke ------------------------------------------------------------- */

typedef struct revoke_op {
	mesh_req *req;
	char id[KEY_ID_LEN + 1];
	json_t *reply;
} revoke_op;

static void revoke_published(void *arg, mesh_err err, const char *msg)
{
	revoke_op *op = arg;

	/* The key is revoked whatever became of the event. */
	if (err != MESH_OK)
		mesh_log(op->req, MESH_LOG_WARN, NULL,
		         "key.revoked for %s not published: %s", op->id, msg);
	mesh_reply(op->req, op->reply);
	free(op);
}

static void revoke_done(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	revoke_op *op = arg;
	json_int_t newly = json_integer_value(json_array_get(reply, 0));
	const char *at = json_string_value(json_array_get(reply, 1));
	const char *customer = json_string_value(json_array_get(reply, 2));
	char iso[MESH_TIME_SIZE] = "";
	json_t *cust;

	if (err != MESH_OK) {
		fail_store(op->req, err, msg);
		free(op);
		return;
	}
	if (json_is_null(reply)) {
		mesh_fail(op->req, MESH_ENOTFOUND, "key_id: no key %s", op->id);
		free(op);
		return;
	}
	if (at)
		mesh_time_format(strtoll(at, NULL, 10), iso);
	cust = customer && *customer ? json_string(customer) : json_null();
	op->reply =
	    json_pack("{s:s, s:b, s:s, s:O}", "key_id", op->id, "revoked", 1,
	              "revoked_at", iso, "customer_id", cust);
	if (!newly) {
		/* Revoking twice is not an error, and not a second event. */
		json_decref(cust);
		revoke_published(op, MESH_OK, "");
		return;
	}
	mesh_log(op->req, MESH_LOG_INFO, NULL, "revoked key %s", op->id);
	mesh_publish(op->req, "key.revoked",
	             json_pack("{s:s, s:o, s:s}", "key_id", op->id,
	                       "customer_id", cust, "revoked_at", iso),
	             revoke_published, op);
}

/* {key_id} (or {id} from DELETE /api/keys/:id) -> {key_id, revoked,
 * revoked_at}. Idempotent. */
static void auth_revoke(mesh_req *req, json_t *args)
{
	const char *id = json_string_value(json_object_get(args, "key_id"));
	const char *path_id = json_string_value(json_object_get(args, "id"));
	revoke_op *op;

	if (!id)
		id = path_id;
	else if (path_id && strcmp(id, path_id) != 0) {
		mesh_fail(req, MESH_EINVAL,
		          "key_id: differs from the id in the path");
		return;
	}
	if (id && strcmp(id, KEY_ADMIN_ID) == 0) {
		mesh_fail(req, MESH_EFORBIDDEN,
		          "key_id: key_admin is ADMIN_API_KEY from auth's "
		          "environment: remove or change it there and restart "
		          "auth");
		return;
	}
	if (!id || !key_id_valid(id)) {
		mesh_fail(req, MESH_EINVAL,
		          "key_id: expected \"key_\" and 12 characters a-z, "
		          "2-7");
		return;
	}
	op = calloc(1, sizeof *op);
	if (!op) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	op->req = req;
	memcpy(op->id, id, sizeof op->id);
	char rkey[128], prefix[64];
	snprintf(rkey, sizeof rkey, "%s", mesh_kv_key("key", id));
	snprintf(prefix, sizeof prefix, "%s", mesh_kv_key("hash", ""));
	const char *argv[] = {"1", rkey, prefix};
	mesh_kv_eval(&auth_script_revoke_eval, revoke_done, op, 3, argv, NULL);
}

/* ---- list --------------------------------------------------------------- */

/* A non-negative integer argument given as a JSON integer or, from a query
 * string, as decimal digits. 0 (with *out = def when absent), or -1. */
static int uint_arg(const json_t *v, long long def, long long max,
                    long long *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (s && *s >= '0' && *s <= '9' && strlen(s) <= 12) {
		*out = strtoll(s, &end, 10);
		if (*end)
			return -1;
	} else {
		return -1;
	}
	return *out >= 0 && *out <= max ? 0 : -1;
}

static void list_done(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	mesh_req *req = arg;
	json_t *keys, *rec;
	size_t i;

	if (err != MESH_OK) {
		fail_store(req, err, msg);
		return;
	}
	keys = json_array();
	json_array_foreach(reply, i, rec)
	{
		json_t *pub = i > 0 ? key_record_public(rec) : NULL;
		if (pub)
			json_array_append_new(keys, pub);
	}
	mesh_reply(req,
	           json_pack("{s:o, s:I}", "keys", keys, "total",
	                     json_integer_value(json_array_get(reply, 0))));
}

/* {customer_id?, limit?, offset?} -> {keys: [...newest first], total}:
 * ids, names, scopes and times, never a key or a hash. */
static void auth_list(mesh_req *req, json_t *args)
{
	json_t *cust = json_object_get(args, "customer_id");
	const char *customer = json_string_value(cust);
	long long limit, offset;
	char why[256], index[128], prefix[64], lim_s[24], off_s[24];

	if (key_customer_id_check(cust, why, sizeof why)) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	if (uint_arg(json_object_get(args, "limit"), LIST_DEFAULT, LIST_MAX,
	             &limit) ||
	    limit < 1) {
		mesh_fail(req, MESH_EINVAL, "limit: expected 1-%d", LIST_MAX);
		return;
	}
	if (uint_arg(json_object_get(args, "offset"), 0, LIST_OFFSET_MAX,
	             &offset)) {
		mesh_fail(req, MESH_EINVAL, "offset: expected 0-%d",
		          LIST_OFFSET_MAX);
		return;
	}
	snprintf(index, sizeof index, "%s",
	         customer ? mesh_kv_key("customer", customer)
	                  : mesh_kv_key("keys"));
	snprintf(prefix, sizeof prefix, "%s", mesh_kv_key("key", ""));
	snprintf(lim_s, sizeof lim_s, "%lld", limit);
	snprintf(off_s, sizeof off_s, "%lld", offset);
	const char *argv[] = {"1", index, prefix, off_s, lim_s};
	mesh_kv_eval(&auth_script_list_eval, list_done, req, 5, argv, NULL);
}

/* ---- service ------------------------------------------------------------ */

/* ADMIN_API_KEY, when set, must be strong enough to guard everything: a
 * weak one stops the service rather than open the platform. Only its hash
 * is kept. */
static int auth_init(void)
{
	const char *admin = getenv("ADMIN_API_KEY");
	const char *why;

	if (!admin || !*admin) {
		mesh_log(NULL, MESH_LOG_INFO, NULL,
		         "ADMIN_API_KEY not set: no bootstrap admin key");
		return 0;
	}
	if (admin_key_check(admin, &why) != 0) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s", why);
		fprintf(stderr, "auth: %s\n", why);
		return -1;
	}
	if (sha256(admin, strlen(admin), admin_hash) != 0) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL,
		         "ADMIN_API_KEY: cannot hash it");
		return -1;
	}
	admin_configured = 1;
	mesh_log(NULL, MESH_LOG_INFO, NULL,
	         "bootstrap admin key configured (key_admin)");
	return 0;
}

static void auth_cleanup(void)
{
	OPENSSL_cleanse(admin_hash, sizeof admin_hash);
	admin_configured = 0;
}

static const mesh_method methods[] = {
    {"create", auth_create},
    {"verify", auth_verify},
    {"revoke", auth_revoke},
    {"list", auth_list},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "auth",
    .methods = methods,
    .init = auth_init,
    .cleanup = auth_cleanup,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
