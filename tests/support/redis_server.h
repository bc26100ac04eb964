/*
 * redis_server.h: a real redis-server for tests, on a Unix socket in a
 * fresh temporary directory (no TCP port), with AOF on so a restart keeps
 * what was written. The server dies with the process that started it
 * (PR_SET_PDEATHSIG, plus an exit hook), so a failing test never leaves one
 * behind.
 */
#ifndef MESH_TEST_REDIS_SERVER_H
#define MESH_TEST_REDIS_SERVER_H

#include <hiredis.h>

typedef struct redis_server redis_server;

/* Starts redis-server (from PATH) and waits until it answers PING (at most
 * 5 s). NULL, with the reason on stderr, when it does not come up. */
redis_server *redis_server_start(void);
/* "unix:///tmp/.../redis.sock"; valid until redis_server_free(). */
const char *redis_server_url(const redis_server *rs);
/* SIGTERM and wait (AOF is flushed on the way out). 0, or -1 if it had to
 * be killed or was not running. */
int redis_server_stop(redis_server *rs);
/* SIGKILL and wait: no shutdown work at all. */
void redis_server_kill(redis_server *rs);
/* Starts it again on the same socket and directory (the AOF is reloaded).
 * 0, or -1 with the reason on stderr. */
int redis_server_restart(redis_server *rs);
/* Kills the server if running and removes its directory. */
void redis_server_free(redis_server *rs);

/* Runs one command synchronously on a fresh connection (hiredis format).
 * NULL when the server cannot be reached; caller frees with
 * freeReplyObject(). */
redisReply *redis_server_cmd(redis_server *rs, const char *fmt, ...);
/* The integer reply of a command, or LLONG_MIN on any other reply. */
long long redis_server_int(redis_server *rs, const char *fmt, ...);
/* How many times the server has run command cmd (lower case, as INFO
 * commandstats names it: "eval", "xack"), counted since it started or
 * its last CONFIG RESETSTAT; commands a script ran count too. */
long long redis_server_calls(redis_server *rs, const char *cmd);

#endif
