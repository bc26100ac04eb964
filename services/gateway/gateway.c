/*
 * gateway: the edge. HTTP on PORT (8080) in front of the mesh: routes from
 * the manifest become calls, errors become uniform JSON, and the operator
 * endpoints see the whole mesh. It is a mesh service with no methods of
 * its own; its work is the HTTP listener it adds to the loop.
 */
#include <errno.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/edge.h"
#include "gateway/key_cache.h"
#include "mesh.h"

/* Bodies over this are refused by libevent itself before our 1 MiB check
 * sees them: it bounds the memory one connection can make us hold. */
#define GATEWAY_HARD_MAX_BODY    (8 * 1024 * 1024)
#define GATEWAY_HARD_MAX_HEADERS (64 * 1024)
/* A client silent this long mid-request or idle on keep-alive is cut
 * (GATEWAY_CLIENT_TIMEOUT_S overrides). */
#define GATEWAY_TIMEOUT_S 10

static struct evhttp *http;
static struct evhttp_bound_socket *listener;

static int gateway_init(void)
{
	const char *port_s = getenv("PORT"), *bind = getenv("BIND_ADDR");
	char *end;
	long port = port_s && *port_s ? strtol(port_s, &end, 10) : 8080;

	if (port_s && *port_s && (*end || port < 1 || port > 65535)) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL,
		         "PORT: expected 1-65535, got \"%s\"", port_s);
		return -1;
	}
	if (!bind || !*bind)
		bind = "0.0.0.0";
	char err[256];
	if (edge_configure(err, sizeof err) != 0) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s", err);
		return -1;
	}
	http = evhttp_new(mesh_loop());
	if (!http)
		return -1;
	evhttp_set_max_body_size(http, GATEWAY_HARD_MAX_BODY);
	evhttp_set_max_headers_size(http, GATEWAY_HARD_MAX_HEADERS);
	const char *t = getenv("GATEWAY_CLIENT_TIMEOUT_S");
	long timeout = t && *t ? strtol(t, &end, 10) : GATEWAY_TIMEOUT_S;
	if (t && *t && (*end || timeout < 1 || timeout > 3600)) {
		mesh_log(
		    NULL, MESH_LOG_ERROR, NULL,
		    "GATEWAY_CLIENT_TIMEOUT_S: expected 1-3600, got \"%s\"", t);
		return -1;
	}
	evhttp_set_timeout(http, (int)timeout);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                                     EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
	                                     EVHTTP_REQ_DELETE |
	                                     EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(http, edge_request, NULL);
	listener =
	    evhttp_bind_socket_with_handle(http, bind, (ev_uint16_t)port);
	if (!listener) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL,
		         "cannot listen on %s:%ld: %s", bind, port,
		         strerror(errno));
		return -1;
	}
	mesh_log(NULL, MESH_LOG_INFO, NULL, "HTTP on %s:%ld", bind, port);
	return 0;
}

/* Stop taking connections; requests in flight finish (each holds the
 * drain), and their replies say Connection: close. */
static void gateway_shutdown(void)
{
	if (listener)
		evhttp_del_accept_socket(http, listener);
	listener = NULL;
}

static void gateway_cleanup(void)
{
	key_cache_clear();
	if (http)
		evhttp_free(http);
	http = NULL;
}

static const mesh_method methods[] = {{NULL, NULL}};

static const mesh_service_def service = {
    .name = "gateway",
    .methods = methods,
    .init = gateway_init,
    .shutdown = gateway_shutdown,
    .cleanup = gateway_cleanup,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
