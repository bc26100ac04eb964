/*
 * meshd: the leadmesh supervisor. Starts a private redis-server (unless
 * REDIS_URL is set), then every service of the manifest whose binary
 * exists, in dependency order, each once the one before answers
 * `_health`; restarts what crashes; deploys one service without losing a
 * request; on SIGTERM or Ctrl-C stops everything in reverse order.
 *
 * meshd is itself a mesh process (standalone: not in the manifest), so
 * meshctl drives it with ordinary calls on <run>/sock/meshd.sock:
 * status, restart {"service"}, deploy {"service"}.
 *
 * Exit status: 0 clean stop, 1 failure (the reason on stderr), 2 usage.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_key.h"
#include "config.h"
#include "op.h"
#include "probe.h"
#include "reap.h"
#include "redis_proc.h"
#include "rundir.h"
#include "runtime.h"
#include "service.h"
#include "status.h"
#include "supervise.h"

#define MESHD_START_TIMEOUT_MS     10000 /* spawn to healthy, by default */
#define MESHD_START_TIMEOUT_MAX_MS 600000

static struct {
	char bin_dir[PATH_MAX];
	char admin_key_path[PATH_MAX];
	char port[16];
	int private_redis;
	int64_t start_timeout_ms;
	int failed; /* exit 1 once stopped */
	int64_t started_ms;
} md;

/* ---- methods ------------------------------------------------------- */

static child *arg_service(mesh_req *req, json_t *args)
{
	const char *name = json_string_value(json_object_get(args, "service"));
	child *c;

	if (!name) {
		mesh_fail(req, MESH_EINVAL, "service: expected a service name");
		return NULL;
	}
	if (!(c = supervise_find(name))) {
		mesh_fail(req, MESH_ENOTFOUND,
		          "service: \"%s\" is not in the manifest", name);
		return NULL;
	}
	/* A binary built since meshd started can be deployed. */
	c->has_binary = access(c->binary, X_OK) == 0;
	if (!c->has_binary) {
		mesh_fail(req, MESH_ENOTFOUND, "%s: no binary at %s", name,
		          c->binary);
		return NULL;
	}
	if (supervise_stopping()) {
		mesh_fail(req, MESH_EUNAVAILABLE, "meshd is stopping");
		return NULL;
	}
	if (c->op) {
		mesh_fail(req, MESH_ECONFLICT,
		          "%s: a restart or deploy is already in progress",
		          name);
		return NULL;
	}
	return c;
}

static void method_status(mesh_req *req, json_t *args)
{
	const config *cfg = config_get();
	kv *k = service_kv();
	json_t *redis = md.private_redis ? redis_proc_status()
	                                 : json_pack("{s:b}", "managed", 0);

	(void)args;
	json_object_set_new(redis, "connected",
	                    json_boolean(k && kv_is_connected(k)));
	status_reply(req, redis);
	(void)cfg;
}

static void method_restart(mesh_req *req, json_t *args)
{
	child *c = arg_service(req, args);

	if (c)
		op_restart(req, c);
}

static void method_deploy(mesh_req *req, json_t *args)
{
	child *c = arg_service(req, args);

	if (c)
		op_deploy(req, c);
}

/* ---- life ---------------------------------------------------------- */

static void boot_done(void *arg, int up)
{
	(void)arg;
	printf("leadmesh is up: http://localhost:%s/ (%d service%s; Ctrl-C "
	       "stops all)\n",
	       md.port, up, up == 1 ? "" : "s");
	if (md.admin_key_path[0])
		printf("admin key in %s; make an API key with:\n"
		       "  curl -s -X POST localhost:%s/api/keys -H "
		       "\"Authorization: Bearer $(cat %s)\" -d "
		       "'{\"name\":\"me\",\"scopes\":[\"*\"]}'\n",
		       md.admin_key_path, md.port, md.admin_key_path);
}

static void boot_start(void *arg)
{
	(void)arg;
	supervise_boot(boot_done, NULL);
}

static void redis_ready(void *arg, int ok, const char *why)
{
	(void)arg;
	if (!ok) {
		fprintf(stderr, "meshd: %s\n", why);
		md.failed = 1;
		raise(SIGTERM);
		return;
	}
	json_t *st = redis_proc_status();
	printf("ready    %-16s pid %-6d %4lld ms\n", "redis-server",
	       (int)json_integer_value(json_object_get(st, "pid")),
	       (long long)(runtime_now_ms() - md.started_ms));
	json_decref(st);
	supervise_boot(boot_done, NULL);
}

static int meshd_init(void)
{
	config *cfg = config_get();
	char err[600];
	supervise_conf sc = {
	    .run_dir = cfg->run_dir,
	    .bin_dir = md.bin_dir,
	    .start_timeout_ms = md.start_timeout_ms,
	    .drain_ms = cfg->drain_ms,
	};

	md.started_ms = runtime_now_ms();
	if (rundir_prepare(cfg->run_dir, err, sizeof err) ||
	    supervise_init(service_manifest(), &sc, err, sizeof err)) {
		fprintf(stderr, "meshd: %s\n", err);
		return -1;
	}
	if (reap_init(mesh_loop(), supervise_unexpected_exit) != 0) {
		fprintf(stderr, "meshd: cannot watch SIGCHLD\n");
		return -1;
	}
	/* meshd's own drain must outlast the stop of every service, one
	 * after the other, and of Redis. */
	cfg->drain_ms =
	    (int64_t)(supervise_count() + 1) * supervise_stop_timeout_ms() +
	    REDIS_PROC_STOP_MS;
	printf("leadmesh: %zu services in %s, binaries from %s\n",
	       supervise_count(), cfg->manifest_path, md.bin_dir);
	if (!md.private_redis) {
		runtime_defer(boot_start, NULL);
		return 0;
	}
	if (redis_proc_start(cfg->run_dir, redis_ready, NULL, err,
	                     sizeof err) != 0) {
		fprintf(stderr, "meshd: %s\n", err);
		return -1;
	}
	return 0;
}

static void meshd_all_stopped(void *arg)
{
	(void)arg;
	printf("leadmesh stopped\n");
	mesh_drain_release();
}

static void meshd_services_stopped(void *arg)
{
	(void)arg;
	if (md.private_redis)
		redis_proc_stop(meshd_all_stopped, NULL);
	else
		meshd_all_stopped(NULL);
}

static void meshd_shutdown(void)
{
	mesh_drain_hold();
	printf("stopping leadmesh\n");
	op_cancel_all("meshd is stopping");
	supervise_stop_all(meshd_services_stopped, NULL);
}

static void meshd_cleanup(void)
{
	probe_free_all();
	supervise_cleanup();
	redis_proc_cleanup();
	reap_free();
}

static const mesh_method methods[] = {
    {"status", method_status},
    {"restart", method_restart},
    {"deploy", method_deploy},
    {NULL, NULL},
};

static const mesh_service_def meshd_def = {
    .name = "meshd",
    .methods = methods,
    .standalone = 1,
    .init = meshd_init,
    .shutdown = meshd_shutdown,
    .cleanup = meshd_cleanup,
};

/* ---- configuration --------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: meshd\n"
	        "Runs leadmesh: a private redis-server (unless REDIS_URL is "
	        "set) and every\nservice of the manifest, until SIGTERM or "
	        "Ctrl-C. Talk to it with meshctl.\n"
	        "Environment:\n"
	        "  MESH_MANIFEST          manifest (proto/mesh.json)\n"
	        "  MESH_RUN_DIR           sockets, Redis data, logs (./run)\n"
	        "  MESH_BIN_DIR           service binaries (meshd's own "
	        "folder)\n"
	        "  REDIS_URL              use this Redis instead of a private "
	        "one\n"
	        "  MESH_START_TIMEOUT_MS  start to healthy, per service "
	        "(10000)\n"
	        "  MESH_DRAIN_MS          a service's drain on stop (10000)\n"
	        "  PORT                   the gateway's port, for the "
	        "banner (8080)\n"
	        "Exit status: 0 clean stop, 1 failure, 2 usage.\n");
}

static int absolute(const char *path, char *out, size_t out_len)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, out_len, "%s", path);
	else if (!getcwd(cwd, sizeof cwd))
		return -1;
	else
		n = snprintf(out, out_len, "%s/%s", cwd, path);
	return n > 0 && (size_t)n < out_len ? 0 : -1;
}

static int meshd_configure(char *err, size_t err_len)
{
	const char *v;
	char path[PATH_MAX], url[PATH_MAX + 32];
	ssize_t n;

	v = getenv("MESH_RUN_DIR");
	if (absolute(v && *v ? v : "run", path, sizeof path) != 0) {
		snprintf(err, err_len, "MESH_RUN_DIR: path too long");
		return -1;
	}
	setenv("MESH_RUN_DIR", path, 1);
	if (admin_key_ensure(path, md.admin_key_path, sizeof md.admin_key_path,
	                     err, err_len) != 0)
		return -1;
	/* Services get the manifest's absolute path: they must read the same
	 * file whatever their working directory. */
	v = getenv("MESH_MANIFEST");
	if (!v || !*v)
		v = access("proto/mesh.json", R_OK) == 0
		        ? "proto/mesh.json"
		        : "/usr/share/leadmesh/mesh.json";
	if (!realpath(v, path)) {
		snprintf(err, err_len, "MESH_MANIFEST: %s: %s", v,
		         strerror(errno));
		return -1;
	}
	setenv("MESH_MANIFEST", path, 1);
	v = getenv("REDIS_URL");
	md.private_redis = !v || !*v;
	if (md.private_redis) {
		if (redis_proc_find(path, sizeof path) != 0) {
			snprintf(
			    err, err_len,
			    "redis-server is not in PATH: install it (make "
			    "deps) or set REDIS_URL to a running Redis");
			return -1;
		}
		snprintf(url, sizeof url, "unix://%s/redis/redis.sock",
		         getenv("MESH_RUN_DIR"));
		setenv("REDIS_URL", url, 1);
	}
	v = getenv("MESH_BIN_DIR");
	if (v && *v) {
		if (absolute(v, md.bin_dir, sizeof md.bin_dir) != 0) {
			snprintf(err, err_len, "MESH_BIN_DIR: path too long");
			return -1;
		}
	} else {
		n = readlink("/proc/self/exe", path, sizeof path - 1);
		if (n <= 0) {
			snprintf(err, err_len,
			         "cannot find meshd's own folder: set "
			         "MESH_BIN_DIR");
			return -1;
		}
		path[n] = '\0';
		*strrchr(path, '/') = '\0';
		snprintf(md.bin_dir, sizeof md.bin_dir, "%s", path);
	}
	md.start_timeout_ms = MESHD_START_TIMEOUT_MS;
	v = getenv("MESH_START_TIMEOUT_MS");
	if (v && *v) {
		char *end;
		long long t = strtoll(v, &end, 10);
		if (*end || t < 1 || t > MESHD_START_TIMEOUT_MAX_MS) {
			snprintf(err, err_len,
			         "MESH_START_TIMEOUT_MS: expected 1-%d, got "
			         "\"%s\"",
			         MESHD_START_TIMEOUT_MAX_MS, v);
			return -1;
		}
		md.start_timeout_ms = t;
	}
	v = getenv("PORT");
	snprintf(md.port, sizeof md.port, "%s", v && *v ? v : "8080");
	return 0;
}

int main(int argc, char **argv)
{
	char err[PATH_MAX + 200];
	int rc;

	if (argc > 1) {
		int help = strcmp(argv[1], "--help") == 0 ||
		           strcmp(argv[1], "-h") == 0;
		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	/* One line per event, as it happens, even into a pipe or a file. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (meshd_configure(err, sizeof err) != 0) {
		fprintf(stderr, "meshd: %s\n", err);
		return 1;
	}
	rc = mesh_service_main(&meshd_def, 1, argv);
	return rc == 0 && md.failed ? 1 : rc;
}
