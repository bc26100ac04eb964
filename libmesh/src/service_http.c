/* service_http.c: outbound HTTP for the running service, on one
 * process-wide client. Kept apart from service.c so that a service that
 * never makes an HTTP request does not link libcurl at all (with
 * --as-needed, about 4 MB less resident memory per daemon). */
#include "runtime.h"
#include "service.h"

static http_client *client;

static void service_http_close(void)
{
	http_client_free(client);
	client = NULL;
}

http_client *service_http(void)
{
	if (!client && mesh_loop()) {
		client = http_client_new(mesh_loop());
		if (client)
			runtime_at_exit(service_http_close);
	}
	return client;
}

void mesh_http_request(const mesh_http_opts *opts, mesh_http_fn cb, void *arg)
{
	http_client_request(service_http(), opts, cb, arg);
}
