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

static struct event_base *base;

int ctl_init(void)
{
	char err[512];

	base = event_base_new();
	if (!base) {
		fprintf(stderr, "meshctl: cannot create an event loop\n");
		return -1;
	}
	runtime_init(base, "meshctl");
	if (config_load(config_get(), "meshctl", err, sizeof err) != 0) {
		fprintf(stderr, "meshctl: %s\n", err);
		return -1;
	}
	/* No manifest: an operator's tool is bound to nothing and may call
	 * anything. */
	client_init(base, NULL);
	return 0;
}

void ctl_shutdown(void)
{
	if (!base)
		return;
	client_shutdown();
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	base = NULL;
}

struct event_base *ctl_base(void)
{
	return base;
}

typedef struct outcome {
	int done;
	mesh_err err;
	char msg[1024];
	json_t *result;
} outcome;

static void ctl_done(void *arg, mesh_err err, const char *msg, json_t *result)
{
	outcome *o = arg;

	o->done = 1;
	o->err = err;
	snprintf(o->msg, sizeof o->msg, "%s", msg);
	o->result = json_incref(result);
	event_base_loopbreak(base);
}

json_t *ctl_call(const char *service, const char *method, json_t *args,
                 int64_t timeout_ms, mesh_err *err, char *msg, size_t msg_len)
{
	outcome o = {0};
	mesh_call_opts opts = {.timeout_ms = timeout_ms};

	mesh_call_with(&opts, service, method, args, ctl_done, &o);
	while (!o.done)
		event_base_loop(base, EVLOOP_ONCE);
	*err = o.err;
	snprintf(msg, msg_len, "%s", o.msg);
	return o.result;
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
	char *s = json_dumps(v, JSON_ENCODE_ANY |
	                            (raw ? JSON_COMPACT : JSON_INDENT(2)));

	printf("%s\n", s ? s : "null");
	free(s);
}
