#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child, between fork and exec: only calls that are safe there
 * (meshd has one thread, so setenv is too). */
static void spawn_child(const char *path, const char *const argv[], int logfd,
                        const char *instance, pid_t parent)
{
	sigset_t none;
	int devnull;

	setpgid(0, 0);
	/* A SIGKILLed meshd cannot stop its children: the kernel does. The
	 * parent may have died before prctl: then nobody would. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(127);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 ||
	    dup2(logfd, 2) < 0)
		_exit(127);
	/* Nothing of meshd's (its Redis connection, its listener, the loop)
	 * leaks into a service. */
	close_range(3, ~0U, 0);
	/* Ignored signals survive exec; a service sets its own. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (instance)
		setenv("MESH_INSTANCE", instance, 1);
	/* execv takes char *const[] for history's sake; it writes nothing. */
	execv(path, (char *const *)argv);
	dprintf(2, "meshd: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

pid_t spawn_process(const char *path, const char *const argv[],
                    const char *log_path, const char *instance, char *err,
                    size_t err_len)
{
	pid_t parent = getpid();
	int logfd =
	    open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	pid_t pid;

	if (logfd < 0) {
		snprintf(err, err_len, "%s: %s", log_path, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0)
		spawn_child(path, argv, logfd, instance, parent);
	close(logfd);
	if (pid < 0) {
		snprintf(err, err_len, "fork: %s", strerror(errno));
		return -1;
	}
	/* Also from the parent, so that the group exists before anyone
	 * signals it, whichever of the two runs first. */
	setpgid(pid, pid);
	return pid;
}

void spawn_describe_status(int wstatus, char *out, size_t out_len)
{
	if (WIFEXITED(wstatus))
		snprintf(out, out_len, "exited with status %d",
		         WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(out, out_len, "killed by signal %d (%s)",
		         WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
	else
		snprintf(out, out_len, "ended (wait status %d)", wstatus);
}
