/*
 * rtt_mesh: one mesh call round trip. Sequential calls with a small JSON
 * payload to echo.echo on one connection, through the real client, codec
 * and server. Needs a running echo daemon (MESH_RUN_DIR). Prints the
 * median and p99 in microseconds and the rate, as one JSON line.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "client.h"
#include "config.h"
#include "mesh.h"
#include "runtime.h"

static struct event_base *base;
static int64_t *lat;
static int n, done_count, failed;
static int64_t t_start;

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void next_call(void);

static void replied(void *arg, mesh_err err, const char *msg, json_t *result)
{
	(void)arg;
	(void)result;
	if (err != MESH_OK && failed++ == 0)
		fprintf(stderr, "rtt_mesh: %s: %s\n", mesh_strerror(err), msg);
	lat[done_count] = now_ns() - t_start;
	if (++done_count == n)
		event_base_loopbreak(base);
	else
		next_call();
}

static void next_call(void)
{
	t_start = now_ns();
	mesh_call_with(NULL, "echo", "echo",
	               json_pack("{s:s, s:i}", "lead", "L-1", "n", done_count),
	               replied, NULL);
}

int main(int argc, char **argv)
{
	char err[256];

	n = argc > 1 ? atoi(argv[1]) : 100000;
	lat = malloc(sizeof *lat * (size_t)n);
	base = event_base_new();
	runtime_init(base, "bench");
	if (config_load(config_get(), "bench", err, sizeof err) != 0) {
		fprintf(stderr, "rtt_mesh: %s\n", err);
		return 1;
	}
	client_init(base, NULL);
	/* Warm the connection so connect time is not in the figures. */
	int warm = n;
	n = 1000 < warm ? 1000 : warm;
	next_call();
	event_base_dispatch(base);
	n = warm;
	done_count = 0;
	int64_t start = now_ns();
	next_call();
	event_base_dispatch(base);
	double secs = (double)(now_ns() - start) / 1e9;
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("{\"bench\":\"mesh_call\",\"n\":%d,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"per_s\":%.0f,\"failed\":%d}\n",
	       n, (double)lat[n / 2] / 1e3, (double)lat[n * 99 / 100] / 1e3,
	       n / secs, failed);
	client_shutdown();
	event_base_free(base);
	free(lat);
	return failed ? 1 : 0;
}
