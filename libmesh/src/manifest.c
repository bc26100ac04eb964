/*
 * manifest.c: loads proto/mesh.json, validates all of it, and builds the
 * structs of manifest.h. The first problem found stops the load and is
 * reported with its place in the document and the offending value:
 *
 *   services.valuation.calls[1]: unknown service "comp"
 *   routes[3].path: duplicate of routes[1] (GET /api/leads/:id)
 *
 * Schema (proto/manifest.md says the same for people writing manifests):
 *
 *   {
 *     "version": 1,                                   required, exactly 1
 *     "defaults": {                                   optional
 *       "timeout_ms": 5000,                           1..600000
 *       "event_attempts": 5                           1..100
 *     },
 *     "services": {                                   required, 1..256
 *       "<name>": {                                   [a-z][a-z0-9-]{0,62}
 *         "description": "one line",                  <= 200 chars
 *         "methods": ["create"],                      [a-z][a-z0-9_]*
 *         "calls": ["logger"],                        known, not itself
 *         "publishes": ["lead.created"],              [a-z0-9._-]{1,64}
 *         "subscribes": ["lead.scored"],              published by someone
 *         "cron": [{"schedule": "* * * * *", "method": "tick"}],
 *                                                     must fire within 5 y
 *         "instances": 1,                             1..64
 *         "timeout_ms": 5000                          defaults.timeout_ms
 *       }
 *     },
 *     "routes": [{                                    optional, <= 1024
 *       "method": "GET",                              GET POST PUT PATCH DELETE
 *       "path": "/api/leads/:id",                     "/" + non-empty segments
 *       "service": "leads-intake", "call": "get",     a declared method
 *       "auth": "key",                                public | key | admin
 *       "scopes": ["leads:read"],                     only with auth "key"
 *       "cors": false, "raw_body": false, "rate_limit": true
 *     }]
 *   }
 *
 * Every list is optional (empty by default) and may not repeat an entry.
 * Unknown keys are errors, with a suggestion when one is close, so a typo
 * never passes silently. Names starting with '_' are the builtins every
 * service answers (_health, _metrics, _methods) and may not be declared.
 * When routes exist, a "gateway" service must exist; when a "scheduler"
 * service exists, it must call every service that has cron entries.
 *
 * Ownership: every string in the result is a copy; manifest_free frees
 * all of it, and every error path frees the partial build the same way.
 */
#include "manifest.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Characters of an offending value shown in an error message. */
#define QUOTE_SHOWN 64
/* A quoted value: quotes, QUOTE_SHOWN escaped characters, "...", NUL. */
#define QUOTE_BUF (2 + QUOTE_SHOWN * 4 + 3 + 1)
/* A place: "services.<63 chars>.cron[63].schedule" and a bounded key. */
#define PLACE_BUF 256
/* A schedule with no match in the five years from here (2000-01-01, a
 * leap year) never fires: 30 February, 31 April. A fixed date keeps the
 * check independent of the clock. */
#define CRON_CHECK_FROM ((time_t)946684800)
/* Suggest a known key only when this few edits away from the typo, */
#define SUGGEST_DISTANCE 2
/* or when one is a prefix of the other this long ("timeout"). */
#define SUGGEST_PREFIX 4

typedef struct loader {
	char *err;
	size_t err_len;
} loader;

typedef int (*name_check_fn)(loader *L, const char *place, const char *s);

static int fail(loader *L, const char *place, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "<place>: <message>" and returns -1. */
static int fail(loader *L, const char *place, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!L->err || L->err_len == 0)
		return -1;
	if (place && *place)
		n = snprintf(L->err, L->err_len, "%s: ", place);
	if (n < 0 || (size_t)n >= L->err_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(L->err + n, L->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* s made safe to print: control characters and quotes escaped, cut after
 * QUOTE_SHOWN characters; in double quotes when quoted is set. */
static const char *shown(char *buf, const char *s, int quoted)
{
	size_t o = 0, i;

	if (quoted)
		buf[o++] = '"';
	for (i = 0; i < QUOTE_SHOWN && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (quoted)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void place_fmt(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A place in the document into a PLACE_BUF buffer; a pathological key is
 * cut short rather than overflowing. */
static void place_fmt(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PLACE_BUF, fmt, ap);
	va_end(ap);
}

static const char *quote(char *buf, const char *s)
{
	return shown(buf, s, 1);
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int oom(loader *L)
{
	return fail(L, NULL, "out of memory");
}

static char *dup_or_fail(loader *L, const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom(L);
	return d;
}

/* Levenshtein distance of two short strings, capped: anything above
 * SUGGEST_DISTANCE is as good as infinite here. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[QUOTE_SHOWN + 1];

	if (la > QUOTE_SHOWN || lb > QUOTE_SHOWN)
		return SUGGEST_DISTANCE + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int is_long_prefix(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la < lb ? la : lb;

	return n >= SUGGEST_PREFIX && strncmp(a, b, n) == 0;
}

/* Rejects any key of obj not in allowed (NULL-terminated). */
static int is_allowed(const char *key, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i]; i++)
		if (strcmp(key, allowed[i]) == 0)
			return 1;
	return 0;
}

/* The allowed key closest to a typo, or NULL when none is close. */
static const char *suggest(const char *key, const char *const *allowed)
{
	const char *best = NULL;
	size_t best_d = SUGGEST_DISTANCE + 1, d, i;

	for (i = 0; allowed[i]; i++) {
		d = edit_distance(key, allowed[i]);
		if (d > SUGGEST_DISTANCE && is_long_prefix(key, allowed[i]))
			d = SUGGEST_DISTANCE;
		if (d < best_d) {
			best_d = d;
			best = allowed[i];
		}
	}
	return best;
}

static int check_keys(loader *L, const char *place, json_t *obj,
                      const char *const *allowed)
{
	const char *key, *best;
	json_t *v;
	char where[PLACE_BUF], kb[QUOTE_BUF], sb[QUOTE_BUF];

	json_object_foreach(obj, key, v)
	{
		if (is_allowed(key, allowed))
			continue;
		place_fmt(where, "%s%s%s", place, *place ? "." : "",
		          shown(kb, key, 0));
		best = suggest(key, allowed);
		if (best)
			return fail(L, where, "unknown key (did you mean %s?)",
			            quote(sb, best));
		return fail(L, where, "unknown key");
	}
	return 0;
}

static int get_int(loader *L, const char *place, json_t *v, int64_t lo,
                   int64_t hi, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return fail(L, place, "expected an integer, got %s",
		            json_type_name(v));
	n = json_integer_value(v);
	if (n < lo || n > hi)
		return fail(L, place, "%lld is out of range %lld-%lld",
		            (long long)n, (long long)lo, (long long)hi);
	*out = (int64_t)n;
	return 0;
}

static int get_bool(loader *L, const char *place, json_t *v, int *out)
{
	if (!json_is_boolean(v))
		return fail(L, place, "expected a boolean, got %s",
		            json_type_name(v));
	*out = json_is_true(v);
	return 0;
}

static const char *get_string(loader *L, const char *place, json_t *v)
{
	if (!json_is_string(v)) {
		fail(L, place, "expected a string, got %s", json_type_name(v));
		return NULL;
	}
	return json_string_value(v);
}

/* ---- Names ------------------------------------------------------------ */

static int is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int check_service_name(loader *L, const char *place, const char *s)
{
	size_t i, n = strlen(s);
	char qb[QUOTE_BUF];

	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			break;
	if (n == 0 || n > MANIFEST_SERVICE_NAME_MAX || i < n ||
	    !(s[0] >= 'a' && s[0] <= 'z'))
		return fail(L, place,
		            "bad service name %s (expected [a-z][a-z0-9-], at "
		            "most %d characters)",
		            quote(qb, s), MANIFEST_SERVICE_NAME_MAX);
	return 0;
}

static int check_method_name(loader *L, const char *place, const char *s)
{
	size_t i, n = strlen(s);
	char qb[QUOTE_BUF];

	if (s[0] == '_')
		return fail(L, place,
		            "%s is a builtin name: declared methods may not "
		            "start with '_'",
		            quote(qb, s));
	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_')
			break;
	if (n == 0 || n > MANIFEST_METHOD_NAME_MAX || i < n ||
	    !(s[0] >= 'a' && s[0] <= 'z'))
		return fail(L, place,
		            "bad method name %s (expected [a-z][a-z0-9_], at "
		            "most %d characters)",
		            quote(qb, s), MANIFEST_METHOD_NAME_MAX);
	return 0;
}

static int check_topic_name(loader *L, const char *place, const char *s)
{
	size_t i, n = strlen(s);
	char qb[QUOTE_BUF];

	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && !strchr("._-", s[i]))
			break;
	if (n == 0 || n > MANIFEST_TOPIC_MAX || i < n)
		return fail(L, place,
		            "bad topic name %s (expected [a-z0-9._-], 1 to %d "
		            "characters)",
		            quote(qb, s), MANIFEST_TOPIC_MAX);
	return 0;
}

static int check_scope_name(loader *L, const char *place, const char *s)
{
	size_t i, n = strlen(s);
	char qb[QUOTE_BUF];

	for (i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && !strchr("_.:-", s[i]))
			break;
	if (n == 0 || n > MANIFEST_SCOPE_MAX || i < n ||
	    !(s[0] >= 'a' && s[0] <= 'z'))
		return fail(L, place,
		            "bad scope %s (expected [a-z][a-z0-9_.:-], at most "
		            "%d characters)",
		            quote(qb, s), MANIFEST_SCOPE_MAX);
	return 0;
}

static int list_has(char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] && strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* A JSON array of distinct names into an owned array of copies. *n counts
 * the slots allocated, so a partial list frees like a whole one. */
static int get_list(loader *L, const char *place, json_t *v, size_t max,
                    name_check_fn check, char ***out, size_t *n)
{
	size_t i, j, len;
	char where[PLACE_BUF], first[PLACE_BUF], qb[QUOTE_BUF];

	if (!json_is_array(v))
		return fail(L, place, "expected an array, got %s",
		            json_type_name(v));
	len = json_array_size(v);
	if (len > max)
		return fail(L, place, "%zu entries, at most %zu allowed", len,
		            max);
	if (len == 0)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return oom(L);
	*n = len;
	for (i = 0; i < len; i++) {
		const char *s;

		place_fmt(where, "%s[%zu]", place, i);
		s = get_string(L, where, json_array_get(v, i));
		if (!s || check(L, where, s))
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp((*out)[j], s) == 0) {
				place_fmt(first, "%s[%zu]", place, j);
				return fail(L, where, "duplicate of %s (%s)",
				            first, quote(qb, s));
			}
		}
		(*out)[i] = dup_or_fail(L, s);
		if (!(*out)[i])
			return -1;
	}
	return 0;
}

/* ---- Services --------------------------------------------------------- */

static const char *const service_keys[] = {"description", "methods",    "calls",
                                           "publishes",   "subscribes", "cron",
                                           "instances",   "timeout_ms", NULL};
static const char *const cron_keys[] = {"schedule", "method", NULL};

static int build_cron(loader *L, const char *place, json_t *v,
                      manifest_service *s)
{
	size_t i, j, len;
	char where[PLACE_BUF], field[PLACE_BUF], first[PLACE_BUF];
	char qb[QUOTE_BUF], sb[QUOTE_BUF], cerr[128];

	if (!json_is_array(v))
		return fail(L, place, "expected an array, got %s",
		            json_type_name(v));
	len = json_array_size(v);
	if (len > MANIFEST_MAX_CRON)
		return fail(L, place, "%zu entries, at most %d allowed", len,
		            MANIFEST_MAX_CRON);
	if (len == 0)
		return 0;
	s->cron = calloc(len, sizeof(*s->cron));
	if (!s->cron)
		return oom(L);
	s->n_cron = len;
	for (i = 0; i < len; i++) {
		json_t *e = json_array_get(v, i), *sched, *meth;
		manifest_cron *c = &s->cron[i];
		const char *text, *name;

		place_fmt(where, "%s[%zu]", place, i);
		if (!json_is_object(e))
			return fail(L, where, "expected an object, got %s",
			            json_type_name(e));
		if (check_keys(L, where, e, cron_keys))
			return -1;
		sched = json_object_get(e, "schedule");
		meth = json_object_get(e, "method");
		if (!sched)
			return fail(L, where, "missing key \"schedule\"");
		if (!meth)
			return fail(L, where, "missing key \"method\"");
		place_fmt(field, "%s.schedule", where);
		text = get_string(L, field, sched);
		if (!text)
			return -1;
		if (cron_parse(text, &c->expr, cerr, sizeof(cerr)))
			return fail(L, field, "%s", cerr);
		if (cron_next(&c->expr, CRON_CHECK_FROM) == (time_t)-1)
			return fail(L, field,
			            "%s never fires within five years",
			            quote(qb, text));
		place_fmt(field, "%s.method", where);
		name = get_string(L, field, meth);
		if (!name || check_method_name(L, field, name))
			return -1;
		if (!list_has(s->methods, s->n_methods, name))
			return fail(L, field, "service %s has no method %s",
			            quote(sb, s->name), quote(qb, name));
		for (j = 0; j < i; j++) {
			if (strcmp(s->cron[j].schedule, text) == 0 &&
			    strcmp(s->cron[j].method, name) == 0) {
				place_fmt(first, "%s[%zu]", place, j);
				return fail(L, where, "duplicate of %s", first);
			}
		}
		c->schedule = dup_or_fail(L, text);
		if (!c->schedule)
			return -1;
		c->method = dup_or_fail(L, name);
		if (!c->method)
			return -1;
	}
	return 0;
}

static int build_description(loader *L, const char *place, json_t *v,
                             manifest_service *s)
{
	const char *text = "";
	size_t i;

	if (v) {
		text = get_string(L, place, v);
		if (!text)
			return -1;
		if (strlen(text) > MANIFEST_DESCRIPTION_MAX)
			return fail(L, place,
			            "%zu characters, at most %d allowed",
			            strlen(text), MANIFEST_DESCRIPTION_MAX);
		for (i = 0; text[i]; i++)
			if ((unsigned char)text[i] < 0x20)
				return fail(L, place,
				            "must be one line without control "
				            "characters");
	}
	s->description = dup_or_fail(L, text);
	return s->description ? 0 : -1;
}

/* A service's own fields; references to other services come later. */
static int build_service(loader *L, const manifest *m, const char *name,
                         json_t *v, manifest_service *s)
{
	char place[PLACE_BUF], field[PLACE_BUF];
	json_t *f;
	int64_t n;

	place_fmt(place, "services.%s", name);
	s->name = dup_or_fail(L, name);
	if (!s->name)
		return -1;
	s->instances = 1;
	s->timeout_ms = m->default_timeout_ms;
	if (!json_is_object(v))
		return fail(L, place, "expected an object, got %s",
		            json_type_name(v));
	if (check_keys(L, place, v, service_keys))
		return -1;
	place_fmt(field, "%s.description", place);
	if (build_description(L, field, json_object_get(v, "description"), s))
		return -1;
#define LIST(key, max, check, arr, cnt)                                        \
	do {                                                                   \
		f = json_object_get(v, key);                                   \
		place_fmt(field, "%s.%s", place, key);                         \
		if (f && get_list(L, field, f, max, check, arr, cnt))          \
			return -1;                                             \
	} while (0)
	LIST("methods", MANIFEST_MAX_LIST, check_method_name, &s->methods,
	     &s->n_methods);
	LIST("calls", MANIFEST_MAX_LIST, check_service_name, &s->calls,
	     &s->n_calls);
	LIST("publishes", MANIFEST_MAX_LIST, check_topic_name, &s->publishes,
	     &s->n_publishes);
	LIST("subscribes", MANIFEST_MAX_LIST, check_topic_name, &s->subscribes,
	     &s->n_subscribes);
#undef LIST
	f = json_object_get(v, "cron");
	place_fmt(field, "%s.cron", place);
	if (f && build_cron(L, field, f, s))
		return -1;
	f = json_object_get(v, "instances");
	place_fmt(field, "%s.instances", place);
	if (f) {
		if (get_int(L, field, f, 1, MANIFEST_INSTANCES_MAX, &n))
			return -1;
		s->instances = (int)n;
	}
	f = json_object_get(v, "timeout_ms");
	place_fmt(field, "%s.timeout_ms", place);
	if (f &&
	    get_int(L, field, f, 1, MANIFEST_TIMEOUT_MS_MAX, &s->timeout_ms))
		return -1;
	return 0;
}

static int topic_published(const manifest *m, const char *topic)
{
	size_t i;

	for (i = 0; i < m->n_services; i++)
		if (list_has(m->services[i].publishes,
		             m->services[i].n_publishes, topic))
			return 1;
	return 0;
}

/* What needs every service built: calls name known services other than
 * the caller, subscriptions name published topics, the scheduler reaches
 * every service it must fire. */
static int check_service_refs(loader *L, const manifest *m)
{
	const manifest_service *sched =
	    manifest_service_find(m, MANIFEST_SCHEDULER);
	char place[PLACE_BUF], qb[QUOTE_BUF];
	size_t i, j;

	for (i = 0; i < m->n_services; i++) {
		const manifest_service *s = &m->services[i];

		for (j = 0; j < s->n_calls; j++) {
			place_fmt(place, "services.%s.calls[%zu]", s->name, j);
			if (strcmp(s->calls[j], s->name) == 0)
				return fail(
				    L, place,
				    "a service may not call itself (%s)",
				    quote(qb, s->name));
			if (!manifest_service_find(m, s->calls[j]))
				return fail(L, place, "unknown service %s",
				            quote(qb, s->calls[j]));
		}
		for (j = 0; j < s->n_subscribes; j++) {
			place_fmt(place, "services.%s.subscribes[%zu]", s->name,
			          j);
			if (!topic_published(m, s->subscribes[j]))
				return fail(L, place, "no service publishes %s",
				            quote(qb, s->subscribes[j]));
		}
	}
	for (i = 0; sched && i < m->n_services; i++) {
		const manifest_service *s = &m->services[i];

		if (s->n_cron == 0 || s == sched ||
		    list_has(sched->calls, sched->n_calls, s->name))
			continue;
		place_fmt(place, "services.%s.calls", sched->name);
		return fail(L, place,
		            "missing %s, which has cron entries: the scheduler "
		            "fires them",
		            quote(qb, s->name));
	}
	return 0;
}

static int build_services(loader *L, manifest *m, json_t *v)
{
	const char *name;
	json_t *sv;
	size_t i = 0, len;

	if (!json_is_object(v))
		return fail(L, "services", "expected an object, got %s",
		            json_type_name(v));
	len = json_object_size(v);
	if (len == 0)
		return fail(L, "services", "expected at least one service");
	if (len > MANIFEST_MAX_SERVICES)
		return fail(L, "services", "%zu services, at most %d allowed",
		            len, MANIFEST_MAX_SERVICES);
	m->services = calloc(len, sizeof(*m->services));
	if (!m->services)
		return oom(L);
	m->n_services = len;
	json_object_foreach(v, name, sv)
	{
		if (check_service_name(L, "services", name) ||
		    build_service(L, m, name, sv, &m->services[i]))
			return -1;
		i++;
	}
	return check_service_refs(L, m);
}

/* ---- Routes ----------------------------------------------------------- */

static const char *const route_keys[] = {
    "method", "path", "service",  "call",       "auth",
    "scopes", "cors", "raw_body", "rate_limit", NULL};
static const char *const http_methods[] = {"GET",   "POST",   "PUT",
                                           "PATCH", "DELETE", NULL};

static int is_literal_char(char ch)
{
	return isalnum((unsigned char)ch) || strchr("._~-", ch);
}

static int is_param_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Splits and checks a path: "/" then non-empty segments, each literal
 * ([A-Za-z0-9._~-]) or a parameter ":name" unique within the path. */
static int build_path(loader *L, const char *place, const char *path,
                      manifest_route *r)
{
	size_t len = strlen(path), n = 0, i, j, start;
	char qb[QUOTE_BUF], sb[QUOTE_BUF];

	if (len > MANIFEST_PATH_MAX)
		return fail(L, place, "%zu characters, at most %d allowed", len,
		            MANIFEST_PATH_MAX);
	if (path[0] != '/')
		return fail(L, place, "%s must start with \"/\"",
		            quote(qb, path));
	for (i = 0; i < len; i++)
		if (path[i] == '/')
			n++;
	if (n > MANIFEST_PATH_SEGMENTS_MAX)
		return fail(L, place, "%zu segments, at most %d allowed", n,
		            MANIFEST_PATH_SEGMENTS_MAX);
	r->segments = calloc(n, sizeof(*r->segments));
	if (!r->segments)
		return oom(L);
	r->n_segments = n;
	start = 1;
	for (i = 0; i < n; i++) {
		const char *seg = path + start;
		const char *slash = strchr(seg, '/');
		size_t sl = slash ? (size_t)(slash - seg) : strlen(seg);
		size_t k;

		if (sl == 0)
			return fail(L, place, "empty segment in %s",
			            quote(qb, path));
		r->segments[i] = strndup(seg, sl);
		if (!r->segments[i])
			return oom(L);
		if (seg[0] == ':') {
			if (!is_param_name(seg + 1, sl - 1))
				return fail(L, place,
				            "bad parameter %s in %s (expected "
				            "\":name\", name [a-z_][a-z0-9_]*)",
				            quote(sb, r->segments[i]),
				            quote(qb, path));
			for (j = 0; j < i; j++)
				if (strcmp(r->segments[j], r->segments[i]) == 0)
					return fail(
					    L, place,
					    "parameter %s appears twice "
					    "in %s",
					    quote(sb, r->segments[i]),
					    quote(qb, path));
		} else {
			for (k = 0; k < sl; k++)
				if (!is_literal_char(seg[k]))
					return fail(
					    L, place,
					    "bad segment %s in %s "
					    "(expected [A-Za-z0-9._~-] or "
					    "\":name\")",
					    quote(sb, r->segments[i]),
					    quote(qb, path));
		}
		start += sl + 1;
	}
	return 0;
}

/* Same method and same shape: parameters match each other whatever
 * their names, so the gateway could not tell the two apart. */
static int routes_collide(const manifest_route *a, const manifest_route *b)
{
	size_t i;

	if (strcmp(a->http_method, b->http_method) != 0 ||
	    a->n_segments != b->n_segments)
		return 0;
	for (i = 0; i < a->n_segments; i++) {
		int pa = a->segments[i][0] == ':',
		    pb = b->segments[i][0] == ':';

		if (pa != pb ||
		    (!pa && strcmp(a->segments[i], b->segments[i]) != 0))
			return 0;
	}
	return 1;
}

static const char *route_string(loader *L, const char *where, json_t *obj,
                                const char *key)
{
	char field[PLACE_BUF];
	json_t *v = json_object_get(obj, key);

	if (!v) {
		fail(L, where, "missing key \"%s\"", key);
		return NULL;
	}
	place_fmt(field, "%s.%s", where, key);
	return get_string(L, field, v);
}

static int build_route(loader *L, const manifest *m, size_t idx, json_t *v,
                       manifest_route *r)
{
	char where[PLACE_BUF], field[PLACE_BUF], qb[QUOTE_BUF], sb[QUOTE_BUF];
	const char *method, *path, *service, *call, *auth;
	const manifest_service *svc;
	json_t *f;
	size_t i;

	place_fmt(where, "routes[%zu]", idx);
	r->auth = MANIFEST_AUTH_KEY;
	r->rate_limit = 1;
	if (!json_is_object(v))
		return fail(L, where, "expected an object, got %s",
		            json_type_name(v));
	if (check_keys(L, where, v, route_keys))
		return -1;
	if (!(method = route_string(L, where, v, "method")) ||
	    !(path = route_string(L, where, v, "path")) ||
	    !(service = route_string(L, where, v, "service")) ||
	    !(call = route_string(L, where, v, "call")))
		return -1;

	place_fmt(field, "%s.method", where);
	for (i = 0; http_methods[i]; i++)
		if (strcmp(method, http_methods[i]) == 0)
			break;
	if (!http_methods[i])
		return fail(L, field,
		            "unknown HTTP method %s (expected GET, POST, PUT, "
		            "PATCH or DELETE)",
		            quote(qb, method));
	r->http_method = dup_or_fail(L, method);
	if (!r->http_method)
		return -1;

	place_fmt(field, "%s.path", where);
	if (build_path(L, field, path, r))
		return -1;
	r->path = dup_or_fail(L, path);
	if (!r->path)
		return -1;

	place_fmt(field, "%s.service", where);
	svc = manifest_service_find(m, service);
	if (!svc)
		return fail(L, field, "unknown service %s", quote(qb, service));
	r->service = dup_or_fail(L, service);
	if (!r->service)
		return -1;

	place_fmt(field, "%s.call", where);
	if (!manifest_service_has_method(svc, call))
		return fail(L, field, "service %s has no method %s",
		            quote(sb, service), quote(qb, call));
	r->method = dup_or_fail(L, call);
	if (!r->method)
		return -1;

	f = json_object_get(v, "auth");
	place_fmt(field, "%s.auth", where);
	if (f) {
		if (!(auth = get_string(L, field, f)))
			return -1;
		if (strcmp(auth, "public") == 0)
			r->auth = MANIFEST_AUTH_PUBLIC;
		else if (strcmp(auth, "admin") == 0)
			r->auth = MANIFEST_AUTH_ADMIN;
		else if (strcmp(auth, "key") != 0)
			return fail(L, field,
			            "unknown auth %s (expected public, key or "
			            "admin)",
			            quote(qb, auth));
	}
	f = json_object_get(v, "scopes");
	place_fmt(field, "%s.scopes", where);
	if (f) {
		if (r->auth != MANIFEST_AUTH_KEY)
			return fail(L, field, "only allowed with auth \"key\"");
		if (get_list(L, field, f, MANIFEST_MAX_SCOPES, check_scope_name,
		             &r->scopes, &r->n_scopes))
			return -1;
	}
	f = json_object_get(v, "cors");
	place_fmt(field, "%s.cors", where);
	if (f && get_bool(L, field, f, &r->cors))
		return -1;
	f = json_object_get(v, "raw_body");
	place_fmt(field, "%s.raw_body", where);
	if (f && get_bool(L, field, f, &r->raw_body))
		return -1;
	f = json_object_get(v, "rate_limit");
	place_fmt(field, "%s.rate_limit", where);
	if (f && get_bool(L, field, f, &r->rate_limit))
		return -1;

	for (i = 0; i < idx; i++) {
		if (routes_collide(&m->routes[i], r)) {
			place_fmt(field, "%s.path", where);
			return fail(L, field,
			            "duplicate of routes[%zu] (%s %s)", i,
			            m->routes[i].http_method,
			            shown(qb, m->routes[i].path, 0));
		}
	}
	return 0;
}

static int build_routes(loader *L, manifest *m, json_t *v)
{
	size_t i, len;

	if (!json_is_array(v))
		return fail(L, "routes", "expected an array, got %s",
		            json_type_name(v));
	len = json_array_size(v);
	if (len > MANIFEST_MAX_ROUTES)
		return fail(L, "routes", "%zu routes, at most %d allowed", len,
		            MANIFEST_MAX_ROUTES);
	if (len == 0)
		return 0;
	if (!manifest_service_find(m, MANIFEST_GATEWAY))
		return fail(L, "routes",
		            "service \"" MANIFEST_GATEWAY "\" must exist when "
		            "routes exist");
	m->routes = calloc(len, sizeof(*m->routes));
	if (!m->routes)
		return oom(L);
	m->n_routes = len;
	for (i = 0; i < len; i++)
		if (build_route(L, m, i, json_array_get(v, i), &m->routes[i]))
			return -1;
	return 0;
}

/* ---- The document ----------------------------------------------------- */

static const char *const top_keys[] = {"version", "defaults", "services",
                                       "routes", NULL};
static const char *const default_keys[] = {"timeout_ms", "event_attempts",
                                           NULL};

static int build_defaults(loader *L, manifest *m, json_t *v)
{
	json_t *f;
	int64_t n;

	if (!json_is_object(v))
		return fail(L, "defaults", "expected an object, got %s",
		            json_type_name(v));
	if (check_keys(L, "defaults", v, default_keys))
		return -1;
	f = json_object_get(v, "timeout_ms");
	if (f && get_int(L, "defaults.timeout_ms", f, 1,
	                 MANIFEST_TIMEOUT_MS_MAX, &m->default_timeout_ms))
		return -1;
	f = json_object_get(v, "event_attempts");
	if (f) {
		if (get_int(L, "defaults.event_attempts", f, 1,
		            MANIFEST_EVENT_ATTEMPTS_MAX, &n))
			return -1;
		m->event_attempts = (int)n;
	}
	return 0;
}

static int build(loader *L, manifest *m, json_t *root)
{
	json_t *f;
	int64_t n;

	m->default_timeout_ms = MANIFEST_DEFAULT_TIMEOUT_MS;
	m->event_attempts = MANIFEST_DEFAULT_EVENT_ATTEMPTS;
	if (!json_is_object(root))
		return fail(L, "manifest", "expected an object, got %s",
		            json_type_name(root));
	if (check_keys(L, "", root, top_keys))
		return -1;
	f = json_object_get(root, "version");
	if (!f)
		return fail(L, "manifest", "missing key \"version\"");
	if (!json_is_integer(f))
		return fail(L, "version", "expected an integer, got %s",
		            json_type_name(f));
	n = json_integer_value(f);
	if (n != MANIFEST_VERSION)
		return fail(L, "version",
		            "unsupported version %lld (this loader reads %d)",
		            (long long)n, MANIFEST_VERSION);
	m->version = (int)n;
	f = json_object_get(root, "defaults");
	if (f && build_defaults(L, m, f))
		return -1;
	f = json_object_get(root, "services");
	if (!f)
		return fail(L, "manifest", "missing key \"services\"");
	if (build_services(L, m, f))
		return -1;
	f = json_object_get(root, "routes");
	if (f && build_routes(L, m, f))
		return -1;
	return 0;
}

/* source names the text in a syntax error: the path, or "<string>". */
static manifest *load_json(json_t *root, const json_error_t *jerr,
                           const char *source, char *err, size_t err_len)
{
	loader L = {err, err_len};
	manifest *m;

	if (err && err_len)
		err[0] = '\0';
	if (!root) {
		if (jerr->line >= 1)
			fail(&L, NULL, "%s:%d:%d: %s", source, jerr->line,
			     jerr->column, jerr->text);
		else
			fail(&L, NULL, "%s", jerr->text);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		oom(&L);
	} else if (build(&L, m, root)) {
		manifest_free(m);
		m = NULL;
	}
	json_decref(root);
	return m;
}

manifest *manifest_load_file(const char *path, char *err, size_t err_len)
{
	json_error_t jerr;

	if (!path) {
		loader L = {err, err_len};

		fail(&L, NULL, "manifest: no path given");
		return NULL;
	}
	return load_json(json_load_file(path, JSON_REJECT_DUPLICATES, &jerr),
	                 &jerr, path, err, err_len);
}

manifest *manifest_load_string(const char *text, char *err, size_t err_len)
{
	json_error_t jerr;

	if (!text) {
		loader L = {err, err_len};

		fail(&L, NULL, "manifest: no text given");
		return NULL;
	}
	return load_json(json_loads(text, JSON_REJECT_DUPLICATES, &jerr), &jerr,
	                 "<string>", err, err_len);
}

static void free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void manifest_free(manifest *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->n_services; i++) {
		manifest_service *s = &m->services[i];

		free(s->name);
		free(s->description);
		free_list(s->methods, s->n_methods);
		free_list(s->calls, s->n_calls);
		free_list(s->publishes, s->n_publishes);
		free_list(s->subscribes, s->n_subscribes);
		for (j = 0; j < s->n_cron; j++) {
			free(s->cron[j].schedule);
			free(s->cron[j].method);
		}
		free(s->cron);
	}
	free(m->services);
	for (i = 0; i < m->n_routes; i++) {
		manifest_route *r = &m->routes[i];

		free(r->http_method);
		free(r->path);
		free_list(r->segments, r->n_segments);
		free(r->service);
		free(r->method);
		free_list(r->scopes, r->n_scopes);
	}
	free(m->routes);
	free(m);
}

/* ---- Queries ---------------------------------------------------------- */

const manifest_service *manifest_service_find(const manifest *m,
                                              const char *name)
{
	size_t i;

	if (!m || !name)
		return NULL;
	for (i = 0; i < m->n_services; i++)
		if (m->services[i].name &&
		    strcmp(m->services[i].name, name) == 0)
			return &m->services[i];
	return NULL;
}

int manifest_service_has_method(const manifest_service *s, const char *method)
{
	return s && method && list_has(s->methods, s->n_methods, method);
}

int manifest_binds(const manifest *m, const char *from, const char *to)
{
	const manifest_service *s = manifest_service_find(m, from);

	return s && to && list_has(s->calls, s->n_calls, to);
}

/* Builtins need only an existing target: operators and meshd ask any
 * service for _health whatever the bindings say. */
int manifest_may_call(const manifest *m, const char *from, const char *to,
                      const char *method)
{
	const manifest_service *target = manifest_service_find(m, to);
	size_t i;

	if (!target || !method)
		return 0;
	if (method[0] == '_')
		return 1;
	if (from && strcmp(from, MANIFEST_GATEWAY) == 0) {
		for (i = 0; i < m->n_routes; i++)
			if (strcmp(m->routes[i].service, to) == 0 &&
			    strcmp(m->routes[i].method, method) == 0)
				return 1;
	}
	return manifest_binds(m, from, to) &&
	       manifest_service_has_method(target, method);
}

enum { UNSEEN, VISITING, PLACED };

/* Depth first: a service is placed after everything it calls. A call back
 * into a service still being visited closes a cycle; that one edge is
 * ignored, so the service reached first in manifest order (and then in
 * calls order) starts first. Recursion depth is bounded by the number of
 * services. */
static void order_visit(const manifest *m, size_t i, unsigned char *state,
                        size_t *order, size_t *n)
{
	const manifest_service *s = &m->services[i];
	size_t j;

	if (state[i] != UNSEEN)
		return;
	state[i] = VISITING;
	for (j = 0; j < s->n_calls; j++) {
		const manifest_service *c =
		    manifest_service_find(m, s->calls[j]);

		if (c)
			order_visit(m, (size_t)(c - m->services), state, order,
			            n);
	}
	/* The edge serves every route: it starts after all of them, so that
	 * once it answers, everything it routes to has started. */
	if (strcmp(s->name, MANIFEST_GATEWAY) == 0)
		for (j = 0; j < m->n_routes; j++) {
			const manifest_service *c =
			    manifest_service_find(m, m->routes[j].service);
			if (c && c != s)
				order_visit(m, (size_t)(c - m->services), state,
				            order, n);
		}
	state[i] = PLACED;
	order[(*n)++] = i;
}

void manifest_start_order(const manifest *m, size_t *order)
{
	unsigned char state[MANIFEST_MAX_SERVICES] = {0};
	size_t i, n = 0;

	if (!m || !order || m->n_services > MANIFEST_MAX_SERVICES)
		return;
	for (i = 0; i < m->n_services; i++)
		order_visit(m, i, state, order, &n);
}
