/* restart.c: SIGTERM, wait for the exit, start again, wait until healthy. */
#include <stdio.h>

#include "op.h"
#include "reap.h"
#include "runtime.h"
#include "spawn.h"

static void restart_ready(void *arg, child *c, int ok, const char *why)
{
	op *o = arg;
	int64_t now = runtime_now_ms();

	o->ready_ms = now - o->stage_ms;
	if (!ok) {
		mesh_fail(o->req, MESH_EUNAVAILABLE, "%s did not come back: %s",
		          c->name, why);
		op_free(o);
		return;
	}
	mesh_reply(o->req,
	           json_pack("{s:s, s:i, s:i, s:I, s:I, s:I}", "service",
	                     c->name, "old_pid", (int)o->old_pid, "new_pid",
	                     (int)c->pid, "stop_ms", (json_int_t)o->stop_ms,
	                     "ready_ms", (json_int_t)o->ready_ms, "total_ms",
	                     (json_int_t)(now - o->started_ms)));
	op_free(o);
}

static void restart_spawn(op *o)
{
	child *c = o->c;
	char err[300];

	o->stage_ms = runtime_now_ms();
	if (child_spawn(c, restart_ready, o, err, sizeof err) != 0) {
		mesh_fail(o->req, MESH_EINTERNAL, "%s: %s", c->name, err);
		op_free(o);
		child_schedule_restart(c);
	}
}

static void restart_stopped(void *arg, pid_t pid, int wstatus,
                            int64_t elapsed_ms)
{
	op *o = arg;
	child *c = o->c;

	spawn_describe_status(wstatus, o->old_exit, sizeof o->old_exit);
	printf("stopped  %-16s pid %-6d %s  %lld ms\n", c->name, (int)pid,
	       o->old_exit, (long long)elapsed_ms);
	o->stop_ms = elapsed_ms;
	if (c->pid == pid)
		c->pid = 0;
	c->state = CHILD_STOPPED;
	restart_spawn(o);
}

void op_restart(mesh_req *req, child *c)
{
	op *o = op_new(req, c);

	if (!o) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	child_quiet(c);
	c->ready_cb = NULL;
	o->old_pid = c->pid;
	if (c->pid > 0 && reap_stop(c->pid, supervise_stop_timeout_ms(),
	                            restart_stopped, o) == 0)
		return;
	c->pid = 0;
	restart_spawn(o);
}
