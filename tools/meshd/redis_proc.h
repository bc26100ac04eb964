/*
 * redis_proc.h: the private redis-server meshd runs when REDIS_URL is not
 * set: on a Unix socket under <run>/redis (no TCP port), AOF on, its
 * output in <run>/logs/redis.log. Started first, stopped last.
 */
#ifndef MESHD_REDIS_PROC_H
#define MESHD_REDIS_PROC_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* How long redis-server may take to answer PING after it starts. */
#define REDIS_PROC_START_MS 10000
/* How long it may take to write its AOF and exit after SIGTERM. */
#define REDIS_PROC_STOP_MS 10000
/* Wait before starting it again after an unexpected exit. */
#define REDIS_PROC_RESTART_MS 500

/* Finds redis-server in PATH: 0 with its path in out, -1 when absent. */
int redis_proc_find(char *out, size_t out_len);

/* Starts redis-server for run_dir (absolute) and calls ready(arg, ok, why)
 * once it answers PING, or fails. -1 with err when it cannot even start. */
int redis_proc_start(const char *run_dir,
                     void (*ready)(void *, int, const char *), void *arg,
                     char *err, size_t err_len);

/* 1 when pid was redis-server (an unexpected exit: it is restarted). */
int redis_proc_exited(pid_t pid, int wstatus);

/* {"managed": true, "pid", "state", "uptime_ms", "restarts", "url"} */
json_t *redis_proc_status(void);

/* SIGTERM, wait (SIGKILL past REDIS_PROC_STOP_MS), then done(arg). */
void redis_proc_stop(void (*done)(void *), void *arg);

/* After the loop: kill what is left and free. */
void redis_proc_cleanup(void);

#endif
