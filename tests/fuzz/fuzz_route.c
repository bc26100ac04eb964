/* libFuzzer target: the gateway's route matcher against the real manifest.
 * Input: "METHOD path" (first space splits). Anything must match, miss or
 * be refused as a bad path, without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/route_match.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static manifest *real;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	if (!real) {
		const char *path = getenv("MESH_MANIFEST");
		real = manifest_load_file(path ? path : "proto/mesh.json", err,
		                          sizeof err);
		if (!real)
			abort();
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *space = strchr(text, ' ');
	const char *method = "GET", *path = text;
	if (space) {
		*space = '\0';
		method = text;
		path = space + 1;
	}
	route_match m;
	route_result r = route_find(real, method, path, &m);
	if (r == ROUTE_FOUND) {
		if (!m.route || !m.params)
			abort();
		json_decref(m.params);
	} else if (m.params) {
		abort();
	}
	free(text);
	return 0;
}
