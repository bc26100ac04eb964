/*
 * runtime.h: the process-wide state a service runs with (one loop, one
 * service name, one manifest) and the small loop helpers every module uses.
 */
#ifndef MESH_RUNTIME_H
#define MESH_RUNTIME_H

#include <stdint.h>

struct event_base;

/* Binds the runtime to a loop and a service name; tests call it directly. */
void runtime_init(struct event_base *base, const char *service);

/* Monotonic milliseconds, for deadlines and latency. */
int64_t runtime_now_ms(void);
/* Wall-clock milliseconds since the epoch, for logs and events. */
int64_t runtime_wall_ms(void);

/* Runs fn(arg) on the next loop iteration: how an async function reports an
 * immediate error without calling back from inside itself. */
void runtime_defer(void (*fn)(void *arg), void *arg);

/* Registers fn to run when the service stops, after its loop ended and
 * before it is freed: how an optional module cleans up without the
 * service core linking it. At most RUNTIME_MAX_EXIT_HOOKS. */
#define RUNTIME_MAX_EXIT_HOOKS 8
void runtime_at_exit(void (*fn)(void));
/* Runs (and forgets) the hooks, last registered first. */
void runtime_run_exit_hooks(void);

#endif
