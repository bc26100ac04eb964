/*
 * copy.h: a bounded string copy for the per-call paths, where
 * snprintf(dst, n, "%s", src) costs tens of times a memcpy.
 */
#ifndef MESH_COPY_H
#define MESH_COPY_H

#include <stddef.h>
#include <string.h>

/* Copies at most cap - 1 bytes of src and a NUL (cap > 0); returns the
 * length copied, which is less than strlen(src) when it was cut. */
static inline size_t copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

#endif
