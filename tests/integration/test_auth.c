/*
 * test_auth.c: the real bin/auth against a real redis-server, called over
 * the mesh as the gateway calls it. A key is shown once and stored only as
 * a hash (every key and value in Redis, and the AOF on disk, are searched
 * for it), verify answers the same for a wrong and a revoked key, the
 * bootstrap admin key from the environment works and is never stored, a
 * weak one stops the daemon, and no secret reaches the daemon's log.
 */
#include <check.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

#define ADMIN_KEY     "adm1n-T3st-K3y_0123456789-abcdefXYZ"
#define INVALID_MSG   "invalid or revoked API key"
#define KEY_LEN       51
#define KEY_ID_LEN    16
#define SHA256_HEXLEN 64

static char dir[64];
static char auth_log[128];
static redis_server *rs;
static pid_t auth_pid;

static pid_t start_auth(const char *const *env, const char *log)
{
	char sock[128];
	pid_t pid = proc_start(proc_bin_path("auth"), env, log);

	ck_assert_int_gt(pid, 0);
	snprintf(sock, sizeof sock, "%s/sock/auth.sock", dir);
	ck_assert_msg(proc_wait_socket(sock, 15000) == 0, "auth did not start");
	return pid;
}

static void setup(void)
{
	static const char *const env[] = {"ADMIN_API_KEY=" ADMIN_KEY, NULL};

	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	/* Debug lines too must be free of secrets. */
	setenv("LOG_LEVEL", "debug", 1);
	unsetenv("ADMIN_API_KEY");
	snprintf(auth_log, sizeof auth_log, "%s/auth.log", dir);
	auth_pid = start_auth(env, auth_log);
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	int rc = auth_pid > 0 ? proc_stop(auth_pid, 5000) : 0;
	fixture_finish();
	ck_assert_int_eq(rc, 0);
}

/* ---- helpers ------------------------------------------------------------ */

static json_t *call_ok(const char *method, json_t *args)
{
	mesh_err err;
	char msg[512];
	json_t *r =
	    mesh_sync_call("auth", method, args, NULL, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "auth.%s: %s: %s", method,
	              mesh_strerror(err), msg);
	return r;
}

static mesh_err call_err(const char *method, json_t *args, char *msg,
                         size_t msg_len)
{
	mesh_err err;
	json_t *r =
	    mesh_sync_call("auth", method, args, NULL, &err, msg, msg_len);

	json_decref(r);
	return err;
}

static void expect_err(const char *method, json_t *args, mesh_err want,
                       const char *msg_part)
{
	char msg[512];
	mesh_err err = call_err(method, args, msg, sizeof msg);

	ck_assert_msg(err == want, "auth.%s: got %s (%s), want %s", method,
	              mesh_strerror(err), msg, mesh_strerror(want));
	ck_assert_msg(strstr(msg, msg_part) != NULL,
	              "auth.%s: message \"%s\" lacks \"%s\"", method, msg,
	              msg_part);
}

/* Creates a key; copies the key and its id out, returns the reply. */
static json_t *create_key(const char *name, const char *customer,
                          char key[KEY_LEN + 1], char id[KEY_ID_LEN + 1])
{
	json_t *args = json_pack("{s:s, s:[s, s]}", "name", name, "scopes",
	                         "leads:read", "comps:write");
	json_t *r;

	if (customer)
		json_object_set_new(args, "customer_id", json_string(customer));
	r = call_ok("create", args);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(r, "key"))),
	                  KEY_LEN);
	snprintf(key, KEY_LEN + 1, "%s",
	         json_string_value(json_object_get(r, "key")));
	snprintf(id, KEY_ID_LEN + 1, "%s",
	         json_string_value(json_object_get(r, "key_id")));
	return r;
}

static void sha256_hex(const char *s, char out[SHA256_HEXLEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	ck_assert_int_eq(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL),
	                 1);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

typedef struct blob {
	char *p;
	size_t len, cap;
} blob;

static void blob_add(blob *b, const char *s, size_t n)
{
	if (b->len + n + 2 > b->cap) {
		b->cap = (b->len + n + 2) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len++] = '\n';
	b->p[b->len] = '\0';
}

static void blob_add_reply(blob *b, const redisReply *r)
{
	if (!r)
		return;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		blob_add(b, r->str, r->len);
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		blob_add_reply(b, r->element[i]);
}

/* Every key name and every value in Redis, whatever its type, as text. */
static blob redis_everything(void)
{
	blob b = {0};
	char cursor[32] = "0";

	do {
		redisReply *scan =
		    redis_server_cmd(rs, "SCAN %s COUNT 1000", cursor);
		ck_assert_ptr_nonnull(scan);
		ck_assert_int_eq(scan->type, REDIS_REPLY_ARRAY);
		snprintf(cursor, sizeof cursor, "%s", scan->element[0]->str);
		redisReply *keys = scan->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *k = keys->element[i]->str;
			redisReply *t = redis_server_cmd(rs, "TYPE %s", k);
			redisReply *v = NULL;
			blob_add(&b, k, strlen(k));
			if (strcmp(t->str, "string") == 0)
				v = redis_server_cmd(rs, "GET %s", k);
			else if (strcmp(t->str, "hash") == 0)
				v = redis_server_cmd(rs, "HGETALL %s", k);
			else if (strcmp(t->str, "zset") == 0)
				v = redis_server_cmd(
				    rs, "ZRANGE %s 0 -1 WITHSCORES", k);
			else if (strcmp(t->str, "set") == 0)
				v = redis_server_cmd(rs, "SMEMBERS %s", k);
			else if (strcmp(t->str, "list") == 0)
				v = redis_server_cmd(rs, "LRANGE %s 0 -1", k);
			else if (strcmp(t->str, "stream") == 0)
				v = redis_server_cmd(rs, "XRANGE %s - +", k);
			else
				ck_abort_msg("unexpected type %s of %s", t->str,
				             k);
			blob_add_reply(&b, v);
			freeReplyObject(v);
			freeReplyObject(t);
		}
		freeReplyObject(scan);
	} while (strcmp(cursor, "0") != 0);
	return b;
}

/* Every file under path (Redis's directory: the AOF, its manifest, the
 * log), concatenated. */
static void files_under(const char *path, blob *b)
{
	DIR *d = opendir(path);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		char p[512];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			files_under(p, b);
		} else if (S_ISREG(st.st_mode) && st.st_size < (64 << 20)) {
			FILE *f = fopen(p, "rb");
			char *buf = malloc((size_t)st.st_size + 1);
			size_t n = f ? fread(buf, 1, (size_t)st.st_size, f) : 0;
			blob_add(b, buf, n);
			free(buf);
			if (f)
				fclose(f);
		}
	}
	closedir(d);
}

static blob redis_files(void)
{
	char path[256];
	blob b = {0};
	char *slash;

	/* The URL is unix://<dir>/redis.sock. */
	snprintf(path, sizeof path, "%s", redis_server_url(rs) + 7);
	slash = strrchr(path, '/');
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	files_under(path, &b);
	return b;
}

static int blob_has(const blob *b, const char *s)
{
	return b->p && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

static blob read_file(const char *path)
{
	blob b = {0};
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		blob_add(&b, buf, n);
	fclose(f);
	return b;
}

/* ---- create and list ---------------------------------------------------- */

START_TEST(create_shows_the_key_once_and_stores_only_a_hash)
{
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1], hash[SHA256_HEXLEN + 1];
	json_t *r = create_key("Zapier (Austin office)", "cus_42", key, id);

	ck_assert(strncmp(key, "lm_live_", 8) == 0);
	ck_assert(strncmp(id, "key_", 4) == 0);
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")),
	                 "Zapier (Austin office)");
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(r, "scopes"), 1)),
	    "comps:write");
	ck_assert_str_eq(json_string_value(json_object_get(r, "customer_id")),
	                 "cus_42");
	ck_assert_ptr_nonnull(
	    json_string_value(json_object_get(r, "created_at")));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(r, "_http"), "status")),
	                 201);
	json_decref(r);

	/* list shows the key by id and name, never the key itself. */
	r = call_ok("list", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 1);
	json_t *k = json_array_get(json_object_get(r, "keys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(k, "key_id")), id);
	ck_assert_str_eq(json_string_value(json_object_get(k, "name")),
	                 "Zapier (Austin office)");
	ck_assert(json_is_false(json_object_get(k, "revoked")));
	ck_assert_ptr_null(json_object_get(k, "key"));
	ck_assert_ptr_null(json_object_get(k, "hash"));
	char *text = json_dumps(r, 0);
	sha256_hex(key, hash);
	ck_assert_ptr_null(strstr(text, key));
	ck_assert_ptr_null(strstr(text, key + 8));
	ck_assert_ptr_null(strstr(text, hash));
	free(text);
	json_decref(r);

	/* Redis holds the id and the hash, never the key: every key and
	 * value, the key.created event included, and the files on disk. */
	blob all = redis_everything();
	ck_assert(blob_has(&all, id));
	ck_assert(blob_has(&all, hash));
	ck_assert(blob_has(&all, "events:key.created"));
	ck_assert(!blob_has(&all, key));
	ck_assert(!blob_has(&all, key + 8));
	free(all.p);
	long long until = proc_now_ms() + 3000;
	blob files = {0};
	do {
		free(files.p);
		files = redis_files();
		if (blob_has(&files, id))
			break;
		proc_sleep_ms(20);
	} while (proc_now_ms() < until);
	ck_assert_msg(blob_has(&files, id), "the AOF never got the key id");
	ck_assert(!blob_has(&files, key + 8));
	free(files.p);
}
END_TEST

START_TEST(list_filters_and_pages)
{
	char key[KEY_LEN + 1], id1[KEY_ID_LEN + 1], id2[KEY_ID_LEN + 1],
	    id3[KEY_ID_LEN + 1];
	json_t *r;

	json_decref(create_key("one", "cus_a", key, id1));
	json_decref(create_key("two", "cus_b", key, id2));
	json_decref(create_key("three", NULL, key, id3));

	r = call_ok("list", json_pack("{s:s}", "customer_id", "cus_b"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 1);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(r, "keys"), 0), "key_id")),
	    id2);
	json_decref(r);

	/* Query parameters arrive as strings from the gateway. */
	r = call_ok("list",
	            json_pack("{s:s, s:s}", "limit", "2", "offset", "0"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 3);
	ck_assert_int_eq(json_array_size(json_object_get(r, "keys")), 2);
	json_decref(r);
	r = call_ok("list", json_pack("{s:i, s:i}", "limit", 2, "offset", 2));
	ck_assert_int_eq(json_array_size(json_object_get(r, "keys")), 1);
	json_decref(r);

	r = call_ok("list", json_pack("{s:s}", "customer_id", "cus_none"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(r, "keys")), 0);
	json_decref(r);

	expect_err("list", json_pack("{s:s}", "limit", "0"), MESH_EINVAL,
	           "limit: expected 1-1000");
	expect_err("list", json_pack("{s:i}", "limit", 1001), MESH_EINVAL,
	           "limit");
	expect_err("list", json_pack("{s:s}", "limit", "10x"), MESH_EINVAL,
	           "limit");
	expect_err("list", json_pack("{s:i}", "offset", -1), MESH_EINVAL,
	           "offset");
	expect_err("list", json_pack("{s:s}", "customer_id", "a b"),
	           MESH_EINVAL, "customer_id");
}
END_TEST

START_TEST(create_rejects_bad_input)
{
	expect_err("create", json_pack("{s:[s]}", "scopes", "leads:read"),
	           MESH_EINVAL, "name: expected a non-empty string");
	expect_err("create", json_pack("{s:s}", "name", "x"), MESH_EINVAL,
	           "scopes: expected a non-empty array");
	expect_err("create", json_pack("{s:s, s:[]}", "name", "x", "scopes"),
	           MESH_EINVAL, "scopes: expected a non-empty array");
	expect_err("create",
	           json_pack("{s:s, s:[s, s]}", "name", "x", "scopes",
	                     "leads:read", "leads:READ"),
	           MESH_EINVAL, "scopes[1]");
	expect_err("create",
	           json_pack("{s:s, s:[s], s:s}", "name", "x", "scopes",
	                     "leads:read", "customer_id", "cus/1"),
	           MESH_EINVAL, "customer_id");
	expect_err("create",
	           json_pack("{s:s, s:[s]}", "name", "tab\there", "scopes",
	                     "leads:read"),
	           MESH_EINVAL, "name: control characters");

	json_t *r = call_ok("list", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 0);
	json_decref(r);
}
END_TEST

/* ---- verify and revoke -------------------------------------------------- */

START_TEST(verify_answers_the_keys_scopes)
{
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1];
	json_t *r;

	json_decref(create_key("crm", "cus_7", key, id));
	r = call_ok("verify", json_pack("{s:s}", "key", key));
	ck_assert_str_eq(json_string_value(json_object_get(r, "key_id")), id);
	ck_assert_str_eq(json_string_value(json_object_get(r, "name")), "crm");
	ck_assert_str_eq(json_string_value(json_object_get(r, "customer_id")),
	                 "cus_7");
	ck_assert_int_eq(json_array_size(json_object_get(r, "scopes")), 2);
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(r, "scopes"), 0)),
	    "leads:read");
	ck_assert_ptr_null(json_object_get(r, "key"));
	json_decref(r);

	/* A verify marks the key used. */
	r = call_ok("list", json_object());
	ck_assert(json_is_string(json_object_get(
	    json_array_get(json_object_get(r, "keys"), 0), "last_used_at")));
	json_decref(r);
}
END_TEST

START_TEST(wrong_and_revoked_keys_look_the_same)
{
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1], wrong[KEY_LEN + 1];
	char msg_wrong[512], msg_revoked[512], msg_bad[512];
	json_t *r;

	json_decref(create_key("to revoke", NULL, key, id));
	/* Same shape, one digit off. */
	snprintf(wrong, sizeof wrong, "%s", key);
	wrong[KEY_LEN - 1] = wrong[KEY_LEN - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(call_err("verify", json_pack("{s:s}", "key", wrong),
	                          msg_wrong, sizeof msg_wrong),
	                 MESH_EUNAUTHORIZED);

	r = call_ok("revoke", json_pack("{s:s}", "key_id", id));
	ck_assert(json_is_true(json_object_get(r, "revoked")));
	ck_assert_str_eq(json_string_value(json_object_get(r, "key_id")), id);
	ck_assert(json_is_string(json_object_get(r, "revoked_at")));
	json_decref(r);
	ck_assert_int_eq(call_err("verify", json_pack("{s:s}", "key", key),
	                          msg_revoked, sizeof msg_revoked),
	                 MESH_EUNAUTHORIZED);
	ck_assert_int_eq(call_err("verify",
	                          json_pack("{s:s}", "key", "not-a-key"),
	                          msg_bad, sizeof msg_bad),
	                 MESH_EUNAUTHORIZED);
	ck_assert_str_eq(msg_wrong, INVALID_MSG);
	ck_assert_str_eq(msg_revoked, INVALID_MSG);
	ck_assert_str_eq(msg_bad, INVALID_MSG);

	/* Revoking again is fine, and is not a second event. The gateway's
	 * DELETE /api/keys/:id passes the id as "id". */
	r = call_ok("revoke", json_pack("{s:s}", "id", id));
	ck_assert(json_is_true(json_object_get(r, "revoked")));
	json_decref(r);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:key.revoked"), 1);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:key.created"), 1);

	r = call_ok("list", json_object());
	json_t *k = json_array_get(json_object_get(r, "keys"), 0);
	ck_assert(json_is_true(json_object_get(k, "revoked")));
	ck_assert(json_is_string(json_object_get(k, "revoked_at")));
	json_decref(r);

	/* The revoked key's hash is gone from the store. */
	blob all = redis_everything();
	char hash[SHA256_HEXLEN + 1];
	sha256_hex(key, hash);
	ck_assert(!blob_has(&all, hash));
	free(all.p);
}
END_TEST

START_TEST(malformed_keys_never_reach_redis)
{
	static const char *const bad[] = {
	    "",
	    "lm_live_",
	    "Bearer lm_live_0000000000000000000000000000000000000000000",
	    "lm_live_000000000000000000000000000000000000000000",
	    "lm_live_00000000000000000000000000000000000000000000",
	    "lm_test_0000000000000000000000000000000000000000000",
	    "lm_live_000000000000000000000000000000000000000000!",
	    "lm_live_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	};
	char big[10000];
	long long before;
	char msg[512];

	/* A well-formed key does reach Redis (the counter works). */
	before = redis_server_calls(rs, "eval");
	ck_assert_int_eq(
	    call_err("verify",
	             json_pack(
	                 "{s:s}", "key",
	                 "lm_live_0000000000000000000000000000000000000000000"),
	             msg, sizeof msg),
	    MESH_EUNAUTHORIZED);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), before + 1);

	before = redis_server_calls(rs, "eval");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(call_err("verify",
		                          json_pack("{s:s}", "key", bad[i]),
		                          msg, sizeof msg),
		                 MESH_EUNAUTHORIZED);
		ck_assert_str_eq(msg, INVALID_MSG);
	}
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(
	    call_err("verify", json_pack("{s:s}", "key", big), msg, sizeof msg),
	    MESH_EUNAUTHORIZED);
	/* A NUL inside never passes for the part before it (libmesh refuses
	 * \u0000 in a payload before auth sees it). */
	ck_assert_int_ne(
	    call_err("verify",
	             json_pack("{s:o}", "key", json_stringn("lm_live_\0", 9)),
	             msg, sizeof msg),
	    MESH_OK);
	ck_assert_int_eq(redis_server_calls(rs, "eval"), before);

	expect_err("verify", json_object(), MESH_EINVAL,
	           "key: expected a string");
	expect_err("verify", json_pack("{s:i}", "key", 5), MESH_EINVAL,
	           "key: expected a string");
}
END_TEST

START_TEST(revoke_errors)
{
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1];

	expect_err("revoke", json_pack("{s:s}", "key_id", "key_aaaaaaaaaaaa"),
	           MESH_ENOTFOUND, "key_id: no key key_aaaaaaaaaaaa");
	expect_err("revoke", json_pack("{s:s}", "key_id", "key_AAAA"),
	           MESH_EINVAL, "key_id: expected");
	expect_err("revoke", json_object(), MESH_EINVAL, "key_id: expected");
	expect_err("revoke", json_pack("{s:s}", "key_id", "key_admin"),
	           MESH_EFORBIDDEN, "ADMIN_API_KEY");
	json_decref(create_key("keep", NULL, key, id));
	expect_err(
	    "revoke",
	    json_pack("{s:s, s:s}", "key_id", id, "id", "key_aaaaaaaaaaaa"),
	    MESH_EINVAL, "differs");
	/* Nothing above touched the live key. */
	json_decref(call_ok("verify", json_pack("{s:s}", "key", key)));
}
END_TEST

/* ---- the bootstrap admin key -------------------------------------------- */

START_TEST(admin_key_from_the_environment)
{
	char hash[SHA256_HEXLEN + 1];
	json_t *r = call_ok("verify", json_pack("{s:s}", "key", ADMIN_KEY));

	ck_assert_str_eq(json_string_value(json_object_get(r, "key_id")),
	                 "key_admin");
	ck_assert_int_eq(json_array_size(json_object_get(r, "scopes")), 1);
	ck_assert_str_eq(
	    json_string_value(json_array_get(json_object_get(r, "scopes"), 0)),
	    "admin");
	ck_assert(json_is_null(json_object_get(r, "customer_id")));
	json_decref(r);

	/* One character off is just a wrong key. */
	char near[] = ADMIN_KEY;
	near[0] = 'b';
	expect_err("verify", json_pack("{s:s}", "key", near),
	           MESH_EUNAUTHORIZED, INVALID_MSG);

	/* It is not a stored key: not listed, not in Redis in any form. */
	r = call_ok("list", json_object());
	ck_assert_int_eq(json_integer_value(json_object_get(r, "total")), 0);
	json_decref(r);
	blob all = redis_everything();
	sha256_hex(ADMIN_KEY, hash);
	ck_assert(!blob_has(&all, ADMIN_KEY));
	ck_assert(!blob_has(&all, hash));
	free(all.p);
}
END_TEST

START_TEST(weak_admin_key_refuses_to_start)
{
	char other[100], log[128], env_dir[128];
	static const char *const bad_keys[] = {
	    "ADMIN_API_KEY=short-admin-key-23chars",
	    "ADMIN_API_KEY=has a space in it but is long enough",
	};

	for (size_t i = 0; i < 2; i++) {
		snprintf(other, sizeof other, "%s/other%zu", dir, i);
		ck_assert_int_eq(mkdir(other, 0700), 0);
		snprintf(env_dir, sizeof env_dir, "MESH_RUN_DIR=%s", other);
		snprintf(log, sizeof log, "%s/auth.log", other);
		const char *env[] = {bad_keys[i], env_dir, NULL};
		pid_t pid = proc_start(proc_bin_path("auth"), env, log);
		ck_assert_int_gt(pid, 0);
		ck_assert_int_eq(proc_wait(pid, 5000), 1);
		blob b = read_file(log);
		ck_assert_msg(blob_has(&b, i == 0 ? "ADMIN_API_KEY: too short"
		                                  : "ADMIN_API_KEY: only "
		                                    "printable ASCII"),
		              "%s", b.p ? b.p : "");
		/* The message names the variable, never its value. */
		ck_assert(!blob_has(&b, strchr(bad_keys[i], '=') + 1));
		free(b.p);
	}
}
END_TEST

START_TEST(no_secret_in_the_log)
{
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1], hash[SHA256_HEXLEN + 1],
	    admin_hash[SHA256_HEXLEN + 1];
	char msg[512];

	json_decref(create_key("logged", "cus_9", key, id));
	json_decref(call_ok("verify", json_pack("{s:s}", "key", key)));
	json_decref(call_ok("verify", json_pack("{s:s}", "key", ADMIN_KEY)));
	call_err("verify", json_pack("{s:s}", "key", "lm_live_nope"), msg,
	         sizeof msg);
	json_decref(call_ok("revoke", json_pack("{s:s}", "key_id", id)));
	call_err("verify", json_pack("{s:s}", "key", key), msg, sizeof msg);
	/* Stop the daemon so every line is on disk. */
	ck_assert_int_eq(proc_stop(auth_pid, 5000), 0);
	auth_pid = 0;

	blob b = read_file(auth_log);
	sha256_hex(key, hash);
	sha256_hex(ADMIN_KEY, admin_hash);
	/* The log is there and speaks of the key by its id... */
	ck_assert_msg(blob_has(&b, "created key "), "%s", b.p);
	ck_assert(blob_has(&b, id));
	ck_assert(blob_has(&b, "revoked key "));
	/* ...and never by its secret. */
	ck_assert(!blob_has(&b, key + 8));
	ck_assert(!blob_has(&b, hash));
	ck_assert(!blob_has(&b, ADMIN_KEY));
	ck_assert(!blob_has(&b, admin_hash));
	ck_assert(!blob_has(&b, "lm_live_"));
	free(b.p);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, create_shows_the_key_once_and_stores_only_a_hash);
	tcase_add_test(tc, list_filters_and_pages);
	tcase_add_test(tc, create_rejects_bad_input);
	tcase_add_test(tc, verify_answers_the_keys_scopes);
	tcase_add_test(tc, wrong_and_revoked_keys_look_the_same);
	tcase_add_test(tc, malformed_keys_never_reach_redis);
	tcase_add_test(tc, revoke_errors);
	tcase_add_test(tc, admin_key_from_the_environment);
	tcase_add_test(tc, weak_admin_key_refuses_to_start);
	tcase_add_test(tc, no_secret_in_the_log);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
