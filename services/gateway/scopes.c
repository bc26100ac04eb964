#include "scopes.h"

#include <string.h>

static int has(json_t *have, const char *scope)
{
	size_t i;
	json_t *v;

	json_array_foreach(have, i, v)
	{
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), scope) == 0)
			return 1;
	}
	return 0;
}

int scopes_allow(const manifest_route *route, json_t *have,
                 const char **missing)
{
	*missing = NULL;
	if (route->auth == MANIFEST_AUTH_PUBLIC || has(have, "admin"))
		return 1;
	if (route->auth == MANIFEST_AUTH_ADMIN) {
		*missing = "admin";
		return 0;
	}
	if (has(have, "*"))
		return 1;
	for (size_t i = 0; i < route->n_scopes; i++)
		if (!has(have, route->scopes[i])) {
			*missing = route->scopes[i];
			return 0;
		}
	return 1;
}
