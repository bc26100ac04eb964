/*
 * probe.h: one `_health` call on a fresh connection to a socket path.
 * meshd's pooled client would keep talking to whichever instance it first
 * reached; a fresh connection reaches whoever owns the path now, which is
 * what a deploy must know ("the NEW pid answers").
 */
#ifndef MESHD_PROBE_H
#define MESHD_PROBE_H

#include <stdint.h>
#include <sys/types.h>

struct event_base;

typedef struct probe probe;

/* ok is 1 when the service answered _health with status "ok"; pid is the
 * pid it reported (0 when none). why says what went wrong otherwise. */
typedef void (*probe_fn)(void *arg, int ok, pid_t pid, const char *why);

/* Starts the probe; cb runs once, never from inside this call, unless the
 * probe is cancelled first. NULL only without memory. */
probe *probe_health(struct event_base *base, const char *sock_path,
                    int64_t timeout_ms, probe_fn cb, void *arg);
/* cb will not run; the connection closes in the background. */
void probe_cancel(probe *p);
/* After the loop: frees every probe still open. */
void probe_free_all(void);

#endif
