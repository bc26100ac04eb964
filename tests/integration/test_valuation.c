/*
 * test_valuation.c: bin/comps and bin/valuation against a real
 * redis-server, with the manifest of proto/mesh.json: the seed imported
 * through comps.import, searches by radius and ZIP, validation errors,
 * estimates of real-looking homes, the cache and its invalidation by
 * comp.added, and lead.created -> lead.valued.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mesh_sync.h"
#include "proc.h"
#include "redis_server.h"

#define SEED_PATH    "examples/comps.json"
#define AS_OF        "2026-11-01" /* the seed's reference date */
#define IMPORT_BATCH 250

static char dir[64];
static redis_server *rs;
static pid_t comps_pid, valuation_pid;

static pid_t start_service(const char *name)
{
	return fixture_daemon(proc_bin_path(name), name, NULL);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "%s", fixture_start("proto/mesh.json"));
	rs = fixture_redis();
	setenv("LOG_LEVEL", "debug", 1);
	comps_pid = start_service("comps");
	valuation_pid = start_service("valuation");
	mesh_sync_init();
}

static void teardown(void)
{
	mesh_sync_shutdown();
	if (valuation_pid > 0)
		proc_stop(valuation_pid, 5000);
	if (comps_pid > 0)
		proc_stop(comps_pid, 5000);
	fixture_finish();
}

static json_t *call_ok(const char *svc, const char *method, json_t *args)
{
	mesh_err err;
	char msg[512];
	mesh_sync_opts o = {.timeout_ms = 20000};
	json_t *r =
	    mesh_sync_call(svc, method, args, &o, &err, msg, sizeof msg);

	ck_assert_msg(err == MESH_OK, "%s.%s: %s: %s", svc, method,
	              mesh_strerror(err), msg);
	return r;
}

/* Calls, expects failure; returns the code, message in msg. */
static mesh_err call_err(const char *svc, const char *method, json_t *args,
                         char *msg, size_t msg_len)
{
	mesh_err err;
	mesh_sync_opts o = {.timeout_ms = 20000};
	json_t *r = mesh_sync_call(svc, method, args, &o, &err, msg, msg_len);

	ck_assert_msg(err != MESH_OK, "%s.%s succeeded", svc, method);
	json_decref(r);
	return err;
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The field after name in an XINFO GROUPS entry, as an integer; -1 when
 * absent. */
static long long group_field(redisReply *g, const char *name)
{
	for (size_t j = 0; j + 1 < g->elements; j += 2)
		if (strcmp(g->element[j]->str, name) == 0)
			return g->element[j + 1]->type == REDIS_REPLY_INTEGER
			           ? g->element[j + 1]->integer
			           : -1;
	return -1;
}

/* Until valuation has handled every comp.added published so far (it
 * consumes them after comps answered): the cache generation then stays
 * put, and estimates are stored. Bounded. */
static void wait_comp_added_handled(void)
{
	long long end = proc_now_ms() + 10000;
	int done = 0;

	while (!done && proc_now_ms() < end) {
		redisReply *r =
		    redis_server_cmd(rs, "XINFO GROUPS events:comp.added");
		for (size_t i = 0;
		     r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
			if (group_field(r->element[i], "pending") == 0 &&
			    group_field(r->element[i], "lag") == 0)
				done = 1;
		if (r)
			freeReplyObject(r);
		if (!done)
			proc_sleep_ms(10);
	}
	ck_assert_msg(done, "valuation did not handle comp.added in 10 s");
}

/* Imports the seed in batches, as a client of comps.import would. */
static void import_seed(void)
{
	json_error_t e;
	json_t *root = json_load_file(SEED_PATH, 0, &e);
	json_t *comps = json_object_get(root, "comps");
	size_t n = json_array_size(comps), total = 0;

	ck_assert_msg(root != NULL, "%s: %s", SEED_PATH, e.text);
	ck_assert_uint_eq(n, 1075);
	for (size_t i = 0; i < n; i += IMPORT_BATCH) {
		json_t *batch = json_array();
		for (size_t j = i; j < n && j < i + IMPORT_BATCH; j++)
			json_array_append(batch, json_array_get(comps, j));
		json_t *r = call_ok("comps", "import",
		                    json_pack("{s:o}", "comps", batch));
		total += (size_t)num(r, "imported");
		ck_assert_int_eq(num(r, "created"), num(r, "imported"));
		json_decref(r);
	}
	ck_assert_uint_eq(total, 1075);
	json_decref(root);
	wait_comp_added_handled();
}

/* ---- comps ------------------------------------------------------------ */

START_TEST(search_by_radius_and_zip)
{
	json_t *r, *list, *c;
	size_t i;

	import_seed();

	/* As the gateway passes GET /api/comps?...: every value a string. */
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "lat",
	                      "30.2445", "lon", "-97.7631", "radius_mi", "0.5",
	                      "months", "12", "as_of", AS_OF, "limit", "1000"));
	list = json_object_get(r, "comps");
	ck_assert_uint_ge(json_array_size(list), 10);
	ck_assert_int_eq(num(r, "count"), json_array_size(list));
	ck_assert(!json_is_true(json_object_get(r, "truncated")));
	ck_assert_str_eq(str(r, "since"), "2025-11-01");
	double prev = 0;
	json_array_foreach(list, i, c)
	{
		ck_assert(num(c, "distance_mi") <= 0.5 + 1e-6);
		ck_assert(num(c, "distance_mi") >= prev); /* nearest first */
		prev = num(c, "distance_mi");
		ck_assert(strcmp(str(c, "sold_date"), "2025-11-01") >= 0);
		ck_assert(strcmp(str(c, "sold_date"), AS_OF) <= 0);
		ck_assert_str_eq(str(c, "zip"), "78704");
		ck_assert(json_is_number(json_object_get(c, "price")));
	}
	json_decref(r);

	/* By ZIP with filters: newest first, every filter honoured. */
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:i}", "zip",
	                      "43214", "as_of", AS_OF, "months", 18, "beds_min",
	                      4, "sqft_max", 3000, "beds_max", "5", "limit",
	                      1000));
	list = json_object_get(r, "comps");
	ck_assert_uint_ge(json_array_size(list), 3);
	const char *last = "9999";
	json_array_foreach(list, i, c)
	{
		ck_assert_str_eq(str(c, "zip"), "43214");
		ck_assert(num(c, "beds") >= 4 && num(c, "beds") <= 5);
		ck_assert(num(c, "sqft") <= 3000);
		ck_assert(strcmp(str(c, "sold_date"), last) <= 0);
		last = str(c, "sold_date");
		ck_assert_ptr_null(json_object_get(c, "distance_mi"));
	}
	json_decref(r);

	/* limit at the boundary: exactly the sales there, not truncated;
	 * one fewer, truncated. */
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i, s:i}", "zip", "85016", "as_of",
	                      AS_OF, "months", 18, "limit", 1000));
	int all = (int)json_array_size(json_object_get(r, "comps"));
	json_decref(r);
	ck_assert_int_gt(all, 5);
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i, s:i}", "zip", "85016", "as_of",
	                      AS_OF, "months", 18, "limit", all));
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), all);
	ck_assert(json_is_false(json_object_get(r, "truncated")));
	json_decref(r);
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i, s:i}", "zip", "85016", "as_of",
	                      AS_OF, "months", 18, "limit", all - 1));
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), all - 1);
	ck_assert(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);

	/* limit cuts and says so. */
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i, s:i}", "zip", "85016", "as_of",
	                      AS_OF, "months", 18, "limit", 5));
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), 5);
	ck_assert(json_is_true(json_object_get(r, "truncated")));
	json_decref(r);

	/* A window before every sale is empty, not an error. */
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s, s:i}", "zip", "85016", "as_of",
	                      "2020-01-01", "months", 1));
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), 0);
	json_decref(r);

	/* Importing the same sales again updates them. */
	json_t *root = json_load_file(SEED_PATH, 0, NULL);
	json_t *some = json_array();
	for (i = 0; i < 10; i++)
		json_array_append(
		    some, json_array_get(json_object_get(root, "comps"), i));
	r = call_ok("comps", "import", json_pack("{s:o}", "comps", some));
	ck_assert_int_eq(num(r, "created"), 0);
	ck_assert_int_eq(num(r, "updated"), 10);
	json_decref(r);
	json_decref(root);
}
END_TEST

static json_t *sale(const char *address, double lat, double lon, int sqft)
{
	return json_pack("{s:s, s:s, s:f, s:f, s:i, s:f, s:i, s:i, s:i, s:s}",
	                 "address", address, "zip", "78704", "lat", lat, "lon",
	                 lon, "beds", 3, "baths", 2.0, "sqft", sqft,
	                 "year_built", 1970, "price", 700000, "sold_date",
	                 "2026-10-15");
}

START_TEST(add_and_import_validation)
{
	char msg[512];
	json_t *r, *list;

	r = call_ok("comps", "add", sale("1 Test St", 30.25, -97.76, 1800));
	ck_assert(json_is_true(json_object_get(r, "created")));
	ck_assert_int_eq(num(json_object_get(r, "_http"), "status"), 201);
	ck_assert_str_eq(str(json_object_get(r, "comp"), "zip"), "78704");
	char id[80];
	snprintf(id, sizeof id, "%s", str(r, "id"));
	json_decref(r);
	/* The same sale again: the same id, updated. */
	r = call_ok("comps", "add", sale("1 Test St", 30.25, -97.76, 1800));
	ck_assert(json_is_false(json_object_get(r, "created")));
	ck_assert_str_eq(str(r, "id"), id);
	json_decref(r);
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:comp.added"), 2);

	json_t *bad = sale("2 Test St", 30.25, -97.76, 100);
	ck_assert_int_eq(call_err("comps", "add", bad, msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "sqft: expected 200-20000");
	bad = sale("2 Test St", 30.25, -97.76, 1800);
	json_object_set_new(bad, "sold_date", json_string("2026-13-01"));
	ck_assert_int_eq(call_err("comps", "add", bad, msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "sold_date: expected a date YYYY-MM-DD");
	bad = sale("2 Test St", 30.25, -97.76, 1800);
	json_object_del(bad, "price");
	ck_assert_int_eq(call_err("comps", "add", bad, msg, sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "price: required");

	/* One bad sale rejects the whole batch, naming its index. */
	list = json_array();
	for (int i = 0; i < 20; i++) {
		char a[32];
		snprintf(a, sizeof a, "%d Batch St", i);
		json_array_append_new(
		    list, sale(a, 30.25, -97.76, i == 17 ? 50000 : 1500));
	}
	ck_assert_int_eq(call_err("comps", "import",
	                          json_pack("{s:o}", "comps", list), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_str_eq(msg, "comps[17].sqft: expected 200-20000");
	r = call_ok("comps", "search",
	            json_pack("{s:s, s:s}", "zip", "78704", "as_of", AS_OF));
	ck_assert_int_eq(json_array_size(json_object_get(r, "comps")), 1);
	json_decref(r);

	ck_assert_int_eq(call_err("comps", "import",
	                          json_pack("{s:[]}", "comps"), msg,
	                          sizeof msg),
	                 MESH_EINVAL);
	ck_assert_int_eq(
	    call_err("comps", "import", json_object(), msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_int_eq(
	    call_err("comps", "search", json_object(), msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_str_eq(msg, "lat/lon or zip: required");
	ck_assert_int_eq(call_err("comps", "search",
	                          json_pack("{s:s, s:s, s:s}", "lat", "30",
	                                    "lon", "-97", "radius_mi", "11"),
	                          msg, sizeof msg),
	                 MESH_EINVAL);
}
END_TEST

START_TEST(import_limit_at_the_boundary)
{
	char msg[512];
	json_t *list = json_array(), *r;

	/* 5000 small sales fit in one call ... */
	for (int i = 0; i < 5000; i++)
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:f, s:f, s:i, s:i, s:i, s:i, "
		                    "s:s, s:s}",
		                    "id", "x", "address", "1 A St", "lat",
		                    43.0 + i * 1e-5, "lon", -89.0, "beds", 3,
		                    "baths", 2, "sqft", 1500, "price", 300000,
		                    "sold_date", "2026-01-02", "zip", "53703"));
	for (int i = 0; i < 5000; i++) {
		char id[16];
		snprintf(id, sizeof id, "b-%d", i);
		json_object_set_new(json_array_get(list, (size_t)i), "id",
		                    json_string(id));
	}
	r = call_ok("comps", "import", json_pack("{s:O}", "comps", list));
	ck_assert_int_eq(num(r, "imported"), 5000);
	json_decref(r);
	/* One event for the ZIP, not 5000. */
	ck_assert_int_eq(redis_server_int(rs, "XLEN events:comp.added"), 1);

	/* ... 5001 do not. */
	json_array_append_new(list, json_object());
	ck_assert_int_eq(call_err("comps", "import",
	                          json_pack("{s:o}", "comps", list), msg,
	                          sizeof msg),
	                 MESH_ETOOLARGE);
	ck_assert_str_eq(msg, "comps: at most 5000 sales per import, got 5001");
}
END_TEST

/* ---- valuation ---------------------------------------------------------- */

struct subject {
	const char *zip;
	double lat, lon, sqft, beds, baths;
	int year;
	double min, max; /* as in test_valuation_model.c */
};

static const struct subject subjects[] = {
    {"78704", 30.2445, -97.7631, 1800, 3, 2, 1965, 650000, 1000000},
    {"85016", 33.5065, -112.0290, 1600, 3, 2, 1978, 450000, 700000},
    {"43214", 40.0541, -83.0190, 1500, 3, 1.5, 1952, 250000, 420000},
};

static json_t *estimate(const struct subject *s)
{
	return call_ok("valuation", "estimate",
	               json_pack("{s:f, s:f, s:f, s:f, s:f, s:i, s:s}", "lat",
	                         s->lat, "lon", s->lon, "sqft", s->sqft, "beds",
	                         s->beds, "baths", s->baths, "year_built",
	                         s->year, "as_of", AS_OF));
}

START_TEST(estimates_are_plausible_and_cached)
{
	import_seed();
	for (size_t k = 0; k < sizeof subjects / sizeof *subjects; k++) {
		const struct subject *s = &subjects[k];
		json_t *r = estimate(s), *again;

		ck_assert_msg(num(r, "value") >= s->min &&
		                  num(r, "value") <= s->max,
		              "%s: %g outside %g..%g", s->zip, num(r, "value"),
		              s->min, s->max);
		ck_assert(num(r, "low") < num(r, "value"));
		ck_assert(num(r, "value") < num(r, "high"));
		ck_assert_str_eq(str(r, "as_of"), AS_OF);
		ck_assert_double_eq(num(r, "radius_mi"), 0.5);
		ck_assert_str_ne(str(r, "label"), "");
		ck_assert_int_eq(json_array_size(json_object_get(r, "comps")),
		                 10);
		ck_assert(json_is_false(json_object_get(r, "cached")));

		again = estimate(s);
		ck_assert(json_is_true(json_object_get(again, "cached")));
		ck_assert_double_eq(num(again, "value"), num(r, "value"));
		json_decref(again);
		json_decref(r);
	}
}
END_TEST

/* Polls an estimate until its "cached" is want; bounded. */
static int wait_cached(const struct subject *s, int want)
{
	long long end = proc_now_ms() + 10000;

	while (proc_now_ms() < end) {
		json_t *r = estimate(s);
		int cached = json_is_true(json_object_get(r, "cached"));
		json_decref(r);
		if (cached == want)
			return 0;
		proc_sleep_ms(20);
	}
	return -1;
}

static long long cache_gen(void)
{
	redisReply *r = redis_server_cmd(rs, "GET valuation:cache:gen");
	long long g = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;

	if (r)
		freeReplyObject(r);
	return g;
}

START_TEST(comp_added_nearby_drops_the_cache)
{
	const struct subject *s = &subjects[0];
	json_t *r;

	import_seed();
	json_decref(estimate(s));
	ck_assert_int_eq(wait_cached(s, 1), 0);

	/* A sale in Columbus leaves the Austin estimate alone. */
	long long gen = cache_gen();
	json_t *far = sale("9 Far Ave", 40.0541, -83.0190, 1500);
	json_object_set_new(far, "zip", json_string("43214"));
	json_decref(call_ok("comps", "add", far));
	long long end = proc_now_ms() + 10000;
	while (cache_gen() == gen && proc_now_ms() < end)
		proc_sleep_ms(10);
	ck_assert_int_gt(cache_gen(), gen);
	r = estimate(s);
	ck_assert(json_is_true(json_object_get(r, "cached")));
	json_decref(r);

	/* A sale a block away drops it. */
	json_decref(call_ok("comps", "add",
	                    sale("3 Near St", 30.2450, -97.7620, 1750)));
	ck_assert_int_eq(wait_cached(s, 0), 0);
	r = estimate(s);
	ck_assert(json_is_true(json_object_get(r, "cached")));
	json_decref(r);
}
END_TEST

START_TEST(estimate_by_zip_and_without_value)
{
	char msg[512];
	json_t *r, *subj;

	import_seed();
	/* Only a ZIP, no sqft: the centroid and the median, said so. */
	r = call_ok("valuation", "estimate",
	            json_pack("{s:s, s:i, s:s}", "zip", "85016", "beds", 3,
	                      "as_of", AS_OF));
	ck_assert(json_is_number(json_object_get(r, "value")));
	subj = json_object_get(r, "subject");
	ck_assert_str_eq(str(subj, "location"), "zip_centroid");
	ck_assert_str_eq(str(subj, "sqft_source"), "zip_median");
	ck_assert_int_eq(json_array_size(json_object_get(r, "notes")), 2);
	json_decref(r);

	/* A ZIP with no sales: a result, not an error. */
	r = call_ok("valuation", "estimate",
	            json_pack("{s:s, s:i, s:s}", "zip", "10001", "sqft", 900,
	                      "as_of", AS_OF));
	ck_assert(json_is_null(json_object_get(r, "value")));
	ck_assert(strstr(str(r, "reason"), "no comparable sales in ZIP 10001"));
	json_decref(r);

	/* A point far from every sale: the model's reason. */
	r = call_ok("valuation", "estimate",
	            json_pack("{s:f, s:f, s:i, s:s}", "lat", 35.0, "lon",
	                      -100.0, "sqft", 1500, "as_of", AS_OF));
	ck_assert(json_is_null(json_object_get(r, "value")));
	ck_assert(strstr(str(r, "reason"), "not enough comparable sales"));
	json_decref(r);

	ck_assert_int_eq(
	    call_err("valuation", "estimate", json_object(), msg, sizeof msg),
	    MESH_EINVAL);
	ck_assert_str_eq(msg, "lat/lon or zip: required");
	ck_assert_int_eq(
	    call_err("valuation", "estimate",
	             json_pack("{s:s, s:i}", "zip", "78704", "sqft", 5), msg,
	             sizeof msg),
	    MESH_EINVAL);
	ck_assert_str_eq(msg, "sqft: expected 100-100000");

	/* comps down: an error, not a wrong answer. Its socket stays (a
	 * restart looks like latency), so the call waits out the deadline. */
	proc_stop(comps_pid, 5000);
	comps_pid = 0;
	mesh_err err;
	mesh_sync_opts o = {.timeout_ms = 1500};
	r = mesh_sync_call("valuation", "estimate",
	                   json_pack("{s:s, s:i, s:s}", "zip", "78745", "sqft",
	                             1500, "as_of", AS_OF),
	                   &o, &err, msg, sizeof msg);
	ck_assert_ptr_null(r);
	ck_assert_msg(err == MESH_EUNAVAILABLE || err == MESH_ETIMEOUT,
	              "comps down: %s: %s", mesh_strerror(err), msg);
}
END_TEST

/* ---- sales kept in memory ------------------------------------------------ */

/* Whether two estimates say the same, whichever cache served them. */
static int same(json_t *a, json_t *b)
{
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	int eq;

	json_object_del(x, "cached");
	json_object_del(y, "cached");
	eq = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return eq;
}

/* Drops every cached estimate from Redis, so the next one is computed.
 * valuation stores an estimate after it answers, on its one Redis
 * connection: asking again something it answered first (a cache hit,
 * which stores nothing) returns only once every earlier store is done. */
static void forget_estimates(void)
{
	json_decref(estimate(&subjects[0]));
	redisReply *r = redis_server_cmd(rs, "KEYS valuation:est:*");

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
	     i++)
		freeReplyObject(
		    redis_server_cmd(rs, "DEL %s", r->element[i]->str));
	if (r)
		freeReplyObject(r);
}

static json_t *estimate_zip(const char *zip, int sqft)
{
	return call_ok("valuation", "estimate",
	               json_pack("{s:s, s:i, s:i, s:s}", "zip", zip, "sqft",
	                         sqft, "beds", 3, "as_of", AS_OF));
}

START_TEST(memory_answers_as_comps_would)
{
	json_t *by_point[3], *by_zip, *r;
	size_t k;

	import_seed();
	for (k = 0; k < 3; k++)
		by_point[k] = estimate(&subjects[k]);
	by_zip = estimate_zip("85016", 1600);
	forget_estimates();
	/* comps gone: only memory can answer, and must answer the same,
	 * comp for comp, weight for weight. */
	proc_stop(comps_pid, 5000);
	comps_pid = 0;
	for (k = 0; k < 3; k++) {
		struct subject other = subjects[k];
		r = estimate(&subjects[k]);
		ck_assert_msg(same(r, by_point[k]),
		              "%s: from memory differs from comps",
		              subjects[k].zip);
		json_decref(r);
		json_decref(by_point[k]);
		/* A home never asked about, in the same place: memory. */
		other.sqft += 50;
		r = estimate(&other);
		ck_assert(json_is_false(json_object_get(r, "cached")));
		ck_assert(json_is_number(json_object_get(r, "value")));
		json_decref(r);
	}
	/* Another home placed at the same ZIP's centroid: the ZIP's
	 * summary and its area, both from memory. */
	r = estimate_zip("85016", 1700);
	ck_assert(json_is_false(json_object_get(r, "cached")));
	ck_assert(json_is_number(json_object_get(r, "value")));
	ck_assert_str_eq(str(json_object_get(r, "subject"), "location"),
	                 "zip_centroid");
	json_decref(r);
	r = estimate_zip("85016", 1600);
	ck_assert(same(r, by_zip));
	json_decref(r);
	json_decref(by_zip);
}
END_TEST

static json_t *found(json_t *r)
{
	return json_object_get(r, "found");
}

static int lists(json_t *r, const char *id)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(r, "comps"), i,
	                   c) if (strcmp(str(c, "id"), id) == 0) return 1;
	return 0;
}

START_TEST(comp_added_nearby_reaches_memory)
{
	const struct subject *s = &subjects[0];
	json_t *before, *after, *fresh, *r;
	char id[80];

	import_seed();
	before = estimate(s);
	/* A sale next door, the subject's twin, two weeks ago. */
	r = call_ok("comps", "add", sale("5 Twin St", 30.2446, -97.7632, 1800));
	snprintf(id, sizeof id, "%s", str(r, "id"));
	json_decref(r);
	ck_assert_int_eq(wait_cached(s, 0), 0);
	forget_estimates();
	after = estimate(s);
	ck_assert_int_eq(num(found(after), "0.5"),
	                 num(found(before), "0.5") + 1);
	ck_assert(!lists(before, id));
	ck_assert(lists(after, id));
	/* The same as a valuation that never saw the area before. */
	proc_stop(valuation_pid, 5000);
	valuation_pid = start_service("valuation");
	forget_estimates();
	fresh = estimate(s);
	ck_assert(same(fresh, after));
	json_decref(before);
	json_decref(after);
	json_decref(fresh);
}
END_TEST

/* Another valuation instance handled the comp.added: this one only sees
 * the cache generation move, and must not answer from what it kept. */
START_TEST(comp_added_elsewhere_reaches_memory)
{
	const struct subject *s = &subjects[0];
	const char *rec = "{\"id\":\"other-1\",\"address\":\"7 Other St\","
	                  "\"city\":null,\"state\":null,\"zip\":\"78704\","
	                  "\"lat\":30.2444,\"lon\":-97.763,\"beds\":3,"
	                  "\"baths\":2,\"sqft\":1800,\"year_built\":1965,"
	                  "\"lot_sqft\":null,\"price\":800000,"
	                  "\"sold_date\":\"2026-10-20\"}";
	json_t *before, *after;

	import_seed();
	before = estimate(s);
	/* As comps writes a sale, but no comp.added reaches us. */
	freeReplyObject(redis_server_cmd(rs, "SET comps:comp:other-1 %s", rec));
	freeReplyObject(
	    redis_server_cmd(rs, "GEOADD comps:geo -97.763 30.2444 other-1"));
	freeReplyObject(
	    redis_server_cmd(rs, "ZADD comps:zip:78704 20261020 other-1"));
	forget_estimates();
	after = estimate(s);
	ck_assert(same(after, before)); /* memory, as documented */
	json_decref(after);
	/* The other instance's invalidation. */
	freeReplyObject(redis_server_cmd(rs, "INCR valuation:cache:gen"));
	forget_estimates();
	after = estimate(s);
	ck_assert_int_eq(num(found(after), "0.5"),
	                 num(found(before), "0.5") + 1);
	ck_assert(lists(after, "other-1"));
	json_decref(before);
	json_decref(after);
}
END_TEST

/* ---- lead.created -> lead.valued --------------------------------------- */

static int group_ready(const char *topic, const char *group)
{
	redisReply *r = redis_server_cmd(rs, "XINFO GROUPS events:%s", topic);
	int found = 0;

	for (size_t i = 0;
	     r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !found;
	     i++)
		for (size_t j = 0; j + 1 < r->element[i]->elements; j += 2)
			if (strcmp(r->element[i]->element[j]->str, "name") ==
			        0 &&
			    strcmp(r->element[i]->element[j + 1]->str, group) ==
			        0)
				found = 1;
	if (r)
		freeReplyObject(r);
	return found;
}

/* Publishes a lead.created as libmesh's events_publish writes it. */
static void publish_lead(const char *json, const char *request_id)
{
	long long end = proc_now_ms() + 5000;

	while (!group_ready("lead.created", "valuation") && proc_now_ms() < end)
		proc_sleep_ms(10);
	ck_assert(group_ready("lead.created", "valuation"));
	redisReply *r = redis_server_cmd(
	    rs,
	    "XADD events:lead.created * payload %s request_id %s traceparent "
	    "%s published_ms %lld",
	    json, request_id, "", proc_now_ms());
	ck_assert(r && r->type == REDIS_REPLY_STRING);
	freeReplyObject(r);
}

/* The lead.valued entry for lead_id, waiting up to ms: its payload
 * (caller frees) and request id; NULL when none came. */
static json_t *wait_valued(const char *lead_id, int ms, char *rid,
                           size_t rid_len)
{
	long long end = proc_now_ms() + ms;

	do {
		redisReply *r =
		    redis_server_cmd(rs, "XRANGE events:lead.valued - +");
		for (size_t i = 0;
		     r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
		     i++) {
			redisReply *f = r->element[i]->element[1];
			json_t *payload = NULL;
			const char *req = "";
			for (size_t j = 0; j + 1 < f->elements; j += 2) {
				if (strcmp(f->element[j]->str, "payload") == 0)
					payload = json_loads(
					    f->element[j + 1]->str, 0, NULL);
				if (strcmp(f->element[j]->str, "request_id") ==
				    0)
					req = f->element[j + 1]->str;
			}
			if (payload &&
			    strcmp(str(payload, "lead_id"), lead_id) == 0) {
				snprintf(rid, rid_len, "%s", req);
				freeReplyObject(r);
				return payload;
			}
			json_decref(payload);
		}
		if (r)
			freeReplyObject(r);
		proc_sleep_ms(20);
	} while (proc_now_ms() < end);
	return NULL;
}

START_TEST(lead_created_is_valued)
{
	char rid[128];
	json_t *ev, *val;

	import_seed();
	publish_lead("{\"id\": \"lead-1\", \"name\": \"Ann\", \"address\": "
	             "{\"line1\": \"1501 S 1st St\", \"city\": \"Austin\", "
	             "\"state\": \"TX\", \"zip\": \"78704\"}, \"sqft\": 1800, "
	             "\"beds\": 3, \"baths\": 2, \"year_built\": 1965}",
	             "req-lead-1");
	ev = wait_valued("lead-1", 10000, rid, sizeof rid);
	ck_assert_msg(ev != NULL, "no lead.valued for lead-1");
	ck_assert_str_eq(rid, "req-lead-1");
	val = json_object_get(ev, "valuation");
	ck_assert_str_eq(str(val, "lead_id"), "lead-1");
	/* Valued as of today: the seed's sales age, so a value or a
	 * reason, never neither. */
	ck_assert(json_is_number(json_object_get(val, "value")) ||
	          strlen(str(val, "reason")) > 0);
	ck_assert_str_eq(str(val, "location"), "zip_centroid");
	ck_assert_str_eq(str(val, "sqft_source"), "given");
	/* A summary: the itemized comps stay with valuation. */
	ck_assert_ptr_null(json_object_get(val, "comps"));
	ck_assert_ptr_null(json_object_get(val, "subject"));
	/* The record is kept (idempotency), each comp named, not itemized. */
	redisReply *r = redis_server_cmd(rs, "GET valuation:lead:lead-1");
	ck_assert(r && r->type == REDIS_REPLY_STRING);
	json_t *kept = json_loads(r->str, 0, NULL);
	freeReplyObject(r);
	ck_assert(json_equal(json_object_get(kept, "value"),
	                     json_object_get(val, "value")));
	ck_assert(json_is_object(json_object_get(kept, "subject")));
	if (json_is_number(json_object_get(val, "value"))) {
		json_t *first =
		    json_array_get(json_object_get(kept, "comps"), 0);
		ck_assert_int_eq(
		    json_array_size(json_object_get(kept, "comps")), 10);
		ck_assert(json_is_string(json_object_get(first, "id")));
		ck_assert(json_is_number(json_object_get(first, "weight")));
		ck_assert_ptr_null(json_object_get(first, "adjustments"));
	}
	json_decref(kept);
	json_decref(ev);
	/* Kept once: under the lead, not again in the estimate cache. */
	r = redis_server_cmd(rs, "KEYS valuation:est:*");
	ck_assert(r && r->type == REDIS_REPLY_ARRAY);
	ck_assert_int_eq(r->elements, 0);
	freeReplyObject(r);
	r = redis_server_cmd(rs, "EXISTS valuation:cache:geo");
	ck_assert(r && r->type == REDIS_REPLY_INTEGER);
	ck_assert_int_eq(r->integer, 0);
	freeReplyObject(r);

	/* Outside the covered ZIPs: a record that says why. */
	publish_lead("{\"id\": \"lead-2\", \"address\": {\"zip\": \"10001\"}}",
	             "req-lead-2");
	ev = wait_valued("lead-2", 10000, rid, sizeof rid);
	ck_assert_ptr_nonnull(ev);
	val = json_object_get(ev, "valuation");
	ck_assert(json_is_null(json_object_get(val, "value")));
	ck_assert(strstr(str(val, "reason"), "10001") != NULL);
	json_decref(ev);

	publish_lead("{\"id\": \"lead-3\", \"address\": {\"line1\": \"x\"}}",
	             "req-lead-3");
	ev = wait_valued("lead-3", 10000, rid, sizeof rid);
	ck_assert_ptr_nonnull(ev);
	ck_assert(strstr(str(json_object_get(ev, "valuation"), "reason"),
	                 "no ZIP") != NULL);
	json_decref(ev);
}
END_TEST

START_TEST(lead_waits_for_comps)
{
	char rid[128];
	json_t *ev;

	import_seed();
	proc_stop(comps_pid, 5000);
	comps_pid = 0;
	publish_lead("{\"id\": \"lead-9\", \"address\": {\"zip\": \"43214\"}}",
	             "req-lead-9");
	/* comps is down: the event fails and stays pending. */
	ck_assert_ptr_null(wait_valued("lead-9", 700, rid, sizeof rid));
	comps_pid = start_service("comps");
	ev = wait_valued("lead-9", 15000, rid, sizeof rid);
	ck_assert_msg(ev != NULL, "lead-9 not valued after comps came back");
	ck_assert_str_eq(rid, "req-lead-9");
	json_decref(ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("valuation");
	TCase *tc = tcase_create("daemons");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, search_by_radius_and_zip);
	tcase_add_test(tc, add_and_import_validation);
	tcase_add_test(tc, import_limit_at_the_boundary);
	tcase_add_test(tc, estimates_are_plausible_and_cached);
	tcase_add_test(tc, comp_added_nearby_drops_the_cache);
	tcase_add_test(tc, estimate_by_zip_and_without_value);
	tcase_add_test(tc, memory_answers_as_comps_would);
	tcase_add_test(tc, comp_added_nearby_reaches_memory);
	tcase_add_test(tc, comp_added_elsewhere_reaches_memory);
	tcase_add_test(tc, lead_created_is_valued);
	tcase_add_test(tc, lead_waits_for_comps);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
