/*
 * dedupe: remembers which lead first showed each phone number, email
 * address and property address, for a window (DEDUPE_WINDOW_DAYS, 30 by
 * default), so that a seller who fills the form twice is one lead.
 *
 * Keys: dedupe:id:<scope>:<kind>:<value> -> the first lead id, with the
 * window as TTL (a repeat does not extend it: the window runs from the
 * first lead); dedupe:lead:<lead id> -> the set of its identity keys, for
 * forget.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe_keys.h"
#include "mesh.h"

/* Longest Redis key built here: prefix, scope, kind and value. */
#define DEDUPE_KEY_SIZE (64 + DEDUPE_ID_MAX + DEDUPE_VALUE_MAX)

static int window_s;

/* KEYS: the identity keys in lookup order (at least one), then the
 * lead's key set. ARGV: lead id, TTL, then the kind of each identity key.
 * An identity already held by this same lead is no duplicate: that is a
 * retry. One MGET and one SADD rather than one GET and one SADD per
 * identity: each redis.call costs Redis more than the command it runs
 * (bench/RESULTS.md: 31 -> 23 us a check on an idle Redis). */
static const char check_lua[] =
    "local n = #KEYS - 1\n"
    "local held = redis.call('MGET', unpack(KEYS, 1, n))\n"
    "for i = 1, n do\n"
    "  local v = held[i]\n"
    "  if v and v ~= ARGV[1] then return {1, v, ARGV[2 + i]} end\n"
    "end\n"
    "local set = {}\n"
    "for i = 1, n do\n"
    "  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'EX', ARGV[2]) then\n"
    "    set[#set + 1] = KEYS[i]\n"
    "  end\n"
    "end\n"
    "if #set > 0 then redis.call('SADD', KEYS[#KEYS], unpack(set)) end\n"
    "redis.call('EXPIRE', KEYS[#KEYS], ARGV[2])\n"
    "return {0}\n";
static mesh_kv_script check_lua_eval = MESH_KV_SCRIPT(check_lua);

/* KEYS: the lead's key set (when ARGV[1], the lead id, is not ""), then
 * identity keys. Only keys that still point at that lead are dropped, so a
 * newer lead's identity survives. */
static const char forget_lua[] =
    "local n = 0\n"
    "local function drop(k)\n"
    "  local v = redis.call('GET', k)\n"
    "  if v and (ARGV[1] == '' or v == ARGV[1]) then\n"
    "    n = n + redis.call('DEL', k)\n"
    "  end\n"
    "end\n"
    "if ARGV[1] ~= '' then\n"
    "  for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do drop(k) end\n"
    "  redis.call('DEL', KEYS[1])\n"
    "end\n"
    "for i = 2, #KEYS do drop(KEYS[i]) end\n"
    "return n\n";
static mesh_kv_script forget_lua_eval = MESH_KV_SCRIPT(forget_lua);

/* The Redis keys of a request, built once (mesh_kv_key's buffer is
 * shared). */
typedef struct dedupe_cmd {
	mesh_req *req;
	dedupe_keys k;
	char keys[DEDUPE_KINDS + 1][DEDUPE_KEY_SIZE];
} dedupe_cmd;

static int build_keys(dedupe_cmd *c)
{
	for (int i = 0; i < c->k.n; i++) {
		const char *key = mesh_kv_key("id", c->k.scope, c->k.kind[i],
		                              c->k.value[i], (char *)NULL);
		if (!key)
			return -1;
		snprintf(c->keys[i], DEDUPE_KEY_SIZE, "%s", key);
	}
	const char *set = mesh_kv_key(
	    "lead", c->k.lead_id[0] ? c->k.lead_id : "_", (char *)NULL);
	if (!set)
		return -1;
	snprintf(c->keys[c->k.n], DEDUPE_KEY_SIZE, "%s", set);
	return 0;
}

static dedupe_cmd *cmd_new(mesh_req *req, json_t *args, int need_lead_id)
{
	dedupe_cmd *c = calloc(1, sizeof *c);
	char why[256];

	if (!c) {
		mesh_fail(req, MESH_EINTERNAL, "dedupe: out of memory");
		return NULL;
	}
	c->req = req;
	if (dedupe_keys_parse(args, need_lead_id, &c->k, why, sizeof why)) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		free(c);
		return NULL;
	}
	if (build_keys(c)) {
		mesh_fail(req, MESH_EINVAL, "dedupe: key too long");
		free(c);
		return NULL;
	}
	return c;
}

static void checked(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	dedupe_cmd *c = arg;

	if (err != MESH_OK) {
		mesh_fail(c->req, err, "dedupe: %s", msg);
	} else if (json_integer_value(json_array_get(reply, 0)) == 1) {
		mesh_reply(c->req,
		           json_pack("{s:b, s:O, s:O}", "duplicate", 1,
		                     "lead_id", json_array_get(reply, 1),
		                     "matched_on", json_array_get(reply, 2)));
	} else {
		mesh_reply(c->req,
		           json_pack("{s:b, s:s, s:n}", "duplicate", 0,
		                     "lead_id", c->k.lead_id, "matched_on"));
	}
	free(c);
}

/* check {phone?, email?, address_key?, lead_id, scope?}: the first lead
 * of any identity within the window, or records them all for lead_id. One
 * EVAL, so two concurrent checks of one seller cannot both be first. */
static void check(mesh_req *req, json_t *args)
{
	dedupe_cmd *c = cmd_new(req, args, 1);
	const char *argv[4 + 2 * DEDUPE_KINDS + 3];
	char nkeys[16], ttl[16];
	int argc = 0;

	if (!c)
		return;
	snprintf(nkeys, sizeof nkeys, "%d", c->k.n + 1);
	snprintf(ttl, sizeof ttl, "%d", window_s);
	argv[argc++] = nkeys;
	for (int i = 0; i <= c->k.n; i++)
		argv[argc++] = c->keys[i];
	argv[argc++] = c->k.lead_id;
	argv[argc++] = ttl;
	for (int i = 0; i < c->k.n; i++)
		argv[argc++] = c->k.kind[i];
	mesh_kv_eval(&check_lua_eval, checked, c, argc, argv, NULL);
}

static void forgotten(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	dedupe_cmd *c = arg;

	if (err != MESH_OK)
		mesh_fail(c->req, err, "dedupe: %s", msg);
	else
		mesh_reply(c->req, json_pack("{s:I}", "forgotten",
		                             json_integer_value(reply)));
	free(c);
}

/* forget {lead_id} drops every identity still pointing at that lead;
 * forget {phone?, email?, address_key?, scope?} drops those identities. */
static void forget(mesh_req *req, json_t *args)
{
	dedupe_cmd *c = cmd_new(req, args, 0);
	const char *argv[4 + DEDUPE_KINDS + 2];
	char nkeys[16];
	int argc = 0;

	if (!c)
		return;
	snprintf(nkeys, sizeof nkeys, "%d", c->k.n + 1);
	argv[argc++] = nkeys;
	argv[argc++] = c->keys[c->k.n];
	for (int i = 0; i < c->k.n; i++)
		argv[argc++] = c->keys[i];
	argv[argc++] = c->k.lead_id;
	mesh_kv_eval(&forget_lua_eval, forgotten, c, argc, argv, NULL);
}

static int dedupe_init(void)
{
	char why[128];
	int days;

	if (dedupe_window_days(getenv("DEDUPE_WINDOW_DAYS"), &days, why,
	                       sizeof why)) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s", why);
		return -1;
	}
	window_s = days * 86400;
	return 0;
}

static const mesh_method methods[] = {
    {"check", check},
    {"forget", forget},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "dedupe",
    .methods = methods,
    .init = dedupe_init,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
