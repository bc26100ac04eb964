/*
 * logsink: stands in for the logger service in libmesh's own tests. It
 * takes the batched one-way "ingest" calls that libmesh's log shipper sends
 * and appends each record to logger:records in Redis, so a test can see
 * what every bound service shipped.
 */
#include <stdlib.h>

#include "mesh.h"

static void stored(void *arg, mesh_err err, const char *msg, json_t *reply)
{
	(void)reply;
	if (err != MESH_OK)
		mesh_fail(arg, err, "%s", msg);
	else
		mesh_reply(arg, NULL);
}

static void ingest(mesh_req *req, json_t *args)
{
	json_t *records = json_object_get(args, "records");
	size_t n = json_array_size(records);

	if (n == 0) {
		mesh_reply(req, NULL);
		return;
	}
	/* One RPUSH per batch: the records as JSON text. */
	const char **argv = calloc(n + 2, sizeof *argv);
	char **texts = calloc(n, sizeof *texts);
	argv[0] = "RPUSH";
	argv[1] = mesh_kv_key("records");
	for (size_t i = 0; i < n; i++) {
		texts[i] = json_dumps(json_array_get(records, i), JSON_COMPACT);
		argv[i + 2] = texts[i];
	}
	mesh_kv_command(stored, req, (int)n + 2, argv, NULL);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(argv);
}

static const mesh_method methods[] = {{"ingest", ingest}, {NULL, NULL}};

static const mesh_service_def service = {
    .name = "logger",
    .methods = methods,
};

int main(int argc, char **argv)
{
	return mesh_service_main(&service, argc, argv);
}
