/*
 * logger: the mesh's log store. Every service's libmesh ships its log lines
 * here one-way, in batches; they go into one capped Redis stream (for
 * queries by service, level and time, and for tail) and into a list per
 * request id (so that the lines of one request, from every service, are
 * one lookup).
 *
 * Environment: LOGGER_MAX_RECORDS (records kept in the stream, about;
 * default 100000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logger_query.h"
#include "logger_record.h"
#include "mesh.h"

#define LOGGER_MAX_RECORDS_DEFAULT 100000
#define LOGGER_MAX_RECORDS_MIN     100
#define LOGGER_MAX_RECORDS_MAX     100000000
/* Records taken from one ingest call; the rest are skipped and counted
 * (libmesh ships 64 at a time). */
#define LOGGER_MAX_BATCH 1000
/* The lines of one request: kept this long, and at most this many (the
 * first ones: a request stuck in a loop keeps its beginning). */
#define LOGGER_REQUEST_TTL_S 86400
#define LOGGER_REQUEST_CAP   1000
/* A filtered query reads the stream newest first, a page at a time, and
 * stops after this many entries (it then says "truncated"). */
#define LOGGER_SCAN_PAGE 500
#define LOGGER_SCAN_MAX  50000
/* Lines reach the logger within a batch interval of their ts; a since
 * bound stops the scan only once stream ids are this far before it. */
#define LOGGER_SINCE_SLACK_MS 60000

static long long max_records = LOGGER_MAX_RECORDS_DEFAULT;

/* KEYS[1] the stream, KEYS[2..] request lists. ARGV: maxlen, list TTL,
 * list cap, then per record: its list's KEYS index (0: none) and its
 * JSON. A request's list lives LOGGER_REQUEST_TTL_S from its first line:
 * setting the TTL again on every line cost a write (and an AOF entry) per
 * line for a request whose lines all come within seconds. */
static const char ingest_script[] =
    "local n = 0 "
    "for i = 4, #ARGV, 2 do "
    "redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'r', "
    "ARGV[i+1]) "
    "local k = tonumber(ARGV[i]) "
    "if k > 0 then "
    "local len = redis.call('RPUSH', KEYS[k], ARGV[i+1]) "
    "if len == 1 then redis.call('EXPIRE', KEYS[k], ARGV[2]) "
    "elseif len > tonumber(ARGV[3]) then "
    "redis.call('LTRIM', KEYS[k], 0, tonumber(ARGV[3]) - 1) end end "
    "n = n + 1 end "
    "return n";

static const char *stream_key(void)
{
	return mesh_kv_key("records", NULL);
}

typedef struct ingest_ctx {
	mesh_req *req;
	long long skipped;
} ingest_ctx;

static void ingested(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	ingest_ctx *c = arg;

	if (err != MESH_OK)
		mesh_fail(c->req, MESH_EUNAVAILABLE, "%s", msg);
	else
		mesh_reply(c->req,
		           json_pack("{s:I, s:I}", "stored",
		                     json_integer_value(reply), "skipped",
		                     (json_int_t)c->skipped));
	free(c);
}

/* The argv of one EVAL, grown as records are added. */
typedef struct cmd {
	const char **argv;
	char **owned;
	int argc, n_owned;
} cmd;

static void cmd_free(cmd *c)
{
	for (int i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->argv);
}

/* Appends s, which the command frees when own is set. */
static void cmd_add(cmd *c, const char *s, int own)
{
	c->argv[c->argc++] = s;
	if (own)
		c->owned[c->n_owned++] = (char *)s;
}

/* ingest {records: [...], dropped: N}: one-way from libmesh's shipper. */
static void ingest(mesh_req *req, json_t *args)
{
	json_t *records = json_object_get(args, "records"), *rec;
	json_int_t dropped =
	    json_integer_value(json_object_get(args, "dropped"));
	size_t n = json_array_size(records), i;
	char why[128], num[32];

	if (!json_is_array(records)) {
		mesh_fail(req, MESH_EINVAL, "records: expected an array");
		return;
	}
	ingest_ctx *ctx = calloc(1, sizeof *ctx);
	size_t take = n < LOGGER_MAX_BATCH ? n : LOGGER_MAX_BATCH;
	/* EVAL, script, numkeys, stream, keys..., 3 args, 2 per record */
	size_t cap = 4 + take + 3 + 2 * take;
	cmd c = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(char *)), 0,
	         0};
	cmd keys = {calloc(take + 1, sizeof(char *)),
	            calloc(take + 1, sizeof(char *)), 0, 0};
	cmd vals = {calloc(2 * take + 1, sizeof(char *)),
	            calloc(2 * take + 1, sizeof(char *)), 0, 0};
	if (!ctx || !c.argv || !c.owned || !keys.argv || !keys.owned ||
	    !vals.argv || !vals.owned) {
		free(ctx);
		cmd_free(&c);
		cmd_free(&keys);
		cmd_free(&vals);
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	ctx->req = req;
	ctx->skipped = (long long)(n - take);
	json_array_foreach(records, i, rec)
	{
		if (i == take)
			break;
		char *text = NULL;
		if (logger_record_check(rec, why, sizeof why) != 0 ||
		    !(text = json_dumps(rec, JSON_COMPACT)) ||
		    strlen(text) > LOGGER_RECORD_MAX_BYTES) {
			free(text);
			ctx->skipped++;
			continue;
		}
		const char *rid =
		    json_string_value(json_object_get(rec, "request_id"));
		const char *key =
		    rid && *rid ? mesh_kv_key("req", rid, NULL) : NULL;
		if (key) {
			cmd_add(&keys, strdup(key), 1);
			snprintf(num, sizeof num, "%d", keys.argc + 1);
		} else {
			snprintf(num, sizeof num, "0");
		}
		cmd_add(&vals, strdup(num), 1);
		cmd_add(&vals, text, 1);
	}
	if (ctx->skipped || dropped > 0)
		mesh_log(
		    req, MESH_LOG_WARN, NULL,
		    "ingest from %s: %lld record(s) skipped as malformed or "
		    "over the limits, %lld dropped by the sender",
		    mesh_req_caller(req), ctx->skipped,
		    (long long)(dropped > 0 ? dropped : 0));
	if (vals.argc == 0) {
		mesh_reply(req, json_pack("{s:i, s:I}", "stored", 0, "skipped",
		                          (json_int_t)ctx->skipped));
		free(ctx);
	} else {
		char numkeys[24], maxlen[24], ttl[24], lcap[24];
		snprintf(numkeys, sizeof numkeys, "%d", keys.argc + 1);
		snprintf(maxlen, sizeof maxlen, "%lld", max_records);
		snprintf(ttl, sizeof ttl, "%d", LOGGER_REQUEST_TTL_S);
		snprintf(lcap, sizeof lcap, "%d", LOGGER_REQUEST_CAP);
		cmd_add(&c, "EVAL", 0);
		cmd_add(&c, ingest_script, 0);
		cmd_add(&c, numkeys, 0);
		cmd_add(&c, stream_key(), 0);
		for (int k = 0; k < keys.argc; k++)
			cmd_add(&c, keys.argv[k], 0);
		cmd_add(&c, maxlen, 0);
		cmd_add(&c, ttl, 0);
		cmd_add(&c, lcap, 0);
		for (int k = 0; k < vals.argc; k++)
			cmd_add(&c, vals.argv[k], 0);
		/* hiredis formats the command now: the strings may go. */
		mesh_kv_command(ingested, ctx, c.argc, c.argv, NULL);
	}
	cmd_free(&c);
	cmd_free(&keys);
	cmd_free(&vals);
}

/* A stream entry [id, [field, value, ...]] as its record (new reference)
 * and id (borrowed); NULL for an entry that is not one of ours. */
static json_t *entry_record(json_t *entry, const char **id)
{
	json_t *fields = json_array_get(entry, 1);

	*id = json_string_value(json_array_get(entry, 0));
	for (size_t i = 0; i + 1 < json_array_size(fields); i += 2) {
		const char *name = json_string_value(json_array_get(fields, i));
		const char *value =
		    json_string_value(json_array_get(fields, i + 1));
		if (name && value && strcmp(name, "r") == 0)
			return json_loads(value, 0, NULL);
	}
	return NULL;
}

static json_t *reversed(json_t *a)
{
	json_t *out = json_array();

	for (size_t i = json_array_size(a); i > 0; i--)
		json_array_append(out, json_array_get(a, i - 1));
	return out;
}

typedef struct scan {
	mesh_req *req;
	logger_filter f;
	json_t *found; /* newest first */
	long scanned;
	char end[LOGGER_CURSOR_MAX + 2]; /* "+" or "(<id>" */
} scan;

static void scan_finish(scan *s, int truncated)
{
	mesh_reply(s->req,
	           json_pack("{s:o, s:b}", "records", reversed(s->found),
	                     "truncated", truncated));
	json_decref(s->found);
	free(s);
}

static void scan_page(scan *s);

static void scan_read(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	scan *s = arg;
	size_t n = json_array_size(reply), i;
	json_t *entry;
	const char *id = NULL;

	if (err != MESH_OK) {
		mesh_fail(s->req, MESH_EUNAVAILABLE, "%s", msg);
		json_decref(s->found);
		free(s);
		return;
	}
	json_array_foreach(reply, i, entry)
	{
		json_t *rec = entry_record(entry, &id);
		s->scanned++;
		if (rec && logger_filter_match(&s->f, rec))
			json_array_append(s->found, rec);
		json_decref(rec);
		if (json_array_size(s->found) >= (size_t)s->f.limit) {
			scan_finish(s, 0);
			return;
		}
	}
	/* Done at the start of the stream, or once ids are older than the
	 * since bound allows, or at the scan limit. */
	int64_t id_ms = id ? strtoll(id, NULL, 10) : 0;
	if (n < LOGGER_SCAN_PAGE || !id ||
	    (s->f.since_ms > 0 &&
	     id_ms < s->f.since_ms - LOGGER_SINCE_SLACK_MS)) {
		scan_finish(s, 0);
		return;
	}
	if (s->scanned >= LOGGER_SCAN_MAX) {
		scan_finish(s, 1);
		return;
	}
	snprintf(s->end, sizeof s->end, "(%s", id);
	scan_page(s);
}

static void scan_page(scan *s)
{
	mesh_kv_commandf(scan_read, s, "XREVRANGE %s %s - COUNT %d",
	                 stream_key(), s->end, LOGGER_SCAN_PAGE);
}

static int by_ts(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	const char *tx = json_string_value(json_object_get(*x, "ts"));
	const char *ty = json_string_value(json_object_get(*y, "ts"));
	int c = strcmp(tx ? tx : "", ty ? ty : "");

	/* qsort is not stable: equal times keep their arrival order. */
	if (c == 0)
		c = x < y ? -1 : x > y;
	return c;
}

static void request_read(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	scan *s = arg;
	size_t n = json_array_size(reply), kept = 0;
	json_t **recs = calloc(n ? n : 1, sizeof *recs);

	if (err != MESH_OK || !recs) {
		mesh_fail(s->req,
		          err != MESH_OK ? MESH_EUNAVAILABLE : MESH_EINTERNAL,
		          "%s", err != MESH_OK ? msg : "out of memory");
		free(recs);
		json_decref(s->found);
		free(s);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *text = json_string_value(json_array_get(reply, i));
		json_t *rec = text ? json_loads(text, 0, NULL) : NULL;
		if (rec && logger_filter_match(&s->f, rec))
			recs[kept++] = rec;
		else
			json_decref(rec);
	}
	qsort(recs, kept, sizeof *recs, by_ts);
	json_t *out = json_array();
	size_t from = kept > (size_t)s->f.limit ? kept - (size_t)s->f.limit : 0;
	for (size_t i = 0; i < kept; i++) {
		if (i >= from)
			json_array_append(out, recs[i]);
		json_decref(recs[i]);
	}
	free(recs);
	mesh_reply(s->req,
	           json_pack("{s:o, s:b}", "records", out, "truncated", 0));
	json_decref(s->found);
	free(s);
}

/* A scan for req with its filter read from args; NULL once req has been
 * failed. */
static scan *scan_start(mesh_req *req, json_t *args)
{
	char err[200];
	scan *s = calloc(1, sizeof *s);

	if (!s) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return NULL;
	}
	if (logger_filter_parse(args, &s->f, err, sizeof err) != 0) {
		free(s);
		mesh_fail(req, MESH_EINVAL, "%s", err);
		return NULL;
	}
	s->req = req;
	return s;
}

/* query {service?, level?, request_id?, since_ms?|since?, limit?}: the
 * newest `limit` matching records, oldest first. */
static void query(mesh_req *req, json_t *args)
{
	scan *s = scan_start(req, args);

	if (!s)
		return;
	s->found = json_array();
	if (s->f.request_id[0]) {
		const char *key = mesh_kv_key("req", s->f.request_id, NULL);
		mesh_kv_commandf(request_read, s, "LRANGE %s 0 -1",
		                 key ? key : mesh_kv_key("req", "", NULL));
		return;
	}
	snprintf(s->end, sizeof s->end, "+");
	scan_page(s);
}

static void tail_read(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	scan *s = arg;
	size_t i;
	json_t *entry, *out = json_array();
	const char *id = NULL;
	/* Without a cursor the entries came newest first. */
	int newest_first = !s->f.cursor[0];
	json_t *entries = newest_first ? reversed(reply) : json_incref(reply);

	if (err != MESH_OK) {
		mesh_fail(s->req, MESH_EUNAVAILABLE, "%s", msg);
		goto done;
	}
	json_array_foreach(entries, i, entry)
	{
		json_t *rec = entry_record(entry, &id);
		if (rec && logger_filter_match(&s->f, rec))
			json_array_append(out, rec);
		json_decref(rec);
	}
	if (id)
		snprintf(s->f.cursor, sizeof s->f.cursor, "%s", id);
	else if (!s->f.cursor[0])
		snprintf(s->f.cursor, sizeof s->f.cursor, "0-0");
	mesh_reply(s->req, json_pack("{s:O, s:s}", "records", out, "cursor",
	                             s->f.cursor));
done:
	json_decref(entries);
	json_decref(out);
	json_decref(s->found);
	free(s);
}

/* tail {cursor?, limit?, service?, level?}: what is newer than cursor
 * (without one, the latest records), oldest first, and the cursor to
 * pass next time. Never waits. */
static void tail(mesh_req *req, json_t *args)
{
	scan *s = scan_start(req, args);

	if (!s)
		return;
	if (s->f.cursor[0])
		mesh_kv_commandf(tail_read, s, "XRANGE %s (%s + COUNT %d",
		                 stream_key(), s->f.cursor, s->f.limit);
	else
		mesh_kv_commandf(tail_read, s, "XREVRANGE %s + - COUNT %d",
		                 stream_key(), s->f.limit);
}

static int logger_init(void)
{
	const char *v = getenv("LOGGER_MAX_RECORDS");

	if (v && *v) {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*end || n < LOGGER_MAX_RECORDS_MIN ||
		    n > LOGGER_MAX_RECORDS_MAX) {
			mesh_log(NULL, MESH_LOG_ERROR, NULL,
			         "LOGGER_MAX_RECORDS: expected %d-%d",
			         LOGGER_MAX_RECORDS_MIN,
			         LOGGER_MAX_RECORDS_MAX);
			return 1;
		}
		max_records = n;
	}
	return 0;
}

static const mesh_method methods[] = {
    {"ingest", ingest},
    {"query", query},
    {"tail", tail},
    {NULL, NULL},
};

static const mesh_service_def service = {
    .name = "logger",
    .methods = methods,
    .init = logger_init,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
