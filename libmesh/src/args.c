/* args.c: reading handler arguments: numbers that may come from a query
 * string, and ZIP codes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mesh.h"

int mesh_arg_number(json_t *args, const char *name, double *out)
{
	json_t *v = json_object_get(args, name);
	const char *s;
	char *end;
	double x;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_number(v)) {
		x = json_number_value(v);
		if (!isfinite(x))
			return -1;
		*out = x;
		return 1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (*s == '\0')
		return 0;
	/* strtod would skip leading space and take "1e999" as infinity:
	 * neither is a number a person typed into a query. */
	if (isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x))
		return -1;
	*out = x;
	return 1;
}

int mesh_zip5(const char *s, char out[6])
{
	size_t n = s ? strlen(s) : 0;

	if (n != 5 && n != 10)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (i == 5 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	memcpy(out, s, 5);
	out[5] = '\0';
	return 1;
}
