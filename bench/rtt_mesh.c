/*
 * rtt_mesh: mesh calls through the real client, codec and server, on one
 * connection, timed one by one.
 *
 *   rtt_mesh [-n CALLS] [-t SECONDS] [-d DEPTH] [-s SERVICE] [-m METHOD]
 *            [-a ARGS_JSON] [-v FIELD] [-w WARMUP]
 *
 * DEPTH 1 (the default) is sequential: the next call leaves when the last
 * reply is in. DEPTH > 1 keeps that many calls in flight. -v names an
 * integer field of ARGS that grows by one per call (from its value in ARGS),
 * so no two calls are the same and no cache answers for the callee. The run
 * stops after CALLS calls or SECONDS, whichever comes first. Needs MESH_RUN_DIR
 * (and MESH_MANIFEST) of a running mesh; calls are not bound (a tool, like
 * meshctl). Prints one JSON line: p50 and p99 in microseconds, calls per
 * second and the failed count with the first error.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "mesh.h"
#include "runtime.h"

#define MAX_CALLS 5000000 /* per run: bounds the latency array */
#define MAX_DEPTH 1024    /* the client's in-flight limit per connection */
#define MAX_SECS  600

/* One call in flight: when it left. */
typedef struct slot {
	int64_t sent_ns;
} slot;

static struct {
	struct event_base *base;
	const char *service, *method, *vary;
	json_t *args;
	json_int_t vary_base; /* the field's value in ARGS */
	long limit, depth, issued, done, failed;
	int64_t stop_ns, timeout_ms;
	int64_t *lat;
	char first_error[300];
} rt;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void issue(slot *s);

static void replied(void *arg, mesh_err err, const char *msg, json_t *result)
{
	slot *s = arg;

	(void)result;
	rt.lat[rt.done++] = now_ns() - s->sent_ns;
	if (err != MESH_OK && rt.failed++ == 0)
		snprintf(rt.first_error, sizeof rt.first_error, "%s: %s",
		         mesh_strerror(err), msg);
	if (rt.issued < rt.limit && now_ns() < rt.stop_ns)
		issue(s);
	else
		free(s);
	if (rt.done == rt.issued)
		event_base_loopbreak(rt.base);
}

static void issue(slot *s)
{
	/* Shallow: only the varied field differs between calls, as a caller
	 * reusing its arguments would send them (the raw side sends the same
	 * bytes every time). */
	json_t *args = rt.vary ? json_copy(rt.args) : json_incref(rt.args);
	mesh_call_opts opts = {.timeout_ms = rt.timeout_ms};

	if (rt.vary)
		json_object_set_new(args, rt.vary,
		                    json_integer(rt.vary_base + rt.issued));
	rt.issued++;
	s->sent_ns = now_ns();
	mesh_call_with(&opts, rt.service, rt.method, args, replied, s);
}

/* Runs calls until limit calls or secs; 0 when every slot started. */
static int run(long limit, double secs)
{
	rt.limit = limit;
	rt.issued = rt.done = rt.failed = 0;
	rt.first_error[0] = '\0';
	rt.stop_ns = now_ns() + (int64_t)(secs * 1e9);
	for (long i = 0; i < rt.depth && i < limit; i++) {
		slot *s = malloc(sizeof *s);
		if (!s)
			return -1;
		issue(s);
	}
	event_base_dispatch(rt.base);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: rtt_mesh [-n CALLS] [-t SECONDS] [-d DEPTH(1-%d)] "
	        "[-s SERVICE] [-m METHOD] [-a ARGS_JSON] [-v FIELD] "
	        "[-w WARMUP]\n",
	        MAX_DEPTH);
	return 2;
}

int main(int argc, char **argv)
{
	const char *args_text =
	    "{\"id\":\"ld_0001m8g8b9t3cmsek394\",\"zip\":\"78704\",\"n\":0}";
	long n = 100000, warm = 1000;
	double secs = 60;
	char err[256];
	int opt;

	rt.depth = 1;
	rt.service = "echo";
	rt.method = "echo";
	rt.vary = "n";
	rt.timeout_ms = 5000;
	while ((opt = getopt(argc, argv, "n:t:d:s:m:a:v:w:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'd':
			rt.depth = strtol(optarg, NULL, 10);
			break;
		case 's':
			rt.service = optarg;
			break;
		case 'm':
			rt.method = optarg;
			break;
		case 'a':
			args_text = optarg;
			break;
		case 'v':
			rt.vary = *optarg ? optarg : NULL;
			break;
		case 'w':
			warm = strtol(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (n < 1 || n > MAX_CALLS || rt.depth < 1 || rt.depth > MAX_DEPTH ||
	    !(secs > 0 && secs <= MAX_SECS) || warm < 0 || warm > MAX_CALLS)
		return usage();
	rt.args = json_loads(args_text, 0, NULL);
	if (!json_is_object(rt.args)) {
		fprintf(stderr, "rtt_mesh: -a: expected a JSON object\n");
		return 2;
	}
	if (rt.vary)
		rt.vary_base =
		    json_integer_value(json_object_get(rt.args, rt.vary));
	rt.lat = malloc(sizeof *rt.lat * (size_t)(n > warm ? n : warm));
	rt.base = event_base_new();
	if (!rt.lat || !rt.base)
		return 1;
	runtime_init(rt.base, "bench");
	if (config_load(config_get(), "bench", err, sizeof err) != 0) {
		fprintf(stderr, "rtt_mesh: %s\n", err);
		return 1;
	}
	client_init(rt.base, NULL);
	/* Warm up: the connection is open and the callee's caches and
	 * allocator are in their steady state before anything is timed. */
	if (warm && run(warm, secs) != 0)
		return 1;
	if (run(n, secs) != 0)
		return 1;
	int64_t elapsed = now_ns() - (rt.stop_ns - (int64_t)(secs * 1e9));
	long done = rt.done;
	qsort(rt.lat, (size_t)done, sizeof *rt.lat, cmp_i64);
	json_t *first = json_string(rt.first_error);
	char *first_text = json_dumps(first, JSON_ENCODE_ANY);
	printf("{\"bench\":\"mesh\",\"service\":\"%s\",\"method\":\"%s\","
	       "\"depth\":%ld,\"n\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"per_s\":%.0f,\"failed\":%ld,\"first_error\":%s}\n",
	       rt.service, rt.method, rt.depth, done,
	       (double)rt.lat[done / 2] / 1e3,
	       (double)rt.lat[done * 99 / 100] / 1e3,
	       (double)done / ((double)elapsed / 1e9), rt.failed,
	       first_text ? first_text : "\"\"");
	free(first_text);
	json_decref(first);
	client_shutdown();
	event_base_free(rt.base);
	json_decref(rt.args);
	free(rt.lat);
	return 0;
}
