#include "fixture.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc.h"

/* Daemons wait this long at most to come up (ASan on a loaded CI box). */
#define FIXTURE_START_MS 15000

static char dir[64];
static redis_server *rs;

const char *fixture_start(const char *manifest)
{
	char cwd[800], path[1024];

	snprintf(dir, sizeof dir, "/tmp/meshtest-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	rs = redis_server_start();
	ck_assert_ptr_nonnull(rs);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	snprintf(path, sizeof path, "%s/%s", cwd, manifest);
	setenv("MESH_RUN_DIR", dir, 1);
	setenv("MESH_MANIFEST", path, 1);
	setenv("REDIS_URL", redis_server_url(rs), 1);
	return dir;
}

redis_server *fixture_redis(void)
{
	return rs;
}

pid_t fixture_daemon(const char *binary, const char *service,
                     const char *const *env)
{
	char log[128], sock[128];

	snprintf(log, sizeof log, "%s/%s.log", dir, service);
	snprintf(sock, sizeof sock, "%s/sock/%s.sock", dir, service);
	pid_t pid = proc_start(binary, env, log);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(proc_wait_socket(sock, FIXTURE_START_MS) == 0,
	              "%s did not start (see %s)", service, log);
	return pid;
}

void fixture_finish(void)
{
	char cmd[128];

	redis_server_free(rs);
	rs = NULL;
	if (getenv("MESH_TEST_KEEP")) {
		fprintf(stderr, "kept %s\n", dir);
		return;
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int fixture_free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(sin.sin_port);
}
