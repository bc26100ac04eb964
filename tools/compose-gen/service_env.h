/*
 * service_env.h: the configuration each service reads from its
 * environment, beyond what libmesh reads for every process. compose-gen
 * passes each one through as ${NAME:-}: unset or empty, the service uses
 * its own default, named here so the compose file documents it.
 */
#ifndef COMPOSE_SERVICE_ENV_H
#define COMPOSE_SERVICE_ENV_H

typedef struct service_env {
	const char *service;
	const char *name;
	const char *meaning; /* one line, with the service's default */
} service_env;

/* The table, ended by an entry whose service is NULL. */
extern const service_env service_env_table[];

#endif
