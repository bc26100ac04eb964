#include "supervise.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mesh.h"
#include "reap.h"
#include "redis_proc.h"
#include "runtime.h"
#include "spawn.h"

static struct {
	child *slots;
	size_t n;
	supervise_conf conf;
	char run_dir[300];
	char bin_dir[1024];
	int stopping;
	/* boot */
	size_t boot_next;
	int booting;
	void (*boot_done)(void *, int);
	void *boot_arg;
	/* stop_all */
	size_t stop_next;
	void (*stop_done)(void *);
	void *stop_arg;
} sv;

const char *child_state_name(child_state s)
{
	static const char *names[] = {"stopped", "starting", "up", "restarting",
	                              "failed"};

	return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

int64_t supervise_stop_timeout_ms(void)
{
	return sv.conf.drain_ms + SUPERVISE_STOP_MARGIN_MS;
}

int supervise_stopping(void)
{
	return sv.stopping;
}

size_t supervise_count(void)
{
	return sv.n;
}

child *supervise_at(size_t i)
{
	return i < sv.n ? &sv.slots[i] : NULL;
}

child *supervise_find(const char *name)
{
	for (size_t i = 0; name && i < sv.n; i++)
		if (strcmp(sv.slots[i].name, name) == 0)
			return &sv.slots[i];
	return NULL;
}

static void child_health_tick(evutil_socket_t fd, short what, void *arg);
static void child_restart_due(evutil_socket_t fd, short what, void *arg);

int supervise_init(const manifest *m, const supervise_conf *conf, char *err,
                   size_t err_len)
{
	size_t *order =
	    calloc(m->n_services ? m->n_services : 1, sizeof *order);

	sv.slots = calloc(m->n_services ? m->n_services : 1, sizeof *sv.slots);
	if (!order || !sv.slots) {
		free(order);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	snprintf(sv.run_dir, sizeof sv.run_dir, "%s", conf->run_dir);
	snprintf(sv.bin_dir, sizeof sv.bin_dir, "%s", conf->bin_dir);
	sv.conf = *conf;
	sv.conf.run_dir = sv.run_dir;
	sv.conf.bin_dir = sv.bin_dir;
	manifest_start_order(m, order);
	for (size_t i = 0; i < m->n_services; i++) {
		const manifest_service *ms = &m->services[order[i]];
		child *c = &sv.slots[sv.n++];
		snprintf(c->name, sizeof c->name, "%s", ms->name);
		snprintf(c->binary, sizeof c->binary, "%s/%s", sv.bin_dir,
		         ms->name);
		snprintf(c->sock_path, sizeof c->sock_path, "%s/sock/%s.sock",
		         sv.run_dir, ms->name);
		snprintf(c->log_path, sizeof c->log_path, "%s/logs/%s.log",
		         sv.run_dir, ms->name);
		c->has_binary = access(c->binary, X_OK) == 0;
		c->backoff_ms = SUPERVISE_BACKOFF_MIN_MS;
		c->health_timer =
		    evtimer_new(mesh_loop(), child_health_tick, c);
		c->restart_timer =
		    evtimer_new(mesh_loop(), child_restart_due, c);
		if (!c->health_timer || !c->restart_timer) {
			free(order);
			snprintf(err, err_len, "cannot create timers");
			return -1;
		}
	}
	free(order);
	return 0;
}

static void timer_in(struct event *ev, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
	                     (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void child_report(child *c, int ok, const char *why)
{
	child_ready_fn cb = c->ready_cb;

	c->ready_cb = NULL;
	if (cb)
		cb(c->ready_arg, c, ok, why);
}

void child_quiet(child *c)
{
	evtimer_del(c->health_timer);
	evtimer_del(c->restart_timer);
	probe_cancel(c->probe);
	c->probe = NULL;
}

static void child_became_ready(child *c)
{
	int64_t now = runtime_now_ms();

	c->state = CHILD_UP;
	c->up_ms = now;
	printf("ready    %-16s pid %-6d %4lld ms", c->name, (int)c->pid,
	       (long long)(now - c->spawned_ms));
	if (c->restarts)
		printf("  (restarts: %d)", c->restarts);
	printf("\n");
	child_report(c, 1, "");
}

static void child_probed(void *arg, int ok, pid_t pid, const char *why)
{
	child *c = arg;

	(void)why;
	c->probe = NULL;
	if (c->state != CHILD_STARTING)
		return;
	/* The socket path may still belong to the instance being replaced:
	 * only our own pid counts. */
	if (ok && pid == c->pid) {
		child_became_ready(c);
		return;
	}
	timer_in(c->health_timer, SUPERVISE_HEALTH_POLL_MS);
}

static void child_health_tick(evutil_socket_t fd, short what, void *arg)
{
	child *c = arg;
	char why[600];

	(void)fd;
	(void)what;
	if (c->state != CHILD_STARTING || c->probe)
		return;
	if (runtime_now_ms() >= c->health_deadline_ms) {
		c->state = CHILD_FAILED;
		snprintf(
		    why, sizeof why,
		    "pid %d did not answer _health within %lld ms (see %s)",
		    (int)c->pid, (long long)sv.conf.start_timeout_ms,
		    c->log_path);
		printf("failed   %-16s %s\n", c->name, why);
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s: %s", c->name, why);
		child_report(c, 0, why);
		return;
	}
	c->probe = probe_health(mesh_loop(), c->sock_path, SUPERVISE_PROBE_MS,
	                        child_probed, c);
	if (!c->probe)
		timer_in(c->health_timer, SUPERVISE_HEALTH_POLL_MS);
}

int child_spawn(child *c, child_ready_fn cb, void *arg, char *err,
                size_t err_len)
{
	const char *argv[] = {c->binary, NULL};
	char instance[96];
	pid_t pid;

	snprintf(instance, sizeof instance, "%s-1", c->name);
	pid =
	    spawn_process(c->binary, argv, c->log_path, instance, err, err_len);
	if (pid < 0)
		return -1;
	c->pid = pid;
	c->state = CHILD_STARTING;
	c->spawned_ms = runtime_now_ms();
	c->health_deadline_ms = c->spawned_ms + sv.conf.start_timeout_ms;
	c->ready_cb = cb;
	c->ready_arg = arg;
	timer_in(c->health_timer, 0);
	return 0;
}

static void child_restart_due(evutil_socket_t fd, short what, void *arg)
{
	child *c = arg;
	char err[300];

	(void)fd;
	(void)what;
	if (sv.stopping || c->pid > 0)
		return;
	c->restarts++;
	if (child_spawn(c, NULL, NULL, err, sizeof err) != 0) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s: %s", c->name, err);
		child_schedule_restart(c);
	}
}

void child_schedule_restart(child *c)
{
	if (sv.stopping || evtimer_pending(c->restart_timer, NULL))
		return;
	c->state = CHILD_RESTARTING;
	timer_in(c->restart_timer, c->backoff_ms);
	c->backoff_ms = c->backoff_ms < SUPERVISE_BACKOFF_MIN_MS
	                    ? SUPERVISE_BACKOFF_MIN_MS
	                : c->backoff_ms * 2 > SUPERVISE_BACKOFF_MAX_MS
	                    ? SUPERVISE_BACKOFF_MAX_MS
	                    : c->backoff_ms * 2;
}

static void child_crashed(child *c, int wstatus)
{
	int64_t now = runtime_now_ms();
	int was_starting = c->state == CHILD_STARTING;
	pid_t pid = c->pid;
	char how[100], why[700];

	spawn_describe_status(wstatus, how, sizeof how);
	evtimer_del(c->health_timer);
	probe_cancel(c->probe);
	c->probe = NULL;
	c->pid = 0;
	if (c->state == CHILD_UP &&
	    now - c->up_ms >= SUPERVISE_BACKOFF_RESET_MS)
		c->backoff_ms = SUPERVISE_BACKOFF_MIN_MS;
	c->state = sv.stopping ? CHILD_STOPPED : CHILD_RESTARTING;
	if (was_starting)
		snprintf(why, sizeof why, "pid %d %s during start (see %s)",
		         (int)pid, how, c->log_path);
	else
		snprintf(why, sizeof why, "pid %d %s after %.1f s (see %s)",
		         (int)pid, how, (double)(now - c->spawned_ms) / 1000.0,
		         c->log_path);
	mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s: %s", c->name, why);
	/* A deploy in progress may put the old instance back in place. */
	child_report(c, 0, why);
	if (c->pid > 0 || sv.stopping) {
		printf("%s %-16s %s\n", was_starting ? "failed  " : "exited  ",
		       c->name, why);
		return;
	}
	/* A service that ran and then died comes back at once: callers are
	 * waiting. Only a crash loop backs off. */
	if (!was_starting && c->backoff_ms == SUPERVISE_BACKOFF_MIN_MS)
		c->backoff_ms = 0;
	int64_t delay = c->backoff_ms;
	child_schedule_restart(c);
	printf("%s %-16s %s; restarting in %lld ms\n",
	       was_starting ? "failed  " : "exited  ", c->name, why,
	       (long long)delay);
}

void supervise_unexpected_exit(pid_t pid, int wstatus)
{
	char how[100];

	if (redis_proc_exited(pid, wstatus))
		return;
	for (size_t i = 0; i < sv.n; i++) {
		child *c = &sv.slots[i];
		if (c->pid == pid) {
			child_crashed(c, wstatus);
			return;
		}
		if (c->extra_pid == pid) {
			/* The instance being replaced died on its own: the
			 * new one is on its way, nothing to restart. */
			spawn_describe_status(wstatus, how, sizeof how);
			printf("exited   %-16s old pid %d %s\n", c->name,
			       (int)pid, how);
			c->extra_pid = 0;
			return;
		}
	}
}

static void child_extra_reaped(void *arg, pid_t pid, int wstatus,
                               int64_t elapsed_ms)
{
	child *c = arg;

	(void)wstatus;
	(void)elapsed_ms;
	if (c->extra_pid == pid)
		c->extra_pid = 0;
}

void child_retire_extra(child *c)
{
	if (c->extra_pid > 0 &&
	    reap_stop(c->extra_pid, supervise_stop_timeout_ms(),
	              child_extra_reaped, c) != 0)
		c->extra_pid = 0;
}

/* ---- boot ---------------------------------------------------------- */

static void boot_step(void);

static void boot_ready(void *arg, child *c, int ok, const char *why)
{
	(void)arg;
	(void)c;
	(void)ok;
	(void)why;
	boot_step();
}

static void boot_step(void)
{
	char err[300];

	while (sv.booting && !sv.stopping && sv.boot_next < sv.n) {
		child *c = &sv.slots[sv.boot_next++];
		if (!c->has_binary) {
			printf("skipped  %-16s no binary %s\n", c->name,
			       c->binary);
			continue;
		}
		if (c->pid > 0 || c->op)
			continue; /* started by an operator already */
		if (child_spawn(c, boot_ready, NULL, err, sizeof err) == 0)
			return;
		printf("failed   %-16s %s\n", c->name, err);
		child_schedule_restart(c);
	}
	if (!sv.booting || sv.stopping)
		return;
	sv.booting = 0;
	int up = 0;
	for (size_t i = 0; i < sv.n; i++)
		up += sv.slots[i].state == CHILD_UP;
	sv.boot_done(sv.boot_arg, up);
}

void supervise_boot(void (*done)(void *, int), void *arg)
{
	sv.boot_done = done;
	sv.boot_arg = arg;
	sv.boot_next = 0;
	sv.booting = 1;
	boot_step();
}

/* ---- stop ---------------------------------------------------------- */

static void stop_step(void);

static void stop_finish(void *arg)
{
	void (*done)(void *) = sv.stop_done;

	(void)arg;
	sv.stop_done = NULL;
	if (done)
		done(sv.stop_arg);
}

static void stop_reaped(void *arg, pid_t pid, int wstatus, int64_t elapsed_ms)
{
	child *c = arg;
	char how[100];

	spawn_describe_status(wstatus, how, sizeof how);
	printf("stopped  %-16s pid %-6d %s  %lld ms\n", c->name, (int)pid, how,
	       (long long)elapsed_ms);
	if (c->pid == pid)
		c->pid = 0;
	if (c->extra_pid == pid)
		c->extra_pid = 0;
	if (c->pid == 0)
		c->state = CHILD_STOPPED;
	stop_step();
}

static void stop_step(void)
{
	while (sv.stop_next > 0) {
		child *c = &sv.slots[sv.stop_next - 1];
		pid_t pid = c->pid > 0 ? c->pid : c->extra_pid;
		if (pid <= 0) {
			c->state = CHILD_STOPPED;
			sv.stop_next--;
			continue;
		}
		if (reap_stop(pid, supervise_stop_timeout_ms(), stop_reaped,
		              c) == 0)
			return;
		/* Not our live child any more: nothing to wait for. */
		if (c->pid == pid)
			c->pid = 0;
		else
			c->extra_pid = 0;
	}
	runtime_defer(stop_finish, NULL);
}

void supervise_stop_all(void (*done)(void *), void *arg)
{
	sv.stopping = 1;
	sv.booting = 0;
	sv.stop_done = done;
	sv.stop_arg = arg;
	for (size_t i = 0; i < sv.n; i++) {
		child_quiet(&sv.slots[i]);
		sv.slots[i].ready_cb = NULL;
	}
	sv.stop_next = sv.n;
	stop_step();
}

void supervise_cleanup(void)
{
	for (size_t i = 0; i < sv.n; i++) {
		child *c = &sv.slots[i];
		pid_t pids[2] = {c->pid, c->extra_pid};
		for (int k = 0; k < 2; k++)
			if (pids[k] > 0 && !reap_stopping(pids[k])) {
				kill(pids[k], SIGKILL);
				waitpid(pids[k], NULL, 0);
			}
		if (c->health_timer)
			event_free(c->health_timer);
		if (c->restart_timer)
			event_free(c->restart_timer);
	}
	free(sv.slots);
	memset(&sv, 0, sizeof sv);
}
