/*
 * compose_render.h: docker-compose.yml from the manifest. Pure apart from
 * asking the file system which services have a main file (a service whose
 * services/<s>/<s>.c does not exist yet is not deployable and is listed in
 * a comment instead).
 */
#ifndef COMPOSE_RENDER_H
#define COMPOSE_RENDER_H

#include <stdio.h>

#include "manifest.h"

/* The image every service runs, and the user it runs as (Dockerfile). */
#define COMPOSE_IMAGE        "leadmesh:${LEADMESH_TAG:-latest}"
#define COMPOSE_RUN_DIR      "/run/leadmesh"
#define COMPOSE_REDIS        "redis" /* the compose service name of Redis */
#define COMPOSE_GATEWAY_PORT 8080    /* inside the container */

/* Whether root/services/<name>/<name>.c exists. */
int compose_deployable(const char *root, const char *name);

/* Writes the compose file for m, looking for main files under root.
 * Returns 0, or -1 when writing to out fails. */
int compose_render(FILE *out, const manifest *m, const char *root);

#endif
