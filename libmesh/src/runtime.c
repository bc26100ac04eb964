#include "runtime.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mesh.h"

static struct event_base *loop_base;
static char service_name[64];

void runtime_init(struct event_base *base, const char *service)
{
	loop_base = base;
	snprintf(service_name, sizeof service_name, "%s",
	         service ? service : "");
}

struct event_base *mesh_loop(void)
{
	return loop_base;
}

const char *mesh_service_name(void)
{
	return service_name;
}

int64_t runtime_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t runtime_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct deferred {
	void (*fn)(void *arg);
	void *arg;
};

static void deferred_run(evutil_socket_t fd, short what, void *p)
{
	struct deferred d = *(struct deferred *)p;
	(void)fd;
	(void)what;
	free(p);
	d.fn(d.arg);
}

void runtime_defer(void (*fn)(void *arg), void *arg)
{
	static const struct timeval now = {0, 0};
	struct deferred *d = malloc(sizeof *d);

	/* Without memory or a loop there is no way to honour "never call back
	 * from inside": that is our own broken invariant, not bad input. */
	if (!d || !loop_base)
		abort();
	d->fn = fn;
	d->arg = arg;
	if (event_base_once(loop_base, -1, EV_TIMEOUT, deferred_run, d, &now) !=
	    0)
		abort();
}

static void (*exit_hooks[RUNTIME_MAX_EXIT_HOOKS])(void);
static int n_exit_hooks;

void runtime_at_exit(void (*fn)(void))
{
	/* Our own modules register a fixed, small number of hooks. */
	if (n_exit_hooks == RUNTIME_MAX_EXIT_HOOKS)
		abort();
	exit_hooks[n_exit_hooks++] = fn;
}

void runtime_run_exit_hooks(void)
{
	while (n_exit_hooks > 0)
		exit_hooks[--n_exit_hooks]();
}
