#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "frame.h"

static config the_config = {
    .run_dir = "run",
    .sock_dir = "run/sock",
    .log_level = MESH_LOG_INFO,
    .max_frame = FRAME_MAX_DEFAULT,
    .max_in_flight = CONFIG_MAX_IN_FLIGHT,
    .drain_ms = CONFIG_DRAIN_MS,
};

config *config_get(void)
{
	return &the_config;
}

int config_parse_level(const char *s)
{
	static const char *names[] = {"debug", "info", "warn", "error"};

	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int env_copy(const char *name, char *dst, size_t cap, const char *dflt,
                    char *err, size_t err_len)
{
	const char *v = getenv(name);

	if (!v || !*v)
		v = dflt;
	if (strlen(v) >= cap) {
		snprintf(err, err_len, "%s: longer than %zu bytes", name,
		         cap - 1);
		return -1;
	}
	snprintf(dst, cap, "%s", v);
	return 0;
}

static int env_long(const char *name, long long lo, long long hi,
                    long long *out, char *err, size_t err_len)
{
	const char *v = getenv(name);
	char *end;

	if (!v || !*v)
		return 0;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end || n < lo || n > hi) {
		snprintf(err, err_len,
		         "%s: expected a whole number %lld-%lld, "
		         "got \"%s\"",
		         name, lo, hi, v);
		return -1;
	}
	*out = n;
	return 0;
}

static const char *default_manifest(void)
{
	static const char *places[] = {"proto/mesh.json",
	                               "/usr/share/leadmesh/mesh.json"};

	for (size_t i = 0; i < sizeof places / sizeof *places; i++)
		if (access(places[i], R_OK) == 0)
			return places[i];
	return places[0];
}

int config_load(config *c, const char *service, char *err, size_t err_len)
{
	char dflt[600];
	long long n;

	if (env_copy("MESH_RUN_DIR", c->run_dir, sizeof c->run_dir, "run", err,
	             err_len))
		return -1;
	snprintf(c->sock_dir, sizeof c->sock_dir, "%s/sock", c->run_dir);
	if (env_copy("MESH_MANIFEST", c->manifest_path, sizeof c->manifest_path,
	             default_manifest(), err, err_len))
		return -1;
	snprintf(dflt, sizeof dflt, "unix://%s/redis/redis.sock", c->run_dir);
	if (env_copy("REDIS_URL", c->redis_url, sizeof c->redis_url, dflt, err,
	             err_len))
		return -1;
	if (env_copy("MESH_LISTEN", c->listen, sizeof c->listen, "", err,
	             err_len))
		return -1;
	snprintf(dflt, sizeof dflt, "%s-1", service);
	if (env_copy("MESH_INSTANCE", c->instance, sizeof c->instance, dflt,
	             err, err_len))
		return -1;
	const char *lvl = getenv("LOG_LEVEL");
	if (lvl && *lvl) {
		int l = config_parse_level(lvl);
		if (l < 0) {
			snprintf(err, err_len,
			         "LOG_LEVEL: expected debug, info, warn or "
			         "error, got \"%s\"",
			         lvl);
			return -1;
		}
		c->log_level = (mesh_log_level)l;
	}
	n = (long long)c->max_frame;
	if (env_long("MESH_MAX_FRAME", 64, 64LL * 1024 * 1024, &n, err,
	             err_len))
		return -1;
	c->max_frame = (size_t)n;
	n = (long long)c->max_in_flight;
	if (env_long("MESH_MAX_IN_FLIGHT", 1, 1000000, &n, err, err_len))
		return -1;
	c->max_in_flight = (size_t)n;
	n = c->drain_ms;
	if (env_long("MESH_DRAIN_MS", 0, 600000, &n, err, err_len))
		return -1;
	c->drain_ms = n;
	return 0;
}
