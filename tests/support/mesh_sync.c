#include "mesh_sync.h"

#include <stdio.h>

#include "sync_call.h"

void mesh_sync_init(void)
{
	char err[256];

	if (sync_init("test", err, sizeof err) != 0)
		fprintf(stderr, "mesh_sync: %s\n", err);
}

void mesh_sync_shutdown(void)
{
	sync_shutdown();
}

json_t *mesh_sync_call(const char *service, const char *method, json_t *args,
                       const mesh_sync_opts *opts, mesh_err *err, char *msg,
                       size_t msg_len)
{
	mesh_call_opts co = {0};

	if (opts) {
		co.request_id = opts->request_id;
		co.traceparent = opts->traceparent;
		co.timeout_ms = opts->timeout_ms;
	}
	return sync_call(service, method, args, &co, err, msg, msg_len);
}

void mesh_sync_run(int ms)
{
	sync_run(ms);
}
