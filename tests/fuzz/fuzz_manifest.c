/* libFuzzer target: the manifest loader must reject anything malformed
 * with a message and never crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	manifest *m = manifest_load_string(text, err, sizeof err);
	if (m) {
		/* Exercise the queries on whatever loaded. */
		size_t *order = calloc(m->n_services + 1, sizeof *order);
		manifest_start_order(m, order);
		for (size_t i = 0; i < m->n_services; i++)
			for (size_t j = 0; j < m->n_services; j++)
				manifest_may_call(m, m->services[i].name,
				                  m->services[j].name, "x");
		free(order);
		manifest_free(m);
	} else if (err[0] == '\0') {
		abort(); /* a refusal must say why */
	}
	free(text);
	return 0;
}
