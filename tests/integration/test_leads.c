/*
 * The lead pipeline's front: real address, dedupe and leads-intake daemons
 * on the real manifest and a real redis-server, driven as the gateway
 * drives them. billing is not running, as in a mesh without it: leads are
 * accepted all the same.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "http_get.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

static char dir[64];
static redis_server *rs;
static pid_t address_pid, dedupe_pid, leads_pid;

static pid_t start_service(const char *name, const char *const *env)
{
	return fixture_daemon(proc_bin_path(name), name, env);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	setenv("LOG_LEVEL", "debug", 1);
	address_pid = start_service("address", NULL);
	dedupe_pid = start_service("dedupe", NULL);
	leads_pid = start_service("leads-intake", NULL);
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	proc_stop(leads_pid, 5000);
	proc_stop(dedupe_pid, 5000);
	proc_stop(address_pid, 5000);
	fixture_finish();
}

static json_t *call_ok(const char *svc, const char *method, json_t *args)
{
	mesh_err err;
	char msg[2048];
	json_t *r =
	    mesh_sync_call(svc, method, args, NULL, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "%s.%s: %s: %s", svc, method,
	              mesh_strerror(err), msg);
	return r;
}

static mesh_err call_err(const char *svc, const char *method, json_t *args,
                         char *msg, size_t msg_len)
{
	mesh_err err;
	json_t *r = mesh_sync_call(svc, method, args, NULL, &err, msg, msg_len);

	json_decref(r);
	return err;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "%s: not a string", key);
	return s;
}

/* A valid lead for seller n: its own phone, email and address. */
static json_t *lead_args(int n, const char *zip)
{
	char phone[32], email[64], address[128];

	snprintf(phone, sizeof phone, "(512) 555-%04d", n);
	snprintf(email, sizeof email, "  Seller%d@Example.COM ", n);
	snprintf(address, sizeof address, "%d Oak Hollow Dr, Austin, TX %s",
	         100 + n, zip);
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:i, s:s}", "name",
	                 "Dana Seller", "phone", phone, "email", email,
	                 "address", address, "beds", 3, "baths", 2.5, "sqft",
	                 1850, "timeline", "30_days");
}

static json_t *create_ok(int n, const char *zip)
{
	return call_ok("leads-intake", "create", lead_args(n, zip));
}

START_TEST(create_answers_201_and_get_returns_it)
{
	json_t *r = create_ok(1, "78701");
	json_t *http = json_object_get(r, "_http");
	char location[64];
	const char *id = str(r, "id");

	ck_assert_int_eq(json_integer_value(json_object_get(http, "status")),
	                 201);
	snprintf(location, sizeof location, "/api/leads/%s", id);
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_object_get(http, "headers"), "Location")),
	                 location);
	ck_assert_int_eq(strlen(id), 23);
	ck_assert_int_eq(strncmp(id, "ld_", 3), 0);
	ck_assert_str_eq(str(r, "status"), "new");
	ck_assert_str_eq(str(r, "phone"), "+15125550001");
	ck_assert_str_eq(str(r, "email"), "seller1@example.com");
	ck_assert(json_is_false(json_object_get(r, "duplicate")));
	json_t *a = json_object_get(r, "address");
	ck_assert_str_eq(str(a, "zip"), "78701");
	ck_assert_str_eq(str(a, "suffix"), "DR");
	ck_assert_str_eq(str(a, "one_line"),
	                 "101 OAK HOLLOW DR, AUSTIN, TX 78701");
	/* created_at is ISO-8601 UTC with milliseconds. */
	ck_assert_int_eq(strlen(str(r, "created_at")), 24);
	ck_assert_int_eq(str(r, "created_at")[23], 'Z');

	json_t *g =
	    call_ok("leads-intake", "get", json_pack("{s:s}", "id", id));
	ck_assert_str_eq(str(g, "id"), id);
	ck_assert_str_eq(str(g, "name"), "Dana Seller");
	ck_assert_str_eq(str(g, "created_at"), str(r, "created_at"));
	ck_assert_int_eq(json_integer_value(json_object_get(g, "beds")), 3);
	ck_assert(json_real_value(json_object_get(g, "baths")) == 2.5);
	ck_assert(json_is_null(json_object_get(g, "valuation")));
	ck_assert_ptr_null(json_object_get(g, "_http"));
	json_t *h = json_object_get(g, "history");
	ck_assert_int_eq(json_array_size(h), 1);
	ck_assert_str_eq(str(json_array_get(h, 0), "to"), "new");
	json_decref(g);
	json_decref(r);

	char msg[256];
	ck_assert_int_eq(
	    call_err("leads-intake", "get",
	             json_pack("{s:s}", "id", "ld_000000000000zzzzzzzz"), msg,
	             sizeof msg),
	    MESH_ENOTFOUND);
	ck_assert_str_eq(msg, "lead ld_000000000000zzzzzzzz: not found");
}
END_TEST

/* Every way the form can be wrong: bad_request, and the message names
 * the field. */
START_TEST(validation_errors_name_the_field)
{
	static const struct {
		const char *body;
		const char *msg;
	} cases[] = {
	    {"{\"phone\": \"5125550100\", \"address\": \"1 Main St, Austin, "
	     "TX 78701\"}",
	     "name: required"},
	    {"{\"name\": \"Ann\", \"address\": \"1 Main St, Austin, TX "
	     "78701\"}",
	     "phone: a phone number or an email address is required"},
	    {"{\"name\": \"Ann\", \"phone\": \"512-555-014\", \"address\": "
	     "\"1 Main St, Austin, TX 78701\"}",
	     "phone: expected 10 digits, got 9"},
	    {"{\"name\": \"Ann\", \"email\": \"ann@@example.com\", "
	     "\"address\": \"1 Main St, Austin, TX 78701\"}",
	     "email: expected one @ in \"ann@@example.com\""},
	    {"{\"name\": \"Ann\", \"email\": \"ann@example\", \"address\": "
	     "\"1 Main St, Austin, TX 78701\"}",
	     "email: the domain \"example\" is not valid"},
	    {"{\"name\": \"Ann\", \"email\": \"ann@example.com\", "
	     "\"address\": \"1 Main St, Austin, TX 78701\", \"favorite\": 1}",
	     "favorite: unknown field"},
	    {"{\"name\": \"Ann\", \"email\": \"ann@example.com\"}",
	     "address: required (as text, or as street with city and state "
	     "or zip)"},
	    {"{\"name\": \"Ann\", \"email\": \"ann@example.com\", "
	     "\"address\": \"1 Main St, Austin, TX 78701\", \"condition\": 6}",
	     "condition: expected an integer 1-5"},
	    /* Everything at once: one message per field. */
	    {"{\"phone\": \"12\", \"evil\": true, \"address\": \"1 Main St, "
	     "Austin, TX 78701\"}",
	     "evil: unknown field; name: required; phone: expected 10 "
	     "digits, got 2"},
	};
	char msg[2048];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *args = json_loads(cases[i].body, 0, NULL);
		ck_assert_ptr_nonnull(args);
		mesh_err err =
		    call_err("leads-intake", "create", args, msg, sizeof msg);
		ck_assert_msg(err == MESH_EINVAL, "case %zu: %s", i,
		              mesh_strerror(err));
		ck_assert_str_eq(msg, cases[i].msg);
	}

	/* An address the parser cannot read: the address service's own
	 * message, unchanged. */
	char want[512];
	ck_assert_int_eq(call_err("address", "normalize",
	                          json_pack("{s:s}", "text", "Main Street"),
	                          want, sizeof want),
	                 MESH_EINVAL);
	ck_assert_int_eq(
	    call_err("leads-intake", "create",
	             json_pack("{s:s, s:s, s:s}", "name", "Ann", "email",
	                       "ann@example.com", "address", "Main Street"),
	             msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_str_eq(msg, want);
	ck_assert_int_eq(strncmp(msg, "address: ", 9), 0);

	/* Nothing was stored along the way. */
	json_t *l = call_ok("leads-intake", "list", json_object());
	ck_assert_int_eq(json_array_size(json_object_get(l, "leads")), 0);
	json_decref(l);
}
END_TEST

START_TEST(duplicate_phone_returns_the_first_lead)
{
	json_t *first = create_ok(7, "78701");
	json_t *again = lead_args(8, "78702");

	/* Another spelling of the same phone, everything else different. */
	json_object_set_new(again, "phone", json_string("+1 512.555.0007"));
	json_t *r = call_ok("leads-intake", "create", again);
	ck_assert(json_is_true(json_object_get(r, "duplicate")));
	ck_assert_str_eq(str(r, "id"), str(first, "id"));
	ck_assert_str_eq(str(r, "matched_on"), "phone");
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(r, "_http"), "status")),
	                 200);
	json_decref(r);

	/* Same address spelled differently: a duplicate by address. */
	again = lead_args(9, "78701");
	json_object_set_new(again, "address",
	                    json_string("107 oak hollow drive, austin, texas "
	                                "78701"));
	r = call_ok("leads-intake", "create", again);
	ck_assert(json_is_true(json_object_get(r, "duplicate")));
	ck_assert_str_eq(str(r, "id"), str(first, "id"));
	ck_assert_str_eq(str(r, "matched_on"), "address_key");
	json_decref(r);

	json_t *l = call_ok("leads-intake", "list", json_object());
	ck_assert_int_eq(json_array_size(json_object_get(l, "leads")), 1);
	json_decref(l);
	json_decref(first);
}
END_TEST

START_TEST(idempotency_key_replays_the_first_response)
{
	json_t *args = lead_args(11, "78701");
	json_object_set_new(args, "_meta",
	                    json_pack("{s:s, s:s}", "idempotency_key",
	                              "form-abc-123", "client_ip",
	                              "203.0.113.9"));
	json_t *r1 = call_ok("leads-intake", "create", json_deep_copy(args));
	/* The same key with another body: still the first response. */
	json_object_set_new(args, "phone", json_string("512-555-0999"));
	json_object_set_new(args, "email", json_string("other@example.com"));
	json_t *r2 = call_ok("leads-intake", "create", args);

	ck_assert(json_equal(r1, r2));
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(r2, "_http"), "status")),
	                 201);
	json_t *l = call_ok("leads-intake", "list", json_object());
	ck_assert_int_eq(json_array_size(json_object_get(l, "leads")), 1);
	json_decref(l);
	/* Held for 24 hours. */
	long long ttl =
	    redis_server_int(rs, "TTL leads-intake:idem:_:form-abc-123");
	ck_assert_int_gt(ttl, 86000);
	ck_assert_int_le(ttl, 86400);
	json_decref(r1);
	json_decref(r2);

	char msg[512];
	args = lead_args(12, "78701");
	json_object_set_new(args, "_meta",
	                    json_pack("{s:s}", "idempotency_key", "has space"));
	ck_assert_int_eq(
	    call_err("leads-intake", "create", args, msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_str_eq(msg, "Idempotency-Key: expected 1-255 printable "
	                      "ASCII characters without spaces");
}
END_TEST

/* Collects every id of a listing by pages of limit; asserts each page is
 * newest first and the pages do not overlap. */
static int list_all(json_t *filter, int limit, char ids[][32], int max)
{
	json_t *cursor = NULL;
	int n = 0, pages = 0;

	do {
		json_t *args = json_deep_copy(filter);
		json_object_set_new(args, "limit", json_integer(limit));
		if (cursor)
			json_object_set_new(args, "cursor", cursor);
		json_t *r = call_ok("leads-intake", "list", args);
		json_t *leads = json_object_get(r, "leads"), *l;
		size_t i;
		ck_assert_int_le(json_array_size(leads), limit);
		json_array_foreach(leads, i, l)
		{
			ck_assert_int_lt(n, max);
			snprintf(ids[n], 32, "%s", str(l, "id"));
			if (n > 0)
				ck_assert_msg(strcmp(ids[n - 1], ids[n]) > 0,
				              "not newest first");
			ck_assert_ptr_null(json_object_get(l, "history"));
			n++;
		}
		json_t *next = json_object_get(r, "next");
		cursor = json_is_string(next) ? json_incref(next) : NULL;
		json_decref(r);
		ck_assert_int_lt(++pages, 50);
	} while (cursor);
	return n;
}

static int lines_with(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;

	ck_assert_msg(f != NULL, "%s: cannot open", path);
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* billing is not running here: every lead is still accepted, and the
 * outage is one warning line, not one per lead. */
START_TEST(billing_outage_warns_once_not_per_lead)
{
	char log[128];

	for (int i = 0; i < 6; i++)
		json_decref(create_ok(60 + i, "78702"));
	snprintf(log, sizeof log, "%s/leads-intake.log", dir);
	ck_assert_int_eq(lines_with(log, "billing.check_quota"), 1);
	ck_assert_int_eq(lines_with(log, "billing is not running"), 1);
}
END_TEST

START_TEST(list_filters_and_pages)
{
	char ids[16][32], created[8][32];
	json_t *filter;

	for (int i = 0; i < 5; i++) {
		json_t *r = create_ok(20 + i, "78701");
		snprintf(created[i], 32, "%s", str(r, "id"));
		json_decref(r);
	}
	for (int i = 0; i < 3; i++)
		json_decref(create_ok(30 + i, "85004"));

	filter = json_pack("{s:s}", "zip", "78701");
	ck_assert_int_eq(list_all(filter, 2, ids, 16), 5);
	for (int i = 0; i < 5; i++) {
		int found = 0;
		for (int j = 0; j < 5; j++)
			found |= strcmp(ids[j], created[i]) == 0;
		ck_assert_msg(found, "%s missing from the pages", created[i]);
	}
	json_decref(filter);

	/* One page exactly full: no cursor to an empty page. */
	filter = json_pack("{s:s}", "zip", "85004");
	json_t *args = json_deep_copy(filter);
	json_object_set_new(args, "limit", json_string("3"));
	json_t *r = call_ok("leads-intake", "list", args);
	ck_assert_int_eq(json_array_size(json_object_get(r, "leads")), 3);
	ck_assert(json_is_null(json_object_get(r, "next")));
	json_decref(r);
	json_decref(filter);

	filter = json_object();
	ck_assert_int_eq(list_all(filter, 3, ids, 16), 8);
	ck_assert_int_eq(list_all(filter, 200, ids, 16), 8);
	json_decref(filter);

	/* status, alone and with zip. */
	json_decref(call_ok(
	    "leads-intake", "update_status",
	    json_pack("{s:s, s:s}", "id", created[2], "status", "contacted")));
	filter = json_pack("{s:s}", "status", "contacted");
	ck_assert_int_eq(list_all(filter, 50, ids, 16), 1);
	ck_assert_str_eq(ids[0], created[2]);
	json_decref(filter);
	filter = json_pack("{s:s, s:s}", "status", "new", "zip", "78701");
	ck_assert_int_eq(list_all(filter, 1, ids, 16), 4);
	json_decref(filter);
	filter = json_pack("{s:s, s:s}", "status", "contacted", "zip", "85004");
	ck_assert_int_eq(list_all(filter, 10, ids, 16), 0);
	json_decref(filter);

	/* since: an old date keeps all, a future time none. */
	filter = json_pack("{s:s}", "since", "2020-01-01");
	ck_assert_int_eq(list_all(filter, 50, ids, 16), 8);
	json_decref(filter);
	filter = json_pack("{s:s}", "since", "4102444800000");
	ck_assert_int_eq(list_all(filter, 50, ids, 16), 0);
	json_decref(filter);

	char msg[256];
	ck_assert_int_eq(call_err("leads-intake", "list",
	                          json_pack("{s:s}", "limit", "201"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "limit: expected an integer 1-200, got \"201\"");
	ck_assert_int_eq(call_err("leads-intake", "list",
	                          json_pack("{s:s}", "cursor", "garbage"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "cursor: not a cursor from a previous page");
	ck_assert_int_eq(call_err("leads-intake", "list",
	                          json_pack("{s:s}", "stauts", "new"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
}
END_TEST

static mesh_err move(const char *id, const char *to, char *msg, size_t len)
{
	return call_err("leads-intake", "update_status",
	                json_pack("{s:s, s:s}", "id", id, "status", to), msg,
	                len);
}

START_TEST(status_moves_along_the_pipeline)
{
	json_t *r = create_ok(40, "78701");
	const char *id = str(r, "id");
	char msg[512];

	json_t *m = call_ok("leads-intake", "update_status",
	                    json_pack("{s:s, s:s, s:s}", "id", id, "status",
	                              "contacted", "note", "left a voicemail"));
	ck_assert_str_eq(str(m, "status"), "contacted");
	json_t *h = json_object_get(m, "history");
	ck_assert_int_eq(json_array_size(h), 2);
	ck_assert_str_eq(str(json_array_get(h, 1), "from"), "new");
	ck_assert_str_eq(str(json_array_get(h, 1), "to"), "contacted");
	ck_assert_str_eq(str(json_array_get(h, 1), "note"), "left a voicemail");
	json_decref(m);

	ck_assert_int_eq(move(id, "closed", msg, sizeof msg), MESH_ECONFLICT);
	ck_assert_str_eq(msg, "status: cannot move from contacted to closed "
	                      "(allowed: offer_sent, dead)");
	ck_assert_int_eq(move(id, "contacted", msg, sizeof msg),
	                 MESH_ECONFLICT);
	ck_assert_int_eq(move(id, "offer_sent", msg, sizeof msg), MESH_OK);
	ck_assert_int_eq(move(id, "under_contract", msg, sizeof msg), MESH_OK);
	ck_assert_int_eq(move(id, "closed", msg, sizeof msg), MESH_OK);
	ck_assert_int_eq(move(id, "dead", msg, sizeof msg), MESH_ECONFLICT);
	ck_assert_str_eq(msg, "status: cannot move from closed to dead "
	                      "(allowed: none, closed is final)");
	ck_assert_int_eq(move(id, "sold", msg, sizeof msg), MESH_EINVAL);
	ck_assert_int_eq(strncmp(msg, "status: unknown status \"sold\"", 29),
	                 0);
	ck_assert_int_eq(
	    move("ld_000000000000zzzzzzzz", "dead", msg, sizeof msg),
	    MESH_ENOTFOUND);

	/* Every accepted move is an event, in order, with from and to. */
	redisReply *x =
	    redis_server_cmd(rs, "XRANGE events:lead.status_changed - +");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->elements, 4);
	redisReply *fields = x->element[3]->element[1];
	ck_assert_str_eq(fields->element[0]->str, "payload");
	json_t *ev = json_loads(fields->element[1]->str, 0, NULL);
	ck_assert_str_eq(str(ev, "id"), id);
	ck_assert_str_eq(str(ev, "from"), "under_contract");
	ck_assert_str_eq(str(ev, "to"), "closed");
	json_decref(ev);
	freeReplyObject(x);

	json_t *other = create_ok(41, "78701");
	ck_assert_int_eq(move(str(other, "id"), "dead", msg, sizeof msg),
	                 MESH_OK);
	ck_assert_int_eq(move(str(other, "id"), "new", msg, sizeof msg),
	                 MESH_ECONFLICT);
	ck_assert_str_eq(msg, "status: cannot move from dead to new "
	                      "(allowed: none, dead is final)");
	json_decref(other);
	json_decref(r);
}
END_TEST

typedef struct outcome {
	int done;
	mesh_err err;
} outcome;

static void async_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	outcome *o = arg;

	(void)msg;
	(void)result;
	o->err = err;
	o->done = 1;
}

START_TEST(concurrent_moves_one_wins)
{
	json_t *r = create_ok(50, "78701");
	outcome a = {0}, b = {0};
	long long until = proc_now_ms() + 5000;

	/* Both in flight at once on one connection, both from new. */
	mesh_call_with(
	    NULL, "leads-intake", "update_status",
	    json_pack("{s:s, s:s}", "id", str(r, "id"), "status", "contacted"),
	    async_done, &a);
	mesh_call_with(
	    NULL, "leads-intake", "update_status",
	    json_pack("{s:s, s:s}", "id", str(r, "id"), "status", "contacted"),
	    async_done, &b);
	while (!(a.done && b.done) && proc_now_ms() < until)
		mesh_sync_run(5);
	ck_assert(a.done && b.done);
	ck_assert_msg((a.err == MESH_OK) != (b.err == MESH_OK), "a: %s, b: %s",
	              mesh_strerror(a.err), mesh_strerror(b.err));
	ck_assert_int_eq(a.err == MESH_OK ? b.err : a.err, MESH_ECONFLICT);

	json_t *g = call_ok("leads-intake", "get",
	                    json_pack("{s:s}", "id", str(r, "id")));
	ck_assert_int_eq(json_array_size(json_object_get(g, "history")), 2);
	json_decref(g);
	json_decref(r);
}
END_TEST

START_TEST(lead_created_is_durable_with_the_request_id)
{
	mesh_err err;
	char msg[256];
	mesh_sync_opts o = {.request_id = "req-lead-created-1"};
	json_t *r =
	    mesh_sync_call("leads-intake", "create", lead_args(60, "78701"), &o,
	                   &err, msg, sizeof msg);
	ck_assert_int_eq(err, MESH_OK);

	/* Already in the stream when the 201 came back. */
	redisReply *x = redis_server_cmd(rs, "XRANGE events:lead.created - +");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->elements, 1);
	redisReply *f = x->element[0]->element[1];
	const char *payload = NULL, *rid = NULL;
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		if (!strcmp(f->element[i]->str, "payload"))
			payload = f->element[i + 1]->str;
		if (!strcmp(f->element[i]->str, "request_id"))
			rid = f->element[i + 1]->str;
	}
	ck_assert_ptr_nonnull(payload);
	ck_assert_str_eq(rid, "req-lead-created-1");
	json_t *ev = json_loads(payload, 0, NULL);
	ck_assert_str_eq(str(ev, "id"), str(r, "id"));
	ck_assert_str_eq(str(ev, "name"), "Dana Seller");
	ck_assert_str_eq(str(ev, "phone"), "+15125550060");
	ck_assert_str_eq(str(ev, "status"), "new");
	ck_assert_str_eq(str(json_object_get(ev, "address"), "zip"), "78701");
	ck_assert_ptr_null(json_object_get(ev, "_http"));
	json_decref(ev);
	freeReplyObject(x);
	json_decref(r);
}
END_TEST

/* Polls get until the lead has a valuation; NULL after timeout_ms. */
static json_t *wait_valuation(const char *id, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;

	for (;;) {
		json_t *g = call_ok("leads-intake", "get",
		                    json_pack("{s:s}", "id", id));
		json_t *v = json_object_get(g, "valuation");
		if (json_is_object(v)) {
			json_incref(v);
			json_decref(g);
			return v;
		}
		json_decref(g);
		if (proc_now_ms() >= until)
			return NULL;
		proc_sleep_ms(20);
	}
}

START_TEST(lead_valued_shows_in_get)
{
	json_t *r = create_ok(70, "78701");
	char payload[512];

	/* A full report, as lead.valued carried before the summary: the
	 * lead keeps the summary's fields only. */
	snprintf(payload, sizeof payload,
	         "{\"lead_id\":\"%s\",\"valuation\":{\"value\":412000,"
	         "\"low\":391000,\"high\":433000,\"confidence\":0.8,"
	         "\"label\":\"high\",\"comps_count\":7,\"comps\":[{\"id\":"
	         "\"c1\"}],\"subject\":{\"location\":\"zip_centroid\"}}}",
	         str(r, "id"));
	/* As libmesh's events_publish writes it. */
	freeReplyObject(redis_server_cmd(
	    rs,
	    "XADD events:lead.valued * payload %s request_id %s traceparent %s "
	    "published_ms %s",
	    payload, "req-valued-1", "", "1767225600000"));
	/* An unknown lead: acknowledged, not retried. */
	freeReplyObject(redis_server_cmd(
	    rs,
	    "XADD events:lead.valued * payload %s request_id %s traceparent %s "
	    "published_ms %s",
	    "{\"lead_id\":\"ld_000000000000zzzzzzzz\",\"valuation\":{}}", "r2",
	    "", "1767225600000"));

	json_t *v = wait_valuation(str(r, "id"), 5000);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "value")),
	                 412000);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "comps_count")),
	                 7);
	ck_assert_str_eq(str(v, "label"), "high");
	ck_assert_str_eq(str(v, "location"), "zip_centroid");
	ck_assert_ptr_null(json_object_get(v, "comps"));
	ck_assert_ptr_null(json_object_get(v, "subject"));
	json_decref(v);

	long long until = proc_now_ms() + 5000, pending = -1;
	while (proc_now_ms() < until) {
		redisReply *p = redis_server_cmd(
		    rs, "XPENDING events:lead.valued leads-intake");
		pending = p && p->type == REDIS_REPLY_ARRAY
		              ? p->element[0]->integer
		              : -1;
		freeReplyObject(p);
		if (pending == 0)
			break;
		proc_sleep_ms(20);
	}
	ck_assert_int_eq(pending, 0);
	json_decref(r);
}
END_TEST

/* ---- dedupe and address on their own ------------------------------------ */

START_TEST(dedupe_check_and_forget)
{
	char msg[256];
	json_t *r = call_ok("dedupe", "check",
	                    json_pack("{s:s, s:s, s:s}", "email",
	                              "A@Example.com", "address_key",
	                              "1|||main|st|||78701", "lead_id", "L1"));
	ck_assert(json_is_false(json_object_get(r, "duplicate")));
	json_decref(r);

	/* 30 days by default. */
	long long ttl =
	    redis_server_int(rs, "TTL dedupe:id:_:email:a@example.com");
	ck_assert_int_gt(ttl, 30 * 86400 - 60);
	ck_assert_int_le(ttl, 30 * 86400);

	r = call_ok("dedupe", "check",
	            json_pack("{s:s, s:s, s:s}", "phone", "+15125550100",
	                      "email", "a@example.com ", "lead_id", "L2"));
	ck_assert(json_is_true(json_object_get(r, "duplicate")));
	ck_assert_str_eq(str(r, "lead_id"), "L1");
	ck_assert_str_eq(str(r, "matched_on"), "email");
	json_decref(r);
	/* The duplicate's phone was not recorded. */
	ck_assert_int_eq(
	    redis_server_int(rs, "EXISTS dedupe:id:_:phone:+15125550100"), 0);

	/* A retry of the first lead is not a duplicate of itself. */
	r = call_ok(
	    "dedupe", "check",
	    json_pack("{s:s, s:s}", "email", "a@example.com", "lead_id", "L1"));
	ck_assert(json_is_false(json_object_get(r, "duplicate")));
	json_decref(r);

	/* Another customer's scope does not match. */
	r = call_ok("dedupe", "check",
	            json_pack("{s:s, s:s, s:s}", "email", "a@example.com",
	                      "lead_id", "L3", "scope", "cust_2"));
	ck_assert(json_is_false(json_object_get(r, "duplicate")));
	json_decref(r);

	r = call_ok("dedupe", "forget", json_pack("{s:s}", "lead_id", "L1"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "forgotten")),
	                 2);
	json_decref(r);
	r = call_ok(
	    "dedupe", "check",
	    json_pack("{s:s, s:s}", "email", "a@example.com", "lead_id", "L4"));
	ck_assert(json_is_false(json_object_get(r, "duplicate")));
	json_decref(r);
	r = call_ok("dedupe", "forget",
	            json_pack("{s:s}", "email", "a@example.com"));
	ck_assert_int_eq(json_integer_value(json_object_get(r, "forgotten")),
	                 1);
	json_decref(r);

	ck_assert_int_eq(call_err("dedupe", "check",
	                          json_pack("{s:s}", "email", "a@example.com"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "lead_id: required");
	ck_assert_int_eq(call_err("dedupe", "check",
	                          json_pack("{s:s, s:s}", "phone", "5125550100",
	                                    "lead_id", "L5"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "phone: expected E.164 (+15125550142)");
	ck_assert_int_eq(
	    call_err("dedupe", "forget", json_object(), msg, sizeof msg),
	    MESH_EINVAL);
}
END_TEST

START_TEST(dedupe_window_is_configurable)
{
	const char *env[] = {"DEDUPE_WINDOW_DAYS=2", NULL};
	const char *bad[] = {"DEDUPE_WINDOW_DAYS=0", NULL};
	char log[128];

	proc_stop(dedupe_pid, 5000);
	dedupe_pid = start_service("dedupe", env);
	json_decref(call_ok(
	    "dedupe", "check",
	    json_pack("{s:s, s:s}", "phone", "+15125550100", "lead_id", "L1")));
	long long ttl =
	    redis_server_int(rs, "TTL dedupe:id:_:phone:+15125550100");
	ck_assert_int_gt(ttl, 2 * 86400 - 60);
	ck_assert_int_le(ttl, 2 * 86400);

	/* A bad value stops the daemon before it serves anything. */
	snprintf(log, sizeof log, "%s/dedupe-bad.log", dir);
	pid_t pid = proc_start(proc_bin_path("dedupe"), bad, log);
	ck_assert_int_eq(proc_wait(pid, 5000), 1);
}
END_TEST

START_TEST(address_normalizes_text_and_parts)
{
	char msg[256];
	json_t *t = call_ok("address", "normalize",
	                    json_pack("{s:s}", "text",
	                              "123 n. main street apt 4, austin, texas "
	                              "78701-1234"));
	ck_assert_str_eq(str(t, "number"), "123");
	ck_assert_str_eq(str(t, "predirectional"), "N");
	ck_assert_str_eq(str(t, "street"), "MAIN");
	ck_assert_str_eq(str(t, "suffix"), "ST");
	ck_assert(json_is_null(json_object_get(t, "postdirectional")));
	ck_assert_str_eq(str(t, "unit_designator"), "APT");
	ck_assert_str_eq(str(t, "unit"), "4");
	ck_assert_str_eq(str(t, "city"), "AUSTIN");
	ck_assert_str_eq(str(t, "state"), "TX");
	ck_assert_str_eq(str(t, "zip"), "78701");
	ck_assert_str_eq(str(t, "zip4"), "1234");
	ck_assert_str_eq(str(t, "one_line"),
	                 "123 N MAIN ST APT 4, AUSTIN, TX 78701-1234");

	json_t *p = call_ok("address", "normalize",
	                    json_pack("{s:s, s:s, s:s, s:s, s:s}", "street",
	                              "123 North Main St", "unit", "#4", "city",
	                              "Austin", "state", "TX", "zip", "78701"));
	ck_assert_str_eq(str(p, "key"), str(t, "key"));
	json_decref(p);
	json_decref(t);

	ck_assert_int_eq(
	    call_err("address", "normalize",
	             json_pack("{s:s}", "text", "12 Elm St, Springfield, XX"),
	             msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_int_eq(strncmp(msg, "address: ", 9), 0);
	ck_assert_int_eq(call_err("address", "normalize",
	                          json_pack("{s:s, s:s}", "text", "1 Main St",
	                                    "zip", "78701"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "address: give text or parts, not both");
	ck_assert_int_eq(call_err("address", "normalize",
	                          json_pack("{s:i}", "text", 5), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "text: expected a string");
	ck_assert_int_eq(call_err("address", "normalize",
	                          json_pack("{s:s}", "line1", "1 Main St"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
}
END_TEST

/* ---- through the gateway ------------------------------------------------ */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	return ntohs(sin.sin_port);
}

/* A seller's browser posting the public form: the gateway turns _http
 * into the status and Location header, and Idempotency-Key into _meta. */
START_TEST(public_form_through_the_gateway)
{
	char port_env[32], url[96], healthz[96], log[128];
	const char *body = "{\"name\": \"Gia Seller\", \"phone\": \"602 555 "
	                   "0199\", \"address\": \"40 W Van Buren St, "
	                   "Phoenix, AZ 85004\"}";
	const char *headers[] = {"Content-Type: application/json",
	                         "Idempotency-Key: browser-retry-1", NULL};
	int port = free_port();

	snprintf(port_env, sizeof port_env, "PORT=%d", port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/leads", port);
	snprintf(healthz, sizeof healthz, "http://127.0.0.1:%d/healthz", port);
	snprintf(log, sizeof log, "%s/gateway.log", dir);
	const char *env[] = {port_env, "BIND_ADDR=127.0.0.1", NULL};
	pid_t gw = proc_start(proc_bin_path("gateway"), env, log);
	long long until = proc_now_ms() + 5000;
	long st = 0;
	while (st != 200 && proc_now_ms() < until) {
		http_result h = http_do("GET", healthz, NULL, 0, NULL, 500);
		st = h.status;
		http_result_free(&h);
		if (st != 200)
			proc_sleep_ms(10);
	}
	ck_assert_int_eq(st, 200);

	http_result r1 =
	    http_do("POST", url, body, strlen(body), headers, 5000);
	ck_assert_int_eq(r1.status, 201);
	ck_assert_ptr_nonnull(r1.json);
	const char *id = str(r1.json, "id");
	char location[64];
	snprintf(location, sizeof location, "/api/leads/%s", id);
	ck_assert_str_eq(http_header(&r1, "Location"), location);
	ck_assert_ptr_null(json_object_get(r1.json, "_http"));
	ck_assert_str_eq(str(r1.json, "phone"), "+16025550199");

	/* The browser retries: the same lead, not a second one. */
	http_result r2 =
	    http_do("POST", url, body, strlen(body), headers, 5000);
	ck_assert_int_eq(r2.status, 201);
	ck_assert_str_eq(str(r2.json, "id"), id);

	const char *bad = "{\"name\": \"Gia\", \"address\": \"1 Main St, "
	                  "Phoenix, AZ 85004\"}";
	http_result r3 = http_do("POST", url, bad, strlen(bad), NULL, 5000);
	ck_assert_int_eq(r3.status, 400);
	json_t *e = json_object_get(r3.json, "error");
	ck_assert_str_eq(str(e, "code"), "bad_request");
	ck_assert_str_eq(str(e, "message"),
	                 "phone: a phone number or an email address is "
	                 "required");
	http_result_free(&r1);
	http_result_free(&r2);
	http_result_free(&r3);
	ck_assert_int_eq(proc_stop(gw, 5000), 0);
}
END_TEST

static Suite *leads_suite(void)
{
	Suite *s = suite_create("leads");
	TCase *tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_answers_201_and_get_returns_it);
	tcase_add_test(tc, validation_errors_name_the_field);
	tcase_add_test(tc, duplicate_phone_returns_the_first_lead);
	tcase_add_test(tc, idempotency_key_replays_the_first_response);
	tcase_add_test(tc, list_filters_and_pages);
	tcase_add_test(tc, billing_outage_warns_once_not_per_lead);
	tcase_add_test(tc, status_moves_along_the_pipeline);
	tcase_add_test(tc, concurrent_moves_one_wins);
	tcase_add_test(tc, lead_created_is_durable_with_the_request_id);
	tcase_add_test(tc, lead_valued_shows_in_get);
	tcase_add_test(tc, dedupe_check_and_forget);
	tcase_add_test(tc, dedupe_window_is_configurable);
	tcase_add_test(tc, address_normalizes_text_and_parts);
	tcase_add_test(tc, public_form_through_the_gateway);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(leads_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
