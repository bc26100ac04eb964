/* call.c: the public call API (service bindings) over the client. */
#include "client.h"
#include "config.h"
#include "req.h"
#include "runtime.h"

void mesh_call(mesh_req *parent, const char *service, const char *method,
               json_t *args, mesh_call_fn cb, void *arg)
{
	if (!parent) {
		mesh_call_with(NULL, service, method, args, cb, arg);
		return;
	}
	/* The callee gets what is left of our caller's time, not a fresh
	 * budget: a chain of calls can never outlive the edge request. */
	int64_t deadline = parent->deadline_ms
	                       ? parent->deadline_ms
	                       : runtime_now_ms() + CONFIG_DEFAULT_TIMEOUT_MS;
	client_call(service, method, args, parent->request_id,
	            parent->traceparent, deadline, cb, arg);
}

void mesh_call_with(const mesh_call_opts *opts, const char *service,
                    const char *method, json_t *args, mesh_call_fn cb,
                    void *arg)
{
	int64_t timeout = opts && opts->timeout_ms > 0
	                      ? opts->timeout_ms
	                      : CONFIG_DEFAULT_TIMEOUT_MS;

	if (timeout > CONFIG_MAX_TIMEOUT_MS)
		timeout = CONFIG_MAX_TIMEOUT_MS;
	client_call(service, method, args, opts ? opts->request_id : NULL,
	            opts ? opts->traceparent : NULL, runtime_now_ms() + timeout,
	            cb, arg);
}

void mesh_send(mesh_req *parent, const char *service, const char *method,
               json_t *args)
{
	client_call(service, method, args, parent ? parent->request_id : NULL,
	            parent ? parent->traceparent : NULL,
	            runtime_now_ms() + CONFIG_ONEWAY_TTL_MS, NULL, NULL);
}
