#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "ctl.h"
#include "runtime.h"
#include "sync_call.h"

int ctl_init(void)
{
	char err[512];

	if (sync_init("meshctl", err, sizeof err) != 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		return -1;
	}
	return 0;
}

void ctl_shutdown(void)
{
	sync_shutdown();
}

struct event_base *ctl_base(void)
{
	return sync_base();
}

json_t *ctl_call(const char *service, const char *method, json_t *args,
                 int64_t timeout_ms, mesh_err *err, char *msg, size_t msg_len)
{
	mesh_call_opts opts = {.timeout_ms = timeout_ms};

	return sync_call(service, method, args, &opts, err, msg, msg_len);
}

int ctl_require_meshd(void)
{
	const config *cfg = config_get();
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[sizeof sun.sun_path + 300];
	int fd, ok = 0, e = ENOENT;

	snprintf(path, sizeof path, "%s/meshd.sock", cfg->sock_dir);
	if (strlen(path) < sizeof sun.sun_path &&
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		memcpy(sun.sun_path, path, strlen(path) + 1);
		/* A Unix connect is answered at once: no wait here. */
		ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
		e = errno;
		close(fd);
	}
	if (ok)
		return 0;
	if (e == ENOENT)
		fprintf(stderr,
		        "meshctl: meshd is not running (no socket at %s); "
		        "start it with make run\n",
		        path);
	else
		fprintf(stderr,
		        "meshctl: meshd is not running (nothing answers on "
		        "%s: %s); start it with make run\n",
		        path, strerror(e));
	return CTL_EXIT_NO_MESHD;
}

int ctl_report(mesh_err err, const char *msg)
{
	fprintf(stderr, "meshctl: %s: %s\n", mesh_strerror(err), msg);
	return CTL_EXIT_ERROR;
}

void ctl_print_json(const json_t *v, int raw)
{
	/* 12 significant digits, as the services write them: 0.59, not
	 * 0.58999999999999997. */
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12) |
	                            (raw ? JSON_COMPACT : JSON_INDENT(2)));

	printf("%s\n", s ? s : "null");
	free(s);
}
