/*
 * fixture.h: the world of one integration test: a temporary run dir, a
 * real redis-server, the environment the daemons read (MESH_RUN_DIR,
 * MESH_MANIFEST, REDIS_URL), daemons started in it, and the cleanup. Meant
 * for Check's checked fixtures: setup calls fixture_start, teardown
 * fixture_finish. MESH_TEST_KEEP=1 keeps the run dir for a post-mortem.
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <sys/types.h>

#include "redis_server.h"

/* Makes the run dir, starts Redis and sets the environment; manifest is a
 * path relative to the repository root. Returns the run dir. */
const char *fixture_start(const char *manifest);
redis_server *fixture_redis(void);
/* Starts binary as service (stderr in <dir>/<service>.log) and waits for
 * its socket; fails the test when it does not come up. */
pid_t fixture_daemon(const char *binary, const char *service,
                     const char *const *env);
/* Frees Redis and removes the run dir (unless MESH_TEST_KEEP). */
void fixture_finish(void);
/* A loopback TCP port nothing listens on right now. */
int fixture_free_port(void);

#endif
