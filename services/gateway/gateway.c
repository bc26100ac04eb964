/*
 * gateway: the edge. HTTP on PORT (8080) in front of the mesh: routes from
 * the manifest become calls, errors become uniform JSON, and the operator
 * endpoints see the whole mesh. It is a mesh service with no methods of
 * its own; its work is the HTTP listener it adds to the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/edge.h"
#include "gateway/http_server.h"
#include "gateway/key_cache.h"
#include "mesh.h"

static http_server *server;

static int gateway_init(void)
{
	const char *port_s = getenv("PORT"), *bind = getenv("BIND_ADDR");
	char *end, err[256];
	long port = port_s && *port_s ? strtol(port_s, &end, 10) : 8080;
	http_server_opts opts;

	if (port_s && *port_s && (*end || port < 1 || port > 65535)) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL,
		         "PORT: expected 1-65535, got \"%s\"", port_s);
		return -1;
	}
	if (!bind || !*bind)
		bind = "0.0.0.0";
	if (edge_configure(err, sizeof err) != 0 ||
	    http_server_opts_load(&opts, err, sizeof err) != 0) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s", err);
		return -1;
	}
	server = http_server_new(mesh_loop(), bind, (int)port, &opts,
	                         edge_request, NULL, err, sizeof err);
	if (!server) {
		mesh_log(NULL, MESH_LOG_ERROR, NULL, "%s", err);
		return -1;
	}
	mesh_log(NULL, MESH_LOG_INFO, NULL, "HTTP on %s:%ld", bind, port);
	return 0;
}

/* Stop taking connections; requests in progress finish and their answers
 * say Connection: close; idle keep-alive connections close. */
static void gateway_shutdown(void)
{
	if (server)
		http_server_drain(server);
}

static void gateway_cleanup(void)
{
	key_cache_clear();
	http_server_free(server);
	server = NULL;
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
