/*
 * valuation: what a home is worth, from the comps service's sales and the
 * model in valuation_model.h; cached, invalidated by comp.added, and run for
 * every lead.created.
 *
 * Keys (all under "valuation:"):
 *   valuation:est:<question>  a cached reply (valuation_args.h's key), with
 *                             a TTL of VALUATION_CACHE_TTL_S
 *   valuation:cache:geo       GEO index of those keys at their subject
 *   valuation:cache:exp       the keys scored by expiry (Unix seconds), to
 *                             drop expired ones from the GEO index
 *   valuation:cache:zip:<zip> the keys whose question named that ZIP
 *   valuation:cache:gen       bumped by every invalidation: an estimate
 *                             computed across one is not stored
 *   valuation:lead:<id>       a lead's valuation record (val_report_lead:
 *                             the report, each comp named, not itemized),
 *                             kept (idempotency); lead.valued carries its
 *                             summary (val_report_summary)
 *
 * A lead's valuation reads the estimate cache but does not add to it: its
 * record is kept once, under the lead. Leads are distinct homes, rarely
 * asked about again by the same question, and the store (the report again,
 * plus three indexes) was the costliest Redis script of the lead flow.
 *
 * In memory: the comparable sales of the areas and ZIPs valued lately
 * (valuation_area_cache.h), so that a lead in a known area costs no
 * comps.search; valid for one generation of valuation:cache:gen, which
 * every estimate reads with its cache lookup anyway.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesh.h"
#include "valuation_area.h"
#include "valuation_area_cache.h"
#include "valuation_args.h"
#include "valuation_model.h"
#include "valuation_report.h"

/* How long a cached estimate lives, by default: a day, as the comps it was
 * made from change little faster and every change drops it anyway. */
#define VALUATION_CACHE_TTL_DEFAULT_S 86400
#define VALUATION_CACHE_TTL_MAX_S     (30 * 86400)
/* comps.search's largest limit: the nearest this many sales are the
 * candidates (the 2-mile circle of a dense city holds fewer in a year). */
#define VALUATION_CANDIDATES_MAX 1000
/* Expired keys dropped from the cache indexes per store: the indexes
 * shrink faster than one store can grow them. */
#define VALUATION_EXPIRED_PER_STORE 100
#define VALUATION_ERR_MAX           256
/* Areas and ZIP summaries kept in memory: the seed's 16 markets need 32;
 * room for the points callers give too. */
#define VALUATION_AREAS_MAX 256
/* Sales kept in memory across all areas (about 150 bytes each with their
 * text: ~3 MB at most); at least VALUATION_CANDIDATES_MAX, so that any
 * one area fits. */
#define VALUATION_AREA_SALES_MAX 20000
/* How long an area is trusted without a newer cache generation: bounds
 * staleness when a sale was stored but its comp.added never published; a
 * refetch every 5 minutes per area costs next to nothing. */
#define VALUATION_AREA_AGE_MAX_MS (5 * 60 * 1000)
/* Geohash rounding in Redis (under a metre) against our haversine: drop
 * areas a little beyond the radius a sale can affect. */
#define VALUATION_DROP_SLACK_MI 0.01
/* Reals in stored JSON: as the gateway and server.c write them. */
#define VALUATION_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

static long long cache_ttl_s = VALUATION_CACHE_TTL_DEFAULT_S;
static val_area_cache *areas;

/* Monotonic milliseconds for the memory's ages; coarse is plenty. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int32_t today(void)
{
	return (int32_t)(time(NULL) / 86400);
}

/* ---- Cache scripts ---------------------------------------------------- */

/* KEYS: entry, geo, exp, gen[, zip set]. ARGV: json, ttl, lon, lat, now,
 * generation seen before computing, expired per store. */
static const char store_script[] =
    "if (redis.call('GET', KEYS[4]) or '') ~= ARGV[6] then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
    "redis.call('GEOADD', KEYS[2], ARGV[3], ARGV[4], KEYS[1])\n"
    "redis.call('ZADD', KEYS[3], tonumber(ARGV[5]) + tonumber(ARGV[2]),\n"
    "           KEYS[1])\n"
    "if KEYS[5] then\n"
    "  redis.call('SADD', KEYS[5], KEYS[1])\n"
    "  redis.call('EXPIRE', KEYS[5], ARGV[2])\n"
    "end\n"
    "local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[5],\n"
    "                       'LIMIT', 0, tonumber(ARGV[7]))\n"
    "for _, k in ipairs(old) do\n"
    "  redis.call('ZREM', KEYS[2], k)\n"
    "  redis.call('ZREM', KEYS[3], k)\n"
    "end\n"
    "return 1\n";
static mesh_kv_script store_script_eval = MESH_KV_SCRIPT(store_script);

/* KEYS: geo, exp, gen[, zip set]. ARGV: lon, lat, radius in miles (lon
 * "" when only the ZIP is known). Returns [entries dropped, generation]. */
static const char invalidate_script[] =
    "local gen = redis.call('INCR', KEYS[3])\n"
    "local ks = {}\n"
    "if ARGV[1] ~= '' then\n"
    "  ks = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1],\n"
    "                  ARGV[2], 'BYRADIUS', ARGV[3], 'mi')\n"
    "end\n"
    "if KEYS[4] then\n"
    "  for _, k in ipairs(redis.call('SMEMBERS', KEYS[4])) do\n"
    "    table.insert(ks, k)\n"
    "  end\n"
    "  redis.call('DEL', KEYS[4])\n"
    "end\n"
    "local n = 0\n"
    "for _, k in ipairs(ks) do\n"
    "  n = n + redis.call('DEL', k)\n"
    "  redis.call('ZREM', KEYS[1], k)\n"
    "  redis.call('ZREM', KEYS[2], k)\n"
    "end\n"
    "return {n, gen}\n";
static mesh_kv_script invalidate_script_eval =
    MESH_KV_SCRIPT(invalidate_script);

/* ---- One estimate --------------------------------------------------------
 * lookup (MGET entry, generation) -> [the ZIP's summary: memory, or
 * comps.search by ZIP] -> [the area's sales: memory, or comps.search within
 * 2 miles] -> model -> store -> done. */

typedef struct est est;
/* result is borrowed; NULL when err != MESH_OK. */
typedef void (*est_done_fn)(est *e, mesh_err err, const char *msg,
                            json_t *result);

struct est {
	mesh_req *req;
	val_args a;
	char *key; /* full cache key, NULL when not cacheable */
	char gen[32];
	bool gen_known; /* memory may serve: gen read from Redis */
	uint64_t epoch; /* the memory's, when a fetch started */
	char *text;     /* the result as stored (no "cached"), or NULL */
	/* A lead's: the result is val_report_lead's, which the caller keeps
	 * (e->text); a computed one is not cached. */
	bool lead;
	double centroid_lat, centroid_lon, median_sqft;
	double area_lat, area_lon; /* the centre of the area searched */
	size_t zip_count;
	est_done_fn done;
	void *arg;
};

static void est_free(est *e)
{
	free(e->key);
	free(e->text);
	free(e);
}

/* Ends e: the callback gets the result, then e is freed. */
static void est_finish(est *e, mesh_err err, const char *msg, json_t *result)
{
	e->done(e, err, msg, result);
	est_free(e);
}

static void est_comps_failed(est *e, mesh_err err, const char *msg)
{
	char buf[VALUATION_ERR_MAX];

	snprintf(buf, sizeof buf, "comps.search: %s", msg);
	/* A bad request from us to comps is our bug, not the caller's. */
	est_finish(e, err == MESH_EINVAL ? MESH_EINTERNAL : err, buf, NULL);
}

/* Whether memory may answer for e: it was synced to the generation e read
 * and has not moved since. */
static bool est_memory(const est *e)
{
	return e->gen_known && val_area_cache_gen(areas) == atoll(e->gen);
}

static json_t *search_args(const est *e)
{
	char day[11];

	val_day_format(e->a.as_of, day);
	return json_pack("{s:i, s:s, s:i}", "months", 12, "as_of", day, "limit",
	                 VALUATION_CANDIDATES_MAX);
}

static void est_stored(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	(void)arg;
	(void)reply;
	if (err != MESH_OK)
		mesh_log(NULL, MESH_LOG_WARN, NULL, "estimate not cached: %s",
		         msg);
}

/* Caches e->text, the result, at the subject's location; best effort: a
 * failed store costs a recomputation, never the answer. */
static void est_store(est *e, const val_subject *s)
{
	char ttl[24], lon[32], lat[32], now[24], expired[16];
	char geo[128], exp[128], gen[128], zipset[128];
	const char *argv[15];
	int argc = 0;

	if (!e->key || !e->text)
		return;
	snprintf(ttl, sizeof ttl, "%lld", cache_ttl_s);
	snprintf(lon, sizeof lon, "%.6f", s->home.lon);
	snprintf(lat, sizeof lat, "%.6f", s->home.lat);
	snprintf(now, sizeof now, "%lld", (long long)time(NULL));
	snprintf(expired, sizeof expired, "%d", VALUATION_EXPIRED_PER_STORE);
	snprintf(geo, sizeof geo, "%s", mesh_kv_key("cache", "geo", NULL));
	snprintf(exp, sizeof exp, "%s", mesh_kv_key("cache", "exp", NULL));
	snprintf(gen, sizeof gen, "%s", mesh_kv_key("cache", "gen", NULL));
	argv[argc++] = e->a.zip[0] ? "5" : "4";
	argv[argc++] = e->key;
	argv[argc++] = geo;
	argv[argc++] = exp;
	argv[argc++] = gen;
	if (e->a.zip[0]) {
		snprintf(zipset, sizeof zipset, "%s",
		         mesh_kv_key("cache", "zip", e->a.zip, NULL));
		argv[argc++] = zipset;
	}
	argv[argc++] = e->text;
	argv[argc++] = ttl;
	argv[argc++] = lon;
	argv[argc++] = lat;
	argv[argc++] = now;
	argv[argc++] = e->gen;
	argv[argc++] = expired;
	mesh_kv_eval(&store_script_eval, est_stored, NULL, argc, argv, NULL);
}

/* Answers e with a computed result (stolen). */
static void est_answer(est *e, json_t *result)
{
	json_object_set_new(result, "cached", json_false());
	est_finish(e, MESH_OK, "", result);
	json_decref(result);
}

/* The estimate from the area's candidates: the reply (stored), or NULL
 * when the model refused a checked subject (logged: a bug). */
static json_t *est_from_area(est *e, const val_area *area)
{
	val_subject s;
	val_result *r = malloc(sizeof *r);
	char why[VALUATION_ERR_MAX];
	double lat = NAN, lon = NAN, median = e->median_sqft;
	size_t count = e->zip_count;
	val_source src = VAL_SRC_ZIP;
	json_t *result = NULL;

	if (!r)
		abort(); /* as libmesh does: out of memory is not recoverable */
	if (isnan(e->a.sqft) && isnan(median)) {
		val_cands_summary(area->cands, area->n, &lat, &lon, &median,
		                  &count);
		src = VAL_SRC_AREA;
	}
	if (!val_subject_resolve(&e->a, e->centroid_lat, e->centroid_lon,
	                         median, src, count, &s, why, sizeof why)) {
		result = val_report_no_value(&e->a, NULL, why);
	} else {
		val_estimate(&s.home, area->cands, area->n, NULL, e->a.as_of,
		             r);
		if (r->status == VAL_OK || r->status == VAL_ENOTENOUGH) {
			result = e->lead ? val_report_lead(&e->a, &s, r, area)
			                 : val_report_json(&e->a, &s, r, area);
			free(e->text);
			e->text = json_dumps(result, VALUATION_JSON_FLAGS);
			if (!e->lead)
				est_store(e, &s);
		} else {
			mesh_log(e->req, MESH_LOG_ERROR, NULL,
			         "model refused a checked subject: %s",
			         r->reason);
		}
	}
	free(r);
	return result;
}

static void est_area_ready(est *e, const val_area *area)
{
	json_t *result = est_from_area(e, area);

	if (!result)
		est_finish(e, MESH_EINTERNAL, "valuation model failed", NULL);
	else
		est_answer(e, result);
}

/* The sales of a comps.search reply; NULL once e has been ended (comps
 * failed, or no memory for them). */
static val_area *est_sales(est *e, mesh_err err, const char *msg, json_t *reply)
{
	val_area *sales;

	if (err != MESH_OK) {
		est_comps_failed(e, err, msg);
		return NULL;
	}
	if (!(sales = val_area_from_json(reply)))
		est_finish(e, MESH_EINTERNAL, "out of memory", NULL);
	return sales;
}

static void est_area_done(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	est *e = arg;
	val_area *area = est_sales(e, err, msg, reply);
	json_t *result;

	if (!area)
		return;
	if (area->truncated)
		mesh_log(e->req, MESH_LOG_INFO, NULL,
		         "more than %d candidate sales: the nearest used",
		         VALUATION_CANDIDATES_MAX);
	result = est_from_area(e, area);
	if (est_memory(e))
		val_area_cache_put_area(areas, e->epoch, e->area_lat,
		                        e->area_lon, e->a.as_of, area,
		                        now_ms());
	else
		val_area_free(area);
	if (!result)
		est_finish(e, MESH_EINTERNAL, "valuation model failed", NULL);
	else
		est_answer(e, result);
}

static void est_area(est *e, double lat, double lon)
{
	const val_area *area;
	json_t *args;

	e->area_lat = lat;
	e->area_lon = lon;
	if (est_memory(e) && (area = val_area_cache_get_area(
	                          areas, lat, lon, e->a.as_of, now_ms()))) {
		est_area_ready(e, area);
		return;
	}
	e->epoch = val_area_cache_epoch(areas);
	args = search_args(e);
	json_object_set_new(args, "lat", json_real(lat));
	json_object_set_new(args, "lon", json_real(lon));
	json_object_set_new(args, "radius_mi", json_real(VAL_RADIUS_MAX_MI));
	mesh_call(e->req, "comps", "search", args, est_area_done, e);
}

static void est_zip_known(est *e, const val_zip_summary *z)
{
	char why[VALUATION_ERR_MAX];
	json_t *result;

	e->zip_count = z->count;
	if (z->count > 0) {
		e->centroid_lat = z->lat;
		e->centroid_lon = z->lon;
		e->median_sqft = z->median_sqft;
	}
	if (e->a.has_point) {
		est_area(e, e->a.lat, e->a.lon);
	} else if (e->zip_count > 0) {
		est_area(e, e->centroid_lat, e->centroid_lon);
	} else {
		snprintf(why, sizeof why,
		         "no comparable sales in ZIP %s in the 12 months "
		         "before the valuation date: the area is not covered",
		         e->a.zip);
		result = val_report_no_value(&e->a, NULL, why);
		est_answer(e, result);
	}
}

static void est_zip_done(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	est *e = arg;
	val_area *sales = est_sales(e, err, msg, reply);
	val_zip_summary z = {NAN, NAN, NAN, 0};

	if (!sales)
		return;
	val_cands_summary(sales->cands, sales->n, &z.lat, &z.lon,
	                  &z.median_sqft, &z.count);
	val_area_free(sales);
	if (est_memory(e))
		val_area_cache_put_zip(areas, e->epoch, e->a.zip, e->a.as_of,
		                       &z, now_ms());
	est_zip_known(e, &z);
}

static void est_compute(est *e)
{
	val_zip_summary z;

	if (!e->a.has_point || (isnan(e->a.sqft) && e->a.zip[0])) {
		json_t *args;

		if (est_memory(e) &&
		    val_area_cache_get_zip(areas, e->a.zip, e->a.as_of,
		                           now_ms(), &z)) {
			est_zip_known(e, &z);
			return;
		}
		e->epoch = val_area_cache_epoch(areas);
		args = search_args(e);
		json_object_set_new(args, "zip", json_string(e->a.zip));
		mesh_call(e->req, "comps", "search", args, est_zip_done, e);
	} else {
		est_area(e, e->a.lat, e->a.lon);
	}
}

static void est_looked_up(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	est *e = arg;
	json_t *hit = json_array_get(reply, 0), *gen = json_array_get(reply, 1);

	(void)msg;
	if (err == MESH_OK && json_is_string(hit)) {
		json_t *v = json_loadb(json_string_value(hit),
		                       json_string_length(hit), 0, NULL);
		if (json_is_object(v)) {
			e->text = strdup(json_string_value(hit));
			json_object_set_new(v, "cached", json_true());
			est_finish(e, MESH_OK, "", v);
			json_decref(v);
			return;
		}
		json_decref(v);
	}
	/* Redis down: answer anyway, uncached (the store will fail too),
	 * and without memory, whose freshness Redis tells. */
	snprintf(e->gen, sizeof e->gen, "%s",
	         json_is_string(gen) ? json_string_value(gen) : "");
	if (err == MESH_OK) {
		e->gen_known = true;
		val_area_cache_sync(areas, atoll(e->gen));
	}
	est_compute(e);
}
/* Values the question a for req; done(e, ...) runs exactly once, later.
 * lead: for a lead's record (val_report_lead), kept by the caller from
 * e->text; a computed one is not also cached. */
static void est_start(mesh_req *req, const val_args *a, bool lead,
                      est_done_fn done, void *arg)
{
	est *e = calloc(1, sizeof *e);
	char question[VAL_ARGS_KEY_MAX];
	const char *key;

	if (!e)
		abort(); /* as libmesh does: out of memory is not recoverable */
	e->req = req;
	e->a = *a;
	e->done = done;
	e->arg = arg;
	e->lead = lead;
	e->centroid_lat = e->centroid_lon = e->median_sqft = NAN;
	if (val_args_cache_key(a, question, sizeof question) &&
	    (key = mesh_kv_key("est", question, NULL)))
		e->key = strdup(key);
	if (!e->key) {
		est_compute(e);
		return;
	}
	mesh_kv_commandf(est_looked_up, e, "MGET %s %s", e->key,
	                 mesh_kv_key("cache", "gen", NULL));
}

/* ---- estimate ------------------------------------------------------------ */

static void estimate_done(est *e, mesh_err err, const char *msg, json_t *result)
{
	if (err != MESH_OK)
		mesh_fail(e->req, err, "%s", msg);
	else
		mesh_reply(e->req, json_incref(result));
}

static void valuation_estimate(mesh_req *req, json_t *args)
{
	val_args a;
	char err[VALUATION_ERR_MAX];

	if (val_args_parse(args, today(), &a, err, sizeof err) != 0) {
		mesh_fail(req, MESH_EINVAL, "%s", err);
		return;
	}
	est_start(req, &a, false, estimate_done, NULL);
}

/* ---- lead.created -------------------------------------------------------
 * Every lead gets a valuation record, with a value or the reason it has
 * none (val_report_lead), kept under valuation:lead:<id>, and its summary
 * announced as lead.valued {"lead_id", "valuation": summary}. A redelivered
 * event announces the kept record again (consumers are idempotent), so a
 * crash between the two steps loses nothing. When comps cannot answer, the
 * event fails and is retried. */

typedef struct lead_job {
	mesh_req *req;
	char *id;
	json_t *record; /* the report being kept */
} lead_job;

static void lead_job_end(lead_job *l, mesh_err err, const char *msg)
{
	if (err != MESH_OK)
		mesh_fail(l->req, err, "%s", msg);
	else
		mesh_reply(l->req, NULL);
	json_decref(l->record);
	free(l->id);
	free(l);
}

static void lead_published(void *arg, mesh_err err, const char *msg)
{
	lead_job_end(arg, err, msg);
}

/* Announces the summary of record (borrowed). */
static void lead_publish(lead_job *l, json_t *record)
{
	json_t *summary = val_report_summary(record, l->id);
	json_t *value = json_object_get(summary, "value");
	const char *reason =
	    json_string_value(json_object_get(summary, "reason"));

	if (json_is_integer(value))
		mesh_log(l->req, MESH_LOG_INFO, NULL, "lead %s valued at $%lld",
		         l->id, (long long)json_integer_value(value));
	else
		mesh_log(l->req, MESH_LOG_INFO, NULL,
		         "lead %s has no value: %s", l->id,
		         reason ? reason : "no reason given");
	mesh_publish(
	    l->req, "lead.valued",
	    json_pack("{s:s, s:o}", "lead_id", l->id, "valuation", summary),
	    lead_published, l);
}

/* SET NX GET: the record kept first wins, ours or a concurrent one's. */
static void lead_kept(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	lead_job *l = arg;
	json_t *earlier = NULL, *ours = l->record;

	if (err != MESH_OK) {
		lead_job_end(l, MESH_EUNAVAILABLE, msg);
		return;
	}
	if (json_is_string(reply))
		earlier = json_loadb(json_string_value(reply),
		                     json_string_length(reply), 0, NULL);
	l->record = NULL;
	lead_publish(l, earlier ? earlier : ours);
	json_decref(earlier);
	json_decref(ours);
}

/* Keeps record (borrowed; text: its JSON, or NULL to write it) and then
 * announces it. */
static void lead_keep(lead_job *l, json_t *record, const char *text)
{
	char *owned = NULL;

	json_object_del(record, "cached");
	if (!text &&
	    !(text = owned = json_dumps(record, VALUATION_JSON_FLAGS))) {
		lead_job_end(l, MESH_EINTERNAL, "out of memory");
		return;
	}
	l->record = json_incref(record);
	mesh_kv_commandf(lead_kept, l, "SET %s %s NX GET",
	                 mesh_kv_key("lead", l->id, NULL), text);
	free(owned);
}

static void lead_estimated(est *e, mesh_err err, const char *msg,
                           json_t *result)
{
	lead_job *l = e->arg;

	if (err != MESH_OK) {
		lead_job_end(l, err, msg);
		return;
	}
	/* The estimate is ours alone: no copy needed to drop "cached". */
	lead_keep(l, result, e->text);
}

static void lead_looked_up(void *arg, mesh_err err, const char *msg,
                           json_t *reply)
{
	lead_job *l = arg;
	json_t *lead = mesh_req_data(l->req), *kept;
	val_args a;

	if (err != MESH_OK) {
		lead_job_end(l, MESH_EUNAVAILABLE, msg);
		return;
	}
	if (json_is_string(reply) &&
	    (kept = json_loadb(json_string_value(reply),
	                       json_string_length(reply), 0, NULL))) {
		lead_publish(l, kept);
		json_decref(kept);
		return;
	}
	val_args_from_lead(lead, today(), &a);
	if (!a.zip[0]) {
		json_t *record = val_report_no_value(
		    &a, NULL,
		    "the lead's address has no ZIP code to value it by");
		lead_keep(l, record, NULL);
		json_decref(record);
		return;
	}
	est_start(l->req, &a, true, lead_estimated, l);
}

static void on_lead_created(mesh_req *req, json_t *lead)
{
	json_t *id = json_object_get(lead, "id");
	const char *key;
	lead_job *l;

	if (!json_is_string(id) ||
	    !(key = mesh_kv_key("lead", json_string_value(id), NULL))) {
		/* Retrying cannot fix it: acknowledge, and say so. */
		mesh_log(req, MESH_LOG_ERROR, NULL,
		         "lead.created without a usable \"id\": not valued");
		mesh_reply(req, NULL);
		return;
	}
	if (!(l = calloc(1, sizeof *l)) ||
	    !(l->id = strdup(json_string_value(id))))
		abort();
	l->req = req;
	mesh_req_set_data(req, lead);
	mesh_kv_commandf(lead_looked_up, l, "GET %s", key);
}

/* ---- comp.added ----------------------------------------------------------
 * {"id", "lat", "lon", "zip"} for one sale, or, from an import, one per ZIP
 * {"zip", "lat", "lon", "radius_mi", "count"} (the batch's centroid and
 * spread there): drop cached estimates within 2 miles of any new sale, and
 * those whose question named the ZIP (its centroid and median moved); the
 * same for the sales kept in memory, at once (an estimate running now
 * must not keep what it fetched before the sale). */

static void cache_dropped(void *arg, mesh_err err, const char *msg,
                          json_t *reply)
{
	mesh_req *req = arg;

	if (err != MESH_OK) {
		mesh_fail(req, MESH_EUNAVAILABLE, "redis: %s", msg);
		return;
	}
	val_area_cache_advance(areas,
	                       json_integer_value(json_array_get(reply, 1)));
	mesh_log(req, MESH_LOG_DEBUG, NULL, "dropped %lld cached estimates",
	         (long long)json_integer_value(json_array_get(reply, 0)));
	mesh_reply(req, NULL);
}

/* Drops what the sales of event touch from memory. */
static void memory_drop(double lat, double lon, double radius_mi,
                        const char *zip)
{
	if (zip)
		val_area_cache_drop_zip(areas, zip);
	if (isnan(lat))
		val_area_cache_drop_areas(areas);
	else
		val_area_cache_drop_near(areas, lat, lon,
		                         radius_mi + VALUATION_DROP_SLACK_MI);
}

static void on_comp_added(mesh_req *req, json_t *event)
{
	json_t *jlat = json_object_get(event, "lat"),
	       *jlon = json_object_get(event, "lon");
	const char *zip = json_string_value(json_object_get(event, "zip"));
	double spread = json_number_value(json_object_get(event, "radius_mi"));
	double radius_mi = VAL_RADIUS_MAX_MI + (spread > 0 ? spread : 0);
	char lon[32] = "", lat[32] = "", radius[32] = "";
	char geo[128], exp[128], gen[128], zipset[128];
	const char *argv[10];
	int argc = 0, has_zip = zip && strlen(zip) == 5;
	int has_point = json_is_number(jlat) && json_is_number(jlon);

	if (has_point) {
		snprintf(lon, sizeof lon, "%.6f", json_number_value(jlon));
		snprintf(lat, sizeof lat, "%.6f", json_number_value(jlat));
		snprintf(radius, sizeof radius, "%.3f", radius_mi);
	} else if (!has_zip) {
		mesh_log(req, MESH_LOG_WARN, NULL,
		         "comp.added without lat/lon or zip: ignored");
		mesh_reply(req, NULL);
		return;
	}
	memory_drop(has_point ? json_number_value(jlat) : NAN,
	            has_point ? json_number_value(jlon) : NAN, radius_mi,
	            has_zip ? zip : NULL);
	snprintf(geo, sizeof geo, "%s", mesh_kv_key("cache", "geo", NULL));
	snprintf(exp, sizeof exp, "%s", mesh_kv_key("cache", "exp", NULL));
	snprintf(gen, sizeof gen, "%s", mesh_kv_key("cache", "gen", NULL));
	argv[argc++] = has_zip ? "4" : "3";
	argv[argc++] = geo;
	argv[argc++] = exp;
	argv[argc++] = gen;
	if (has_zip) {
		snprintf(zipset, sizeof zipset, "%s",
		         mesh_kv_key("cache", "zip", zip, NULL));
		argv[argc++] = zipset;
	}
	argv[argc++] = lon;
	argv[argc++] = lat;
	argv[argc++] = radius;
	mesh_kv_eval(&invalidate_script_eval, cache_dropped, req, argc, argv,
	             NULL);
}

/* ---- Service ------------------------------------------------------------- */

static int valuation_init(void)
{
	const char *v = getenv("VALUATION_CACHE_TTL_S");
	char *end;

	areas =
	    val_area_cache_new(VALUATION_AREAS_MAX, VALUATION_AREA_SALES_MAX,
	                       VALUATION_AREA_AGE_MAX_MS);
	if (!areas) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "out of memory");
		return 1;
	}
	if (v && *v) {
		cache_ttl_s = strtoll(v, &end, 10);
		if (*end || cache_ttl_s < 1 ||
		    cache_ttl_s > VALUATION_CACHE_TTL_MAX_S) {
			mesh_log(NULL, MESH_LOG_ERROR, NULL,
			         "VALUATION_CACHE_TTL_S: expected 1-%d seconds",
			         VALUATION_CACHE_TTL_MAX_S);
			return 1;
		}
	}
	return 0;
}

static const mesh_method methods[] = {
    {"estimate", valuation_estimate},
    {NULL, NULL},
};

static const mesh_subscription subscriptions[] = {
    {"lead.created", on_lead_created},
    {"comp.added", on_comp_added},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "valuation",
    .methods = methods,
    .subscriptions = subscriptions,
    .init = valuation_init,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
