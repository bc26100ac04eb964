/* service_http.c: outbound HTTP for the running service, on one
 * process-wide client. */
#include "service.h"

void mesh_http_request(const mesh_http_opts *opts, mesh_http_fn cb, void *arg)
{
	http_client_request(service_http(), opts, cb, arg);
}
