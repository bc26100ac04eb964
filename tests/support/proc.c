#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

pid_t proc_start(const char *path, const char *const *extra_env,
                 const char *log_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (const char *const *e = extra_env; e && *e; e++)
		putenv((char *)*e);
	if (log_path) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
	}
	execl(path, path, (char *)NULL);
	fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

int proc_wait_socket(const char *path, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	do {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 &&
		    connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		proc_sleep_ms(5);
	} while (proc_now_ms() < until);
	return -1;
}

int proc_wait(pid_t pid, int timeout_ms)
{
	long long until = proc_now_ms() + timeout_ms;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
			                         : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		proc_sleep_ms(5);
	} while (proc_now_ms() < until);
	return -1;
}

int proc_stop(pid_t pid, int timeout_ms)
{
	int st;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	st = proc_wait(pid, timeout_ms);
	if (st < 0) {
		proc_kill(pid);
		return -1;
	}
	return st;
}

void proc_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const char *env_path(const char *var, const char *dflt, const char *name)
{
	static char path[1024];
	const char *dir = getenv(var);

	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : dflt, name);
	return path;
}

const char *proc_daemon_path(const char *name)
{
	return env_path("MESH_TEST_DAEMONS", "build/tests/daemons", name);
}

const char *proc_bin_path(const char *name)
{
	return env_path("MESH_TEST_BIN", "bin", name);
}
