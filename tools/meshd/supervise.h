/*
 * supervise.h: the services meshd runs, one slot each, in start order.
 * A slot starts its binary, waits until `_health` answers with the pid it
 * started, restarts it after an unexpected exit (100 ms doubling to 10 s,
 * reset after 30 s up), and stops everything in reverse order on the way
 * out. Restart and deploy (op.h) drive slots through the same calls.
 */
#ifndef MESHD_SUPERVISE_H
#define MESHD_SUPERVISE_H

#include <stdint.h>
#include <sys/types.h>

#include "manifest.h"
#include "probe.h"

#define SUPERVISE_BACKOFF_MIN_MS   100
#define SUPERVISE_BACKOFF_MAX_MS   10000
#define SUPERVISE_BACKOFF_RESET_MS 30000 /* up this long: a crash is news */
#define SUPERVISE_HEALTH_POLL_MS   20    /* between _health attempts */
#define SUPERVISE_PROBE_MS         1000  /* one _health attempt, at most */
/* SIGKILL comes this long after the service's own drain time. */
#define SUPERVISE_STOP_MARGIN_MS 1000

typedef enum child_state {
	CHILD_STOPPED,
	CHILD_STARTING,
	CHILD_UP,
	CHILD_RESTARTING,
	CHILD_FAILED
} child_state;

typedef struct child child;

/* The outcome of a start: ok once `_health` answered with c->pid; why
 * says what went wrong otherwise. */
typedef void (*child_ready_fn)(void *arg, child *c, int ok, const char *why);

struct child {
	char name[64];
	char binary[1100];
	char sock_path[400];
	char log_path[400];
	int has_binary;
	pid_t pid;       /* the instance that serves; 0 when none */
	pid_t extra_pid; /* a second instance: the old one during a deploy,
	                    or a failed new one being stopped */
	child_state state;
	int64_t spawned_ms;
	int64_t up_ms;
	int restarts; /* automatic restarts after unexpected exits */
	int64_t backoff_ms;
	int64_t health_deadline_ms;
	struct event *health_timer;
	struct event *restart_timer;
	probe *probe;
	child_ready_fn ready_cb;
	void *ready_arg;
	void *op; /* the restart or deploy holding the slot */
};

typedef struct supervise_conf {
	const char *run_dir;
	const char *bin_dir;
	int64_t start_timeout_ms; /* spawn to healthy, at most */
	int64_t drain_ms;         /* the services' own drain time */
} supervise_conf;

/* One slot per manifest service, in manifest_start_order(). 0, or -1 with
 * err. conf's strings are copied. */
int supervise_init(const manifest *m, const supervise_conf *conf, char *err,
                   size_t err_len);
size_t supervise_count(void);
child *supervise_at(size_t i);
child *supervise_find(const char *name);
const char *child_state_name(child_state s);
/* SIGTERM to SIGKILL for one service. */
int64_t supervise_stop_timeout_ms(void);
/* Whether the stop of everything has begun. */
int supervise_stopping(void);

/* Starts every service with a binary, one after the other, each once the
 * previous one is healthy (or failed); then done(arg, services_up). */
void supervise_boot(void (*done)(void *, int), void *arg);

/* Starts c's binary; cb(arg, ...) once it is healthy or failed (cb may be
 * NULL). 0, or -1 with err when it could not be started at all. */
int child_spawn(child *c, child_ready_fn cb, void *arg, char *err,
                size_t err_len);
/* Stops waiting for c's health and for its pending restart. */
void child_quiet(child *c);
/* Restarts c after its backoff unless one is pending already. */
void child_schedule_restart(child *c);
/* SIGTERMs c->extra_pid and forgets it once reaped. */
void child_retire_extra(child *c);

/* The SIGCHLD path for exits nobody asked for (reap_init). */
void supervise_unexpected_exit(pid_t pid, int wstatus);

/* Stops every service in reverse start order (SIGTERM, wait, SIGKILL past
 * the stop timeout), then calls done(arg) from the loop. */
void supervise_stop_all(void (*done)(void *), void *arg);

/* After the loop: SIGKILL and reap what is still running; free. */
void supervise_cleanup(void);

#endif
