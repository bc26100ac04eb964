/*
 * fuzz_frame.c: libFuzzer target for the wire codec (libmesh/src/frame.c).
 *
 * Beyond "never crashes", it checks the codec's promises on every input:
 * frame_peek() agrees with frame_decode(), an accepted frame lies within the
 * input, re-encodes to the same bytes, and is incomplete when cut short.
 * Seeds: tests/fuzz/corpus/frame (vectors of proto/wire.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	frame f;
	size_t used = 0, total = 0;
	const char *why = NULL;
	frame_status s =
	    frame_decode(data, size, FRAME_MAX_DEFAULT, &f, &used, &why);
	frame_status p = frame_peek(data, size, FRAME_MAX_DEFAULT, &total);

	if (s != FRAME_OK) {
		if (used != 0 || why == NULL)
			abort();
		/* The prefix verdicts come from peek alone. */
		if ((p == FRAME_ETOOBIG || p == FRAME_EMALFORMED ||
		     p == FRAME_NEED_MORE) &&
		    s != p)
			abort();
		return 0;
	}
	if (p != FRAME_OK || total != used || used > size ||
	    used < FRAME_PREFIX_LEN + FRAME_HEADER_LEN)
		abort();
	if (frame_encoded_len(&f) != used)
		abort();

	uint8_t *out = malloc(used);
	if (!out)
		return 0;
	if (frame_encode(&f, out, used - 1) != 0)
		abort();
	if (frame_encode(&f, out, used) != used || memcmp(out, data, used))
		abort();
	free(out);

	frame g;
	size_t used2;
	if (frame_decode(data, used - 1, FRAME_MAX_DEFAULT, &g, &used2, NULL) !=
	    FRAME_NEED_MORE)
		abort();
	return 0;
}
