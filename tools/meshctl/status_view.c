/* status_view.c: meshd's status reply as a table a person reads. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "table.h"

static void format_uptime(json_int_t ms, char *out, size_t len)
{
	long long s = (long long)(ms / 1000);

	if (s < 60)
		snprintf(out, len, "%llds", s);
	else if (s < 3600)
		snprintf(out, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, len, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(out, len, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static void format_latency(double us, char *out, size_t len)
{
	double ms = us / 1000.0;

	if (ms < 1)
		snprintf(out, len, "%.2fms", ms);
	else if (ms < 100)
		snprintf(out, len, "%.1fms", ms);
	else
		snprintf(out, len, "%.0fms", ms);
}

static void add_row(table *t, json_t *s)
{
	char pid[16], up[32], restarts[16], req[24], errs[24], p50[24], p99[24];
	const char *cells[9] = {json_string_value(json_object_get(s, "name"))};
	const char *state = json_string_value(json_object_get(s, "state"));
	json_t *requests = json_object_get(s, "requests");
	json_int_t p = json_integer_value(json_object_get(s, "pid"));

	snprintf(pid, sizeof pid, "%lld", (long long)p);
	format_uptime(json_integer_value(json_object_get(s, "uptime_ms")), up,
	              sizeof up);
	snprintf(restarts, sizeof restarts, "%lld",
	         (long long)json_integer_value(json_object_get(s, "restarts")));
	cells[1] = p ? pid : NULL;
	cells[2] = json_is_false(json_object_get(s, "has_binary")) ? "no binary"
	                                                           : state;
	cells[3] = state && strcmp(state, "up") == 0 ? up : NULL;
	cells[4] = restarts;
	if (json_is_integer(requests)) {
		snprintf(req, sizeof req, "%lld",
		         (long long)json_integer_value(requests));
		snprintf(errs, sizeof errs, "%lld",
		         (long long)json_integer_value(
		             json_object_get(s, "errors")));
		cells[5] = req;
		cells[6] = errs;
		if (json_integer_value(requests) > 0) {
			format_latency(
			    json_number_value(json_object_get(s, "p50_us")),
			    p50, sizeof p50);
			format_latency(
			    json_number_value(json_object_get(s, "p99_us")),
			    p99, sizeof p99);
			cells[7] = p50;
			cells[8] = p99;
		}
	}
	table_add(t, cells);
}

static void print_redis(json_t *r)
{
	const char *connected = json_is_true(json_object_get(r, "connected"))
	                            ? "connected"
	                            : "not connected";

	if (!json_is_true(json_object_get(r, "managed"))) {
		printf("redis: external (REDIS_URL), meshd %s\n", connected);
		return;
	}
	printf("redis: %s, pid %lld, %s (%s)\n",
	       json_string_value(json_object_get(r, "state")),
	       (long long)json_integer_value(json_object_get(r, "pid")),
	       json_string_value(json_object_get(r, "url")), connected);
}

int ctl_status(int raw)
{
	static const char *const headers[] = {
	    "SERVICE",   ">PID",    "STATE", ">UPTIME", ">RESTARTS",
	    ">REQUESTS", ">ERRORS", ">P50",  ">P99"};
	char msg[1024];
	mesh_err err;
	json_t *st, *s;
	size_t i;
	int rc = ctl_require_meshd();

	if (rc)
		return rc;
	st = ctl_call("meshd", "status", json_object(), CTL_TIMEOUT_MS, &err,
	              msg, sizeof msg);
	if (!st)
		return ctl_report(err, msg);
	if (raw) {
		ctl_print_json(st, 1);
		json_decref(st);
		return CTL_EXIT_OK;
	}
	table *t = table_new(9, headers);
	if (!t) {
		json_decref(st);
		return ctl_report(MESH_EINTERNAL, "out of memory");
	}
	json_array_foreach(json_object_get(st, "services"), i, s)
	{
		add_row(t, s);
	}
	table_print(t, stdout);
	table_free(t);
	print_redis(json_object_get(st, "redis"));
	json_decref(st);
	return CTL_EXIT_OK;
}
