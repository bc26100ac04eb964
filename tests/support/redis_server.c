#include "redis_server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a server gets to answer PING, and to exit after SIGTERM. */
#define REDIS_SERVER_START_MS 5000
#define REDIS_SERVER_STOP_MS  5000
/* Servers alive at once in one process (the exit hook's table). */
#define REDIS_SERVER_MAX 16

struct redis_server {
	pid_t pid;   /* 0 when not running */
	pid_t owner; /* the process that started it */
	char dir[64];
	char sock[96];
	char url[112];
};

static redis_server *live[REDIS_SERVER_MAX];
static int exit_hook_set;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Check ends a failed test with exit(): the server goes with it. Children
 * forked by a test (and their _exit) never run this for our servers. */
static void exit_hook(void)
{
	for (int i = 0; i < REDIS_SERVER_MAX; i++)
		if (live[i] && live[i]->owner == getpid())
			redis_server_free(live[i]);
}

static void track(redis_server *rs, int add)
{
	for (int i = 0; i < REDIS_SERVER_MAX; i++) {
		if (add && !live[i]) {
			live[i] = rs;
			return;
		}
		if (!add && live[i] == rs) {
			live[i] = NULL;
			return;
		}
	}
}

static int ping(const redis_server *rs)
{
	struct timeval tv = {0, 200000};
	redisContext *c = redisConnectUnixWithTimeout(rs->sock, tv);
	redisReply *r;
	int ok = 0;

	if (!c)
		return 0;
	if (!c->err) {
		redisSetTimeout(c, tv);
		r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS &&
		     strcmp(r->str, "PONG") == 0;
		if (r)
			freeReplyObject(r);
	}
	redisFree(c);
	return ok;
}

static int reap(redis_server *rs, long long deadline_ms)
{
	int status;

	while (rs->pid) {
		pid_t p = waitpid(rs->pid, &status, WNOHANG);

		if (p == rs->pid || (p < 0 && errno != EINTR)) {
			rs->pid = 0;
			return 0;
		}
		if (now_ms() >= deadline_ms)
			return -1;
		sleep_ms(5);
	}
	return 0;
}

static int spawn(redis_server *rs)
{
	char log[128];
	pid_t parent = getpid();
	long long deadline;
	int status;

	snprintf(log, sizeof log, "%s/redis.log", rs->dir);
	rs->pid = fork();
	if (rs->pid < 0) {
		perror("redis_server: fork");
		rs->pid = 0;
		return -1;
	}
	if (rs->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* Die with the test, whatever way it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(111);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Keep none of the test's descriptors (Check's, pipes). */
		for (int i = 3; i < 1024; i++)
			close(i);
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", rs->sock, "--unixsocketperm", "700",
		       "--dir", rs->dir, "--appendonly", "yes", "--save", "",
		       "--daemonize", "no", "--logfile", "", (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + REDIS_SERVER_START_MS;
	while (now_ms() < deadline) {
		if (ping(rs))
			return 0;
		if (waitpid(rs->pid, &status, WNOHANG) == rs->pid) {
			rs->pid = 0;
			fprintf(
			    stderr,
			    "redis_server: redis-server exited (status %d); "
			    "see %s\n",
			    status, log);
			return -1;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "redis_server: no PING answer within %d ms\n",
	        REDIS_SERVER_START_MS);
	redis_server_kill(rs);
	return -1;
}

redis_server *redis_server_start(void)
{
	redis_server *rs = calloc(1, sizeof *rs);

	if (!rs)
		return NULL;
	snprintf(rs->dir, sizeof rs->dir, "/tmp/leadmesh-redis-XXXXXX");
	if (!mkdtemp(rs->dir)) {
		perror("redis_server: mkdtemp");
		free(rs);
		return NULL;
	}
	snprintf(rs->sock, sizeof rs->sock, "%s/redis.sock", rs->dir);
	snprintf(rs->url, sizeof rs->url, "unix://%s", rs->sock);
	rs->owner = getpid();
	if (!exit_hook_set) {
		atexit(exit_hook);
		exit_hook_set = 1;
	}
	track(rs, 1);
	if (spawn(rs) != 0) {
		redis_server_free(rs);
		return NULL;
	}
	return rs;
}

const char *redis_server_url(const redis_server *rs)
{
	return rs->url;
}

int redis_server_stop(redis_server *rs)
{
	if (!rs->pid)
		return -1;
	kill(rs->pid, SIGTERM);
	if (reap(rs, now_ms() + REDIS_SERVER_STOP_MS) == 0)
		return 0;
	redis_server_kill(rs);
	return -1;
}

void redis_server_kill(redis_server *rs)
{
	if (!rs->pid)
		return;
	kill(rs->pid, SIGKILL);
	/* SIGKILL cannot be ignored: this wait ends. */
	while (rs->pid && reap(rs, now_ms() + 1000) != 0)
		;
}

int redis_server_restart(redis_server *rs)
{
	if (rs->pid)
		redis_server_stop(rs);
	return spawn(rs);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void redis_server_free(redis_server *rs)
{
	if (!rs)
		return;
	redis_server_kill(rs);
	nftw(rs->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	track(rs, 0);
	free(rs);
}

static redisReply *vcmd(redis_server *rs, const char *fmt, va_list ap)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectUnixWithTimeout(rs->sock, tv);
	redisReply *r = NULL;

	if (!c)
		return NULL;
	if (!c->err) {
		redisSetTimeout(c, tv);
		r = redisvCommand(c, fmt, ap);
	}
	redisFree(c);
	return r;
}

redisReply *redis_server_cmd(redis_server *rs, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = vcmd(rs, fmt, ap);
	va_end(ap);
	return r;
}

long long redis_server_int(redis_server *rs, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long v = LLONG_MIN;

	va_start(ap, fmt);
	r = vcmd(rs, fmt, ap);
	va_end(ap);
	if (r && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r)
		freeReplyObject(r);
	return v;
}

long long redis_server_calls(redis_server *rs, const char *cmd)
{
	redisReply *r = redis_server_cmd(rs, "INFO commandstats");
	char field[64];
	const char *at;
	long long calls = 0;

	snprintf(field, sizeof field, "cmdstat_%s:calls=", cmd);
	if (r && r->str && (at = strstr(r->str, field)))
		calls = strtoll(at + strlen(field), NULL, 10);
	if (r)
		freeReplyObject(r);
	return calls;
}
