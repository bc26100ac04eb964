/*
 * config.h: the environment a mesh process runs with, read once at start.
 * Every limit lives here with its default, so that each is explicit.
 */
#ifndef MESH_CONFIG_H
#define MESH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

#define CONFIG_MAX_IN_FLIGHT      1024   /* requests per connection */
#define CONFIG_DEFAULT_TIMEOUT_MS 5000   /* deadline of a call with no parent */
#define CONFIG_MAX_TIMEOUT_MS     600000 /* a deadline is clamped to this */
#define CONFIG_DRAIN_MS           10000  /* SIGTERM to exit, at most */
#define CONFIG_MAX_QUEUED_CALLS   10000 /* waiting for a connection, per peer */
#define CONFIG_STREAM_MAXLEN                                                   \
	100000 /* entries kept per event topic (approximate) */
#define CONFIG_ONEWAY_TTL_MS                                                   \
	5000 /* a one-way send not delivered by then is dropped */

typedef struct config {
	char run_dir[256];
	char sock_dir[280];
	char manifest_path[512];
	char redis_url[512];
	char listen[256];  /* "" or tcp://host:port */
	char instance[96]; /* stable consumer name across restarts */
	mesh_log_level log_level;
	size_t max_frame;
	size_t max_in_flight;
	int64_t drain_ms;
} config;

/* Reads the environment into c (defaults for what is unset). Returns 0, or
 * -1 with err naming the variable and the problem. */
int config_load(config *c, const char *service, char *err, size_t err_len);

/* The process's configuration (set by mesh_service_main or tests). */
config *config_get(void);

/* Parses "debug|info|warn|error"; -1 for anything else. */
int config_parse_level(const char *s);

#endif
