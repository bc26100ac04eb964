/*
 * op.h: an operator's restart or deploy of one service, from the meshctl
 * request that asked for it to the reply. One at a time per service; all
 * fail with "meshd is stopping" when meshd stops.
 */
#ifndef MESHD_OP_H
#define MESHD_OP_H

#include <stdint.h>
#include <sys/types.h>

#include "mesh.h"
#include "probe.h"
#include "supervise.h"

typedef struct op {
	mesh_req *req;
	child *c;
	pid_t old_pid;
	pid_t new_pid;
	int64_t started_ms; /* the request */
	int64_t stage_ms;   /* the current step */
	int64_t stop_ms;    /* SIGTERM to exit of the old instance */
	int64_t ready_ms;   /* spawn to healthy of the new one */
	char old_exit[100];
	probe *probe;
	struct op *next;
} op;

/* A new op holding c (c->op). NULL without memory. */
op *op_new(mesh_req *req, child *c);
/* Releases c and frees o; the request must have been ended. */
void op_free(op *o);
/* Ends every op with MESH_EUNAVAILABLE: why. */
void op_cancel_all(const char *why);

/* Stops c's instance and starts it again; replies {"service", "old_pid",
 * "new_pid", "stop_ms", "ready_ms", "total_ms"}. */
void op_restart(mesh_req *req, child *c);
/* Starts the new binary beside the old instance, waits until `_health`
 * answers with the new pid, then stops the old one (it drains); replies
 * {"service", "old_pid", "new_pid", "ready_ms", "drain_ms", "old_exit",
 * "total_ms"}. */
void op_deploy(mesh_req *req, child *c);

#endif
