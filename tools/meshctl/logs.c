/*
 * logs.c: `meshctl logs`: records from the logger service, one line each
 * ("HH:MM:SS.mmm LEVEL service request_id msg", UTC like the log files).
 * Without -f: one `query` with the filters. With -f: `tail` with a cursor
 * every LOGS_FOLLOW_MS until Ctrl-C, the filters applied here since tail
 * takes none.
 */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "runtime.h"

#define LOGS_FOLLOW_MS     500
#define LOGS_DEFAULT_LIMIT 100
#define LOGS_MAX_LIMIT     1000

typedef struct logs_opts {
	const char *service;
	const char *request_id;
	const char *level;
	json_int_t limit;
	json_int_t since_ms; /* wall clock; 0: none */
	int follow;
	int raw;
} logs_opts;

typedef struct follow {
	logs_opts *o;
	json_t *cursor;
	struct event *timer;
	struct event *sigint;
	int in_flight;
	int stopping;
	int rc;
} follow;

static void logs_usage(void)
{
	fprintf(
	    stderr,
	    "usage: meshctl logs [-f] [--service S] [--request-id R] "
	    "[--level debug|info|warn|error]\n"
	    "                    [--limit N (1-%d)] [--since 30s|5m|2h|1d]\n",
	    LOGS_MAX_LIMIT);
}

/* "30s", "5m", "2h", "1d" in milliseconds; -1 when malformed. */
static long long parse_duration(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);

	if (end == s || n < 0 || n > 365LL * 86400)
		return -1;
	if (!strcmp(end, "s") || !*end)
		return n * 1000;
	if (!strcmp(end, "m"))
		return n * 60000;
	if (!strcmp(end, "h"))
		return n * 3600000;
	if (!strcmp(end, "d"))
		return n * 86400000;
	return -1;
}

static void format_ts(json_t *ts, char *out, size_t len)
{
	const char *s = json_string_value(ts);

	/* "2024-05-01T12:34:56.789Z" from mesh_log: the time part. */
	if (s && strlen(s) >= 23 && s[10] == 'T') {
		snprintf(out, len, "%.12s", s + 11);
		return;
	}
	if (json_is_integer(ts)) {
		json_int_t ms = json_integer_value(ts);
		time_t secs = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		snprintf(out, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		         tm.tm_sec, (int)(ms % 1000));
		return;
	}
	snprintf(out, len, "%s", s ? s : "-");
}

static const char *field(json_t *rec, const char *name)
{
	const char *v = json_string_value(json_object_get(rec, name));

	return v && *v ? v : "-";
}

static void print_record(json_t *rec, int raw)
{
	char ts[40], level[8];
	const char *lv = field(rec, "level");
	size_t i;

	if (raw) {
		ctl_print_json(rec, 1);
		return;
	}
	format_ts(json_object_get(rec, "ts"), ts, sizeof ts);
	for (i = 0; lv[i] && i + 1 < sizeof level; i++)
		level[i] =
		    (char)(lv[i] >= 'a' && lv[i] <= 'z' ? lv[i] - 32 : lv[i]);
	level[i] = '\0';
	printf("%s %-5s %s %s %s\n", ts, level, field(rec, "service"),
	       field(rec, "request_id"), field(rec, "msg"));
}

/* The filters, for records that tail returns unfiltered. */
static int record_matches(const logs_opts *o, json_t *rec)
{
	if (o->service && strcmp(field(rec, "service"), o->service) != 0)
		return 0;
	if (o->request_id &&
	    strcmp(field(rec, "request_id"), o->request_id) != 0)
		return 0;
	if (o->level && config_parse_level(field(rec, "level")) <
	                    config_parse_level(o->level))
		return 0;
	return 1;
}

static int logs_failed(mesh_err err, const char *msg)
{
	if (err == MESH_EUNAVAILABLE) {
		fprintf(stderr,
		        "meshctl: the logger service is not running (%s)\n",
		        msg);
		return CTL_EXIT_ERROR;
	}
	return ctl_report(err, msg);
}

static void follow_poll(evutil_socket_t fd, short what, void *arg);

static void follow_got(void *arg, mesh_err err, const char *msg, json_t *result)
{
	follow *f = arg;
	struct timeval tv = {0, LOGS_FOLLOW_MS * 1000};
	json_t *rec;
	size_t i;

	f->in_flight = 0;
	if (f->stopping)
		return; /* Ctrl-C: the loop is gone, so is this call */
	if (err != MESH_OK) {
		f->rc = logs_failed(err, msg);
		event_base_loopbreak(ctl_base());
		return;
	}
	json_array_foreach(json_object_get(result, "records"), i, rec)
	{
		if (record_matches(f->o, rec))
			print_record(rec, f->o->raw);
	}
	fflush(stdout);
	json_t *cursor = json_object_get(result, "cursor");
	if (cursor) {
		json_decref(f->cursor);
		f->cursor = json_incref(cursor);
	}
	evtimer_add(f->timer, &tv);
}

static void follow_poll(evutil_socket_t fd, short what, void *arg)
{
	follow *f = arg;
	json_t *args = json_pack("{s:I}", "limit", f->o->limit);
	mesh_call_opts opts = {.timeout_ms = CTL_TIMEOUT_MS};

	(void)fd;
	(void)what;
	if (f->cursor)
		json_object_set(args, "cursor", f->cursor);
	f->in_flight = 1;
	mesh_call_with(&opts, "logger", "tail", args, follow_got, f);
}

static void follow_stop(evutil_socket_t fd, short what, void *arg)
{
	follow *f = arg;

	(void)fd;
	(void)what;
	f->stopping = 1;
	event_base_loopbreak(ctl_base());
}

static int logs_follow(logs_opts *o)
{
	follow f = {.o = o};
	struct timeval now = {0, 0};

	f.timer = evtimer_new(ctl_base(), follow_poll, &f);
	f.sigint = evsignal_new(ctl_base(), SIGINT, follow_stop, &f);
	if (!f.timer || !f.sigint || evsignal_add(f.sigint, NULL) != 0) {
		fprintf(stderr, "meshctl: cannot set up the follow loop\n");
		f.rc = CTL_EXIT_ERROR;
	} else {
		evtimer_add(f.timer, &now);
		event_base_dispatch(ctl_base());
	}
	/* A tail still in flight ends through client_shutdown, while f is
	 * still there to receive it. */
	f.stopping = 1;
	if (f.timer)
		event_free(f.timer);
	if (f.sigint)
		event_free(f.sigint);
	if (f.in_flight) {
		ctl_shutdown();
		f.in_flight = 0;
	}
	json_decref(f.cursor);
	return f.rc;
}

static int logs_query(const logs_opts *o)
{
	json_t *args = json_pack("{s:I}", "limit", o->limit);
	json_t *res, *rec;
	mesh_err err;
	char msg[1024];
	size_t i;

	if (o->service)
		json_object_set_new(args, "service", json_string(o->service));
	if (o->level)
		json_object_set_new(args, "level", json_string(o->level));
	if (o->request_id)
		json_object_set_new(args, "request_id",
		                    json_string(o->request_id));
	if (o->since_ms)
		json_object_set_new(args, "since_ms",
		                    json_integer(o->since_ms));
	res = ctl_call("logger", "query", args, CTL_TIMEOUT_MS, &err, msg,
	               sizeof msg);
	if (!res)
		return logs_failed(err, msg);
	json_array_foreach(json_object_get(res, "records"), i, rec)
	{
		print_record(rec, o->raw);
	}
	json_decref(res);
	return CTL_EXIT_OK;
}

int ctl_logs(int argc, char **argv, int raw)
{
	logs_opts o = {.limit = LOGS_DEFAULT_LIMIT, .raw = raw};

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-f") || !strcmp(a, "--follow")) {
			o.follow = 1;
			continue;
		}
		if (!v || a[0] != '-') {
			fprintf(stderr, "meshctl: logs: unexpected \"%s\"\n",
			        a);
			logs_usage();
			return CTL_EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "--service"))
			o.service = v;
		else if (!strcmp(a, "--request-id"))
			o.request_id = v;
		else if (!strcmp(a, "--level") && config_parse_level(v) >= 0)
			o.level = v;
		else if (!strcmp(a, "--limit") && atoll(v) >= 1 &&
		         atoll(v) <= LOGS_MAX_LIMIT &&
		         strspn(v, "0123456789") == strlen(v))
			o.limit = atoll(v);
		else if (!strcmp(a, "--since") && parse_duration(v) >= 0)
			o.since_ms = runtime_wall_ms() - parse_duration(v);
		else {
			fprintf(stderr, "meshctl: logs: bad option %s %s\n", a,
			        v);
			logs_usage();
			return CTL_EXIT_USAGE;
		}
	}
	return o.follow ? logs_follow(&o) : logs_query(&o);
}
