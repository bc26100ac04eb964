/*
 * leads-intake: the front door of the pipeline. create validates a seller
 * lead, normalizes its phone, email and address, drops duplicates, honours
 * an Idempotency-Key, checks the customer's quota, stores the lead,
 * publishes lead.created (durably, before answering) and answers 201; the
 * rest of the pipeline (valuation, scoring, Slack, email...) hangs off the
 * event and never delays the answer. get, list and update_status read and
 * move leads; lead.valued keeps the valuation on the lead.
 *
 * Redis, under "leads-intake:":
 *   lead:<id>         hash: lead (the lead as created, JSON), status,
 *                     updated_at, valuation (JSON, once valued)
 *   history:<id>      list of status changes, JSON, oldest first
 *   idx:all           sorted set of ids, all scores 0: ids sort by time
 *   idx:status:<s>    the same per status     idx:zip:<zip>  per ZIP
 *   idem:<scope>:<k>  "" while the first request with key k runs, then
 *                     its response; 24 h
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lead_cursor.h"
#include "lead_id.h"
#include "lead_query.h"
#include "lead_status.h"
#include "lead_validate.h"
#include "lead_view.h"
#include "mesh.h"

/* How long an Idempotency-Key holds its first response (Stripe's 24 h). */
#define IDEMPOTENCY_TTL_S 86400
/* Index entries one list call examines at most: with two filters a page
 * may need a long walk, and a Lua script blocks Redis while it walks. A
 * page cut short by this still carries a cursor. */
#define LIST_SCAN_MAX 5000
/* Longest note on a status change, in bytes. */
#define STATUS_NOTE_MAX 1000
/* Longest Redis key built here. */
#define KEY_SIZE 512

/* ---- Lua: each multi-key step is one atomic script -------------------- */

/* KEYS: lead, history, idx:all, idx:status:new, idx:zip:<zip>.
 * ARGV: id, lead JSON, created_at, first history entry, "1" when indexed
 * by zip. */
static const char store_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'lead', ARGV[2], 'status', 'new',\n"
    "           'updated_at', ARGV[3])\n"
    "redis.call('RPUSH', KEYS[2], ARGV[4])\n"
    "redis.call('ZADD', KEYS[3], 0, ARGV[1])\n"
    "redis.call('ZADD', KEYS[4], 0, ARGV[1])\n"
    "if ARGV[5] == '1' then redis.call('ZADD', KEYS[5], 0, ARGV[1]) end\n"
    "return 1\n";
static mesh_kv_script store_lua_eval = MESH_KV_SCRIPT(store_lua);

/* The undo of store_lua when lead.created could not be published. KEYS
 * and ARGV[1] as there. */
static const char unstore_lua[] =
    "redis.call('DEL', KEYS[1], KEYS[2])\n"
    "for i = 3, 5 do redis.call('ZREM', KEYS[i], ARGV[1]) end\n"
    "return 1\n";
static mesh_kv_script unstore_lua_eval = MESH_KV_SCRIPT(unstore_lua);

/* KEYS: lead, history. Returns [lead, status, updated_at, valuation,
 * [history...]], or nil when there is no such lead. */
static const char read_lua[] =
    "local h = redis.call('HMGET', KEYS[1], 'lead', 'status',\n"
    "                     'updated_at', 'valuation')\n"
    "if not h[1] then return false end\n"
    "return {h[1], h[2], h[3], h[4], redis.call('LRANGE', KEYS[2], 0, -1)}\n";
static mesh_kv_script read_lua_eval = MESH_KV_SCRIPT(read_lua);

/* KEYS: the index to walk. ARGV: upper bound ("+" or "(<id>"), lower
 * bound ("-" or "[<id>"), limit, status filter or "", lead key prefix,
 * scan cap. Returns [[fields...], next] where next is the id to continue
 * after, or nil when the index is exhausted. Index entries whose lead is
 * gone are skipped. */
static const char list_lua[] =
    "local max, min = ARGV[1], ARGV[2]\n"
    "local limit, cap = tonumber(ARGV[3]), tonumber(ARGV[6])\n"
    "local out, last, scanned = {}, false, 0\n"
    "while true do\n"
    "  local ids = redis.call('ZREVRANGEBYLEX', KEYS[1], max, min,\n"
    "                         'LIMIT', 0, limit + 1)\n"
    "  for _, id in ipairs(ids) do\n"
    "    scanned = scanned + 1\n"
    "    local h = redis.call('HMGET', ARGV[5] .. id, 'lead', 'status',\n"
    "                         'updated_at', 'valuation')\n"
    "    if h[1] and (ARGV[4] == '' or h[2] == ARGV[4]) then\n"
    "      if #out == limit then return {out, last} end\n"
    "      out[#out + 1] = h\n"
    "      last = id\n"
    "    end\n"
    "    if scanned >= cap then return {out, id} end\n"
    "  end\n"
    "  if #ids <= limit then return {out, false} end\n"
    "  max = '(' .. ids[#ids]\n"
    "end\n";
static mesh_kv_script list_lua_eval = MESH_KV_SCRIPT(list_lua);

/* KEYS: lead, history, idx:status:<from>, idx:status:<to>. ARGV: from,
 * to, updated_at, history entry, id. Moves only if the status is still
 * from: [2, previous updated_at]; [1, status] when it changed meanwhile;
 * [0] when there is no such lead. */
static const char move_lua[] =
    "local cur = redis.call('HGET', KEYS[1], 'status')\n"
    "if not cur then return {0} end\n"
    "if cur ~= ARGV[1] then return {1, cur} end\n"
    "local prev = redis.call('HGET', KEYS[1], 'updated_at')\n"
    "redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updated_at', ARGV[3])\n"
    "redis.call('RPUSH', KEYS[2], ARGV[4])\n"
    "redis.call('ZREM', KEYS[3], ARGV[5])\n"
    "redis.call('ZADD', KEYS[4], 0, ARGV[5])\n"
    "return {2, prev}\n";
static mesh_kv_script move_lua_eval = MESH_KV_SCRIPT(move_lua);

/* The undo of move_lua when lead.status_changed could not be published.
 * KEYS as there; ARGV: from, to, previous updated_at, id. */
static const char unmove_lua[] =
    "if redis.call('HGET', KEYS[1], 'status') ~= ARGV[2] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[3])\n"
    "redis.call('RPOP', KEYS[2])\n"
    "redis.call('ZREM', KEYS[4], ARGV[4])\n"
    "redis.call('ZADD', KEYS[3], 0, ARGV[4])\n"
    "return 1\n";
static mesh_kv_script unmove_lua_eval = MESH_KV_SCRIPT(unmove_lua);

/* KEYS: lead. ARGV: valuation JSON. 0 when there is no such lead. */
static const char value_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'valuation', ARGV[1])\n"
    "return 1\n";
static mesh_kv_script value_lua_eval = MESH_KV_SCRIPT(value_lua);

/* ---- Small helpers ------------------------------------------------------ */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies mesh_kv_key(kind, id) into out (its buffer is shared). */
static void key_of(char out[KEY_SIZE], const char *kind, const char *id,
                   const char *sub)
{
	const char *k = mesh_kv_key(kind, id, sub, (char *)NULL);

	snprintf(out, KEY_SIZE, "%s", k ? k : "");
}

static void kv_ignore(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	(void)arg;
	(void)reply;
	if (err != MESH_OK)
		mesh_log(NULL, MESH_LOG_WARN, NULL, "cleanup failed: %s", msg);
}

/* Args may hold only these names (and "_meta" from the gateway). */
static int only_fields(mesh_req *req, json_t *args, const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		const char *const *n = names;
		while (*n && strcmp(*n, key))
			n++;
		if (!*n && strcmp(key, "_meta")) {
			mesh_fail(req, MESH_EINVAL, "%.64s: unknown field",
			          key);
			return -1;
		}
	}
	return 0;
}

/* The id argument of get and update_status. */
static const char *lead_id_arg(mesh_req *req, json_t *args)
{
	const char *id = json_string_value(json_object_get(args, "id"));

	if (!id) {
		mesh_fail(req, MESH_EINVAL, "id: required");
		return NULL;
	}
	if (!lead_id_valid(id)) {
		mesh_fail(req, MESH_ENOTFOUND, "lead %.40s: not found", id);
		return NULL;
	}
	return id;
}

/* ---- create ------------------------------------------------------------- */

typedef struct create_ctx {
	mesh_req *req;
	json_t *lead;    /* validated fields, then the whole lead */
	json_t *address; /* the arguments for address.normalize */
	char id[LEAD_ID_SIZE];
	char created_at[MESH_TIME_SIZE];
	char zip[8];
	char idem_key[KEY_SIZE]; /* "" without an Idempotency-Key */
	json_t *response;
	char keys[5][KEY_SIZE]; /* the store script's keys */
} create_ctx;

static void create_free(create_ctx *c)
{
	json_decref(c->lead);
	json_decref(c->address);
	json_decref(c->response);
	free(c);
}

/* Fails the request; a claimed Idempotency-Key is released so that the
 * client's retry runs again rather than replaying a failure. */
static void create_fail(create_ctx *c, mesh_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void create_fail(create_ctx *c, mesh_err err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->idem_key[0])
		mesh_kv_commandf(kv_ignore, NULL, "DEL %s", c->idem_key);
	mesh_fail(c->req, err, "%s", msg);
	create_free(c);
}

static void response_kept(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	create_ctx *c = arg;

	(void)reply;
	if (err != MESH_OK)
		mesh_log(c->req, MESH_LOG_WARN, NULL,
		         "Idempotency-Key: response not kept: %s", msg);
	mesh_reply(c->req, c->response);
	c->response = NULL;
	create_free(c);
}

/* Ends create with response (stolen), kept first under the
 * Idempotency-Key (its TTL still runs from the first request). */
static void create_finish(create_ctx *c, json_t *response)
{
	char *text;

	c->response = response;
	if (!c->idem_key[0]) {
		response_kept(c, MESH_OK, "", NULL);
		return;
	}
	text = json_dumps(response, JSON_COMPACT);
	mesh_kv_commandf(response_kept, c, "SET %s %s XX KEEPTTL", c->idem_key,
	                 text ? text : "null");
	free(text);
}

static void published(void *arg, mesh_err err, const char *msg)
{
	create_ctx *c = arg;
	char location[64];
	json_t *response;
	const char *argv[10];
	int argc = 0;

	if (err != MESH_OK) {
		/* No event, no lead: a stored lead nobody hears of would never
		 * be valued or answered. Undo, and let the client retry. */
		argv[argc++] = "5";
		for (int i = 0; i < 5; i++)
			argv[argc++] = c->keys[i];
		argv[argc++] = c->id;
		mesh_kv_eval(&unstore_lua_eval, kv_ignore, NULL, argc, argv,
		             NULL);
		mesh_send(c->req, "dedupe", "forget",
		          json_pack("{s:s}", "lead_id", c->id));
		create_fail(c, MESH_EUNAVAILABLE,
		            "lead.created: not published: %s", msg);
		return;
	}
	snprintf(location, sizeof location, "/api/leads/%s", c->id);
	mesh_log(c->req, MESH_LOG_INFO, NULL, "lead %s created (ZIP %s)", c->id,
	         json_string_value(json_object_get(
	             json_object_get(c->lead, "address"), "zip"))
	             ? json_string_value(json_object_get(
	                   json_object_get(c->lead, "address"), "zip"))
	             : "none");
	/* A shallow copy: nothing below the top level is changed. */
	response = json_copy(c->lead);
	json_object_set_new(response, "duplicate", json_false());
	json_object_set_new(response, "_http",
	                    json_pack("{s:i, s:{s:s}}", "status", 201,
	                              "headers", "Location", location));
	create_finish(c, response);
}

static void stored(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	create_ctx *c = arg;

	if (err != MESH_OK) {
		mesh_send(c->req, "dedupe", "forget",
		          json_pack("{s:s}", "lead_id", c->id));
		create_fail(c, err, "store: %s", msg);
		return;
	}
	if (json_integer_value(reply) != 1) {
		create_fail(c, MESH_EINTERNAL, "store: lead id %s is taken",
		            c->id);
		return;
	}
	mesh_publish(c->req, "lead.created", json_incref(c->lead), published,
	             c);
}

static void create_store(create_ctx *c)
{
	const char *argv[16];
	char *text, *entry;
	int argc = 0;

	/* The stored text is the lead as created; the fields that change
	 * live beside it in the hash (lead_view.h) and join it after. */
	text = json_dumps(c->lead, JSON_COMPACT);
	json_object_set_new(c->lead, "status", json_string("new"));
	json_object_set_new(c->lead, "updated_at", json_string(c->created_at));
	json_object_set_new(c->lead, "valuation", json_null());
	json_t *first =
	    json_pack("{s:n, s:s, s:s, s:s}", "from", "to", "new", "at",
	              c->created_at, "request_id", mesh_req_id(c->req));
	entry = json_dumps(first, JSON_COMPACT);
	json_decref(first);
	if (!text || !entry) {
		free(text);
		free(entry);
		create_fail(c, MESH_EINTERNAL, "store: out of memory");
		return;
	}
	key_of(c->keys[0], "lead", c->id, NULL);
	key_of(c->keys[1], "history", c->id, NULL);
	key_of(c->keys[2], "idx", "all", NULL);
	key_of(c->keys[3], "idx", "status", "new");
	key_of(c->keys[4], "idx", "zip", c->zip[0] ? c->zip : "_");
	argv[argc++] = "5";
	for (int i = 0; i < 5; i++)
		argv[argc++] = c->keys[i];
	argv[argc++] = c->id;
	argv[argc++] = text;
	argv[argc++] = c->created_at;
	argv[argc++] = entry;
	argv[argc++] = c->zip[0] ? "1" : "0";
	mesh_kv_eval(&store_lua_eval, stored, c, argc, argv, NULL);
	free(text);
	free(entry);
}

static void deduped(void *arg, mesh_err err, const char *msg, json_t *result)
{
	create_ctx *c = arg;

	if (err == MESH_EUNAVAILABLE || err == MESH_ETIMEOUT) {
		/* A possible duplicate costs a phone call; a lost lead costs
		 * a deal. */
		mesh_log(c->req, MESH_LOG_WARN, NULL,
		         "dedupe: %s; lead %s stored unchecked", msg, c->id);
	} else if (err != MESH_OK) {
		create_fail(c, err, "dedupe: %s", msg);
		return;
	} else if (json_is_true(json_object_get(result, "duplicate"))) {
		json_t *first = json_object_get(result, "lead_id");
		json_t *on = json_object_get(result, "matched_on");
		mesh_log(c->req, MESH_LOG_INFO, NULL, "duplicate of %s by %s",
		         json_string_value(first), json_string_value(on));
		create_finish(c, json_pack("{s:O, s:b, s:O, s:{s:i}}", "id",
		                           first, "duplicate", 1, "matched_on",
		                           on, "_http", "status", 200));
		return;
	}
	create_store(c);
}

static void create_dedupe(create_ctx *c)
{
	json_t *args = json_pack("{s:s}", "lead_id", c->id);
	json_t *v;

	if ((v = json_object_get(c->lead, "phone")))
		json_object_set(args, "phone", v);
	if ((v = json_object_get(c->lead, "email")))
		json_object_set(args, "email", v);
	if ((v = json_object_get(json_object_get(c->lead, "address"), "key")))
		json_object_set(args, "address_key", v);
	if ((v = json_object_get(c->lead, "customer_id")))
		json_object_set(args, "scope", v);
	mesh_call(c->req, "dedupe", "check", args, deduped, c);
}

/* Leads accepted without a quota check are logged at most once per this
 * interval (the first at once, then with the count since): an outage of
 * billing must not turn into a warning per lead. */
#define BILLING_WARN_EVERY_S 10

static void billing_warn(mesh_req *req, mesh_err err, const char *msg)
{
	static time_t last;
	static long unlogged;
	time_t now = time(NULL);

	if (last && now - last < BILLING_WARN_EVERY_S) {
		unlogged++;
		return;
	}
	mesh_log(req, MESH_LOG_WARN, NULL,
	         "billing.check_quota: %s: %s; lead accepted (and %ld more "
	         "since the last such line)",
	         mesh_strerror(err), msg, unlogged);
	last = now;
	unlogged = 0;
}

static void quota_checked(void *arg, mesh_err err, const char *msg,
                          json_t *result)
{
	create_ctx *c = arg;
	json_t *allowed = json_object_get(result, "allowed");

	if (err == MESH_EPAYMENT ||
	    (err == MESH_OK && json_is_false(allowed))) {
		const char *why =
		    json_string_value(json_object_get(result, "message"));
		create_fail(c, MESH_EPAYMENT, "quota: %s",
		            err != MESH_OK ? msg
		            : why          ? why
		                           : "the plan's monthly lead quota is "
		                             "used up");
		return;
	}
	if (err != MESH_OK)
		/* billing down or failing: take the lead anyway (a lead is
		 * worth more than a quota); billing meters it from
		 * lead.created when it is back. */
		billing_warn(c->req, err, msg);
	create_dedupe(c);
}

static void address_normalized(void *arg, mesh_err err, const char *msg,
                               json_t *result)
{
	create_ctx *c = arg;
	const char *zip;
	json_t *check;

	if (err != MESH_OK) {
		create_fail(c, err, "%s%s",
		            err == MESH_EINVAL ? "" : "address service: ", msg);
		return;
	}
	json_t *a = json_copy(result);
	json_object_del(a, "_http");
	json_object_set_new(c->lead, "address", a);
	zip = json_string_value(json_object_get(a, "zip"));
	snprintf(c->zip, sizeof c->zip, "%s", zip ? zip : "");
	check = json_object();
	if (json_object_get(c->lead, "customer_id"))
		json_object_set(check, "customer_id",
		                json_object_get(c->lead, "customer_id"));
	mesh_call(c->req, "billing", "check_quota", check, quota_checked, c);
}

static void create_run(create_ctx *c)
{
	mesh_call(c->req, "address", "normalize", c->address,
	          address_normalized, c);
	c->address = NULL;
}

static void idem_read(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	create_ctx *c = arg;
	const char *text = json_string_value(reply);
	json_t *first;

	c->idem_key[0] = '\0'; /* not ours: never release it */
	if (err != MESH_OK) {
		create_fail(c, err, "Idempotency-Key: %s", msg);
		return;
	}
	if (!text || !text[0] || !(first = json_loads(text, 0, NULL))) {
		create_fail(c, MESH_ECONFLICT,
		            "Idempotency-Key: a request with this key is still "
		            "in progress; retry later");
		return;
	}
	mesh_log(c->req, MESH_LOG_INFO, NULL,
	         "Idempotency-Key: replaying the first response");
	mesh_reply(c->req, first);
	create_free(c);
}

static void idem_claimed(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	create_ctx *c = arg;
	char key[KEY_SIZE];

	if (err != MESH_OK) {
		c->idem_key[0] = '\0';
		create_fail(c, err, "Idempotency-Key: %s", msg);
		return;
	}
	if (json_is_string(reply)) { /* "OK": this request is the first */
		create_run(c);
		return;
	}
	snprintf(key, sizeof key, "%s", c->idem_key);
	mesh_kv_commandf(idem_read, c, "GET %s", key);
}

/* create {name, phone?, email?, address | street..., ...}: see the file
 * comment and lead_validate.h. */
static void create(mesh_req *req, json_t *args)
{
	char why[LEAD_WHY_SIZE];
	unsigned char rnd[LEAD_ID_RAND_BYTES];
	const char *idem;
	json_t *lead, *address;
	create_ctx *c;
	int64_t now = wall_ms();

	if (lead_validate(args, &lead, &address, why, sizeof why) ||
	    lead_idempotency_key(args, &idem, why, sizeof why)) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		json_decref(lead);
		json_decref(address);
		return;
	}
	if (!(c = calloc(1, sizeof *c)) || RAND_bytes(rnd, sizeof rnd) != 1) {
		free(c);
		json_decref(lead);
		json_decref(address);
		mesh_fail(req, MESH_EINTERNAL, "create: no memory or entropy");
		return;
	}
	c->req = req;
	c->address = address;
	lead_id_format(now, rnd, c->id);
	mesh_time_format(now, c->created_at);
	/* id and created_at first: they read first in every copy. */
	c->lead =
	    json_pack("{s:s, s:s}", "id", c->id, "created_at", c->created_at);
	json_object_update(c->lead, lead);
	json_decref(lead);
	if (!idem) {
		create_run(c);
		return;
	}
	/* Keys are per customer: two customers' forms may well pick the
	 * same key. */
	const char *scope =
	    json_string_value(json_object_get(c->lead, "customer_id"));
	key_of(c->idem_key, "idem", scope ? scope : "_", idem);
	mesh_kv_commandf(idem_claimed, c, "SET %s %s NX EX %d", c->idem_key, "",
	                 IDEMPOTENCY_TTL_S);
}

/* ---- get ---------------------------------------------------------------- */

typedef struct read_ctx {
	mesh_req *req;
	char id[LEAD_ID_SIZE];
} read_ctx;

static void lead_read(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	read_ctx *r = arg;
	json_t *view;

	if (err != MESH_OK)
		mesh_fail(r->req, err, "read: %s", msg);
	else if (json_is_null(reply))
		mesh_fail(r->req, MESH_ENOTFOUND, "lead %s: not found", r->id);
	else if (!(view = lead_view(reply, json_array_get(reply, 4))))
		mesh_fail(r->req, MESH_EINTERNAL,
		          "lead %s: stored data is "
		          "unreadable",
		          r->id);
	else
		mesh_reply(r->req, view);
	free(r);
}

/* Reads lead id with its history and ends req with it. */
static void read_and_reply(mesh_req *req, const char *id)
{
	read_ctx *r = calloc(1, sizeof *r);
	char lead_key[KEY_SIZE], history_key[KEY_SIZE];

	if (!r) {
		mesh_fail(req, MESH_EINTERNAL, "get: out of memory");
		return;
	}
	r->req = req;
	snprintf(r->id, sizeof r->id, "%s", id);
	key_of(lead_key, "lead", id, NULL);
	key_of(history_key, "history", id, NULL);
	const char *argv[] = {"2", lead_key, history_key};
	mesh_kv_eval(&read_lua_eval, lead_read, r, 3, argv, NULL);
}

/* get {id}: the lead, its valuation (null until valued) and history. */
static void get(mesh_req *req, json_t *args)
{
	static const char *const names[] = {"id", NULL};
	const char *id;

	if (only_fields(req, args, names) || !(id = lead_id_arg(req, args)))
		return;
	read_and_reply(req, id);
}

/* ---- list --------------------------------------------------------------- */

static void listed(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	mesh_req *req = arg;
	json_t *leads = json_array(), *rows = json_array_get(reply, 0);
	const char *next = json_string_value(json_array_get(reply, 1));
	char cursor[LEAD_CURSOR_SIZE];
	json_t *row;
	size_t i;

	if (err != MESH_OK) {
		json_decref(leads);
		mesh_fail(req, err, "list: %s", msg);
		return;
	}
	json_array_foreach(rows, i, row)
	{
		json_t *view = lead_view(row, NULL);
		if (view)
			json_array_append_new(leads, view);
	}
	if (next && lead_id_valid(next))
		lead_cursor_encode(next, cursor);
	mesh_reply(req, json_pack("{s:o, s:s?}", "leads", leads, "next",
	                          next && lead_id_valid(next) ? cursor : NULL));
}

/* list {status?, zip?, since?, limit?, cursor?}: newest first. */
static void list(mesh_req *req, json_t *args)
{
	lead_query q;
	char why[256], index[KEY_SIZE], prefix[KEY_SIZE];
	char max[LEAD_ID_SIZE + 1] = "+", min[LEAD_ID_SIZE + 1] = "-";
	char floor_id[LEAD_ID_SIZE], limit[16], cap[16];

	if (lead_query_parse(args, &q, why, sizeof why)) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	/* The narrowest index; a second filter is applied while walking. */
	if (q.zip[0])
		key_of(index, "idx", "zip", q.zip);
	else if (q.status[0])
		key_of(index, "idx", "status", q.status);
	else
		key_of(index, "idx", "all", NULL);
	key_of(prefix, "lead", "", NULL);
	if (q.after_id[0])
		snprintf(max, sizeof max, "(%s", q.after_id);
	if (q.since_ms >= 0) {
		lead_id_floor(q.since_ms, floor_id);
		snprintf(min, sizeof min, "[%s", floor_id);
	}
	snprintf(limit, sizeof limit, "%d", q.limit);
	snprintf(cap, sizeof cap, "%d", LIST_SCAN_MAX);
	const char *argv[] = {"1",   index,    max,    min,
	                      limit, q.status, prefix, cap};
	mesh_kv_eval(&list_lua_eval, listed, req, 8, argv, NULL);
}

/* ---- update_status ------------------------------------------------------ */

typedef struct move_ctx {
	mesh_req *req;
	char id[LEAD_ID_SIZE];
	char from[32], to[32];
	char at[MESH_TIME_SIZE];
	char *prev_updated_at;
	char *note;
	char keys[4][KEY_SIZE];
} move_ctx;

static void move_free(move_ctx *m)
{
	free(m->prev_updated_at);
	free(m->note);
	free(m);
}

static void status_published(void *arg, mesh_err err, const char *msg)
{
	move_ctx *m = arg;

	if (err != MESH_OK) {
		/* The move stands only with its event: followup and the CRM
		 * would otherwise never learn of it. */
		const char *argv[] = {
		    "4",        m->keys[0],
		    m->keys[1], m->keys[2],
		    m->keys[3], m->from,
		    m->to,      m->prev_updated_at ? m->prev_updated_at : "",
		    m->id};
		mesh_kv_eval(&unmove_lua_eval, kv_ignore, NULL, 9, argv, NULL);
		mesh_fail(m->req, MESH_EUNAVAILABLE,
		          "lead.status_changed: not published: %s", msg);
		move_free(m);
		return;
	}
	read_and_reply(m->req, m->id);
	move_free(m);
}

static void moved(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	move_ctx *m = arg;
	json_int_t outcome = json_integer_value(json_array_get(reply, 0));

	if (err != MESH_OK) {
		mesh_fail(m->req, err, "update_status: %s", msg);
	} else if (outcome == 0) {
		mesh_fail(m->req, MESH_ENOTFOUND, "lead %s: not found", m->id);
	} else if (outcome == 1) {
		mesh_fail(
		    m->req, MESH_ECONFLICT,
		    "status: cannot move from %s to %s: the lead moved to "
		    "%s meanwhile",
		    m->from, m->to,
		    json_string_value(json_array_get(reply, 1)));
	} else {
		const char *prev = json_string_value(json_array_get(reply, 1));
		m->prev_updated_at = prev ? strdup(prev) : NULL;
		mesh_publish(m->req, "lead.status_changed",
		             json_pack("{s:s, s:s, s:s, s:s}", "id", m->id,
		                       "from", m->from, "to", m->to, "at",
		                       m->at),
		             status_published, m);
		return;
	}
	move_free(m);
}

static void status_read(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	move_ctx *m = arg;
	const char *cur = json_string_value(reply);
	char why[256], *entry;
	lead_move verdict;

	if (err != MESH_OK || !cur) {
		if (err != MESH_OK)
			mesh_fail(m->req, err, "update_status: %s", msg);
		else
			mesh_fail(m->req, MESH_ENOTFOUND, "lead %s: not found",
			          m->id);
		move_free(m);
		return;
	}
	verdict = lead_status_check(cur, m->to, why, sizeof why);
	if (verdict != LEAD_MOVE_OK) {
		mesh_fail(m->req, MESH_ECONFLICT, "%s", why);
		move_free(m);
		return;
	}
	snprintf(m->from, sizeof m->from, "%s", cur);
	key_of(m->keys[0], "lead", m->id, NULL);
	key_of(m->keys[1], "history", m->id, NULL);
	key_of(m->keys[2], "idx", "status", m->from);
	key_of(m->keys[3], "idx", "status", m->to);
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "from", m->from,
	                      "to", m->to, "at", m->at, "request_id",
	                      mesh_req_id(m->req), "note", m->note);
	entry = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	const char *argv[] = {
	    "4",     m->keys[0], m->keys[1], m->keys[2],           m->keys[3],
	    m->from, m->to,      m->at,      entry ? entry : "{}", m->id};
	mesh_kv_eval(&move_lua_eval, moved, m, 10, argv, NULL);
	free(entry);
}

/* update_status {id, status, note?}: one step along the pipeline, or to
 * dead. The move is checked against the status read first and applied
 * only if the lead is still in it, so of two concurrent moves from one
 * status exactly one wins. */
static void update_status(mesh_req *req, json_t *args)
{
	static const char *const names[] = {"id", "status", "note", NULL};
	const char *id, *to, *note;
	char why[256];
	move_ctx *m;

	if (only_fields(req, args, names) || !(id = lead_id_arg(req, args)))
		return;
	to = json_string_value(json_object_get(args, "status"));
	if (!to) {
		mesh_fail(req, MESH_EINVAL, "status: required");
		return;
	}
	if (lead_status_check("new", to, why, sizeof why) ==
	    LEAD_MOVE_UNKNOWN) {
		mesh_fail(req, MESH_EINVAL, "%s", why);
		return;
	}
	note = json_string_value(json_object_get(args, "note"));
	if ((json_object_get(args, "note") && !note) ||
	    (note && strlen(note) > STATUS_NOTE_MAX)) {
		mesh_fail(req, MESH_EINVAL,
		          "note: expected text of at most %d bytes",
		          STATUS_NOTE_MAX);
		return;
	}
	if (!(m = calloc(1, sizeof *m))) {
		mesh_fail(req, MESH_EINTERNAL, "update_status: out of memory");
		return;
	}
	m->req = req;
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->to, sizeof m->to, "%s", to);
	m->note = note ? strdup(note) : NULL;
	mesh_time_format(wall_ms(), m->at);
	mesh_kv_commandf(status_read, m, "HGET %s status",
	                 mesh_kv_key("lead", id, (char *)NULL));
}

/* ---- lead.valued -------------------------------------------------------- */

static void valuation_kept(void *arg, mesh_err err, const char *msg,
                           json_t *reply)
{
	mesh_req *req = arg;

	if (err != MESH_OK) {
		mesh_fail(req, err, "lead.valued: %s", msg);
		return;
	}
	if (json_integer_value(reply) == 0)
		/* Nothing to retry for: the lead is gone or never was. */
		mesh_log(req, MESH_LOG_WARN, NULL,
		         "lead.valued for an unknown lead; dropped");
	mesh_reply(req, NULL);
}

/* What a lead keeps of its valuation: the summary valuation announces
 * (the full report stays with valuation). An event from before the
 * summary, carrying the whole report, is cut down to the same fields. */
static const char *const valuation_fields[] = {
    "lead_id",     "value",     "low",    "high",  "confidence", "label",
    "comps_count", "radius_mi", "reason", "as_of", "location",   "sqft_source",
};

static json_t *valuation_summary(json_t *valuation)
{
	json_t *o = json_object(),
	       *subject = json_object_get(valuation, "subject");

	for (size_t i = 0;
	     i < sizeof valuation_fields / sizeof *valuation_fields; i++) {
		json_t *v = json_object_get(valuation, valuation_fields[i]);
		if (!v)
			v = json_object_get(subject, valuation_fields[i]);
		if (v)
			json_object_set(o, valuation_fields[i], v);
	}
	return o;
}

/* lead.valued {lead_id, valuation}: keeps the latest valuation summary on
 * the lead. Setting it again is harmless, so redelivery is idempotent. */
static void on_valued(mesh_req *req, json_t *event)
{
	const char *id = json_string_value(json_object_get(event, "lead_id"));
	json_t *valuation = json_object_get(event, "valuation"), *summary;
	char *text;

	if (!id || !json_is_object(valuation)) {
		mesh_fail(req, MESH_EINVAL,
		          "lead.valued: expected {lead_id, valuation: {...}}");
		return;
	}
	if (!lead_id_valid(id)) {
		mesh_log(req, MESH_LOG_WARN, NULL,
		         "lead.valued for \"%.40s\", no lead id; dropped", id);
		mesh_reply(req, NULL);
		return;
	}
	summary = valuation_summary(valuation);
	text = json_dumps(summary, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(summary);
	const char *argv[] = {"1", mesh_kv_key("lead", id, (char *)NULL),
	                      text ? text : "{}"};
	mesh_kv_eval(&value_lua_eval, valuation_kept, req, 3, argv, NULL);
	free(text);
}

static const mesh_method methods[] = {
    {"create", create}, {"get", get},
    {"list", list},     {"update_status", update_status},
    {NULL, NULL},
};

static const mesh_subscription subscriptions[] = {
    {"lead.valued", on_valued},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "leads-intake",
    .methods = methods,
    .subscriptions = subscriptions,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
