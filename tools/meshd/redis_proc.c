#include "redis_proc.h"
#include "rundir.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv.h"
#include "mesh.h"
#include "reap.h"
#include "runtime.h"
#include "spawn.h"

/* How often the start-up checks whether the socket accepts. */
#define REDIS_PROC_POLL_MS 10

static struct {
	char binary[1024];
	char sock[300];
	char dir[300];
	char log[300];
	char url[320];
	pid_t pid;
	int up;
	int stopping;
	int restarts;
	int64_t started_ms;
	int64_t deadline_ms;
	struct event *timer;
	kv *k;
	void (*ready)(void *, int, const char *);
	void *ready_arg;
	void (*stopped)(void *);
	void *stopped_arg;
} rp;

int redis_proc_find(char *out, size_t out_len)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return -1;
	for (char *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		int n = snprintf(out, out_len, "%s/redis-server", *d ? d : ".");
		if (n > 0 && (size_t)n < out_len && access(out, X_OK) == 0) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -1;
}

static void redis_proc_report(int ok, const char *why)
{
	void (*ready)(void *, int, const char *) = rp.ready;

	rp.ready = NULL;
	if (ready)
		ready(rp.ready_arg, ok, why);
}

static void redis_proc_pong(void *arg, mesh_err err, const char *msg,
                            json_t *reply)
{
	struct timeval tv = {0, REDIS_PROC_POLL_MS * 1000};

	(void)arg;
	(void)reply;
	if (err == MESH_OK) {
		rp.up = 1;
		redis_proc_report(1, "");
		return;
	}
	/* LOADING while it replays the AOF: ask again. */
	(void)msg;
	if (rp.pid > 0 && !rp.up)
		evtimer_add(rp.timer, &tv);
}

static void redis_proc_connected(void *arg)
{
	(void)arg;
	if (!rp.up)
		kv_commandf(rp.k, redis_proc_pong, NULL, "PING");
}

static void redis_proc_poll(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = {0, REDIS_PROC_POLL_MS * 1000};
	char err[256];

	(void)fd;
	(void)what;
	(void)arg;
	if (rp.up || rp.pid <= 0)
		return;
	if (runtime_now_ms() >= rp.deadline_ms) {
		char why[600];
		snprintf(why, sizeof why,
		         "redis-server did not answer within %d ms (see %s)",
		         REDIS_PROC_START_MS, rp.log);
		redis_proc_report(0, why);
		return;
	}
	if (rp.k) {
		if (kv_is_connected(rp.k))
			kv_commandf(rp.k, redis_proc_pong, NULL, "PING");
		else
			evtimer_add(rp.timer, &tv);
		return;
	}
	if (!rundir_socket_answers(rp.sock)) {
		evtimer_add(rp.timer, &tv);
		return;
	}
	rp.k = kv_new(mesh_loop(), rp.url, err, sizeof err);
	if (!rp.k) {
		redis_proc_report(0, err);
		return;
	}
	kv_on_connect(rp.k, redis_proc_connected, NULL);
	evtimer_add(rp.timer, &tv);
}

static int redis_proc_spawn(char *err, size_t err_len)
{
	const char *argv[] = {rp.binary,      "--port", "0",
	                      "--unixsocket", rp.sock,  "--unixsocketperm",
	                      "700",          "--dir",  rp.dir,
	                      "--appendonly", "yes",    "--appendfsync",
	                      "everysec",     "--save", "",
	                      "--daemonize",  "no",     NULL};
	struct timeval now = {0, 0};

	rp.pid = spawn_process(rp.binary, argv, rp.log, NULL, err, err_len);
	if (rp.pid < 0) {
		rp.pid = 0;
		return -1;
	}
	rp.up = 0;
	rp.started_ms = runtime_now_ms();
	rp.deadline_ms = rp.started_ms + REDIS_PROC_START_MS;
	evtimer_add(rp.timer, &now);
	return 0;
}

int redis_proc_start(const char *run_dir,
                     void (*ready)(void *, int, const char *), void *arg,
                     char *err, size_t err_len)
{
	if (redis_proc_find(rp.binary, sizeof rp.binary) != 0) {
		snprintf(err, err_len,
		         "redis-server is not in PATH: install it (make deps) "
		         "or set REDIS_URL to a running Redis");
		return -1;
	}
	snprintf(rp.sock, sizeof rp.sock, "%s/redis/redis.sock", run_dir);
	snprintf(rp.dir, sizeof rp.dir, "%s/redis", run_dir);
	snprintf(rp.log, sizeof rp.log, "%s/logs/redis.log", run_dir);
	snprintf(rp.url, sizeof rp.url, "unix://%s", rp.sock);
	rp.ready = ready;
	rp.ready_arg = arg;
	rp.timer = evtimer_new(mesh_loop(), redis_proc_poll, NULL);
	if (!rp.timer) {
		snprintf(err, err_len, "cannot create a timer");
		return -1;
	}
	return redis_proc_spawn(err, err_len);
}

static void redis_proc_respawn(evutil_socket_t fd, short what, void *arg)
{
	char err[300];

	(void)fd;
	(void)what;
	(void)arg;
	event_free(rp.timer);
	rp.timer = evtimer_new(mesh_loop(), redis_proc_poll, NULL);
	if (!rp.timer || rp.stopping)
		return;
	if (redis_proc_spawn(err, sizeof err) != 0)
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "redis-server: %s", err);
}

int redis_proc_exited(pid_t pid, int wstatus)
{
	char how[100], why[600];
	struct timeval tv = {0, REDIS_PROC_RESTART_MS * 1000};

	if (pid <= 0 || pid != rp.pid)
		return 0;
	rp.pid = 0;
	rp.up = 0;
	spawn_describe_status(wstatus, how, sizeof how);
	if (rp.ready) {
		snprintf(why, sizeof why, "redis-server %s (see %s)", how,
		         rp.log);
		redis_proc_report(0, why);
		return 1;
	}
	if (rp.stopping)
		return 1;
	rp.restarts++;
	printf("exited   %-16s %s; restarting in %d ms\n", "redis-server", how,
	       REDIS_PROC_RESTART_MS);
	mesh_log(NULL, MESH_LOG_ERROR, NULL, "redis-server %s (see %s)", how,
	         rp.log);
	/* The poll timer is idle now; reuse its slot for the restart. */
	event_free(rp.timer);
	rp.timer = evtimer_new(mesh_loop(), redis_proc_respawn, NULL);
	if (rp.timer)
		evtimer_add(rp.timer, &tv);
	return 1;
}

json_t *redis_proc_status(void)
{
	const char *state = rp.stopping ? "stopping"
	                    : rp.up     ? "up"
	                    : rp.pid    ? "starting"
	                                : "restarting";

	return json_pack(
	    "{s:b, s:i, s:s, s:I, s:i, s:s}", "managed", 1, "pid", (int)rp.pid,
	    "state", state, "uptime_ms",
	    (json_int_t)(rp.up ? runtime_now_ms() - rp.started_ms : 0),
	    "restarts", rp.restarts, "url", rp.url);
}

static void redis_proc_reaped(void *arg, pid_t pid, int wstatus,
                              int64_t elapsed_ms)
{
	void (*done)(void *) = rp.stopped;
	char how[100];

	(void)arg;
	spawn_describe_status(wstatus, how, sizeof how);
	printf("stopped  %-16s pid %-6d %s  %lld ms\n", "redis-server",
	       (int)pid, how, (long long)elapsed_ms);
	rp.pid = 0;
	rp.stopped = NULL;
	if (done)
		done(rp.stopped_arg);
}

void redis_proc_stop(void (*done)(void *), void *arg)
{
	rp.stopping = 1;
	rp.ready = NULL;
	if (rp.timer)
		event_del(rp.timer);
	rp.stopped = done;
	rp.stopped_arg = arg;
	if (rp.k) {
		kv_free(rp.k);
		rp.k = NULL;
	}
	if (rp.pid <= 0 || reap_stop(rp.pid, REDIS_PROC_STOP_MS,
	                             redis_proc_reaped, NULL) != 0) {
		rp.stopped = NULL;
		runtime_defer(done, arg);
	}
}

void redis_proc_cleanup(void)
{
	if (rp.pid > 0 && !reap_stopping(rp.pid)) {
		kill(rp.pid, SIGKILL);
		waitpid(rp.pid, NULL, 0);
	}
	if (rp.k)
		kv_free(rp.k);
	if (rp.timer)
		event_free(rp.timer);
	memset(&rp, 0, sizeof rp);
}
