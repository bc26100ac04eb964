/*
 * meshprobe: one mesh call from the command line, for container
 * healthchecks and scripts that have no meshd to ask.
 *
 *   meshprobe [-t MS] SERVICE [METHOD [JSON]]
 *
 * Without METHOD it asks SERVICE for _health and succeeds only when the
 * answer's status is "ok" (a draining instance is not healthy). The result
 * is printed on stdout as one line of JSON, an error on stderr.
 *
 * Exit codes (s6 style): 0 answered (healthy), 1 the call failed or the
 * service is not healthy, 2 usage, 111 system failure.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "mesh.h"
#include "runtime.h"

/* A healthcheck has to decide quickly: an answer later than this is as bad
 * as none. */
#define MESHPROBE_TIMEOUT_MS     1000
#define MESHPROBE_TIMEOUT_MS_MAX 600000

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define EXIT_SYSTEM 111

typedef struct outcome {
	int done;
	mesh_err err;
	char msg[512];
	json_t *result;
} outcome;

static void usage(void)
{
	fprintf(stderr, "usage: meshprobe [-t MS] SERVICE [METHOD [JSON]]\n"
	                "  without METHOD: _health, exit 0 when its status "
	                "is \"ok\"\n");
	exit(EXIT_USAGE);
}

static void probe_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	outcome *o = arg;

	o->done = 1;
	o->err = err;
	snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "");
	o->result = json_incref(result);
}

static long parse_timeout(const char *s)
{
	char *end;
	long ms = strtol(s, &end, 10);

	if (*end || end == s || ms < 1 || ms > MESHPROBE_TIMEOUT_MS_MAX) {
		fprintf(
		    stderr,
		    "meshprobe: -t: expected milliseconds 1-%d, got \"%s\"\n",
		    MESHPROBE_TIMEOUT_MS_MAX, s);
		exit(EXIT_USAGE);
	}
	return ms;
}

/* Runs the call on a private loop until its callback. */
static int probe_call(const char *service, const char *method, json_t *args,
                      long timeout_ms, outcome *o)
{
	char err[256];
	struct event_base *base = event_base_new();
	mesh_call_opts opts = {.timeout_ms = timeout_ms};

	if (!base) {
		json_decref(args);
		fprintf(stderr, "meshprobe: cannot create an event loop\n");
		return -1;
	}
	runtime_init(base, "meshprobe");
	if (config_load(config_get(), "meshprobe", err, sizeof err) != 0) {
		json_decref(args);
		event_base_free(base);
		fprintf(stderr, "meshprobe: %s\n", err);
		exit(EXIT_USAGE);
	}
	client_init(base, NULL);
	mesh_call_with(&opts, service, method, args, probe_done, o);
	while (!o->done)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	client_shutdown();
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	return o->done ? 0 : -1;
}

static int probe_report(const char *service, int health, const outcome *o)
{
	if (o->err != MESH_OK) {
		fprintf(stderr, "meshprobe: %s: %s: %s\n", service,
		        mesh_strerror(o->err), o->msg);
		return EXIT_FAILED;
	}
	char *text = json_dumps(o->result, JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%s\n", text ? text : "null");
	free(text);
	if (health) {
		const char *status =
		    json_string_value(json_object_get(o->result, "status"));
		if (!status || strcmp(status, "ok") != 0) {
			fprintf(stderr, "meshprobe: %s: status is %s\n",
			        service, status ? status : "missing");
			return EXIT_FAILED;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	long timeout_ms = MESHPROBE_TIMEOUT_MS;
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c == 't')
			timeout_ms = parse_timeout(optarg);
		else
			usage();
	}
	if (argc - optind < 1 || argc - optind > 3)
		usage();
	const char *service = argv[optind];
	const char *method = argc - optind > 1 ? argv[optind + 1] : "_health";
	int health = argc - optind == 1;
	json_t *args = json_object();
	if (argc - optind == 3) {
		json_error_t jerr;
		json_decref(args);
		args =
		    json_loads(argv[optind + 2], JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(args)) {
			fprintf(stderr,
			        "meshprobe: JSON: expected an object%s%s\n",
			        args ? "" : ": ", args ? "" : jerr.text);
			json_decref(args);
			return EXIT_USAGE;
		}
	}
	outcome o = {0};
	if (probe_call(service, method, args, timeout_ms, &o) != 0)
		return EXIT_SYSTEM;
	int rc = probe_report(service, health, &o);
	json_decref(o.result);
	return rc;
}
