/*
 * mesh_sync.h: blocking mesh calls for tests. Each call runs a private
 * event loop until its callback, so a test reads top to bottom.
 */
#ifndef TEST_MESH_SYNC_H
#define TEST_MESH_SYNC_H

#include <jansson.h>
#include <stdint.h>

#include "mesh.h"

/* Sets up a client named "test" with MESH_RUN_DIR etc. from the
 * environment (no manifest: tools are not bound). */
void mesh_sync_init(void);
void mesh_sync_shutdown(void);

typedef struct mesh_sync_opts {
	const char *request_id;
	const char *traceparent;
	int64_t timeout_ms;
} mesh_sync_opts;

/* Calls and waits. Returns the result (caller owns) or NULL with *err and
 * msg filled. opts may be NULL. */
json_t *mesh_sync_call(const char *service, const char *method, json_t *args,
                       const mesh_sync_opts *opts, mesh_err *err, char *msg,
                       size_t msg_len);
/* Runs the loop for ms milliseconds (lets one-way sends leave). */
void mesh_sync_run(int ms);

#endif
