/*
 * proc.h: child processes for integration tests: start a daemon, wait for
 * its socket, stop it politely or with SIGKILL. Every wait is bounded.
 */
#ifndef TEST_PROC_H
#define TEST_PROC_H

#include <sys/types.h>

/* Starts path with the test's environment plus extra "K=V" entries
 * (NULL-terminated, may be NULL); stderr goes to log_path when given. */
pid_t proc_start(const char *path, const char *const *extra_env,
                 const char *log_path);
/* Polls until a Unix socket accepts a connection; 0, or -1 on timeout. */
int proc_wait_socket(const char *path, int timeout_ms);
/* Waits for pid to exit; its exit status (128+signal when killed), or -1
 * when it is still running after timeout_ms. */
int proc_wait(pid_t pid, int timeout_ms);
/* SIGTERM then wait; on timeout SIGKILL. Returns the exit status. */
int proc_stop(pid_t pid, int timeout_ms);
/* SIGKILL and reap. */
void proc_kill(pid_t pid);
/* Path of a test daemon or service binary: $MESH_TEST_DAEMONS/<name> or
 * $MESH_TEST_BIN/<name>. Static buffer. */
const char *proc_daemon_path(const char *name);
const char *proc_bin_path(const char *name);
/* Milliseconds on the monotonic clock. */
long long proc_now_ms(void);
/* Sleeps ms (tests only; never in a daemon). */
void proc_sleep_ms(int ms);

#endif
