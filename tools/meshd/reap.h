/*
 * reap.h: every child of meshd ends here. SIGCHLD (a libevent signal
 * event, so on the loop) reaps with waitpid(WNOHANG) until none is left;
 * a process meshd asked to stop reports to whoever asked, any other exit
 * is unexpected and goes to the supervisor.
 */
#ifndef MESHD_REAP_H
#define MESHD_REAP_H

#include <stdint.h>
#include <sys/types.h>

struct event_base;

/* How long after SIGKILL a process may take to be reaped before the
 * watch gives up on it (it is stuck in the kernel, nothing more to do). */
#define REAP_KILL_GRACE_MS 2000

/* wstatus is the raw status from waitpid; elapsed_ms counts from the
 * SIGTERM. */
typedef void (*reap_fn)(void *arg, pid_t pid, int wstatus, int64_t elapsed_ms);

/* Installs the SIGCHLD handler. unexpected(pid, wstatus) gets the exits
 * nobody asked for. 0, or -1 when the signal cannot be watched. */
int reap_init(struct event_base *base, void (*unexpected)(pid_t, int));

/* Sends SIGTERM to pid, SIGKILL after timeout_ms, and calls cb once it
 * has been reaped. A pid already being stopped is not signalled again (a
 * second SIGTERM makes a service skip its drain): the watch just gets the
 * new cb. 0, or -1 when pid is not a live child. */
int reap_stop(pid_t pid, int64_t timeout_ms, reap_fn cb, void *arg);

/* Whether pid is being stopped. */
int reap_stopping(pid_t pid);

/* Drops the callbacks that carry arg (their owner is going away); the
 * processes are still stopped and reaped. */
void reap_forget_arg(void *arg);

/* After the loop: SIGKILL and reap (blocking, bounded) every process still
 * being stopped, and free everything. */
void reap_free(void);

#endif
