#include <string.h>

#include "mesh.h"

static const struct {
	const char *name;
	int status;
} err_table[MESH_ERR_COUNT] = {
    [MESH_OK] = {"ok", 200},
    [MESH_EINVAL] = {"bad_request", 400},
    [MESH_EUNAUTHORIZED] = {"unauthorized", 401},
    [MESH_EPAYMENT] = {"payment_required", 402},
    [MESH_EFORBIDDEN] = {"forbidden", 403},
    [MESH_ENOTFOUND] = {"not_found", 404},
    [MESH_ECONFLICT] = {"conflict", 409},
    [MESH_ETOOLARGE] = {"payload_too_large", 413},
    [MESH_ERATELIMITED] = {"rate_limited", 429},
    [MESH_EINTERNAL] = {"internal", 500},
    [MESH_EUNAVAILABLE] = {"unavailable", 503},
    [MESH_ETIMEOUT] = {"timeout", 504},
};

const char *mesh_strerror(mesh_err err)
{
	if ((unsigned)err >= MESH_ERR_COUNT)
		return "internal";
	return err_table[err].name;
}

int mesh_err_http_status(mesh_err err)
{
	if ((unsigned)err >= MESH_ERR_COUNT)
		return 500;
	return err_table[err].status;
}

mesh_err mesh_err_from_name(const char *name)
{
	for (int i = 0; name && i < MESH_ERR_COUNT; i++)
		if (strcmp(err_table[i].name, name) == 0)
			return (mesh_err)i;
	return MESH_EINTERNAL;
}
