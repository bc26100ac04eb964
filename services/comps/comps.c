/*
 * comps: comparable sales on a Redis GEO index: add one, import many,
 * search by radius or ZIP with date, beds and sqft filters.
 *
 * Keys (all under "comps:"):
 *   comps:comp:<id>   the canonical record (comp_record.h), JSON
 *   comps:geo         GEO index of ids
 *   comps:zip:<zip>   sorted set of ids scored by sale date (YYYYMMDD)
 *
 * Events: comp.added {"id", "lat", "lon", "zip"} after an add; after an
 * import, one per ZIP {"zip", "lat", "lon", "radius_mi", "count"} (see
 * comp_batch.h). The reply waits for the events, so that a client that got
 * an answer knows every cached estimate near the new sales is being dropped;
 * if one cannot be published the call fails unavailable and can be retried
 * as is (a sale is stored under its id: writing it again changes nothing).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comp_batch.h"
#include "comp_date.h"
#include "comp_query.h"
#include "comp_record.h"
#include "mesh.h"

/* Most sales one import takes: the whole batch is checked, then written by
 * one script, which holds Redis for its run (about 10 ms per 1000). */
#define COMPS_IMPORT_MAX 5000
/* Room for an error message. */
#define COMPS_ERR_MAX 256

static int32_t today(void)
{
	return comp_date_from_unix(time(NULL));
}

/* ---- Writing -------------------------------------------------------------
 * One script writes the whole batch atomically: a batch is stored entirely
 * or not at all. ARGV[1] is the key prefix ("comps:"); then six per sale:
 * id, JSON, lon, lat, zip, sale date score. A sale already stored under
 * another ZIP leaves that ZIP's index. Returns how many ids were new. */
static const char write_script[] =
    "local p = ARGV[1]\n"
    "local created = 0\n"
    "for i = 2, #ARGV, 6 do\n"
    "  local id, zip = ARGV[i], ARGV[i + 4]\n"
    "  local key = p .. 'comp:' .. id\n"
    "  local old = redis.call('GET', key)\n"
    "  if old then\n"
    "    local ok, o = pcall(cjson.decode, old)\n"
    "    if ok and type(o) == 'table' and type(o.zip) == 'string'\n"
    "       and o.zip ~= zip then\n"
    "      redis.call('ZREM', p .. 'zip:' .. o.zip, id)\n"
    "    end\n"
    "  else\n"
    "    created = created + 1\n"
    "  end\n"
    "  redis.call('SET', key, ARGV[i + 1])\n"
    "  redis.call('GEOADD', p .. 'geo', ARGV[i + 2], ARGV[i + 3], id)\n"
    "  redis.call('ZADD', p .. 'zip:' .. zip, ARGV[i + 5], id)\n"
    "end\n"
    "return created\n";
static mesh_kv_script write_script_eval = MESH_KV_SCRIPT(write_script);

#define WRITE_FIXED_ARGS    2 /* 0 (keys), prefix */
#define WRITE_ARGS_PER_COMP 6

typedef struct write_job {
	mesh_req *req;
	json_t *comps; /* canonical records */
	int single;    /* an add, not an import */
	json_int_t created;
	int publishing; /* events outstanding */
	mesh_err pub_err;
	char pub_msg[COMPS_ERR_MAX];
} write_job;

static void write_job_free(write_job *w)
{
	json_decref(w->comps);
	free(w);
}

static void write_reply(write_job *w)
{
	json_t *first = json_array_get(w->comps, 0);

	if (w->pub_err != MESH_OK) {
		mesh_fail(w->req, MESH_EUNAVAILABLE,
		          "stored, but comp.added was not published (%s); "
		          "retry: writing the same sales again is safe",
		          w->pub_msg);
	} else if (w->single) {
		mesh_reply(w->req,
		           json_pack("{s:O, s:b, s:O, s:{s:i}}", "id",
		                     json_object_get(first, "id"), "created",
		                     (int)w->created, "comp", first, "_http",
		                     "status", w->created ? 201 : 200));
	} else {
		json_int_t n = (json_int_t)json_array_size(w->comps);
		mesh_reply(w->req, json_pack("{s:I, s:I, s:I}", "imported", n,
		                             "created", w->created, "updated",
		                             n - w->created));
	}
	write_job_free(w);
}

static void write_published(void *arg, mesh_err err, const char *msg)
{
	write_job *w = arg;

	if (err != MESH_OK && w->pub_err == MESH_OK) {
		w->pub_err = err;
		snprintf(w->pub_msg, sizeof w->pub_msg, "%s", msg);
	}
	if (--w->publishing == 0)
		write_reply(w);
}

static void write_stored(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	write_job *w = arg;
	json_t *events;
	size_t i;
	json_t *e;

	if (err != MESH_OK) {
		mesh_fail(w->req, MESH_EUNAVAILABLE, "redis: %s", msg);
		write_job_free(w);
		return;
	}
	w->created = json_integer_value(reply);
	if (w->single) {
		json_t *c = json_array_get(w->comps, 0);
		events = json_pack("[{s:O, s:O, s:O, s:O}]", "id",
		                   json_object_get(c, "id"), "lat",
		                   json_object_get(c, "lat"), "lon",
		                   json_object_get(c, "lon"), "zip",
		                   json_object_get(c, "zip"));
	} else {
		events = comp_batch_by_zip(w->comps);
	}
	/* Count first: a publish never reports from inside itself, but the
	 * counter must be whole before the first report can arrive. */
	w->publishing = (int)json_array_size(events);
	if (w->publishing == 0) {
		json_decref(events);
		write_reply(w);
		return;
	}
	json_array_foreach(events, i, e) mesh_publish(
	    w->req, "comp.added", json_incref(e), write_published, w);
	json_decref(events);
}

/* Stores w->comps with one EVAL; frees w in the end. */
static void write_start(write_job *w)
{
	size_t n = json_array_size(w->comps);
	size_t argc = WRITE_FIXED_ARGS + WRITE_ARGS_PER_COMP * n;
	const char **argv = calloc(argc, sizeof *argv);
	char **owned = calloc(argc, sizeof *owned);
	char prefix[64];
	size_t a = WRITE_FIXED_ARGS;
	json_t *c;
	size_t i;

	if (!argv || !owned) {
		free(argv);
		free(owned);
		mesh_fail(w->req, MESH_EINTERNAL, "out of memory");
		write_job_free(w);
		return;
	}
	snprintf(prefix, sizeof prefix, "%s", mesh_kv_key("", NULL));
	argv[0] = "0";
	argv[1] = prefix;
	json_array_foreach(w->comps, i, c)
	{
		int32_t score = 0;
		char buf[64];

		comp_date_parse(
		    json_string_value(json_object_get(c, "sold_date")), &score);
		argv[a++] = json_string_value(json_object_get(c, "id"));
		owned[a] =
		    json_dumps(c, JSON_COMPACT | JSON_REAL_PRECISION(12));
		argv[a] = owned[a];
		a++;
		snprintf(buf, sizeof buf, "%.8f",
		         json_number_value(json_object_get(c, "lon")));
		argv[a] = owned[a] = strdup(buf);
		a++;
		snprintf(buf, sizeof buf, "%.8f",
		         json_number_value(json_object_get(c, "lat")));
		argv[a] = owned[a] = strdup(buf);
		a++;
		argv[a++] = json_string_value(json_object_get(c, "zip"));
		snprintf(buf, sizeof buf, "%d", (int)score);
		argv[a] = owned[a] = strdup(buf);
		a++;
	}
	for (i = WRITE_FIXED_ARGS; i < argc; i++)
		if (!argv[i]) {
			mesh_fail(w->req, MESH_EINTERNAL, "out of memory");
			write_job_free(w);
			w = NULL;
			break;
		}
	if (w)
		mesh_kv_eval(&write_script_eval, write_stored, w, (int)argc,
		             argv, NULL);
	for (i = 0; i < argc; i++)
		free(owned[i]);
	free(owned);
	free(argv);
}

static write_job *write_job_new(mesh_req *req, int single)
{
	write_job *w = calloc(1, sizeof *w);

	if (!w) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return NULL;
	}
	w->req = req;
	w->single = single;
	w->comps = json_array();
	return w;
}

/* add: one sale, the record's fields at the top level of args. */
static void comps_add(mesh_req *req, json_t *args)
{
	char err[COMPS_ERR_MAX];
	json_t *comp = comp_record_parse(args, today(), err, sizeof err);
	write_job *w;

	if (!comp) {
		mesh_fail(req, MESH_EINVAL, "%s", err);
		return;
	}
	if (!(w = write_job_new(req, 1))) {
		json_decref(comp);
		return;
	}
	json_array_append_new(w->comps, comp);
	write_start(w);
}

/* import: {"comps": [...]}, every sale checked before any is written. */
static void comps_import(mesh_req *req, json_t *args)
{
	json_t *list = json_object_get(args, "comps"), *c;
	char err[COMPS_ERR_MAX];
	int32_t day = today();
	write_job *w;
	size_t i, n;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		mesh_fail(req, MESH_EINVAL,
		          "comps: expected an array of 1-%d sales",
		          COMPS_IMPORT_MAX);
		return;
	}
	n = json_array_size(list);
	if (n > COMPS_IMPORT_MAX) {
		mesh_fail(req, MESH_ETOOLARGE,
		          "comps: at most %d sales per import, got %zu",
		          COMPS_IMPORT_MAX, n);
		return;
	}
	if (!(w = write_job_new(req, 0)))
		return;
	json_array_foreach(list, i, c)
	{
		json_t *comp = comp_record_parse(c, day, err, sizeof err);
		if (!comp) {
			mesh_fail(req, MESH_EINVAL, "comps[%zu].%s", i, err);
			write_job_free(w);
			return;
		}
		json_array_append_new(w->comps, comp);
	}
	write_start(w);
}

/* ---- Searching ------------------------------------------------------------
 * Two round trips: the index (GEOSEARCH nearest first, or the ZIP's sorted
 * set newest first, at most COMP_SCAN_MAX ids), then every record with one
 * MGET; the filters run here. */

typedef struct search_job {
	mesh_req *req;
	comp_query q;
	json_t *ids;  /* strings, in index order */
	json_t *dist; /* parallel distances in miles, or NULL */
} search_job;

static void search_job_free(search_job *s)
{
	json_decref(s->ids);
	json_decref(s->dist);
	free(s);
}

static json_t *search_reply_base(const search_job *s)
{
	char as_of[11], since[11];
	json_t *r;

	comp_date_format(s->q.as_of, as_of);
	comp_date_format(s->q.since, since);
	r = json_pack("{s:[], s:i, s:b, s:s, s:s}", "comps", "count", 0,
	              "truncated", 0, "as_of", as_of, "since", since);
	if (s->q.has_point)
		json_object_set_new(r, "radius_mi", json_real(s->q.radius_mi));
	return r;
}

static void search_fetched(void *arg, mesh_err err, const char *msg,
                           json_t *reply)
{
	search_job *s = arg;
	json_t *out, *list, *text;
	size_t i, matched = 0;

	if (err != MESH_OK) {
		mesh_fail(s->req, MESH_EUNAVAILABLE, "redis: %s", msg);
		search_job_free(s);
		return;
	}
	out = search_reply_base(s);
	list = json_object_get(out, "comps");
	json_array_foreach(reply, i, text)
	{
		json_t *comp;

		if (!json_is_string(text))
			continue; /* removed between the two round trips */
		/* One match past the limit says "truncated": no need to
		 * parse the rest. */
		if (matched > (size_t)s->q.limit)
			break;
		comp = json_loadb(json_string_value(text),
		                  json_string_length(text), 0, NULL);
		if (comp && comp_query_match(&s->q, comp)) {
			if (matched++ < (size_t)s->q.limit) {
				if (s->dist)
					json_object_set_new(
					    comp, "distance_mi",
					    json_real(json_number_value(
					        json_array_get(s->dist, i))));
				json_array_append(list, comp);
			}
		}
		json_decref(comp);
	}
	json_object_set_new(out, "count",
	                    json_integer((json_int_t)json_array_size(list)));
	json_object_set_new(
	    out, "truncated",
	    json_boolean(matched > (size_t)s->q.limit ||
	                 json_array_size(s->ids) >= COMP_SCAN_MAX));
	mesh_reply(s->req, out);
	search_job_free(s);
}

static void search_fetch(search_job *s)
{
	size_t n = json_array_size(s->ids), i;
	const char **argv;
	char **keys;

	if (n == 0) {
		mesh_reply(s->req, search_reply_base(s));
		search_job_free(s);
		return;
	}
	argv = calloc(n + 1, sizeof *argv);
	keys = calloc(n, sizeof *keys);
	if (!argv || !keys) {
		free(argv);
		free(keys);
		mesh_fail(s->req, MESH_EINTERNAL, "out of memory");
		search_job_free(s);
		return;
	}
	argv[0] = "MGET";
	for (i = 0; i < n; i++) {
		const char *k = mesh_kv_key(
		    "comp", json_string_value(json_array_get(s->ids, i)), NULL);
		keys[i] = k ? strdup(k) : NULL;
		argv[i + 1] = keys[i] ? keys[i] : "";
	}
	mesh_kv_command(search_fetched, s, (int)n + 1, argv, NULL);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(argv);
}

/* GEOSEARCH ... WITHDIST: [[id, "0.1234"], ...]. */
static void search_geo_done(void *arg, mesh_err err, const char *msg,
                            json_t *reply)
{
	search_job *s = arg;
	json_t *row;
	size_t i;

	if (err != MESH_OK) {
		mesh_fail(s->req, MESH_EUNAVAILABLE, "redis: %s", msg);
		search_job_free(s);
		return;
	}
	s->dist = json_array();
	json_array_foreach(reply, i, row)
	{
		const char *id = json_string_value(json_array_get(row, 0));
		const char *d = json_string_value(json_array_get(row, 1));
		if (!id || !d)
			continue;
		json_array_append_new(s->ids, json_string(id));
		json_array_append_new(s->dist, json_real(atof(d)));
	}
	search_fetch(s);
}

static void search_zip_done(void *arg, mesh_err err, const char *msg,
                            json_t *reply)
{
	search_job *s = arg;
	json_t *id;
	size_t i;

	if (err != MESH_OK) {
		mesh_fail(s->req, MESH_EUNAVAILABLE, "redis: %s", msg);
		search_job_free(s);
		return;
	}
	json_array_foreach(reply, i, id) if (json_is_string(id))
	    json_array_append(s->ids, id);
	search_fetch(s);
}

static void comps_search(mesh_req *req, json_t *args)
{
	char err[COMPS_ERR_MAX];
	search_job *s = calloc(1, sizeof *s);

	if (!s) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	if (comp_query_parse(args, today(), &s->q, err, sizeof err) != 0) {
		mesh_fail(req, MESH_EINVAL, "%s", err);
		free(s);
		return;
	}
	s->req = req;
	s->ids = json_array();
	if (s->q.has_point) {
		char lon[32], lat[32], radius[32];

		snprintf(lon, sizeof lon, "%.8f", s->q.lon);
		snprintf(lat, sizeof lat, "%.8f", s->q.lat);
		snprintf(radius, sizeof radius, "%.6f", s->q.radius_mi);
		mesh_kv_commandf(search_geo_done, s,
		                 "GEOSEARCH %s FROMLONLAT %s %s BYRADIUS %s mi "
		                 "ASC COUNT %d WITHDIST",
		                 mesh_kv_key("geo", NULL), lon, lat, radius,
		                 COMP_SCAN_MAX);
	} else {
		/* The index's scores are the sale dates: without a beds or
		 * sqft bound every id in the window matches, so one past the
		 * limit is all there is to read. */
		int scan = isnan(s->q.beds_min) && isnan(s->q.beds_max) &&
		                   isnan(s->q.sqft_min) && isnan(s->q.sqft_max)
		               ? s->q.limit + 1
		               : COMP_SCAN_MAX;
		mesh_kv_commandf(search_zip_done, s,
		                 "ZRANGE %s %d %d BYSCORE REV LIMIT 0 %d",
		                 mesh_kv_key("zip", s->q.zip, NULL),
		                 (int)s->q.as_of, (int)s->q.since, scan);
	}
}

static const mesh_method methods[] = {
    {"add", comps_add},
    {"import", comps_import},
    {"search", comps_search},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "comps",
    .methods = methods,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
