#include "reap.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "runtime.h"

typedef struct watch {
	pid_t pid;
	int killed;
	int64_t started_ms;
	struct event *timer;
	reap_fn cb;
	void *arg;
	struct watch *next;
} watch;

static struct event_base *loop;
static struct event *sigchld;
static void (*on_unexpected)(pid_t, int);
static watch *watches;

static watch *watch_find(pid_t pid)
{
	for (watch *w = watches; w; w = w->next)
		if (w->pid == pid)
			return w;
	return NULL;
}

static void watch_unlink(watch *w)
{
	for (watch **pp = &watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			return;
		}
}

static void watch_free(watch *w)
{
	if (w->timer)
		event_free(w->timer);
	free(w);
}

static void reap_sigchld(evutil_socket_t sig, short what, void *arg)
{
	int wstatus;
	pid_t pid;

	(void)sig;
	(void)what;
	(void)arg;
	/* Signals merge: one SIGCHLD may stand for many exits. */
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		watch *w = watch_find(pid);
		if (!w) {
			if (on_unexpected)
				on_unexpected(pid, wstatus);
			continue;
		}
		watch_unlink(w);
		reap_fn cb = w->cb;
		void *cb_arg = w->arg;
		int64_t elapsed = runtime_now_ms() - w->started_ms;
		watch_free(w);
		if (cb)
			cb(cb_arg, pid, wstatus, elapsed);
	}
}

static void reap_escalate(evutil_socket_t fd, short what, void *arg)
{
	watch *w = arg;
	struct timeval tv = {REAP_KILL_GRACE_MS / 1000,
	                     (REAP_KILL_GRACE_MS % 1000) * 1000};

	(void)fd;
	(void)what;
	if (!w->killed) {
		w->killed = 1;
		kill(w->pid, SIGKILL);
		evtimer_add(w->timer, &tv);
		return;
	}
	/* Not reaped even after SIGKILL: report it as killed rather than
	 * hold the caller forever; SIGCHLD will still collect it. */
	watch_unlink(w);
	reap_fn cb = w->cb;
	void *cb_arg = w->arg;
	pid_t pid = w->pid;
	int64_t elapsed = runtime_now_ms() - w->started_ms;
	watch_free(w);
	if (cb)
		cb(cb_arg, pid, SIGKILL, elapsed);
}

int reap_init(struct event_base *base, void (*unexpected)(pid_t, int))
{
	loop = base;
	on_unexpected = unexpected;
	sigchld = evsignal_new(base, SIGCHLD, reap_sigchld, NULL);
	return sigchld && evsignal_add(sigchld, NULL) == 0 ? 0 : -1;
}

int reap_stop(pid_t pid, int64_t timeout_ms, reap_fn cb, void *arg)
{
	watch *w = watch_find(pid);
	struct timeval tv = {(time_t)(timeout_ms / 1000),
	                     (suseconds_t)(timeout_ms % 1000) * 1000};

	if (w) {
		w->cb = cb;
		w->arg = arg;
		return 0;
	}
	if (pid <= 0 || kill(pid, SIGTERM) != 0)
		return -1;
	w = calloc(1, sizeof *w);
	if (!w || !(w->timer = evtimer_new(loop, reap_escalate, w))) {
		/* Without memory there is no watch: the exit will come as
		 * unexpected, which at worst restarts the service. */
		free(w);
		return -1;
	}
	w->pid = pid;
	w->started_ms = runtime_now_ms();
	w->cb = cb;
	w->arg = arg;
	w->next = watches;
	watches = w;
	evtimer_add(w->timer, &tv);
	return 0;
}

int reap_stopping(pid_t pid)
{
	return watch_find(pid) != NULL;
}

void reap_forget_arg(void *arg)
{
	for (watch *w = watches; w; w = w->next)
		if (w->arg == arg) {
			w->cb = NULL;
			w->arg = NULL;
		}
}

void reap_free(void)
{
	while (watches) {
		watch *w = watches;
		watches = w->next;
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		watch_free(w);
	}
	if (sigchld)
		event_free(sigchld);
	sigchld = NULL;
	loop = NULL;
}
