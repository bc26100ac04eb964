/*
 * deploy.c: a new instance beside the old one. The new binary binds a
 * temporary path and renames it over the service's socket, so new
 * connections reach it as soon as it listens; once `_health` answers with
 * its pid, the old instance gets SIGTERM: it sends GOAWAY (clients move
 * their next calls to the new instance), finishes what is in flight, and
 * exits. No call is refused on the way.
 */
#include <signal.h>
#include <stdio.h>

#include "op.h"
#include "reap.h"
#include "runtime.h"
#include "spawn.h"

static void deploy_reply(op *o)
{
	child *c = o->c;

	mesh_reply(o->req,
	           json_pack("{s:s, s:i, s:i, s:I, s:I, s:s, s:I}", "service",
	                     c->name, "old_pid", (int)o->old_pid, "new_pid",
	                     (int)o->new_pid, "ready_ms",
	                     (json_int_t)o->ready_ms, "drain_ms",
	                     (json_int_t)o->stop_ms, "old_exit", o->old_exit,
	                     "total_ms",
	                     (json_int_t)(runtime_now_ms() - o->started_ms)));
	op_free(o);
}

static void deploy_old_gone(void *arg, pid_t pid, int wstatus,
                            int64_t elapsed_ms)
{
	op *o = arg;
	child *c = o->c;

	spawn_describe_status(wstatus, o->old_exit, sizeof o->old_exit);
	printf("retired  %-16s pid %-6d %s  %lld ms\n", c->name, (int)pid,
	       o->old_exit, (long long)elapsed_ms);
	if (c->extra_pid == pid)
		c->extra_pid = 0;
	o->stop_ms = elapsed_ms;
	deploy_reply(o);
}

/* After a failed deploy the old instance serves again, if it still owns
 * the socket; if the new one took the socket before failing, nothing
 * reaches the old one: it is restarted. */
static void deploy_old_checked(void *arg, int ok, pid_t pid, const char *why)
{
	op *o = arg;
	child *c = o->c;
	const char *failure = o->old_exit;

	(void)why;
	o->probe = NULL;
	if (ok && pid == c->pid && c->pid > 0) {
		c->state = CHILD_UP;
		mesh_fail(o->req, MESH_EINTERNAL,
		          "deploy of %s failed: %s; pid %d keeps serving",
		          c->name, failure, (int)c->pid);
		op_free(o);
		return;
	}
	mesh_fail(o->req, MESH_EINTERNAL,
	          "deploy of %s failed: %s; the old instance lost its "
	          "socket, restarting %s",
	          c->name, failure, c->name);
	pid_t old = c->pid;
	op_free(o);
	if (old > 0)
		kill(old, SIGTERM); /* its exit restarts the service */
	else
		child_schedule_restart(c);
}

static void deploy_ready(void *arg, child *c, int ok, const char *why)
{
	op *o = arg;
	pid_t failed_new = c->pid;

	if (ok) {
		o->new_pid = c->pid;
		o->ready_ms = runtime_now_ms() - o->stage_ms;
		o->stage_ms = runtime_now_ms();
		if (c->extra_pid > 0 &&
		    reap_stop(c->extra_pid, supervise_stop_timeout_ms(),
		              deploy_old_gone, o) == 0)
			return;
		c->extra_pid = 0;
		snprintf(o->old_exit, sizeof o->old_exit, "already gone");
		deploy_reply(o);
		return;
	}
	/* Put the old instance back in the slot and retire the new one. */
	snprintf(o->old_exit, sizeof o->old_exit, "%s", why);
	c->pid = c->extra_pid;
	c->extra_pid = failed_new;
	child_retire_extra(c);
	if (c->pid <= 0) {
		mesh_fail(o->req, MESH_EINTERNAL, "deploy of %s failed: %s",
		          c->name, why);
		op_free(o);
		child_schedule_restart(c);
		return;
	}
	c->state = CHILD_UP;
	o->probe = probe_health(mesh_loop(), c->sock_path, SUPERVISE_PROBE_MS,
	                        deploy_old_checked, o);
	if (!o->probe)
		deploy_old_checked(o, 0, 0, "out of memory");
}

void op_deploy(mesh_req *req, child *c)
{
	op *o = op_new(req, c);
	char err[300];

	if (!o) {
		mesh_fail(req, MESH_EINTERNAL, "out of memory");
		return;
	}
	child_quiet(c);
	c->ready_cb = NULL;
	o->old_pid = c->pid;
	c->extra_pid = c->pid;
	c->pid = 0;
	o->stage_ms = runtime_now_ms();
	if (child_spawn(c, deploy_ready, o, err, sizeof err) != 0) {
		c->pid = c->extra_pid;
		c->extra_pid = 0;
		mesh_fail(req, MESH_EINTERNAL, "deploy of %s: %s", c->name,
		          err);
		op_free(o);
		if (c->pid <= 0)
			child_schedule_restart(c);
	}
}
