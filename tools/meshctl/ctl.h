/*
 * ctl.h: what meshctl's commands share: the exit codes, a libmesh client
 * on a private loop (meshctl is a caller, not a service), and the check
 * that meshd is there.
 */
#ifndef MESHCTL_CTL_H
#define MESHCTL_CTL_H

#include <jansson.h>
#include <stdint.h>

#include "mesh.h"

struct event_base;

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,    /* the call failed */
	CTL_EXIT_USAGE = 2,    /* bad command line */
	CTL_EXIT_NO_MESHD = 3, /* meshd is not running */
};

#define CTL_TIMEOUT_MS    5000   /* status, call, logs */
#define CTL_OP_TIMEOUT_MS 120000 /* restart and deploy wait for drains */

/* Reads the environment (MESH_RUN_DIR...) and sets up the client. 0, or
 * -1 with the reason on stderr. */
int ctl_init(void);
void ctl_shutdown(void);
struct event_base *ctl_base(void);

/* Calls and waits. The result (caller owns), or NULL with *err and msg. */
json_t *ctl_call(const char *service, const char *method, json_t *args,
                 int64_t timeout_ms, mesh_err *err, char *msg, size_t msg_len);

/* 0 when something listens on <run>/sock/meshd.sock; otherwise says so on
 * stderr and returns CTL_EXIT_NO_MESHD. */
int ctl_require_meshd(void);

/* Prints "meshctl: <code>: <message>" and returns CTL_EXIT_ERROR. */
int ctl_report(mesh_err err, const char *msg);

/* Prints v as JSON: compact when raw, indented otherwise. */
void ctl_print_json(const json_t *v, int raw);

/* `meshctl [--json] status`. */
int ctl_status(int raw);
/* `meshctl logs ...` with argv after "logs". */
int ctl_logs(int argc, char **argv, int raw);

#endif
