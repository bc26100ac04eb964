/*
 * meshctl: the operator's command line for a running leadmesh.
 *
 *   meshctl [--json] [--timeout MS] status
 *   meshctl [--json] [--timeout MS] call SERVICE METHOD ['JSON'|@file|@-]
 *   meshctl [--json] restart SERVICE
 *   meshctl [--json] deploy SERVICE
 *   meshctl [--json] logs [-f] [--service S] [--request-id R] [--level L]
 *                         [--limit N] [--since 5m]
 *
 * status, restart and deploy talk to meshd; call goes straight to the
 * service; logs asks the logger service. MESH_RUN_DIR (./run) says where
 * the sockets are. Exit status: 0 ok, 1 the call failed, 2 usage, 3 meshd
 * is not running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: meshctl [--json] [--timeout MS] COMMAND\n"
	        "  status                            services, pids, uptime, "
	        "restarts, requests, latency\n"
	        "  call SERVICE METHOD [JSON|@file]  one call, the reply "
	        "printed (args default {}; @- reads stdin)\n"
	        "  restart SERVICE                   stop it and start it "
	        "again\n"
	        "  deploy SERVICE                    start the new binary "
	        "beside the old, then retire the old\n"
	        "  logs [-f] [--service S] [--request-id R] [--level L] "
	        "[--limit N] [--since 5m]\n"
	        "--json prints raw JSON for scripts. MESH_RUN_DIR (./run) "
	        "locates the mesh.\n"
	        "Exit status: 0 ok, 1 the call failed, 2 usage, 3 meshd is "
	        "not running.\n");
}

static int usage_error(const char *why)
{
	fprintf(stderr, "meshctl: %s\n", why);
	usage(stderr);
	return CTL_EXIT_USAGE;
}

/* 'JSON', @file or @- as call arguments; NULL (said why) when invalid. */
static json_t *load_args(const char *spec)
{
	json_error_t jerr;
	json_t *v;

	if (!spec)
		return json_object();
	if (strcmp(spec, "@-") == 0)
		v = json_loadf(stdin, JSON_DECODE_ANY, &jerr);
	else if (spec[0] == '@')
		v = json_load_file(spec + 1, JSON_DECODE_ANY, &jerr);
	else
		v = json_loads(spec, JSON_DECODE_ANY, &jerr);
	if (!v)
		fprintf(stderr, "meshctl: arguments: %s (line %d, column %d)\n",
		        jerr.text, jerr.line, jerr.column);
	return v;
}

static int cmd_call(const char *service, const char *method, const char *spec,
                    int64_t timeout_ms, int raw)
{
	json_t *args = load_args(spec), *res;
	mesh_err err;
	char msg[1024];

	if (!args)
		return CTL_EXIT_USAGE;
	res =
	    ctl_call(service, method, args, timeout_ms, &err, msg, sizeof msg);
	if (!res)
		return ctl_report(err, msg);
	ctl_print_json(res, raw);
	json_decref(res);
	return CTL_EXIT_OK;
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int cmd_op(const char *op, const char *service, int raw)
{
	json_t *res;
	mesh_err err;
	char msg[1024];
	int rc = ctl_require_meshd();

	if (rc)
		return rc;
	res = ctl_call("meshd", op, json_pack("{s:s}", "service", service),
	               CTL_OP_TIMEOUT_MS, &err, msg, sizeof msg);
	if (!res)
		return ctl_report(err, msg);
	if (raw)
		ctl_print_json(res, 1);
	else if (strcmp(op, "deploy") == 0)
		printf("deployed %s: pid %lld -> %lld (new ready in %lld ms, "
		       "old drained in %lld ms: %s)\n",
		       service, (long long)num(res, "old_pid"),
		       (long long)num(res, "new_pid"),
		       (long long)num(res, "ready_ms"),
		       (long long)num(res, "drain_ms"),
		       json_string_value(json_object_get(res, "old_exit")));
	else
		printf("restarted %s: pid %lld -> %lld (stopped in %lld ms, "
		       "ready in %lld ms)\n",
		       service, (long long)num(res, "old_pid"),
		       (long long)num(res, "new_pid"),
		       (long long)num(res, "stop_ms"),
		       (long long)num(res, "ready_ms"));
	json_decref(res);
	return CTL_EXIT_OK;
}

static int run(int argc, char **argv, int raw, int64_t timeout_ms)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "status") && argc == 1)
		return ctl_status(raw);
	if (!strcmp(cmd, "call") && (argc == 3 || argc == 4))
		return cmd_call(argv[1], argv[2], argc == 4 ? argv[3] : NULL,
		                timeout_ms, raw);
	if ((!strcmp(cmd, "restart") || !strcmp(cmd, "deploy")) && argc == 2)
		return cmd_op(cmd, argv[1], raw);
	if (!strcmp(cmd, "logs"))
		return ctl_logs(argc - 1, argv + 1, raw);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "call") ||
	    !strcmp(cmd, "restart") || !strcmp(cmd, "deploy"))
		return usage_error("wrong number of arguments");
	fprintf(stderr, "meshctl: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return CTL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int raw = 0, i = 1, rc;
	int64_t timeout_ms = CTL_TIMEOUT_MS;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json"))
			raw = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return CTL_EXIT_OK;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			timeout_ms = strtoll(argv[++i], &end, 10);
			if (*end || timeout_ms < 1 || timeout_ms > 600000)
				return usage_error("--timeout: expected "
				                   "1-600000 milliseconds");
		} else {
			fprintf(stderr, "meshctl: unknown option %s\n",
			        argv[i]);
			usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (i == argc)
		return usage_error("missing command");
	if (ctl_init() != 0) {
		ctl_shutdown();
		return CTL_EXIT_ERROR;
	}
	rc = run(argc - i, argv + i, raw, timeout_ms);
	ctl_shutdown();
	return rc;
}
