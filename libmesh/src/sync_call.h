/*
 * sync_call.h: blocking mesh calls for programs that are not services
 * (meshctl, tests, benchmarks): a private loop runs until the reply. Never
 * for a service: it would stall everything else on its loop.
 */
#ifndef MESH_SYNC_CALL_H
#define MESH_SYNC_CALL_H

#include <stddef.h>

#include "mesh.h"

struct event_base;

/* A loop and a client named name, configured from the environment
 * (MESH_RUN_DIR...), bound to nothing. 0, or -1 with err. */
int sync_init(const char *name, char *err, size_t err_len);
/* Closes connections and frees the loop. */
void sync_shutdown(void);
struct event_base *sync_base(void);

/* Calls and waits. The result (caller owns) or NULL with *err and msg.
 * opts may be NULL. */
json_t *sync_call(const char *service, const char *method, json_t *args,
                  const mesh_call_opts *opts, mesh_err *err, char *msg,
                  size_t msg_len);
/* Runs the loop for ms milliseconds (lets one-way sends leave). */
void sync_run(int ms);

#endif
