/*
 * logger: the mesh's log store. Every service's libmesh ships its log lines
 * here one-way, in batches; they go into one capped Redis stream (for
 * queries by service, level and time, and for tail), and each line's
 * stream id into a list per request id (so that the lines of one request,
 * from every service, are one lookup).
 *
 * The stream is the only copy of a line, so LOGGER_MAX_RECORDS bounds
 * what the logs take: a request's list names lines, and once the stream
 * has trimmed them they are gone from the request's view too. (Lists of
 * the lines' texts kept a second copy of every line for a day, whatever
 * the cap: ~1.2 KB per lead, half the logs' share of Redis's memory and
 * of its append-only file.) A list expires when the lines it names
 * would have left the stream.
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
/* Records stored by one EVAL at most. Redis serves no one else while a
 * script runs: a batch of 64 in one script (1-4 ms under load) held every
 * lead's Redis call behind it. The chunks of all ingests go one at a
 * time, oldest first (below); what waits is bounded by the requests in
 * flight a connection may have (MESH_MAX_IN_FLIGHT) times
 * LOGGER_MAX_BATCH. */
#define LOGGER_RECORDS_PER_EVAL 16
/* The lines of one request: named at most this many (the first ones: a
 * request stuck in a loop keeps its beginning), and for at most this long
 * (less once the stream is full: as long as it keeps a line). */
#define LOGGER_REQUEST_TTL_S     86400
#define LOGGER_REQUEST_TTL_MIN_S 60
#define LOGGER_REQUEST_CAP       1000
/* A filtered query reads the stream newest first, a page at a time, and
 * stops after this many entries (it then says "truncated"). */
#define LOGGER_SCAN_PAGE 500
#define LOGGER_SCAN_MAX  50000
/* Lines reach the logger within a batch interval of their ts; a since
 * bound stops the scan only once stream ids are this far before it. */
#define LOGGER_SINCE_SLACK_MS 60000

static long long max_records = LOGGER_MAX_RECORDS_DEFAULT;

/* KEYS[1] the stream, KEYS[2..] request lists. ARGV: maxlen, list TTL,
 * its floor, list cap, then per record: its list's KEYS index (0: none)
 * and its JSON. A request's list gets its TTL at its first line (setting
 * it again on every line cost a write, and an AOF entry, per line for a
 * request whose lines all come within seconds): the default while the
 * stream is not full, else how long the stream keeps a line now (its
 * oldest entry's age), so that lists do not outlive what they name by a
 * day. */
static const char ingest_script[] =
    "local maxlen, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]) "
    "if redis.call('XLEN', KEYS[1]) >= maxlen then "
    "local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1] "
    "if first then "
    "local age = tonumber(redis.call('TIME')[1]) - "
    "math.floor(tonumber(string.match(first[1], '^%d+')) / 1000) "
    "if age < ttl then ttl = math.max(age, tonumber(ARGV[3])) end "
    "end end "
    "local n = 0 "
    "for i = 5, #ARGV, 2 do "
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', "
    "'r', ARGV[i+1]) "
    "local k = tonumber(ARGV[i]) "
    "if k > 0 then "
    "local len = redis.call('RPUSH', KEYS[k], id) "
    "if len == 1 then redis.call('EXPIRE', KEYS[k], ttl) "
    "elseif len > tonumber(ARGV[4]) then "
    "redis.call('LTRIM', KEYS[k], 0, tonumber(ARGV[4]) - 1) end end "
    "n = n + 1 end "
    "return n";
static mesh_kv_script ingest_script_eval = MESH_KV_SCRIPT(ingest_script);

/* KEYS[1] the stream, KEYS[2] a request's list. The texts of the lines
 * the list names that the stream still keeps, in the list's order. An
 * element that is not a stream id is a line's text itself: lists written
 * before lists held ids, read as they are until they expire. */
static const char request_script[] =
    "local out = {} "
    "for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do "
    "if string.match(id, '^%d+%-%d+$') then "
    "local e = redis.call('XRANGE', KEYS[1], id, id)[1] "
    "if e then out[#out + 1] = e[2][2] end "
    "else out[#out + 1] = id end "
    "end "
    "return out";
static mesh_kv_script request_script_eval = MESH_KV_SCRIPT(request_script);

static const char *stream_key(void)
{
	return mesh_kv_key("records", NULL);
}

typedef struct ingest_ctx {
	mesh_req *req;
	long long skipped, stored;
	int chunks; /* EVALs not answered yet */
	mesh_err err;
	char msg[256];
} ingest_ctx;

static void ingested(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	ingest_ctx *c = arg;

	if (err == MESH_OK) {
		c->stored += json_integer_value(reply);
	} else if (c->err == MESH_OK) {
		c->err = err;
		snprintf(c->msg, sizeof c->msg, "%s", msg);
	}
	if (--c->chunks > 0)
		return;
	if (c->err != MESH_OK)
		mesh_fail(c->req, MESH_EUNAVAILABLE, "%s", c->msg);
	else
		mesh_reply(c->req, json_pack("{s:I, s:I}", "stored",
		                             (json_int_t)c->stored, "skipped",
		                             (json_int_t)c->skipped));
	free(c);
}

/* n records (texts), each with its request list's key or NULL (rkeys),
 * for one EVAL; owned. */
typedef struct chunk {
	struct chunk *next;
	ingest_ctx *ctx;
	size_t n;
	char *texts[LOGGER_RECORDS_PER_EVAL];
	char *rkeys[LOGGER_RECORDS_PER_EVAL];
} chunk;

/* Chunks wait here and go to Redis one at a time, oldest first: Redis
 * serves its other clients between two, and records keep their order. */
static chunk *queue_head, *queue_tail;
static int chunk_in_flight;

static void chunk_free(chunk *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->texts[i]);
		free(k->rkeys[i]);
	}
	free(k);
}

static void queue_pump(void);

static void chunk_stored(void *arg, mesh_err err, const char *msg,
                         json_t *reply)
{
	chunk *k = arg;

	queue_head = k->next;
	if (!queue_head)
		queue_tail = NULL;
	chunk_in_flight = 0;
	ingested(k->ctx, err, msg, reply);
	chunk_free(k);
	queue_pump();
}

static void chunk_send(chunk *k)
{
	/* numkeys, stream, a key per record, 4 args, then 2 per record */
	const char *argv[6 + 3 * LOGGER_RECORDS_PER_EVAL];
	char index[LOGGER_RECORDS_PER_EVAL][16];
	char numkeys[24], maxlen[24], ttl[24], ttl_min[24], lcap[24];
	int argc = 0, nkeys = 0;

	for (size_t i = 0; i < k->n; i++)
		nkeys += k->rkeys[i] != NULL;
	snprintf(numkeys, sizeof numkeys, "%d", nkeys + 1);
	snprintf(maxlen, sizeof maxlen, "%lld", max_records);
	snprintf(ttl, sizeof ttl, "%d", LOGGER_REQUEST_TTL_S);
	snprintf(ttl_min, sizeof ttl_min, "%d", LOGGER_REQUEST_TTL_MIN_S);
	snprintf(lcap, sizeof lcap, "%d", LOGGER_REQUEST_CAP);
	argv[argc++] = numkeys;
	argv[argc++] = stream_key();
	for (size_t i = 0; i < k->n; i++)
		if (k->rkeys[i])
			argv[argc++] = k->rkeys[i];
	argv[argc++] = maxlen;
	argv[argc++] = ttl;
	argv[argc++] = ttl_min;
	argv[argc++] = lcap;
	for (size_t i = 0, key = 1; i < k->n; i++) {
		snprintf(index[i], sizeof index[i], "%zu",
		         k->rkeys[i] ? ++key : 0);
		argv[argc++] = index[i];
		argv[argc++] = k->texts[i];
	}
	chunk_in_flight = 1;
	mesh_kv_eval(&ingest_script_eval, chunk_stored, k, argc, argv, NULL);
}

static void queue_pump(void)
{
	if (!chunk_in_flight && queue_head)
		chunk_send(queue_head);
}

static void queue_add(chunk *k)
{
	if (queue_tail)
		queue_tail->next = k;
	else
		queue_head = k;
	queue_tail = k;
}

/* ingest {records: [...], dropped: N}: one-way from libmesh's shipper. */
static void ingest(mesh_req *req, json_t *args)
{
	json_t *records = json_object_get(args, "records"), *rec;
	json_int_t dropped =
	    json_integer_value(json_object_get(args, "dropped"));
	size_t n = json_array_size(records), i, m = 0;
	char why[128];

	if (!json_is_array(records)) {
		mesh_fail(req, MESH_EINVAL, "records: expected an array");
		return;
	}
	size_t take = n < LOGGER_MAX_BATCH ? n : LOGGER_MAX_BATCH;
	ingest_ctx *ctx = calloc(1, sizeof *ctx);
	char **texts = calloc(take + 1, sizeof *texts);
	char **rkeys = calloc(take + 1, sizeof *rkeys);
	if (!ctx || !texts || !rkeys) {
		free(ctx);
		free(texts);
		free(rkeys);
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
		texts[m] = text;
		rkeys[m++] = key ? strdup(key) : NULL;
	}
	if (ctx->skipped || dropped > 0)
		mesh_log(
		    req, MESH_LOG_WARN, NULL,
		    "ingest from %s: %lld record(s) skipped as malformed or "
		    "over the limits, %lld dropped by the sender",
		    mesh_req_caller(req), ctx->skipped,
		    (long long)(dropped > 0 ? dropped : 0));
	if (m == 0) {
		mesh_reply(req, json_pack("{s:i, s:I}", "stored", 0, "skipped",
		                          (json_int_t)ctx->skipped));
		free(ctx);
	} else {
		ctx->chunks = (int)((m + LOGGER_RECORDS_PER_EVAL - 1) /
		                    LOGGER_RECORDS_PER_EVAL);
		for (i = 0; i < m; i++) {
			if (i % LOGGER_RECORDS_PER_EVAL == 0) {
				chunk *k = calloc(1, sizeof *k);
				/* As libmesh: out of memory is not
				 * recoverable. */
				if (!k)
					abort();
				k->ctx = ctx;
				queue_add(k);
			}
			queue_tail->texts[queue_tail->n] = texts[i];
			queue_tail->rkeys[queue_tail->n++] = rkeys[i];
		}
		queue_pump();
	}
	/* The chunks own the strings now; these are only their lists. */
	free(texts);
	free(rkeys);
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
		/* mesh_kv_key's buffer is reused: the list's key first. */
		char list[LOGGER_REQUEST_ID_MAX + 32];
		const char *key = mesh_kv_key("req", s->f.request_id, NULL);
		snprintf(list, sizeof list, "%s",
		         key ? key : mesh_kv_key("req", "", NULL));
		const char *argv[] = {"2", stream_key(), list};
		mesh_kv_eval(&request_script_eval, request_read, s, 3, argv,
		             NULL);
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

/* Chunks still queued when the loop has stopped fail as Redis commands in
 * flight then do; the one in flight is answered by libmesh's Redis
 * teardown. */
static void logger_cleanup(void)
{
	chunk *k = queue_head, *next;

	if (k && chunk_in_flight) {
		k = k->next;
		queue_head->next = NULL;
		queue_tail = queue_head;
	} else {
		queue_head = queue_tail = NULL;
	}
	for (; k; k = next) {
		next = k->next;
		ingested(k->ctx, MESH_EUNAVAILABLE, "logger: stopping", NULL);
		chunk_free(k);
	}
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
    .cleanup = logger_cleanup,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
